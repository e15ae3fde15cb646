"""The log-mel features a Whisper model sees when faster-whisper serves it.

A model must be trained on the features it will be served with. faster-whisper computes
the log-mel spectrogram of the audio as it is (plus 160 samples), normalizes it, and
pads the *normalized* spectrogram with 0.0 up to 30 s (3000 frames). Hugging Face's
``WhisperFeatureExtractor`` pads the *audio* with silence first, so its padding frames hold
the log-mel of silence (about -0.5 after normalization), not 0.0. Measured on these machines
(DESIGN.md), training on one and serving with the other cost accuracy. The training code
therefore computes its input with :func:`serving_features`, which uses faster-whisper's
own feature extractor and padding. numpy only: no torch.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from awal.errors import InputError

__all__ = ["CHUNK_SECONDS", "N_FRAMES", "SAMPLE_RATE", "serving_features"]

SAMPLE_RATE = 16000
CHUNK_SECONDS = 30
N_FRAMES = 3000  # 30 s at a 10 ms hop


@lru_cache(maxsize=4)
def _extractor(n_mels: int):
    from faster_whisper.feature_extractor import FeatureExtractor

    return FeatureExtractor(feature_size=n_mels)


def serving_features(audio: np.ndarray, n_mels: int = 80) -> np.ndarray:
    """``(n_mels, 3000)`` float32 features of one utterance of at most 30 s at 16 kHz, as
    faster-whisper's ``transcribe`` gives them to the encoder for its first window.

    Raises:
        InputError: the audio is not 1-D or is longer than 30 s.
    """
    if audio.ndim != 1:
        raise InputError(f"expected mono audio (1-D), got shape {audio.shape}")
    if len(audio) > CHUNK_SECONDS * SAMPLE_RATE:
        raise InputError(f"{len(audio) / SAMPLE_RATE:.2f} s is longer than one {CHUNK_SECONDS} s window")
    features = _extractor(n_mels)(audio.astype(np.float32, copy=False))
    content = features[:, : min(N_FRAMES, features.shape[-1] - 1)]  # faster-whisper's content_frames
    out = np.zeros((n_mels, N_FRAMES), dtype=np.float32)
    out[:, : content.shape[-1]] = content
    return out
