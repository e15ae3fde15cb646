"""Ordinary Arabic-script spelling of Arabizi Darija (awal.text.orthography).

Every dictionary here is written in the test: the DODa word lists (../shared) are not needed.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from awal.text.arabizi import Lexicon, arabizi_to_arabic
from awal.text.orthography import (
    COMMON_WORDS,
    dictionary_files,
    dictionary_from_pairs,
    load_dictionary,
    ordinary_spelling,
    same_spelling,
    spelled_words,
    spelling_key,
)

HELDOUT = Path(__file__).resolve().parent.parent / "samples" / "text" / "ary-ordinary-heldout.tsv"

# A small dictionary in DODa's spellings: Arabizi variant -> the word list's Arabic.
PAIRS = [
    ("dar", "دار"),
    ("chms", "شمس"),
    ("mdina", "مدينة"),
    ("khdma", "خدمة"),
    ("bgha", "بغا"),
    ("kayn", "كاين"),
    ("dyal", "ديال"),
    ("7ta", "حتى"),
    ("wa7ed", "واحد"),
    ("S7ab", "صحاب"),
    ("Tbib", "طبيب"),
    ("9hwa", "قهوة"),
    ("waTani", "وطني"),
    ("khDra", "خضرة"),
    ("7na", "حنا"),
    ("hna", "هنا"),
    ("wSel", "وصل"),
    ("ktab", "كتاب"),
    ("3ndi", "عندي"),
]


@pytest.fixture(scope="module")
def words() -> Lexicon:
    return dictionary_from_pairs(PAIRS)


def spell(text: str, lexicon: Lexicon) -> str:
    return ordinary_spelling(text, lexicon)


# --- the article, sun letters and prepositions ---------------------------------------------------


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("ddar", "الدار"),  # a doubled sun letter is the article
        ("chchms", "الشمس"),  # the digraph doubled
        ("lmdina", "المدينة"),  # l before a moon letter
        ("lkhdma", "الخدمة"),
        ("elktab", "الكتاب"),
        ("l9hwa", "القهوة"),
        ("TTbib", "الطبيب"),  # an emphatic sun letter
    ],
)
def test_article_written_whole(words: Lexicon, arabizi: str, arabic: str) -> None:
    assert spell(arabizi, words) == arabic


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("fddar", "فالدار"),  # f + the article: فال, as Moroccan writing spells it
        ("flmdina", "فالمدينة"),
        ("fel9hwa", "فالقهوة"),
        ("bchchms", "بالشمس"),
        ("lddar", "للدار"),  # l + the article: لل
        ("wlmdina", "والمدينة"),  # and + the article
        ("fmdina", "فمدينة"),  # f without the article
    ],
)
def test_prepositions_with_and_without_the_article(words: Lexicon, arabizi: str, arabic: str) -> None:
    assert spell(arabizi, words) == arabic


def test_article_on_words_the_dictionary_lacks(words: Lexicon) -> None:
    # a doubled sun letter is the article for any word; so is l before a consonant
    assert spell("ssbitar", words) == "السبيتار"
    assert spell("fssbitar", words) == "فالسبيتار"
    assert spell("lbnat", words) == "البنات"
    # ... but not in forms of l9a "find", nor before a demonstrative, nor in b + a doubled letter
    assert spell("l9it", words) == "لقيت"
    assert spell("lhadchi", words) == "لهادشي"
    assert spell("bzzef", words) == "بزف"


# --- negation, verb prefixes, suffixes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("mabghitch", "مابغيتش"),  # ma + bghit (weak verb bgha) + ch
        ("mabghach", "مابغاش"),
        ("makaynch", "ماكاينش"),
        ("ma3ndich", "ماعنديش"),
        ("mawSelch", "ماوصلش"),
    ],
)
def test_negation(words: Lexicon, arabizi: str, arabic: str) -> None:
    assert spell(arabizi, words) == arabic


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("dyalha", "ديالها"),
        ("dyalhom", "ديالهم"),  # -hom written هم: its o is short
        ("dyalkoum", "ديالكم"),
        ("dyalek", "ديالك"),
        ("dyalo", "ديالو"),
        ("ktabi", "كتابي"),
        ("ktabna", "كتابنا"),
        ("mdinti", "مدينتي"),  # the feminine -t- before a suffix: مدينة -> مدينتي
        ("khdmtek", "خدمتك"),
        ("mdinthom", "مدينتهم"),
        ("bghit", "بغيت"),  # weak verb bgha -> bghit
        ("bghina", "بغينا"),
        ("wSlat", "وصلات"),
        ("kanbghi", "كنبغي"),  # ka + n + bghi: the aspect prefix without its alif
        ("ghanwSel", "غانوصل"),
    ],
)
def test_suffixes_and_verb_forms(words: Lexicon, arabizi: str, arabic: str) -> None:
    assert spell(arabizi, words) == arabic


def test_hom_and_kom_after_a_vowel_in_words_the_dictionary_lacks(words: Lexicon) -> None:
    assert spell("3lihom", words) == "عليهم"
    assert spell("likoum", words) == "ليكم"
    assert spell("mafhoum", words) == "مافهوم"  # not a suffix: after a consonant


# --- the feminine ending ----------------------------------------------------------------------------


def test_feminine_only_where_the_dictionary_has_it(words: Lexicon) -> None:
    assert spell("mdina", words) == "مدينة"
    assert spell("5dra", words) == "خضرة"  # by spelling key: 5 = kh, d for D
    assert spell("zwina", words) == "زوينا"  # unknown: no ة guessed
    assert spell("lwaTaniya", words) == "الوطنية"  # the -iya of a known relative adjective
    bigger = dictionary_from_pairs([*PAIRS, ("zwina", "زوينة")])
    assert spell("zwina", bigger) == "زوينة"


# --- words the dictionary does not know -----------------------------------------------------------


@pytest.mark.parametrize(
    ("arabizi", "arabic"),
    [
        ("katkdeb", "كتكدب"),  # rules: e unwritten, the alif of ka- not written
        ("kaydir", "كيدير"),
        ("kaynin", "كاينين"),  # kayn- is not ka + y
        ("liya", "ليا"),  # i of iy before a vowel is short
        ("bzzaf", "بزاف"),  # no shadda in ordinary spelling
        ("ta2min", "تأمين"),  # the hamza on its seat
        ("so2al", "سؤال"),
        ("4adi", "غادي"),  # chat 4 for gh
        ("omakan3asch", "وماكنعاسش"),  # o "and" before a negation
        ("okhra", "أوخرا"),  # ... not in a word that starts with o
        ("vizita", "فيزيتا"),  # French v and p: ف ب, not ڤ پ
        ("portabl", "بورتابل"),
    ],
)
def test_rules_for_unknown_words(words: Lexicon, arabizi: str, arabic: str) -> None:
    assert spell(arabizi, words) == arabic


def test_common_words_come_before_the_dictionary() -> None:
    lexicon = dictionary_from_pairs([("hadi", "هادئ"), ("li", "لي")])
    assert spell("hadi", lexicon) == "هادي"
    assert spell("li", lexicon) == "اللي"
    assert spell("ou", lexicon) == "و"
    assert spell("wlah", lexicon) == "والله"
    assert spell("khassni", lexicon) == "خاصني"  # a common word takes pronoun suffixes
    assert spell("lhna", lexicon) == "لهنا"  # ... but not the article
    assert all(re.fullmatch(r"[A-Za-z0-9]+", k) for k in COMMON_WORDS)


# --- spelling keys and the dictionary's lookups ---------------------------------------------------


def test_spelling_keys_fold_chat_spellings(words: Lexicon) -> None:
    assert spelling_key("wa7ed") == spelling_key("wahd") == spelling_key("Wahed")
    assert spelling_key("dial") == spelling_key("dyal") == spelling_key("diyal")
    assert spelling_key("xkoun") == spelling_key("chkon")
    assert spelling_key("k7li") != spelling_key("khli")  # 7 is ح, not the h of kh
    assert spelling_key("ddar") != spelling_key("dar")  # the article stays
    assert spell("wahd", words) == spell("Wa7ed", words) == "واحد"
    assert spell("hta", words) == "حتى"
    assert spell("Hna", words) == "هنا"  # as written (lowercase) before the key
    assert spell("dial", words) == "ديال"


def test_a_plain_lexicon_is_matched_as_written() -> None:
    plain = Lexicon.from_pairs([("mdina", "مدينة"), ("bzzaf", "بزّاف")])
    assert spell("lmdina bzzaf", plain) == "المدينة بزاف"  # shadda dropped
    assert spell("mdinti", plain) == "مدينتي"
    assert spell("Mdina", plain) == "مدينة"  # sentence case


def test_ambiguous_keys_go_to_the_majority() -> None:
    lexicon = dictionary_from_pairs([("Twil", "طويل"), ("Twiil", "طويل"), ("twil", "تويل")])
    assert spell("twil", lexicon) == "تويل"  # as written first
    assert spell("twill", lexicon) == "طويل"  # by key: two spellings of three say طويل
    tie = dictionary_from_pairs([("Sla", "صلا"), ("sla", "سلا")])
    assert [w.source for w in spelled_words("slaa", tie)] == ["rule"]  # no majority: the rules
    assert spell("SSla", tie) == "الصلا"


# --- sentences, punctuation, pass-through ---------------------------------------------------------


def test_sentence(words: Lexicon) -> None:
    assert spell("ana f ddar o S7abi f lkhdma", words) == "أنا ف الدار و صحابي ف الخدمة"
    assert spell("wach kayn chi Tbib f lmdina?", words) == "واش كاين شي طبيب ف المدينة؟"


def test_punctuation_becomes_arabic(words: Lexicon) -> None:
    assert spell("kif dayr?", words) == "كيف داير؟"
    assert spell("wakha, safi.", words) == "واخا، صافي."
    assert spell("m3ndi.m3a", words) == "معندي.مع"  # a word on each side of the dot
    assert spell("ech-chems w el-mdina", words) == "الشمس و المدينة"  # the article's hyphen
    assert spell("rendez-vous", words) == "رندز فوس"  # other hyphens separate words


def test_digits_acronyms_and_foreign_words_pass_through(words: Lexicon) -> None:
    assert spell("3tini 250 DH", words) == "عتيني 250 DH"
    assert spell("SMS", words) == "SMS"
    assert spell("bghit café", words) == "بغيت café"
    assert spell("bghit café", words).split()[1] == arabizi_to_arabic("bghit café").split()[1]


def test_arabic_script_text_is_left_alone(words: Lexicon) -> None:
    assert spell("بغيت rendez-vous", words) == "بغيت rendez-vous"
    assert spell("", words) == ""


def test_spelled_words_say_where_each_spelling_came_from(words: Lexicon) -> None:
    pieces = spelled_words("ddar, mdina zwina 12 ou", words)
    assert "".join(p.arabic for p in pieces) == "الدار، مدينة زوينا 12 و"
    sources = [(p.arabizi, p.source) for p in pieces if p.arabizi.strip(" ,")]
    assert sources == [("ddar", "affix"), ("mdina", "dictionary"), ("zwina", "rule"), ("12", "kept"), ("ou", "common")]


# --- reading DODa word lists ------------------------------------------------------------------------


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def doda(tmp_path: Path) -> Path:
    _csv(
        tmp_path / "syntactic_categories__nouns.csv",
        ["n1", "n2", "n3", "darija_ar", "eng"],
        [
            ["9ahwa", "9hwa", "9ehwa", "قهوة", "coffee"],
            ["khDra", "khoDra", "5oDra", "خضرة", "vegetables"],
            ["yom", "nhar", "", "يوم", "day"],  # nhar is a synonym, not a spelling
            ["lyom", "", "", "ليوم", "today"],  # the article as Arabizi writes it
            ["rbaT", "", "", "الرباط", "Rabat"],
        ],
    )
    _csv(
        tmp_path / "x-tra__utils.csv",
        ["n1", "n2", "n3", "n4", "darija_ar", "eng"],
        [["hada", "hadi", "had", "", "هادا", "this"], ["3ndhom", "3andhoum", "", "", "عندهوم", "they have"]],
    )
    _csv(
        tmp_path / "syntactic_categories__adjectives.csv",
        ["n1", "n2", "n3", "n4", "darija_ar", "eng"],
        [["mnasb", "", "", "", "مناسب", "suitable"]],
    )
    _csv(
        tmp_path / "syntactic_categories__masculine_feminine_plural.csv",
        ["masculine", "feminine", "masc_plural", "fem_plural"],
        [["mnasb", "mnasba", "mnasbin", "mnasbat"]],
    )
    _csv(tmp_path / "ongoing__02.csv", ["darija", "eng", "darija_ar"], [["rah t9der", "", "راه تقدر"]])
    _csv(tmp_path / "semantic_categories__malenames.csv", ["name", "darija_name"], [["3amir", "عامر"]])
    return tmp_path


def test_load_dictionary_keeps_spelling_variants_only(doda: Path) -> None:
    words = load_dictionary(doda)
    arabic = words.to_arabic
    # variants that write short vowels are kept (the rules' skeleton alone would drop them)
    assert arabic["9ahwa"] == arabic["9ehwa"] == "قهوة"
    assert arabic["khoDra"] == arabic["5oDra"] == "خضرة"
    assert "nhar" not in arabic and "hadi" not in arabic and "had" not in arabic  # synonyms
    assert arabic["lyom"] == "اليوم"  # ليوم + yom in the lists: the article written whole
    assert arabic["rbaT"] == "رباط"  # the article the Arabizi lacks is left out
    assert arabic["3ndhom"] == arabic["3andhoum"] == "عندهم"
    # the table of feminine and plural forms adds the forms of known words
    assert (arabic["mnasba"], arabic["mnasbin"], arabic["mnasbat"]) == ("مناسبة", "مناسبين", "مناسبات")
    # the sentence list and the names are not read from a folder
    assert "rah" not in arabic and "3amir" not in arabic
    assert spell("lmnasba", words) == "المناسبة"


def test_dictionary_files_order_and_what_is_left_out(doda: Path) -> None:
    names = [p.name for p in dictionary_files(doda)]
    assert names[0] == "x-tra__utils.csv"  # function words first
    assert "ongoing__02.csv" not in names and "semantic_categories__malenames.csv" not in names
    assert "semantic_categories__malenames.csv" in [p.name for p in dictionary_files(doda, names=True)]


def test_load_dictionary_refuses_sentence_lists(doda: Path) -> None:
    with pytest.raises(ValueError, match="not a DODa word list"):
        load_dictionary(doda / "ongoing__02.csv")
    assert load_dictionary(doda / "semantic_categories__malenames.csv").to_arabic["3amir"] == "عامر"


@pytest.mark.parametrize(
    ("latin", "arabic", "same"),
    [
        ("khDra", "خضرة", True),
        ("khoDra", "خضرة", True),  # a written short vowel
        ("wa9t", "وقت", True),
        ("wahed", "واحد", True),  # ه and ح fold together
        ("momkin", "ممكن", True),  # two real م, not a doubled one
        ("howa", "هو", True),
        ("had", "هادا", False),  # a final vowel only the Arabic has
        ("hadi", "هادا", False),
        ("dir", "دار", False),  # a long vowel the Arabizi does not have
        ("nhar", "يوم", False),
        ("rbaT", "الرباط", True),
        ("ddrari", "الدراري", True),  # the article on both sides
        ("l7ajj", "الحاج", True),
        ("mziane", "مزيان", True),  # a final e is not written
        ("machi 3adil", "ماشي عادل", False),  # multi-word entries are left out
    ],
)
def test_same_spelling(latin: str, arabic: str, same: bool) -> None:
    assert same_spelling(latin, arabic) is same


# --- the held-out test set --------------------------------------------------------------------------


def test_heldout_tsv() -> None:
    lines = HELDOUT.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ordinary\tarabizi"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) >= 120
    assert all(len(row) == 2 and row[0].strip() and row[1].strip() for row in rows)
    ordinary = [row[0] for row in rows]
    arabizi = [row[1] for row in rows]
    assert len(set(ordinary)) == len(ordinary) and len(set(arabizi)) == len(arabizi)
    for plain, latin in rows:
        assert not re.search("[A-Za-z0-9]", plain), plain  # Arabic script, no digits
        assert not re.search("[\u064b-\u0652]", plain), plain  # no diacritics
        assert not re.search("[\u0600-\u06ff]", latin), latin  # Arabizi: Latin letters
        assert not re.search(r"\b\d+\b", latin), latin  # no numbers in digits
        assert re.search("[A-Za-z]", latin)
        assert 4 <= len(re.findall(r"[^\s،؟,?.!]+", plain)) <= 14, plain


def test_docstring_examples() -> None:
    import doctest

    import awal.text.orthography as module

    assert doctest.testmod(module).failed == 0
