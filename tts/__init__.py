"""Speech synthesis (``awal.tts``): the Darija/Tamazight front-end, the voices (espeak-ng, ONNX
neural), streaming synthesis, export, evaluation and the voice recipe's code."""
