"""Speech windows: the speech of a long recording, without its pauses, cut into decoder windows.

A call is mostly pauses, the other party's turns and hold time. Batched transcription of a long
input (:meth:`awal.asr.transcribe.Transcriber.segments`) decodes only what Silero VAD marks as speech:
the speech spans are laid end to end and cut into windows of at most ``max_s`` seconds (never
inside a span unless one span is longer than a window), so each window is mostly speech and the
encoder does no work on silence. With ``join=False`` each span (a turn of speech: Silero VAD
joins speech across pauses under 2 s) is a window of its own. Each window keeps the map from its own time back to the
input's (:meth:`SpeechWindow.original_time`), so word and segment times are the recording's.

Pure functions over sample indices; numpy only.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from awal.errors import InputError

__all__ = ["SpeechWindow", "spans_of", "speech_windows"]


@dataclass(frozen=True)
class SpeechWindow:
    """Speech pieces ``(start, end)`` (samples of the input, in order) decoded as one window."""

    pieces: tuple[tuple[int, int], ...]
    sample_rate: int = 16000

    @property
    def samples(self) -> int:
        return sum(end - start for start, end in self.pieces)

    @property
    def start(self) -> float:
        """Where the window's first piece starts in the input (seconds)."""
        return self.pieces[0][0] / self.sample_rate

    @property
    def end(self) -> float:
        """Where its last piece ends in the input (seconds)."""
        return self.pieces[-1][1] / self.sample_rate

    def audio(self, audio: np.ndarray) -> np.ndarray:
        """The window's samples: its pieces of ``audio``, end to end."""
        return np.concatenate([audio[start:end] for start, end in self.pieces]).astype(np.float32, copy=False)

    @cached_property
    def _bounds(self) -> tuple[int, ...]:
        """Where each piece ends in the window (samples)."""
        return tuple(int(b) for b in np.cumsum([end - start for start, end in self.pieces]))

    def piece_of(self, t: float, is_end: bool = False) -> int:
        """The index of the piece that window time ``t`` falls in. A time on the boundary of two
        pieces belongs to the piece before it when ``is_end`` (a word that ends there), else to the
        one after it (a word that starts there)."""
        at = int(round(t * self.sample_rate))
        i = bisect.bisect_left(self._bounds, at) if is_end else bisect.bisect_right(self._bounds, at)
        return min(i, len(self.pieces) - 1)

    def original_time(self, t: float, is_end: bool = False) -> float:
        """The input's time (seconds) of time ``t`` in the window (boundaries as :meth:`piece_of`)."""
        i = self.piece_of(t, is_end)
        at = int(round(t * self.sample_rate))
        before = self._bounds[i - 1] if i else 0
        start, end = self.pieces[i]
        return round(min(start + max(at - before, 0), end) / self.sample_rate, 3)


def speech_windows(spans: Iterable[tuple[int, int]], max_s: float = 30.0, sample_rate: int = 16000,
                   join: bool = True) -> list[SpeechWindow]:  # fmt: skip
    """Speech ``spans`` (sample ``(start, end)``, sorted, not overlapping) grouped in order into
    windows of at most ``max_s`` seconds of speech, or with ``join=False`` one window per span.
    A span longer than a window is cut into window-long pieces.

    Raises:
        InputError: ``max_s`` is not positive, or the spans are unsorted or overlap.
    """
    limit = int(max_s * sample_rate)
    if limit <= 0:
        raise InputError(f"max_s must be positive, got {max_s}")
    pieces: list[tuple[int, int]] = []
    last = 0
    for start, end in spans:
        start, end = int(start), int(end)
        if start < last or end < start:
            raise InputError(f"speech spans must be sorted and disjoint: ({start}, {end}) after {last}")
        last = end
        for at in range(start, end, limit):
            pieces.append((at, min(at + limit, end)))
    windows: list[SpeechWindow] = []
    current: list[tuple[int, int]] = []
    length = 0
    for piece in pieces:
        size = piece[1] - piece[0]
        if current and (length + size > limit or not join):
            windows.append(SpeechWindow(tuple(current), sample_rate))
            current, length = [], 0
        current.append(piece)
        length += size
    if current:
        windows.append(SpeechWindow(tuple(current), sample_rate))
    return windows


def spans_of(timestamps: Sequence[dict]) -> list[tuple[int, int]]:
    """Silero VAD's ``[{"start": s, "end": e}, ...]`` (faster-whisper's) as ``(start, end)`` pairs."""
    return [(int(t["start"]), int(t["end"])) for t in timestamps]
