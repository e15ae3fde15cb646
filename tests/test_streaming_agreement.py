"""The streaming agreement policy (``awal.asr.streaming.agreement``): pure, no audio."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from awal.asr.streaming.agreement import Agreement, TimedWord, word_key


def words(*spec: tuple[str, float, float]) -> list[TimedWord]:
    return [TimedWord(start, end, text) for text, start, end in spec]


def texts(ws: list[TimedWord]) -> list[str]:
    return [w.word for w in ws]


def test_words_become_final_when_two_passes_agree() -> None:
    a = Agreement()
    new, tentative = a.insert(words(("salam", 0.0, 0.4), ("3likom", 0.4, 0.9)))
    assert new == [] and texts(tentative) == ["salam", "3likom"]
    new, tentative = a.insert(words(("salam", 0.0, 0.4), ("3likoum", 0.4, 0.9), ("kidayr", 1.0, 1.5)))
    assert texts(new) == ["salam"] and texts(tentative) == ["3likoum", "kidayr"]
    new, tentative = a.insert(words(("salam", 0.0, 0.4), ("3likoum", 0.4, 0.9), ("kidayr", 1.0, 1.5)))
    assert texts(new) == ["3likoum", "kidayr"] and tentative == []
    assert texts(a.committed) == ["salam", "3likoum", "kidayr"] and a.committed_end == 1.5


def test_case_and_punctuation_do_not_break_agreement() -> None:
    assert word_key(" Salam,") == word_key("salam") == "salam"
    assert word_key("ⴰⵣⵓⵍ!") == "ⴰⵣⵓⵍ" and word_key("...") == ""
    a = Agreement()
    a.insert(words(("Salam,", 0.0, 0.4)))
    new, _ = a.insert(words(("salam", 0.0, 0.4)))
    assert texts(new) == ["salam"]


def test_words_already_committed_are_not_committed_twice() -> None:
    a = Agreement()
    a.insert(words(("wa", 0.0, 0.3), ("fin", 0.3, 0.6)))
    a.insert(words(("wa", 0.0, 0.3), ("fin", 0.3, 0.6)))
    assert texts(a.committed) == ["wa", "fin"]
    # the buffer was trimmed at 0.3 s: the next pass re-decodes "fin" with slightly shifted times
    new, tentative = a.insert(words(("fin", 0.55, 0.62), ("nta", 0.7, 1.0)))
    assert new == [] and texts(tentative) == ["nta"]
    new, _ = a.insert(words(("fin", 0.56, 0.63), ("nta", 0.7, 1.0), ("daba", 1.1, 1.4)))
    assert texts(new) == ["nta"] and texts(a.committed) == ["wa", "fin", "nta"]


def test_flush_commits_the_last_hypothesis() -> None:
    a = Agreement()
    a.insert(words(("azul", 0.0, 0.5), ("fllawn", 0.5, 1.0)))
    assert texts(a.flush()) == ["azul", "fllawn"]
    assert a.tentative() == [] and a.flush() == []


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6), max_size=8))
def test_committed_words_are_never_taken_back(passes: list[list[str]]) -> None:
    a = Agreement()
    seen: list[str] = []
    for hyp in passes:
        before = texts(a.committed)
        a.insert([TimedWord(i * 0.5, i * 0.5 + 0.4, w) for i, w in enumerate(hyp)])
        assert texts(a.committed)[: len(before)] == before  # append-only
        seen = texts(a.committed)
    assert seen == texts(a.committed)
    ends = [w.end for w in a.committed]
    assert ends == sorted(ends)  # committed words move forward in time
