"""Tifinagh <-> Latin against the IRCAM table (SIL utn_Tfng, tzm/zgh section, citing IRCAM),
written here by code point so that the expectation does not come from the code."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.text.tifinagh import latin_to_tifinagh, tifinagh_to_latin
from awal.text.translit import transliterate

# (Tifinagh code points, Latin code points): the whole IRCAM table, 33 letters.
IRCAM_TABLE = [
    ("2D30", "0061"), ("2D31", "0062"), ("2D33", "0067"), ("2D33 2D6F", "0067 02B7"),
    ("2D37", "0064"), ("2D39", "1E0D"), ("2D3B", "0065"), ("2D3C", "0066"), ("2D3D", "006B"),
    ("2D3D 2D6F", "006B 02B7"), ("2D40", "0068"), ("2D43", "1E25"), ("2D44", "025B"),
    ("2D45", "0078"), ("2D47", "0071"), ("2D49", "0069"), ("2D4A", "006A"), ("2D4D", "006C"),
    ("2D4E", "006D"), ("2D4F", "006E"), ("2D53", "0075"), ("2D54", "0072"), ("2D55", "1E5B"),
    ("2D56", "0263"), ("2D59", "0073"), ("2D5A", "1E63"), ("2D5B", "0063"), ("2D5C", "0074"),
    ("2D5F", "1E6D"), ("2D61", "0077"), ("2D62", "0079"), ("2D63", "007A"), ("2D65", "1E93"),
]  # fmt: skip


def _chars(codes: str) -> str:
    return "".join(chr(int(c, 16)) for c in codes.split())


@pytest.mark.parametrize(("tfng", "latn"), [(_chars(t), _chars(lat)) for t, lat in IRCAM_TABLE])
def test_ircam_table_both_ways(tfng: str, latn: str) -> None:
    assert tifinagh_to_latin(tfng) == latn
    assert latin_to_tifinagh(latn, scheme="ircam") == tfng
    # and inside a word, where the neighbours must not change the reading
    assert tifinagh_to_latin("ⴰ" + tfng + "ⴰ") == "a" + latn + "a"
    assert latin_to_tifinagh("a" + latn + "a", scheme="ircam") == "ⴰ" + tfng + "ⴰ"


def test_table_is_complete() -> None:
    assert len(IRCAM_TABLE) == 33
    assert len({t for t, _ in IRCAM_TABLE}) == 33


def test_labialized_letters_survive_and_are_not_w() -> None:
    # NFKC would turn U+2D6F into U+2D61 and U+02B7 into "w": make sure nothing does.
    assert unicodedata.normalize("NFKC", "ⵯ") == "ⵡ"  # the trap this code must avoid
    assert tifinagh_to_latin("ⴰⴳⵯⵔⵔⴰⵡ") == "ag\u02b7rraw"
    assert latin_to_tifinagh("agʷrraw") == "ⴰⴳ\u2d6fⵔⵔⴰⵡ"
    assert latin_to_tifinagh("agwrraw") == "ⴰⴳⵡⵔⵔⴰⵡ"  # plain w is the letter ⵡ


def test_real_sentences_round_trip() -> None:
    # Common Voice zgh sentence collector (CC0)
    for line in ["ⵜⵏⵏⴰ ⵉⵢⵉ ⵎⴰⵔⵉ ⵎⴰⵙ ⴳⵏⵏ ⵙ ⵢⴰⵜ ⵜⵡⴰⵍⵜ.", "ⴰⴷ ⵉⴽⴽ ⵕⴱⴱⵉ ⵜⴰⵎⴰ ⵏ ⵓⴽⵕⴰⵏⵢⴰ ⵜⴳⵍⵍⵉⵏⵜ.", "ⵏⴽⴽ ⵓⵔ ⴰⴽⴽⵯ ⵔⵎⵉⵙⵖ."]:
        latin = tifinagh_to_latin(line)
        assert latin_to_tifinagh(latin) == line
    assert tifinagh_to_latin("ⴰⴷ ⵉⴽⴽ ⵕⴱⴱⵉ ⵜⴰⵎⴰ ⵏ ⵓⴽⵕⴰⵏⵢⴰ ⵜⴳⵍⵍⵉⵏⵜ.") == "ad ikk ṛbbi tama n ukṛanya tgllint."


@pytest.mark.parametrize(
    ("informal", "ircam_latin"),
    [
        ("tamazight", "tamaziɣt"),
        ("ghri", "ɣri"),
        ("chkun", "ckun"),
        ("shkun", "ckun"),
        ("akhatar", "axatar"),
        ("3mmi", "ɛmmi"),
        ("a7rir", "aḥrir"),
    ],
)
def test_informal_latin(informal: str, ircam_latin: str) -> None:
    expected = latin_to_tifinagh(ircam_latin, scheme="ircam")
    assert latin_to_tifinagh(informal, scheme="informal") == expected
    assert latin_to_tifinagh(informal) == expected  # auto reads it informally too


def test_auto_scheme_keeps_ircam_tokens_strict() -> None:
    # A token with an IRCAM letter is IRCAM: its "gh" is g + h.
    assert latin_to_tifinagh("ɣgh") == "ⵖⴳⵀ"
    assert latin_to_tifinagh("gh", scheme="ircam") == "ⴳⵀ"
    assert latin_to_tifinagh("gh", scheme="auto") == "ⵖ"


def test_case_decomposed_letters_and_lookalikes() -> None:
    assert latin_to_tifinagh("Azul") == "ⴰⵣⵓⵍ"
    assert latin_to_tifinagh("r\u0323") == "ⵕ"  # decomposed ṛ
    assert latin_to_tifinagh("γ ε") == "ⵖ ⵄ"  # Greek look-alikes of ɣ ɛ


def test_other_scripts_digits_and_punctuation_pass_through() -> None:
    assert latin_to_tifinagh("azul, سلام 2026!") == "ⴰⵣⵓⵍ, سلام 2026!"
    assert tifinagh_to_latin("ⴰⵣⵓⵍ, سلام 2026!") == "azul, سلام 2026!"
    assert tifinagh_to_latin("ⴰⵣⵓⵍ ⵰ ⴰ\u2d7f") == "azul ⵰ a\u2d7f"


def test_kabyle_tifinagh_letters() -> None:
    # Kabyle usage: č ⵞ U+2D5E, ǧ ⴵ U+2D35, h ⵁ U+2D41, ǝ/e ⴻ
    assert transliterate("čǧh", "kab", "tfng") == "\u2d5e\u2d35\u2d41"
    assert transliterate("ǝ", "kab", "tfng") == "ⴻ"
    assert transliterate("\u2d5e\u2d35\u2d41", "kab", "latn") == "čǧh"
    assert transliterate("yeshel", "kab", "tfng") == "ⵢⴻⵙⵁⴻⵍ"  # s + h, not the digraph


TIFINAGH = "".join(dict.fromkeys(_chars(t) for t, _ in IRCAM_TABLE))
tifinagh_text = st.text(alphabet=TIFINAGH + " .,!?-", max_size=60)
ircam_latin = st.lists(st.sampled_from([_chars(lat) for _, lat in IRCAM_TABLE] + [" ", ".", ","]), max_size=40).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(tifinagh_text)
def test_property_tifinagh_latin_tifinagh_is_lossless(text: str) -> None:
    assert latin_to_tifinagh(tifinagh_to_latin(text), scheme="ircam") == text


@settings(max_examples=300, deadline=None)
@given(ircam_latin)
def test_property_ircam_latin_round_trip_is_lossless(text: str) -> None:
    assert tifinagh_to_latin(latin_to_tifinagh(text, scheme="ircam")) == text
