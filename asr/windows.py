"""Speech windows: the speech of a long recording, without its pauses, cut into decoder windows.

A call is mostly pauses, the other party's turns and hold time. Batched transcription of a long
input (:meth:`awal.asr.transcribe.Transcriber.segments`) decodes only what Silero VAD marks as speech:
the speech spans are laid end to end and cut into windows of at most ``max_s`` seconds (never
inside a span unless one span is longer than a window), so each window is mostly speech and the
encoder does no work on silence. With ``join=False`` each span (a turn of speech: Silero VAD
joins speech across pauses under 2 s) is a window of its own. Each window keeps the map from its own time back to the
input's (:meth:`SpeechWindow.original_time`), so word and segment times are the recording's.

A recording need not be held whole: :func:`speech_spans` turns Silero VAD's frame probabilities
(computed as the audio streams by, :class:`awal.asr.streaming.vad.StreamingVad`) into the spans
faster-whisper's ``get_speech_timestamps`` gives over the whole array, and :func:`window_audio`
cuts the windows' samples out of the audio as it streams by a second time.

Pure functions over sample indices; numpy only.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from awal.errors import InputError

__all__ = ["VAD_FRAME", "SpeechWindow", "spans_of", "speech_spans", "speech_windows", "window_audio"]

#: Samples per Silero VAD frame (32 ms at 16 kHz).
VAD_FRAME = 512


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


def speech_spans(probs: np.ndarray, length: int, sample_rate: int = 16000, *, threshold: float = 0.5,
                 neg_threshold: float | None = None, min_speech_duration_ms: int = 0,
                 max_speech_duration_s: float = float("inf"), min_silence_duration_ms: int = 2000,
                 speech_pad_ms: int = 400) -> list[tuple[int, int]]:  # fmt: skip
    """Speech spans ``(start, end)`` (samples) of an input of ``length`` samples from Silero VAD's
    probability of each of its :data:`VAD_FRAME`-sample frames: faster-whisper's
    ``get_speech_timestamps`` after its model call, rule for rule (the same spans from the same
    probabilities, tested), so the probabilities can be computed as the audio streams by and the
    input is never held whole. The keyword arguments are ``faster_whisper.vad.VadOptions``' fields.

    ``probs`` must be float32, as the model gives them: the thresholds compare in float32 there.
    """
    frame = VAD_FRAME
    probs = np.asarray(probs, dtype=np.float32).reshape(-1)
    min_speech = sample_rate * min_speech_duration_ms / 1000
    pad = sample_rate * speech_pad_ms / 1000
    max_speech = sample_rate * max_speech_duration_s - frame - 2 * pad
    min_silence = sample_rate * min_silence_duration_ms / 1000
    min_silence_at_max_speech = sample_rate * 98 / 1000
    low = max(threshold - 0.15, 0.01) if neg_threshold is None else neg_threshold
    speeches: list[dict[str, int]] = []
    current: dict[str, int] = {}
    triggered = False
    temp_end = prev_end = next_start = 0
    for i, prob in enumerate(probs):  # float32 scalars: compared as faster-whisper compares them
        at = frame * i
        if prob >= threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = at
        if prob >= threshold and not triggered:
            triggered = True
            current["start"] = at
            continue
        if triggered and at - current["start"] > max_speech:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:  # silence reached, and still no speech
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = at
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if prob < low and triggered:
            if not temp_end:
                temp_end = at
            if at - temp_end > min_silence_at_max_speech:  # not cut in a very short silence
                prev_end = temp_end
            if at - temp_end < min_silence:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
            continue
    if current and length - current["start"] > min_speech:
        current["end"] = length
        speeches.append(current)
    return _padded(speeches, length, pad)


def _padded(speeches: list[dict[str, int]], length: int, pad: float) -> list[tuple[int, int]]:
    """Speech padded by ``pad`` samples each side; a pause shorter than two pads is split between
    its neighbours (faster-whisper's last step, with its integer rounding)."""
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - pad))
        if i != len(speeches) - 1:
            silence = speeches[i + 1]["start"] - speech["end"]
            if silence < 2 * pad:
                speech["end"] += int(silence // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence // 2))
            else:
                speech["end"] = int(min(length, speech["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            speech["end"] = int(min(length, speech["end"] + pad))
    return [(s["start"], s["end"]) for s in speeches]


def window_audio(blocks: Iterable[np.ndarray], windows: Sequence[SpeechWindow]) -> Iterator[np.ndarray]:
    """Each window's samples (:meth:`SpeechWindow.audio`), in order, cut from the input as it
    streams by in ``blocks`` (consecutive 1-D pieces of it, any sizes): only the window being
    filled is kept, not the input. A window the input ends inside gets what there is of it, as
    :meth:`SpeechWindow.audio` of a shorter array would."""
    pieces = [(w, piece) for w, window in enumerate(windows) for piece in window.pieces]
    parts: list[np.ndarray] = []
    at = 0  # the piece being filled
    done = 0  # windows given
    position = 0  # where the block starts in the input
    for block in blocks:
        end = position + len(block)
        while at < len(pieces):
            w, (start, stop) = pieces[at]
            lo, hi = max(start, position), min(stop, end)
            if lo < hi:
                parts.append(np.array(block[lo - position : hi - position], dtype=np.float32))  # a copy: not the block
            if stop > end:
                break  # the piece goes on in the next block
            at += 1
            if at == len(pieces) or pieces[at][0] != w:
                yield _joined(parts)
                parts, done = [], done + 1
        position = end
        if at == len(pieces):
            return
    for _ in range(done, len(windows)):  # the input ended early
        yield _joined(parts)
        parts = []


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, dtype=np.float32)
