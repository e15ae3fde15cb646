"""Streaming Silero VAD (``awal.asr.streaming.vad``) against faster-whisper's whole-file run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "onnxruntime")),
    reason="needs faster-whisper and onnxruntime: pip install 'awal[serve]'",
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "audio"


def _speech_with_silence() -> np.ndarray:
    from awal.audio import load_audio

    speech = load_audio(SAMPLES / "ary_000218.wav", sr=16000)
    rng = np.random.default_rng(0)
    quiet = (rng.standard_normal(16000 * 2) * 1e-4).astype(np.float32)
    return np.concatenate([quiet, speech, quiet, speech, quiet])


def test_streaming_probabilities_equal_the_whole_file_run() -> None:
    from faster_whisper.vad import SileroVADModel

    from awal.asr.streaming.vad import FRAME, StreamingVad, vad_model_path

    audio = _speech_with_silence()
    audio = audio[: len(audio) // FRAME * FRAME]
    whole = np.asarray(SileroVADModel(str(vad_model_path()))(audio)).reshape(-1)
    vad = StreamingVad()
    rng = np.random.default_rng(1)
    parts, i = [], 0
    while i < len(audio):  # chunks of random sizes, as a socket delivers them
        n = int(rng.integers(1, 3000))
        parts.append(vad.feed(audio[i : i + n]))
        i += n
    streamed = np.concatenate(parts)
    assert streamed.shape == whole.shape and vad.frames == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


@pytest.mark.parametrize("tail", [0, 100, 470])  # samples after the last whole frame (470: past the zeroed 64)
def test_feed_then_finish_is_faster_whispers_whole_file_run_exactly(tail: int) -> None:
    """Over a whole input, ``feed`` in blocks and then ``finish`` give bit for bit the probabilities
    faster-whisper's ``get_speech_timestamps`` computes over the array (its padding of the last
    frame and its zeroed last 64 samples included), so its spans can be had from a stream."""
    from faster_whisper.vad import get_vad_model

    from awal.asr.streaming.vad import FRAME, StreamingVad

    audio = np.concatenate([_speech_with_silence()] * 3)
    audio = audio[: len(audio) // FRAME * FRAME - FRAME + tail]
    whole = np.asarray(get_vad_model()(np.pad(audio, (0, FRAME - len(audio) % FRAME)))).reshape(-1)
    vad = StreamingVad()
    streamed = np.concatenate([vad.feed(audio[i : i + 16000 * 7]) for i in range(0, len(audio), 16000 * 7)]
                              + [vad.finish()])  # fmt: skip
    assert streamed.shape == whole.shape and np.array_equal(streamed, whole)


def test_gate_finds_both_utterances_and_their_silences() -> None:
    from awal.asr.streaming.vad import SpeechGate, StreamingVad

    audio = _speech_with_silence()
    speech_s = (len(audio) - 3 * 32000) / 2 / 16000
    gate = SpeechGate(min_silence_ms=500)
    events = gate.update(StreamingVad().feed(audio))
    assert [e.kind for e in events] == ["start", "end", "start", "end"]
    first_start, first_end, second_start, second_end = (e.time for e in events)
    assert 1.9 <= first_start <= 2.6 and first_end <= 2.0 + speech_s + 0.3
    assert second_start >= 4.0 + speech_s - 0.1 and not gate.in_speech
