"""WER/CER with counts and alignments, checked against hand-computed edit distances."""

from __future__ import annotations

import math

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.scoring import AlignedWord, score, score_utterance


def test_counts_and_alignment_by_hand() -> None:
    # ref: a b c d / hyp: a x c -> b->x substituted, d deleted
    u = score_utterance("a b c d", "a x c", "kab")
    assert (u.substitutions, u.insertions, u.deletions) == (1, 0, 1)
    assert u.wer == 0.5
    assert u.alignment == (
        AlignedWord("equal", "a", "a"),
        AlignedWord("substitute", "b", "x"),
        AlignedWord("equal", "c", "c"),
        AlignedWord("delete", "d", None),
    )
    # characters: "a b c d" (7) vs "a x c" (5): b->x, and " d" deleted: 3 edits
    assert u.ref_chars == 7 and u.char_errors == 3


def test_profile_is_applied_to_both_sides() -> None:
    # punctuation, case and look-alikes do not count as errors under "scoring"
    assert score(["Yenna-d: «Ԑazem»."], ["yenna d ɛazem"], "kab").wer == 0.0
    # but the leaderboard profile maps پ to ب while Darija scoring keeps them apart
    assert score(["پاپا"], ["بابا"], "ary", "scoring-leaderboard").wer == 0.0
    assert score(["پاپا"], ["بابا"], "ary", "scoring").wer == 1.0


def test_corpus_level_sums_errors_over_reference_words() -> None:
    report = score(["a b", "c d e f"], ["a b", "c x"], "zgh")
    assert report.ref_words == 6
    assert report.counts() == {"substitutions": 1, "insertions": 0, "deletions": 2, "hits": 3}
    assert report.wer == pytest.approx(3 / 6)
    summary = report.summary()
    assert summary["utterances"] == 2 and summary["profile"] == "scoring" and summary["lang"] == "zgh"


def test_empty_sides() -> None:
    u = score_utterance("", "a b", "kab")
    assert (u.insertions, u.ref_words, u.wer) == (2, 0, math.inf)
    assert [s.op for s in u.alignment] == ["insert", "insert"]
    u = score_utterance("a b", "", "kab")
    assert (u.deletions, u.wer, u.cer) == (2, 1.0, 1.0)
    assert score_utterance("", "", "kab").wer == 0.0
    assert score([], [], "ary").wer == 0.0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        score(["a", "b"], ["a"], "ary")


WORDS = st.lists(st.sampled_from(["wahd", "jouj", "tlata", "ⴰⵣⵓⵍ", "ɣef", "كتاب"]), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(WORDS, st.lists(st.sampled_from(["wahd", "jouj", "tlata", "ⴰⵣⵓⵍ", "ɣef", "كتاب"]), max_size=12))
def test_property_matches_jiwer_and_alignment_is_consistent(ref: list[str], hyp: list[str]) -> None:
    r, h = " ".join(ref), " ".join(hyp)
    u = score_utterance(r, h, "zgh")
    assert u.wer == pytest.approx(jiwer.wer(r, h)) if h else u.wer == 1.0
    ops = [s.op for s in u.alignment]
    assert ops.count("substitute") == u.substitutions
    assert ops.count("insert") == u.insertions and ops.count("delete") == u.deletions
    # the alignment spells out both sides
    assert [s.ref for s in u.alignment if s.ref is not None] == ref
    assert [s.hyp for s in u.alignment if s.hyp is not None] == hyp
