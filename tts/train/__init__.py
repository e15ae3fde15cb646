"""The TTS recipe's Python side (recipes/tts/fastpitch_hifigan/): data, NeMo FastPitch and HiFi-GAN
training entry points, mel generation for vocoder fine-tuning. Needs the ``train`` extra."""
