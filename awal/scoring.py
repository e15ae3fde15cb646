"""WER and CER on normalized text, with error counts and per-utterance alignments.

Both sides go through the same normalization profile (``scoring`` by default; say which
one every reported number used), then jiwer aligns them.

>>> report = score(["ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ"], ["ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ!"], "zgh")
>>> report.wer, report.cer
(0.0, 0.0)
>>> score(["wa7d jouj tlata"], ["wa7d tlata"], "ary").counts()
{'substitutions': 0, 'insertions': 0, 'deletions': 1, 'hits': 2}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

from awal.text.normalize import normalize

__all__ = ["AlignedWord", "ScoreReport", "UtteranceScore", "score", "score_utterance"]


@dataclass(frozen=True)
class AlignedWord:
    """One step of an alignment: ``equal``, ``substitute``, ``insert`` or ``delete``."""

    op: str
    ref: str | None
    hyp: str | None


@dataclass(frozen=True)
class UtteranceScore:
    """Scores and the word alignment of one reference/hypothesis pair (normalized)."""

    ref: str
    hyp: str
    ref_words: int
    ref_chars: int
    substitutions: int
    insertions: int
    deletions: int
    char_errors: int
    alignment: tuple[AlignedWord, ...]

    @property
    def word_errors(self) -> int:
        return self.substitutions + self.insertions + self.deletions

    @property
    def wer(self) -> float:
        return _rate(self.word_errors, self.ref_words)

    @property
    def cer(self) -> float:
        return _rate(self.char_errors, self.ref_chars)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["wer"], out["cer"] = self.wer, self.cer
        return out


@dataclass(frozen=True)
class ScoreReport:
    """Corpus-level WER/CER: errors summed over utterances, divided by reference length."""

    lang: str
    profile: str
    utterances: tuple[UtteranceScore, ...] = field(repr=False)

    @property
    def ref_words(self) -> int:
        return sum(u.ref_words for u in self.utterances)

    @property
    def ref_chars(self) -> int:
        return sum(u.ref_chars for u in self.utterances)

    def _sum(self, name: str) -> int:
        return sum(getattr(u, name) for u in self.utterances)

    @property
    def wer(self) -> float:
        return _rate(self._sum("substitutions") + self._sum("insertions") + self._sum("deletions"), self.ref_words)

    @property
    def cer(self) -> float:
        return _rate(self._sum("char_errors"), self.ref_chars)

    def counts(self) -> dict[str, int]:
        subs, ins, dels = self._sum("substitutions"), self._sum("insertions"), self._sum("deletions")
        return {"substitutions": subs, "insertions": ins, "deletions": dels, "hits": self.ref_words - subs - dels}

    def summary(self) -> dict:
        """The JSON object ``awal score`` prints."""
        return {
            "wer": round(self.wer, 6),
            "cer": round(self.cer, 6),
            "ref_words": self.ref_words,
            "ref_chars": self.ref_chars,
            **self.counts(),
            "utterances": len(self.utterances),
            "lang": self.lang,
            "profile": self.profile,
        }


def _rate(errors: int, total: int) -> float:
    if total == 0:
        return 0.0 if errors == 0 else float("inf")
    return errors / total


def _alignment(ref_words: Sequence[str], hyp_words: Sequence[str]) -> tuple[tuple[AlignedWord, ...], int, int, int]:
    """jiwer's word alignment as our steps, plus the substitution/insertion/deletion counts."""
    import jiwer

    if not ref_words or not hyp_words:  # jiwer refuses empty sides; the answer is plain
        inserted = tuple(AlignedWord("insert", None, w) for w in hyp_words)
        deleted = tuple(AlignedWord("delete", w, None) for w in ref_words)
        return inserted + deleted, 0, len(inserted), len(deleted)
    out = jiwer.process_words(" ".join(ref_words), " ".join(hyp_words))
    steps: list[AlignedWord] = []
    for chunk in out.alignments[0]:
        refs = ref_words[chunk.ref_start_idx : chunk.ref_end_idx]
        hyps = hyp_words[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if chunk.type == "insert":
            steps.extend(AlignedWord("insert", None, h) for h in hyps)
        elif chunk.type == "delete":
            steps.extend(AlignedWord("delete", r, None) for r in refs)
        else:
            op = "equal" if chunk.type == "equal" else "substitute"
            steps.extend(AlignedWord(op, r, h) for r, h in zip(refs, hyps, strict=True))
    return tuple(steps), out.substitutions, out.insertions, out.deletions


def _char_errors(ref: str, hyp: str) -> int:
    import jiwer

    if not ref:
        return len(hyp)
    if not hyp:
        return len(ref)
    out = jiwer.process_characters(ref, hyp)
    return out.substitutions + out.insertions + out.deletions


def score_utterance(ref: str, hyp: str, lang: str, profile: str = "scoring") -> UtteranceScore:
    """Normalize both sides with ``profile`` and align them word by word."""
    ref_n, hyp_n = normalize(ref, lang, profile), normalize(hyp, lang, profile)
    ref_words, hyp_words = ref_n.split(), hyp_n.split()
    steps, subs, ins, dels = _alignment(ref_words, hyp_words)
    return UtteranceScore(
        ref=ref_n,
        hyp=hyp_n,
        ref_words=len(ref_words),
        ref_chars=len(ref_n),
        substitutions=subs,
        insertions=ins,
        deletions=dels,
        char_errors=_char_errors(ref_n, hyp_n),
        alignment=steps,
    )


def score(refs: Iterable[str], hyps: Iterable[str], lang: str, profile: str = "scoring") -> ScoreReport:
    """WER/CER of hypotheses against references (same number of each, in order).

    Raises:
        ValueError: the two sides have different lengths.
    """
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    return ScoreReport(
        lang, profile, tuple(score_utterance(r, h, lang, profile) for r, h in zip(refs, hyps, strict=True))
    )
