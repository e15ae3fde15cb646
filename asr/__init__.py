"""Speech recognition: batch and streaming transcription on faster-whisper, the service
routes, export and the Whisper fine-tuning module. Filled by the ASR issues."""
