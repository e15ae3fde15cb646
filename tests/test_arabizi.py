"""Darija Arabizi <-> Arabic script against the DODa conventions (darija-open-dataset README).

Sentence pairs quoted here come from the Darija Open Dataset (CC BY-NC 4.0, by Aissam
Outchakoucht, Hamza Es-Samaali and contributors), used as test references only.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.text.arabizi import Lexicon, arabic_to_arabizi, arabizi_to_arabic, load_lexicon

# The DODa table: Arabizi spelling -> Arabic letter.
DODA_LETTERS = [
    ("3", "\u0639"),  # ع
    ("7", "\u062d"),  # ح
    ("9", "\u0642"),  # ق
    ("8", "\u0647"),  # ه (not غ as in other dialects)
    ("5", "\u062e"),  # خ
    ("kh", "\u062e"),  # خ
    ("ch", "\u0634"),  # ش
    ("gh", "\u063a"),  # غ
    ("T", "\u0637"),  # ط
    ("S", "\u0635"),  # ص
    ("D", "\u0636"),  # ض
]


@pytest.mark.parametrize(("latin", "arabic"), DODA_LETTERS)
def test_doda_letters(latin: str, arabic: str) -> None:
    # between two consonants so that no vowel rule is involved: b_r -> ب_ر
    assert arabizi_to_arabic(f"b{latin}r") == f"ب{arabic}ر"


@pytest.mark.parametrize(("latin", "arabic"), [("T", "ط"), ("S", "ص"), ("D", "ض")])
def test_capitals_are_emphatics_lowercase_are_not(latin: str, arabic: str) -> None:
    plain = {"T": "ت", "S": "س", "D": "د"}[latin]
    assert arabizi_to_arabic(f"b{latin}r") == f"ب{arabic}ر"
    assert arabizi_to_arabic(f"b{latin.lower()}r") == f"ب{plain}ر"


def test_a_capital_opening_a_lowercase_word_is_sentence_case() -> None:
    """``Salam`` at the start of a sentence (or a name) is سلام's s, not an emphatic; inside a word,
    alone, or where the lexicon spells the word so, a capital is still one."""
    assert arabizi_to_arabic("Salam, kif dayr?") == "سالام، كيف داير؟"
    assert arabizi_to_arabic("wa Tqdr") == "وا تقدر"  # was طقدر
    assert arabizi_to_arabic("faTima") == "فاطيما" and arabizi_to_arabic("7Dach") == "حضاش"
    assert arabizi_to_arabic("T") == "ط"
    assert arabizi_to_arabic("Tbib", Lexicon.from_pairs([("Tbib", "طبيب")])) == "طبيب"


def test_doubled_letters_are_gemination() -> None:
    # DODa: bessha -> بسّها, jerrit -> جرّيت
    assert arabizi_to_arabic("bessha") == "بسّها"
    assert arabizi_to_arabic("jerrit") == "جرّيت"


def test_a_word_final_shadda_doubles_its_letter() -> None:
    # a mark is part of the word, not punctuation around it (the recognizer writes بزّافّ)
    assert arabic_to_arabizi("بزّافّ") == "bzzaff"
    assert arabic_to_arabizi("حقّ!") == "799!"
    assert arabic_to_arabizi("«مزيّن»") == "«mzyyn»"


def test_hamza_digit() -> None:
    assert arabizi_to_arabic("so2al") == "سوءال"
    assert arabizi_to_arabic("2ana") == "أنا"


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [  # DODa sentence lists (ongoing__02, __03, __05, __09)
        ("rah t9der xi nher nji lourzazat", "راه تقدر شي نهر نجي لورزازات"),
        ("jib liya lmotor sarbi", "جيب لييا لموتور ساربي"),
        ("l7wayj b9aw fl7bl", "لحوايج بقاو فلحبل"),
        ("3tih dakchi tabi3i", "عتيه داكشي تابيعي"),
    ],
)
def test_doda_sentences(arabizi: str, arabic: str) -> None:
    assert arabizi_to_arabic(arabizi) == arabic


def test_capitalized_sentence_start_and_acronyms() -> None:
    assert arabizi_to_arabic("Salam") == arabizi_to_arabic("Salam")  # deterministic
    assert arabizi_to_arabic("250 DH") == "250 DH"  # acronyms and numbers stay
    assert arabizi_to_arabic("kif dayr?") == "كيف داير؟"  # Arabic question mark


def test_foreign_tokens_pass_through() -> None:
    # Latin words inside Arabic-script Darija are French, not Arabizi.
    assert arabizi_to_arabic("بغيت rendez-vous مع الطبيب") == "بغيت rendez-vous مع الطبيب"
    # A Latin word with French letters is not Arabizi either.
    assert arabizi_to_arabic("bghit café") == "بغيت café"
    # Arabic tokens pass through Arabic -> Arabizi's inverse untouched, and vice versa.
    assert arabic_to_arabizi("bghit علاش") == "bghit 3lach"


@pytest.mark.parametrize(
    ("arabic", "arabizi"),
    [
        ("علاش", "3lach"),
        ("حضاش", "7Dach"),
        ("طناش", "Tnach"),
        ("خمسة", "khmsa"),
        ("شكون", "chkon"),
        ("غدّا", "ghdda"),  # shadda doubles
        ("السلام", "sslam"),  # sun letter: the article assimilates
        ("القهوة", "l9hwa"),  # moon letter: l
        ("ڭلس", "gls"),
        ("پاپا", "papa"),
        ("ڤيلا", "vila"),
    ],
)
def test_arabic_to_arabizi(arabic: str, arabizi: str) -> None:
    assert arabic_to_arabizi(arabic) == arabizi


def test_lexicon_overrides_rules(tmp_path) -> None:
    tsv = tmp_path / "lex.tsv"
    tsv.write_text("# arabizi\tarabic\nwakha\tواخّا\n", encoding="utf-8")
    lex = load_lexicon(tsv)
    assert arabizi_to_arabic("wakha") == "واخا"  # the rule
    assert arabizi_to_arabic("wakha safi", lex) == "واخّا سافي"  # the lexicon wins
    assert arabizi_to_arabic("Wakha", lex) == "واخّا"  # sentence case still found
    assert arabic_to_arabizi("واخّا", lex) == "wakha"
    assert arabic_to_arabizi("واخا", lex) == "wakha"  # harakat-insensitive on the way back


def test_lexicon_reads_doda_csv_layouts(tmp_path) -> None:
    words = tmp_path / "semantic_categories__numbers.csv"
    words.write_text("n1,n2,n3,n4,darija_ar,eng\nwahd,wa7d,,,واحد,one\n", encoding="utf-8")
    sentences = tmp_path / "ongoing__02.csv"
    sentences.write_text("darija,eng,darija_ar\nrah t9der xi,,راه تقدر شي\n", encoding="utf-8")
    lex = load_lexicon(words, sentences)
    assert lex.arabic_for("wa7d") == "واحد"
    assert lex.arabic_for("wahd") == "واحد"
    assert lex.arabic_for("xi") == "شي"  # aligned word by word
    assert lex.arabizi_for("واحد") == "wahd"  # the first spelling (n1) wins


def test_lexicon_skips_doda_synonyms_and_misaligned_words(tmp_path) -> None:
    # DODa time.csv lists "nhar" (day) beside the spellings of يوم; places.csv pairs
    # "dar bida" with الدار البيضاء, so word-by-word alignment would give dar -> الدار.
    time = tmp_path / "semantic_categories__time.csv"
    time.write_text("n1,n2,n3,n4,darija_ar,eng\nyawm,youm,nhar,,يوم,day\n", encoding="utf-8")
    places = tmp_path / "semantic_categories__places.csv"
    places.write_text("n1,n2,darija_ar,eng\ndar bida,,الدار البيضاء,casablanca\n", encoding="utf-8")
    lex = load_lexicon(time, places)
    assert lex.arabic_for("youm") == "يوم"  # a spelling of the same word
    assert lex.arabic_for("nhar") is None
    assert lex.arabic_for("dar") is None


def test_lexicon_ignores_pairs_in_wrong_scripts() -> None:
    lex = Lexicon.from_pairs([("واحد", "wahd"), ("wahd", "واحد"), ("", "x")])
    assert len(lex) == 1


LATIN_DARIJA = st.text(alphabet="abdfghijklmnqrstwyzchkx3795 ", min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(LATIN_DARIJA)
def test_property_arabizi_output_is_arabic_and_stable(text: str) -> None:
    arabic = arabizi_to_arabic(text)
    # every letter is now Arabic script, and converting again changes nothing
    assert not any(ch.isascii() and ch.isalpha() for ch in arabic)
    assert arabizi_to_arabic(arabic) == arabic
    # the way back gives Latin that reads to the same Arabic consonant skeleton
    assert len(arabic.split()) == len(text.split())
