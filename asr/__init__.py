"""Speech recognition (``awal.asr``): model folders, the batch decoder, batch transcription, the
streaming engine and its worker, export, evaluation and the Whisper fine-tuning recipe's code."""
