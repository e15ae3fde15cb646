"""The log-mel features a Whisper model sees when faster-whisper serves it.

A model must be trained on the features it will be served with. faster-whisper computes
the log-mel spectrogram of the audio as it is (plus 160 samples), normalizes it, and
pads the *normalized* spectrogram with 0.0 up to 30 s (3000 frames). Hugging Face's
``WhisperFeatureExtractor`` pads the *audio* with silence first, so its padding frames hold
the log-mel of silence (about -0.5 after normalization), not 0.0. Measured on these machines
(DESIGN.md), training on one and serving with the other cost accuracy. The training code
therefore computes its input with :func:`serving_features`, which uses faster-whisper's
own feature extractor and padding. numpy only: no torch.

**Encoder context.** faster-whisper always gives the encoder 30 s (3000 frames), whatever the
audio's length, and the encoder's cost grows faster than linearly with it (docs/models.md: with
5-s contexts the bundled model decoded its test sets ~3.8x faster on this project's CPU).
CTranslate2 accepts shorter inputs, but a model trained on 30-s contexts loses accuracy on short
ones. A model trained with
``encoder_context.bucket_s`` (the ASR recipe's ``model.encoder_context``) has learned both: each
input of a short-context pass is the audio's frames plus 0.5 s, rounded up to a multiple of
``bucket_s`` seconds (:func:`context_frames`), so that windows of similar length share one
encoder batch; its ``awal.json`` says so, and the streaming engine and batched transcription
then encode short windows short.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from awal.errors import InputError

__all__ = ["CHUNK_SECONDS", "N_FRAMES", "SAMPLE_RATE", "context_frames", "encoder_input", "serving_features"]

SAMPLE_RATE = 16000
CHUNK_SECONDS = 30
N_FRAMES = 3000  # 30 s at a 10 ms hop
HOP = 160  # samples per frame
#: Frames of padding a short context keeps after the audio (0.5 s).
CONTEXT_MARGIN = 50


def context_frames(n_samples: int, bucket_s: float | None) -> int:
    """The encoder input length for ``n_samples`` of 16 kHz audio: 3000 (30 s, faster-whisper's)
    without ``bucket_s``; else the audio's frames plus 0.5 s, rounded up to ``bucket_s`` seconds,
    at most 3000."""
    if not bucket_s:
        return N_FRAMES
    step = int(round(bucket_s * 100))
    if step <= 0:
        raise InputError(f"bucket_s must be positive, got {bucket_s}")
    content = n_samples // HOP + CONTEXT_MARGIN
    return min(N_FRAMES, -(-content // step) * step)


def encoder_input(spectrogram: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """(the encoder's ``(n_mels, width)`` input, its content frames) from the normalized log-mel
    ``spectrogram`` of one window (faster-whisper's ``FeatureExtractor`` output): the audio's
    frames (faster-whisper drops the last one) zero-padded or cut to ``width``. Every path that
    feeds an encoder (training, evaluation, batch and streaming decoding) goes through here."""
    content = min(width, max(spectrogram.shape[-1] - 1, 0))
    out = np.zeros((spectrogram.shape[0], width), dtype=np.float32)
    out[:, :content] = spectrogram[:, :content]
    return out, content


@lru_cache(maxsize=4)
def _extractor(n_mels: int):
    """faster-whisper's ``FeatureExtractor`` (numpy only), loaded from its file without the
    package's ``__init__``, which imports CTranslate2 and PyAV: training needs the features that
    serving computes, not the decoder (a GPU training machine need not install either)."""
    import importlib.util
    import sys

    name = "faster_whisper.feature_extractor"
    module = sys.modules.get(name)
    if module is None:
        package = importlib.util.find_spec("faster_whisper")
        if package is None or not package.submodule_search_locations:
            raise InputError("the features need faster-whisper (pip install 'awal[serve]')")
        path = Path(next(iter(package.submodule_search_locations))) / "feature_extractor.py"
        spec = importlib.util.spec_from_file_location("awal_faster_whisper_feature_extractor", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.FeatureExtractor(feature_size=n_mels)


def serving_features(audio: np.ndarray, n_mels: int = 80, frames: int = N_FRAMES) -> np.ndarray:
    """``(n_mels, frames)`` float32 features of one utterance of at most 30 s at 16 kHz, as
    faster-whisper's ``transcribe`` gives them to the encoder for its first window (3000 frames),
    or cut to a short context (:func:`context_frames`): the same values, fewer padding frames.

    Raises:
        InputError: the audio is not 1-D or is longer than 30 s.
    """
    if audio.ndim != 1:
        raise InputError(f"expected mono audio (1-D), got shape {audio.shape}")
    if len(audio) > CHUNK_SECONDS * SAMPLE_RATE:
        raise InputError(f"{len(audio) / SAMPLE_RATE:.2f} s is longer than one {CHUNK_SECONDS} s window")
    return encoder_input(_extractor(n_mels)(audio.astype(np.float32, copy=False)), frames)[0]
