"""Numbers in words. Darija expectations are DODa's numbers table
(semantic_categories/numbers.csv, CC BY-NC 4.0) and the Peace Corps Moroccan Arabic
textbook (2011) for hundreds and thousands; Tamazight, the IRCAM-style system
documented in docs/languages.md."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.text.numbers import MAX_NUMBER, decimal_to_words, number_to_words
from awal.text.tifinagh import latin_to_tifinagh

# DODa: (number, Arabizi n1, darija_ar)
DODA = [
    (0, "sifr", "صفر"), (2, "jouj", "جوج"), (3, "tlata", "تلاتة"), (4, "rb3a", "ربعة"),
    (5, "khmsa", "خمسة"), (6, "stta", "ستّة"), (7, "sb3a", "سبعة"), (9, "ts3oud", "تسعود"),
    (11, "7Dach", "حضاش"), (12, "Tnach", "طناش"), (13, "TlTTach", "طلطّاش"), (14, "rb3Tach", "ربعطاش"),
    (15, "khmsTach", "خمسطاش"), (16, "sTTach", "سطّاش"), (17, "sb3Tach", "سبعطاش"), (18, "tmnTach", "تمنطاش"),
    (19, "ts3Tach", "تسعطاش"), (20, "3chrin", "عشرين"), (21, "wahd o 3chrin", "واحد و عشرين"),
    (22, "tnayn o 3chrin", "تناين و عشرين"), (29, "ts3oud o 3chrin", "تسعود و عشرين"), (30, "tlatin", "تلاتين"),
    (40, "rb3in", "ربعين"), (50, "khmsin", "خمسين"), (60, "stin", "ستين"), (70, "sb3in", "سبعين"),
    (80, "tmanin", "تمانين"), (90, "ts3in", "تسعين"), (95, "khmsa o ts3in", "خمسة و تسعين"),
    (99, "ts3oud o ts3in", "تسعود و تسعين"), (1000, "alf", "ألف"), (1_000_000, "mlyon", "مليون"),
    (1_000_000_000, "mlyar", "مليار"),
]  # fmt: skip


@pytest.mark.parametrize(("n", "arabizi", "arabic"), DODA)
def test_darija_matches_doda(n: int, arabizi: str, arabic: str) -> None:
    assert number_to_words(n, "ary", script="Latn") == arabizi
    assert number_to_words(n, "ary", script="Arab") == arabic
    assert number_to_words(n, "ary") == arabic  # Arabic script is Darija's default


@pytest.mark.parametrize(
    ("n", "arabizi"),
    [  # Peace Corps: units before tens, every part joined with "and"; mitin; tlt myya; alfayn
        (199, "myya o ts3oud o ts3in"),
        (200, "mitin"),
        (300, "tlt myya"),
        (2000, "alfayn"),
        (3000, "tlt alaf"),
        (10_000, "3chr alaf"),
        (11_000, "7Dach alf"),
        (100_000, "myya alf"),
        (2_000_000, "jouj mlayn"),
        (2203, "alfayn o mitin o tlata"),
        (1999, "alf o ts3 myya o ts3oud o ts3in"),
        (2024, "alfayn o rb3a o 3chrin"),
    ],
)
def test_darija_hundreds_thousands(n: int, arabizi: str) -> None:
    assert number_to_words(n, "ary", script="latn") == arabizi


@pytest.mark.parametrize(
    ("n", "latin"),
    [
        (0, "amya"), (1, "yan"), (2, "sin"), (3, "kraḍ"), (4, "kkuẓ"), (5, "smmus"), (6, "sḍis"),
        (7, "sa"), (8, "tam"), (9, "tẓa"), (10, "mraw"), (11, "yan d mraw"), (20, "sin id mraw"),
        (23, "sin id mraw d kraḍ"), (100, "timiḍi"), (200, "snat tmaḍ"), (1000, "ifḍ"),
        (1_000_000, "amlyun"),
    ],
)  # fmt: skip
def test_tamazight_latin_and_tifinagh(n: int, latin: str) -> None:
    assert number_to_words(n, "zgh", script="latn") == latin
    tifinagh = number_to_words(n, "zgh")  # Tifinagh is the default
    assert tifinagh == latin_to_tifinagh(latin, scheme="ircam")
    assert all("\u2d30" <= ch <= "\u2d7f" or ch == " " for ch in tifinagh)


def test_variants_share_tamazight_numbers() -> None:
    for code in ("shi", "tzm", "rif"):
        assert number_to_words(2024, code, script="latn") == number_to_words(2024, "zgh", script="latn")


def test_kabyle() -> None:
    assert number_to_words(1, "kab") == "yiwen"
    assert number_to_words(10, "kab") == "mraw"
    assert number_to_words(20, "kab") == "ɛecrin"


def test_digit_by_digit_reading_keeps_leading_zeros() -> None:
    assert number_to_words("0612", "ary", script="latn", reading="digits") == "sifr stta wahd jouj"
    assert number_to_words("0612", "ary", reading="digits") == "صفر ستّة واحد جوج"
    assert number_to_words("05", "zgh", script="latn", reading="digits") == "amya smmus"


def test_years_read_as_cardinals() -> None:
    assert number_to_words(1999, "ary", reading="year") == number_to_words(1999, "ary")


def test_decimals() -> None:
    assert decimal_to_words("3.5", "ary", script="latn") == "tlata fasila khmsa"
    assert decimal_to_words("3,05", "ary", script="latn") == "tlata fasila sifr khmsa"
    assert decimal_to_words("12.25", "ary") == "طناش فاصلة خمسة و عشرين"
    with pytest.raises(ValueError):
        decimal_to_words("12", "ary")


@pytest.mark.parametrize("bad", [-1, "12a", "", "١٢", MAX_NUMBER + 1])
def test_rejects_what_it_cannot_read(bad) -> None:
    with pytest.raises(ValueError):
        number_to_words(bad, "ary")


def test_unsupported_script() -> None:
    with pytest.raises(ValueError, match="script"):
        number_to_words(3, "ary", script="tfng")


@pytest.mark.parametrize(("lang", "script"), [("ary", "Arab"), ("ary", "Latn"), ("zgh", "Latn"), ("kab", "Latn")])
def test_every_number_up_to_a_billion_has_distinct_words(lang: str, script: str) -> None:
    rng = random.Random(7)
    sample = set(range(0, 1200)) | {rng.randrange(0, 999_999_999) for _ in range(3000)} | {999_999_999}
    seen: dict[str, int] = {}
    for n in sample:
        words = number_to_words(n, lang, script=script)
        assert words and not any(ch.isdigit() and ch not in "3795" for ch in words)
        assert words not in seen, f"{n} and {seen.get(words)} read the same: {words}"
        seen[words] = n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_NUMBER))
def test_property_cardinal_is_well_formed(n: int) -> None:
    words = number_to_words(n, "ary", script="Latn").split(" ")
    assert words[0] != "o" and words[-1] != "o" and "" not in words
    assert all(a != "o" or b != "o" for a, b in zip(words, words[1:]))
