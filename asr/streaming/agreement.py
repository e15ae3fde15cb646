"""The agreement policy of streaming recognition: commit what consecutive hypotheses agree on.

Each decoding pass over a session's audio buffer gives a hypothesis: words with times. A word
is *final* (committed) once two consecutive passes agree on it and on every word before it
(LocalAgreement-2, as in Macháček et al., "Turning Whisper into Real-Time Transcription System",
2023); the rest of the newest hypothesis is *tentative* and may still change. Committed words
are never taken back, so a client can print them for good. The engine then trims the audio
buffer at a committed boundary: the buffer never grows without bound.

Pure Python, no audio: :class:`Agreement` holds one stream's committed words and the previous
hypothesis, and :meth:`Agreement.insert` returns what became final and what is tentative.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

__all__ = ["Agreement", "TimedWord", "word_key"]

#: A new hypothesis's words that end before the last committed word ends (minus this margin)
#: were already committed by an earlier pass.
OVERLAP_MARGIN_S = 0.1
#: The longest run of words repeated across the committed/new boundary that is dropped.
MAX_NGRAM = 5


@dataclass(frozen=True)
class TimedWord:
    """A word with times in seconds from the start of the stream and Whisper's probability."""

    start: float
    end: float
    word: str
    probability: float = 1.0

    def shifted(self, offset: float) -> TimedWord:
        return replace(self, start=round(self.start + offset, 3), end=round(self.end + offset, 3))


def word_key(word: str) -> str:
    """What two hypotheses must agree on: the word without case, punctuation or marks around it."""
    text = unicodedata.normalize("NFC", word).strip().casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNM")


class Agreement:
    """One stream's committed words and its last hypothesis (see the module docstring)."""

    def __init__(self) -> None:
        self.committed: list[TimedWord] = []
        self._previous: list[TimedWord] = []

    @property
    def committed_end(self) -> float:
        """Where the last committed word ends (0 before any)."""
        return self.committed[-1].end if self.committed else 0.0

    def _new_part(self, words: Sequence[TimedWord]) -> list[TimedWord]:
        """The words of a hypothesis that come after what is committed."""
        limit = self.committed_end - OVERLAP_MARGIN_S
        fresh = [w for w in words if w.end > limit and word_key(w.word)]
        if self.committed and fresh:
            # Whisper re-decodes the audio just before the cut: drop a head that repeats the
            # committed tail (1 to MAX_NGRAM words), as whisper_streaming does.
            for n in range(min(MAX_NGRAM, len(self.committed), len(fresh)), 0, -1):
                tail = [word_key(w.word) for w in self.committed[-n:]]
                head = [word_key(w.word) for w in fresh[:n]]
                if tail == head and fresh[0].start < self.committed_end + 1.0:
                    fresh = fresh[n:]
                    break
        return fresh

    def insert(self, words: Iterable[TimedWord]) -> tuple[list[TimedWord], list[TimedWord]]:
        """Take a new hypothesis (stream times); return (newly committed words, tentative words)."""
        fresh = self._new_part(list(words))
        agreed = 0
        for old, new in zip(self._previous, fresh):
            if word_key(old.word) != word_key(new.word):
                break
            agreed += 1
        newly = fresh[:agreed]
        self.committed.extend(newly)
        self._previous = fresh[agreed:]
        return newly, list(self._previous)

    def flush(self, until: float | None = None) -> list[TimedWord]:
        """Commit the last hypothesis as it is (an endpoint, or the end of the stream); with
        ``until``, only its words that end by then (a window cut in the middle of speech): the
        rest stays tentative, to be agreed on with the next hypothesis."""
        rest = self._previous
        if until is not None:
            keep = 0
            while keep < len(rest) and rest[keep].end <= until:
                keep += 1
            rest, self._previous = rest[:keep], rest[keep:]
        else:
            self._previous = []
        self.committed.extend(rest)
        return rest

    def tentative(self) -> list[TimedWord]:
        return list(self._previous)
