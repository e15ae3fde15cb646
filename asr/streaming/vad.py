"""Voice activity for live audio: Silero VAD run frame by frame with its state carried over.

faster-whisper ships Silero VAD v6 as ONNX (``faster_whisper/assets/silero_vad_v6.onnx``) and
runs it over whole files. The network is recurrent: its input is 32 ms frames (512 samples at
16 kHz, each with the 64 samples before it as context) and its LSTM state, so it can run on a
stream as the audio arrives, one frame at a time, carrying the state, with the same speech
probabilities as over the whole file (tested). :class:`StreamingVad` does that;
:class:`SpeechGate` turns the probabilities into speech start / end events with hysteresis
(Silero's own rule: start above ``threshold``, end below ``threshold - 0.15`` for ``min_silence_ms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FRAME", "SAMPLE_RATE", "SpeechEvent", "SpeechGate", "StreamingVad", "vad_model_path"]

SAMPLE_RATE = 16000
FRAME = 512  # samples: 32 ms
CONTEXT = 64


def vad_model_path() -> Path:
    """The Silero VAD ONNX file faster-whisper installs."""
    import faster_whisper

    return Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"


@lru_cache(maxsize=1)
def _session() -> Any:
    """One ONNX session for every stream (sessions are thread-safe for ``run``)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(str(vad_model_path()), providers=["CPUExecutionProvider"], sess_options=opts)


class StreamingVad:
    """Speech probability of each 32 ms frame of a 16 kHz stream, fed in chunks of any size."""

    def __init__(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.frames = 0  # frames scored so far

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities of the frames completed by ``samples`` (float32, 16 kHz mono)."""
        audio = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32).reshape(-1)])
        n = len(audio) // FRAME
        self._pending = audio[n * FRAME :]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        frames = audio[: n * FRAME].reshape(n, FRAME)
        contexts = np.concatenate([self._context[None, :], frames[:-1, -CONTEXT:]], axis=0)
        batch = np.concatenate([contexts, frames], axis=1)
        probs, self._h, self._c = _session().run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frames[-1, -CONTEXT:].copy()
        self.frames += n
        return np.asarray(probs, dtype=np.float32).reshape(-1)

    def finish(self) -> np.ndarray:
        """The probability of the last frame of a stream that has ended, scored as faster-whisper's
        ``get_speech_timestamps`` scores a whole array's: the samples left over zero-padded to a
        frame (a frame of zeros when none are left), its last 64 samples zeroed. ``feed`` over a
        whole input and then ``finish`` give faster-whisper's probabilities exactly (tested), so a
        recording can be run through Silero VAD without being held whole."""
        frame = np.zeros(FRAME, dtype=np.float32)
        frame[: len(self._pending)] = self._pending
        frame[-CONTEXT:] = 0.0
        self._pending = np.zeros(0, dtype=np.float32)
        return self.feed(frame)


@dataclass(frozen=True)
class SpeechEvent:
    """``kind`` is ``start`` or ``end``; ``time`` in seconds from the start of the stream."""

    kind: str
    time: float


class SpeechGate:
    """Speech start and end events from frame probabilities, with hysteresis.

    Speech starts at the first of ``min_speech_ms`` of frames at or above ``threshold``; it ends
    after ``min_silence_ms`` of frames below ``threshold - 0.15`` (the end time is where that
    silence began). ``in_speech`` says where the stream is now.
    """

    def __init__(self, threshold: float = 0.5, min_speech_ms: int = 96, min_silence_ms: int = 500) -> None:
        self.threshold = threshold
        self.low = max(threshold - 0.15, 0.01)
        self.min_speech = max(1, round(min_speech_ms / 32))
        self.min_silence = max(1, round(min_silence_ms / 32))
        self.in_speech = False
        self._run = 0
        self._run_start = 0
        self._frame = 0

    @property
    def quiet_ms(self) -> int:
        """How long the speaker has been quiet inside speech (0 outside speech): the run of quiet
        frames that will end the speech if it reaches ``min_silence_ms``."""
        return self._run * 32 if self.in_speech else 0

    def update(self, probs: np.ndarray) -> list[SpeechEvent]:
        events: list[SpeechEvent] = []
        for p in probs:
            # a run of frames that would flip the state: loud ones in silence, quiet ones in speech
            flips = p < self.low if self.in_speech else p >= self.threshold
            if not flips:
                self._run = 0
            else:
                if self._run == 0:
                    self._run_start = self._frame
                self._run += 1
                if self._run >= (self.min_silence if self.in_speech else self.min_speech):
                    kind = "end" if self.in_speech else "start"
                    self.in_speech, self._run = not self.in_speech, 0
                    events.append(SpeechEvent(kind, self._run_start * FRAME / SAMPLE_RATE))
            self._frame += 1
        return events
