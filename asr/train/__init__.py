"""Whisper fine-tuning: the pieces the ASR recipe drives (needs the ``train`` extra).

* :mod:`awal.asr.train.ct2_to_hf`: a CTranslate2 Whisper (``model.bin``) back to a Hugging Face
  ``WhisperForConditionalGeneration``, the starting point of fine-tuning.
"""
