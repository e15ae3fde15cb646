"""Training input = serving input: the features faster-whisper gives a Whisper encoder."""

from __future__ import annotations

import numpy as np
import pytest

from awal.asr.features import N_FRAMES, serving_features
from awal.errors import InputError

pytest.importorskip("faster_whisper")


def speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 700, 1200), 1))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)  # syllables
    return (0.1 * voice * envelope + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def test_content_matches_hugging_face_and_padding_is_zero() -> None:
    from transformers import WhisperFeatureExtractor

    audio = speech_like(3.2)
    ours = serving_features(audio)
    assert ours.shape == (80, N_FRAMES) and ours.dtype == np.float32
    content = len(audio) // 160
    # the padded frames are 0.0 (faster-whisper pads the normalized spectrogram) ...
    assert np.all(ours[:, content:] == 0.0)
    # ... where Hugging Face's extractor has the log-mel of silence instead
    hf = WhisperFeatureExtractor(feature_size=80)(audio, sampling_rate=16000, return_tensors="np").input_features[0]
    assert hf.shape == ours.shape and np.all(hf[:, content + 2 :] < -0.4)
    # and the speech itself is the same spectrogram (same STFT, mel filters and scaling)
    np.testing.assert_allclose(ours[:, : content - 1], hf[:, : content - 1], atol=2e-3)


def test_serving_features_are_what_faster_whisper_encodes() -> None:
    """Our features are the ones faster-whisper's transcribe() slices and pads for its first window."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.feature_extractor import FeatureExtractor

    audio = speech_like(5.0, seed=1)
    features = FeatureExtractor(feature_size=80)(audio)  # what transcribe() computes
    theirs = pad_or_trim(features[:, : features.shape[-1] - 1])  # its first window
    np.testing.assert_array_equal(serving_features(audio), theirs)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="longer than one 30 s window"):
        serving_features(np.zeros(31 * 16000, dtype=np.float32))
    with pytest.raises(InputError, match="mono"):
        serving_features(np.zeros((2, 16000), dtype=np.float32))
    assert serving_features(np.zeros(0, dtype=np.float32)).shape == (80, N_FRAMES)
