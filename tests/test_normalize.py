"""Normalization profiles. The leaderboard profile is checked step by step against the
Open Universal Arabic ASR Leaderboard's eval.py (normalize_arabic_text, commit 8fce859)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.errors import InputError
from awal.languages import UnknownLanguageError
from awal.text.normalize import PROFILES, UnknownProfileError, normalize


def lb(text: str) -> str:
    return normalize(text, "ary", "scoring-leaderboard")


# --- the leaderboard, one step each ---------------------------------------------------------


@pytest.mark.parametrize("ch", list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~،؛؟"))
def test_leaderboard_deletes_ascii_and_arabic_punctuation(ch: str) -> None:
    assert lb(f"كتاب{ch}قلم") == "كتابقلم"  # deleted, not replaced by a space


@pytest.mark.parametrize("mark", [chr(c) for c in range(0x064B, 0x0653)])
def test_leaderboard_deletes_harakat(mark: str) -> None:
    assert lb(f"ك{mark}تب") == "كتب"


def test_leaderboard_letter_maps() -> None:
    assert lb("پ ڤ") == "ب ف"
    assert lb("آ أ إ") == "ا ا ا"
    assert lb("مسؤول سائق") == "مسوول سايق"
    assert lb("ؤ ئ") == "وي"  # the lone و then joins the next word (the last step)
    assert lb("سماء") == "سما"
    assert lb("٠١٢٣٤٥٦٧٨٩") == "0123456789"


def test_leaderboard_joins_lone_waw_and_collapses_spaces() -> None:
    assert lb("الخبز و  الحليب") == "الخبز والحليب"
    assert lb("و الحليب") == "والحليب"
    assert lb("  كتاب   قلم ") == "كتاب قلم"


def test_leaderboard_leaves_what_it_does_not_touch() -> None:
    # No ة/ى/tatweel mapping, no superscript alef removal, no case change, no NFC.
    assert lb("مدرسة على كـتاب") == "مدرسة على كـتاب"
    assert lb("هٰذا") == "هٰذا"
    assert lb("Bonjour") == "Bonjour"
    assert lb("«كتاب»") == "«كتاب»"


# --- Darija scoring ---------------------------------------------------------------------------


def test_darija_scoring_keeps_p_v_g() -> None:
    assert normalize("پاپا ڤيلا ڭلس", "ary") == "پاپا ڤيلا ڭلس"
    assert normalize("گلس ݣلس", "ary") == "ڭلس ڭلس"  # three spellings of /g/, one letter


def test_darija_scoring_steps() -> None:
    assert normalize("الصَّحَّة", "ary") == "الصحه"  # harakat, shadda; ة -> ه
    assert normalize("إلى أين آش", "ary") == "الي اين اش"  # hamza seats, ى
    assert normalize("مسؤول سائق شيء", "ary") == "مسوول سايق شي"
    assert normalize("كـتاب", "ary") == "كتاب"  # tatweel
    assert normalize("كيف داير؟ لاباس، الحمد لله.", "ary") == "كيف داير لاباس الحمد لله"
    assert normalize("٢٠٢٦ ۲۰۲۶", "ary") == "2026 2026"
    assert normalize("ﻛﺘﺎﺏ", "ary") == "كتاب"  # presentation forms


def test_arabizi_capitals_are_kept() -> None:
    # T S D are emphatics in Arabizi: lowercasing would change the word.
    assert normalize("Tnach, 7Dach!", "ary") == "Tnach 7Dach"


def test_invisible_characters_removed() -> None:
    assert normalize("كت\u200fاب\u200b \ufeffقلم\u00ad", "ary") == "كتاب قلم"


# --- Tamazight and Kabyle --------------------------------------------------------------------


def test_tamazight_is_nfc_never_nfkc() -> None:
    text = "ⴰⴳⵯⵔⵔⴰⵡ agʷrraw"
    assert unicodedata.normalize("NFKC", text) != text  # the trap
    for profile in ("display", "scoring", "tts"):
        assert normalize(text, "zgh", profile) == text


def test_tamazight_scoring() -> None:
    assert normalize("Azul, ⴰⵣⵓⵍ! ⴰ\u2d7fⵣ ⵰ ⴰ", "zgh") == "azul ⴰⵣⵓⵍ ⴰⵣ ⴰ"


@pytest.mark.parametrize(
    ("bad", "good"),
    [
        ("\u03b5", "\u025b"),  # Greek ε -> ɛ
        ("\u0395", "\u0190"),  # Greek Ε -> Ɛ
        ("\u03b3", "\u0263"),  # Greek γ -> ɣ
        ("\u0393", "\u0194"),  # Greek Γ -> Ɣ
        ("\u011f", "\u01e7"),  # ğ -> ǧ
        ("\u0163", "\u1e6d"),  # ţ -> ṭ
        ("\u0510", "\u0190"),  # Cyrillic Ԑ -> Ɛ
        ("r\u0323", "\u1e5b"),  # r + combining dot below -> ṛ
    ],
)
def test_kabyle_lookalike_repair(bad: str, good: str) -> None:
    assert normalize(f"a{bad}a", "kab", "display") == f"a{good}a"


def test_kabyle_scoring_splits_clitics_and_lowercases() -> None:
    assert normalize("Yenna-d: «Ԑazem»", "kab") == "yenna d ɛazem"


# --- tts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ary", "عندي 3 ولاد", "عندي تلاتة ولاد"),
        ("ary", "ساعة 10:30", "ساعة عشرة و نص"),
        ("ary", "ف 14:45", "ف خمسطاش قل ربع"),
        ("ary", "نهار 25/11/2026", "نهار خمسة و عشرين نونبر ألفين و ستّة و عشرين"),
        ("ary", "خلص 250 درهم", "خلص ميتين و خمسين درهم"),
        ("ary", "خلص 12,50 DH", "خلص طناش درهم و خمسين سنتيم"),
        ("ary", "1.250 درهم", "ألف و ميتين و خمسين درهم"),
        ("ary", "عيط ل 0612345678", "عيط ل صفر ستّة واحد جوج تلاتة ربعة خمسة ستّة سبعة تمنية"),
        ("ary", "+212612345678", "زايد جوج واحد جوج ستّة واحد جوج تلاتة ربعة خمسة ستّة سبعة تمنية"),
        ("ary", "30% فقط", "تلاتين فالمية فقط"),
        ("ary", "بعيد ب 5 km", "بعيد ب خمسة كيلومتر"),
        ("ary", "١٢ درهم", "طناش درهم"),
        ("ary", "بـ50 درهم", "بخمسين درهم"),
        ("ary", "Dr علي", "دكتور علي"),
        ("ary", "3tini 50 DH", "3tini khmsin drhm"),  # Arabizi text: Arabizi words; 3 in 3tini is a letter
        ("ary", "9bel 14:45", "9bel khmsTach 9l rb3"),
        ("zgh", "ⴰⵙⴳⴳⵯⴰⵙ 2976", "ⴰⵙⴳⴳⵯⴰⵙ ⵙⵉⵏ ⵉⴷ ⵉⴼⴹ ⴷ ⵜⵥⴰⵜ ⵜⵎⴰⴹ ⴷ ⵙⴰ ⵉⴷ ⵎⵔⴰⵡ ⴷ ⵙⴹⵉⵙ"),
        ("zgh", "asggʷas 2976", "asggʷas sin id ifḍ d tẓat tmaḍ d sa id mraw d sḍis"),
        ("zgh", "g 1/1/2026", "g yan innayr sin id ifḍ d sin id mraw d sḍis"),
        ("kab", "20 €", "ɛecrin uru"),
    ],
)
def test_tts_spells_everything_out(lang: str, text: str, expected: str) -> None:
    assert normalize(text, lang, "tts") == expected


def test_tts_leaves_no_digits_in_arabic_or_tifinagh_text() -> None:
    for lang, text in [("ary", "0522 12 34 56 ف 8:05 و 1 000 000 و 3.75 و 7"), ("zgh", "ⵙ 12 ⴷ 13:10 ⴷ 0.5")]:
        assert not any(ch.isdigit() for ch in normalize(text, lang, "tts"))


# --- errors and properties ---------------------------------------------------------------------


def test_unknown_language_and_profile() -> None:
    with pytest.raises(UnknownLanguageError, match="known: ary, kab, rif, shi, tzm, zgh"):
        normalize("x", "dar")  # Dargwa, not Darija
    with pytest.raises(UnknownProfileError, match="known: scoring"):
        normalize("x", "ary", "nfkc")
    assert issubclass(UnknownProfileError, InputError)


MIXED = st.text(
    alphabet=st.sampled_from(
        list("ⴰⴳⵯⵖⵕⴹ ⵰\u2d7f")
        + list("اأإآؤئءةىپڤڭگکی\u064e\u0651\u0640،؟")
        + list("azgʷɣḍεγğţAZTSD3790 .,-:/%'\"")
        + ["\u200f", "\u00a0", "\u0323", "\ufeb7", "١"]
    ),
    max_size=50,
)


@settings(max_examples=300, deadline=None)
@given(MIXED, st.sampled_from(["ary", "zgh", "kab"]), st.sampled_from(PROFILES))
def test_property_normalize_is_idempotent(text: str, lang: str, profile: str) -> None:
    once = normalize(text, lang, profile)
    assert normalize(once, lang, profile) == once
