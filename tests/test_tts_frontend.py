"""The TTS front-end (``awal.tts.frontend``): any script in, one canonical symbol inventory out.

Expected spellings come from the orthography tables (IRCAM Tifinagh <-> Latin, the DODa Arabizi
conventions), not from the code's own output.
"""

from __future__ import annotations

import pytest

from awal.languages import UnknownLanguageError
from awal.tts.frontend import (
    PAD,
    SPACE,
    Encoded,
    UnknownCharactersError,
    encode,
    split_sentences,
    symbol_set,
)


def _spelled(result: Encoded) -> str:
    return "".join(result.symbols)


@pytest.mark.parametrize(
    ("latin", "tifinagh"),
    [
        ("azul", "ⴰⵣⵓⵍ"),
        ("aɣṛum", "ⴰⵖⵕⵓⵎ"),  # ɣ -> ⵖ U+2D56, ṛ -> ⵕ U+2D55
        ("agʷrraw", "ⴰⴳⵯⵔⵔⴰⵡ"),  # gʷ -> ⴳ + the labialization mark U+2D6F
        ("ḥḍṣṭẓ", "ⵃⴹⵚⵟⵥ"),
    ],
)
def test_tamazight_reads_the_same_symbols_in_either_script(latin: str, tifinagh: str) -> None:
    from_latin, from_tifinagh = encode(latin, "zgh"), encode(tifinagh, "zgh")
    assert _spelled(from_tifinagh) == tifinagh
    assert from_latin.ids == from_tifinagh.ids
    assert encode(tifinagh, "shi").ids == from_tifinagh.ids  # a variety reads its family's symbols


def test_darija_arabizi_is_read_in_arabic_script() -> None:
    # DODa's conventions: 3 -> ع, 7 -> ح, 9 -> ق, ch -> ش, gh -> غ
    arabizi = encode("3la 7sab chi 9hwa ghda", "ary")
    assert {"ع", "ح", "ق", "ش", "غ"} <= set(arabizi.symbols)
    assert not any("a" <= s <= "z" or s.isdigit() for s in arabizi.symbols)
    # a French word inside an Arabic-script line is written in Arabic script too, accents and all
    mixed = encode("بغيت نمشي l'hôpital", "ary")
    assert mixed.text.startswith("بغيت نمشي ") and all(ch not in mixed.text for ch in "lhôpital'")
    # a word mixing scripts (DODa: "éكونوميقو", a French keyboard's letter typed into an Arabic word):
    # its Latin run is read through the same rules, its Arabic letters are kept
    for word, arabic_part in (("éكونوميقو", "كونوميقو"), ("سûر", "س")):
        said = encode(word, "ary")
        assert arabic_part in said.text and not any(_latin(ch) for ch in said.text), said.text
    assert encode("سûر", "ary").text == "سور"  # û -> و, without the seat a word-initial vowel takes


def _latin(ch: str) -> bool:
    import unicodedata

    return unicodedata.name(ch, "").startswith("LATIN")


def test_letter_variants_fold_to_one_symbol_and_numbers_are_spelled_out() -> None:
    g = {encode(letter + "ال", "ary").ids[0] for letter in "ڭݣگ"}
    assert len(g) == 1  # Moroccan, Algerian and Persian spellings of /g/
    money = encode("عندي 25 درهم", "ary")
    assert not any(ch.isdigit() for ch in money.text) and len(money.symbols) > len("عندي درهم")
    assert encode("ⵙ 3 ⵉⵙⴳⴳⵯⴰⵙⵏ", "zgh").text.count(" ") >= 2  # the number became a word


def test_punctuation_is_read_as_clause_marks_and_silent_marks_leave_no_trace() -> None:
    result = encode("«السلام»، كيداير؟؟  (مزيان)!!", "ary")
    assert _spelled(result) == "السلام, كيداير? مزيان!"
    assert result.unknown == ()
    assert encode("  azul  ,  a  ", "zgh").symbols == tuple("ⴰⵣⵓⵍ,") + (SPACE, "ⴰ")


def test_unknown_characters_are_reported_never_dropped_silently() -> None:
    with pytest.raises(UnknownCharactersError) as error:
        encode("مرحبا 😀 بيك", "ary")
    assert error.value.characters == ("😀",) and "GRINNING FACE" in str(error.value)
    lenient = encode("مرحبا 😀 بيك", "ary", strict=False)
    assert lenient.unknown == ("😀",) and _spelled(lenient) == "مرحبا بيك"
    with pytest.raises(UnknownCharactersError, match="no 'ж'"):
        encode("azul ж", "kab")


def test_symbol_sets_are_one_inventory_per_language_family() -> None:
    sets = {lang: symbol_set(lang) for lang in ("ary", "zgh", "tzm", "kab")}
    assert sets["zgh"] is sets["tzm"]
    for table in sets.values():
        assert table.symbols[:2] == (PAD, SPACE) and len(set(table.symbols)) == len(table)
    assert (sets["ary"].script, sets["zgh"].script, sets["kab"].script) == ("Arab", "Tfng", "Latn")
    assert sets["zgh"].name == "zgh-tfng-graphemes-1"
    kabyle = encode("ⴰⵣⵓⵍ, Amek?", "kab")
    assert _spelled(kabyle) == "azul, amek?" and all(0 < i < len(sets["kab"]) for i in kabyle.ids)
    with pytest.raises(UnknownLanguageError):
        symbol_set("xx")


def test_sentences_split_where_speech_can_start() -> None:
    text = "Salam, labas? Ghadi nji f 3.5 d l3chiya. واش كاين شي مشكل؟ لا!\nOK"
    assert split_sentences(text) == ["Salam, labas?", "Ghadi nji f 3.5 d l3chiya.", "واش كاين شي مشكل؟", "لا!", "OK"]
    long = "، ".join(["كلمة واحدة زوينة"] * 12) + "."
    parts = split_sentences(long, max_chars=60)
    assert len(parts) > 1 and all(len(p) <= 60 for p in parts)
    assert " ".join(parts) == long
    assert split_sentences("  \n\n ") == []
