"""Speech synthesis: the Darija/Tamazight front-end, the ONNX runtime, streaming synthesis
and the speech endpoint. Filled by the TTS issue."""
