"""Ordinary Arabic-script spelling of Arabizi Darija, the way Moroccan transcripts write it.

DODa's sentence lists pair each Arabizi sentence with an Arabic-script column that mirrors
the Latin letter by letter (``واهد`` for واحد, ``المساعادا`` for المساعدة). Real transcripts
(DVoice, MGB-5, call-center notes) spell words the ordinary way: the etymological letters
ص ط ح ق ظ ض, ة for the feminine ending, the article ال written whole, short vowels
unwritten. :func:`ordinary_spelling` writes that spelling with the help of a dictionary of
known words (DODa's word lists, read by :func:`load_dictionary`), word by word:

0. a few frequent words DODa's lists lack or give another word for (:data:`COMMON_WORDS`:
   ``o`` و, ``li`` اللي, ``hit`` حيت, ``3la`` على);
1. else the word as written, or its *spelling key* (the letters chat Arabizi writes
   several ways folded together: ``7``/``h``, ``x``/``ch``, ``ou``/``o``, ``e`` dropped,
   doubled letters once; :func:`spelling_key`), is in the dictionary;
2. else clitics come off and the stem is looked up: conjunction ``w``/``o``, negation
   ``ma...ch``, prepositions ``f`` ``b`` ``l`` ``d`` with or without the article (``l``,
   ``el``, ``al``, or a doubled sun letter: ``ddar`` الدار, ``fddar`` فالدار), verb prefixes
   (``ka``/``ta``/``gha`` + ``n``/``t``/``y``/``i``; ``ka``/``ta`` written ك ت), pronoun
   suffixes (``-ha -hom -k -ek -ni -na -kom -o -h -i``), verb endings (``-t -ti -na -to
   -at -o -aw -iw``, ``-it`` of a weak verb: ``bghit`` from ``bgha``), plural ``-at -in``,
   the feminine ``-t-`` before a suffix (``mdinti`` مدينتي when ``mdina`` is مدينة) and
   ``-iya`` after a known relative adjective (``waTaniya`` وطنية from ``waTani``);
3. else the letter rules of :func:`awal.text.arabizi.arabizi_to_arabic`, without shadda,
   with the article written whole (``ssbitar`` السبيتار, ``lbnat`` البنات) and the few
   short vowels that are known to be short left out (:func:`_ruled`). A final ``a`` stays
   ا: ة is written only where the dictionary has the feminine word (``mdina`` مدينة;
   :func:`load_dictionary` adds DODa's feminine forms: ``zwina`` زوينة), never guessed.

French ``p`` and ``v`` are written ب and ف, as ordinary spelling does (not پ ڤ).
Digits, acronyms (``DH``) and Latin words with letters Arabizi does not use (``café``) pass
through, as in :func:`~awal.text.arabizi.arabizi_to_arabic`; so does text that already has
Arabic-script words. Commas and question marks become Arabic ones.

>>> words = dictionary_from_pairs([("mdina", "مدينة"), ("dar", "دار"), ("bgha", "بغا"),
...                                ("7ta", "حتى"), ("wahed", "واحد"), ("zwin", "زوين")])
>>> ordinary_spelling("mchit lmdina hta ddar", words)
'مشيت المدينة حتى الدار'
>>> ordinary_spelling("mabghitch fddar, wa7d zwina f mdinti?", words)
'مابغيتش فالدار، واحد زوينا ف مدينتي؟'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Literal, Mapping, Optional, Sequence

from awal.text.arabizi import Lexicon, _arabizi_token
from awal.text.scripts import ARAB, LATN, token_script, tokens

__all__ = [
    "COMMON_WORDS",
    "Source",
    "SpelledWord",
    "dictionary_files",
    "dictionary_from_pairs",
    "load_dictionary",
    "ordinary_spelling",
    "same_spelling",
    "spelled_words",
    "spelling_key",
]

#: Where a word's spelling came from: the dictionary as written or by its spelling key,
#: :data:`COMMON_WORDS`, a known stem with clitics around it, the letter rules, or passed
#: through unchanged.
Source = Literal["dictionary", "common", "affix", "rule", "kept"]


@dataclass(frozen=True)
class SpelledWord:
    """One Arabizi word and its ordinary spelling (``kept`` words are punctuation too)."""

    arabizi: str
    arabic: str
    source: Source


#: A word's dictionary spelling, or None.
Lookup = Callable[[str], Optional[str]]


# --- spelling keys ---------------------------------------------------------------------------

# A Lexicon key that starts with this mark is a spelling key, not a word as written: Arabizi
# never has it (it is not a letter Arabizi uses), so such keys never match a token directly.
_KEY_MARK = "~"


def spelling_key(latin: str) -> str:
    """Fold the spellings chat Arabizi mixes up into one key.

    Lowercase (writers drop the emphatic capitals); the digraphs as one letter each
    (``kh``/``5`` K, ``ch``/``sh``/``x`` C, ``gh``/``4`` G: ``4adi`` is chat for ``ghadi``),
    so that ``k7li`` is not ``khli``; then ``7`` and ``8`` as ``h``, ``q`` as ``9``,
    ``ou``/``u`` as ``o`` (``w`` before a vowel), ``i`` before a vowel as ``y``, ``e``
    dropped after the first letter, doubled letters once (but a doubled first consonant,
    the article, stays: ``ddar`` is not ``dar``; and ``Tt`` is ط + ت).

    >>> spelling_key("wa7ed"), spelling_key("wahd"), spelling_key("Se77a")
    ('wahd', 'wahd', 'sha')
    >>> spelling_key("dial"), spelling_key("diyal"), spelling_key("xkoun"), spelling_key("chkon")
    ('dyal', 'dyal', 'Ckon', 'Ckon')
    >>> spelling_key("bzzaaf"), spelling_key("ddar"), spelling_key("aandi"), spelling_key("k7li")
    ('bzaf', 'ddar', 'andi', 'khli')
    """
    s = re.sub("[KCG]", lambda m: m.group().lower(), latin.replace("'", ""))
    s = re.sub("(?i)kh|5", "K", s)
    s = re.sub("(?i)ch|sh|x", "C", s)
    s = re.sub("(?i)gh|4", "G", s)
    s = re.sub(r"(?<=.)(.)\1+", r"\1", s)  # case-sensitive: Tt is ط + ت, not one t
    s = re.sub("[^KCG]+", lambda m: m.group().lower(), s)
    s = re.sub("[78]", "h", s.replace("q", "9"))
    s = re.sub("ou(?=[aeiy])", "w", s).replace("ou", "o").replace("u", "o")
    s = re.sub("(?<=.)e", "", s)
    s = re.sub("i(?=[aoy])", "y", s)
    return re.sub(r"(?<=.)([aeioyh9])\1+|^([aeioy])\2+", r"\1\2", s)  # ch7al = chhal


# --- the dictionary --------------------------------------------------------------------------

_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, shadda, sukun, superscript alef, tatweel


def _plain(arabic: str) -> str:
    """Ordinary spelling carries no diacritics: harakat, shadda and tatweel go."""
    return _MARKS.sub("", unicodedata.normalize("NFC", arabic.strip()))


def dictionary_from_pairs(pairs: Iterable[tuple[str, str]]) -> Lexicon:
    """A :class:`~awal.text.arabizi.Lexicon` for :func:`ordinary_spelling` from
    ``(arabizi, arabic)`` spelling pairs (earlier pairs win).

    Arabic spellings lose their diacritics. Besides each spelling as written, the lexicon
    holds its :func:`spelling_key`, for the Arabic spelling of most pairs with that key
    (none where no spelling has a majority).

    >>> words = dictionary_from_pairs([("wahd", "واحد"), ("7na", "حنا"), ("Hna", "هنا")])
    >>> words.arabic_for("wahd"), words.arabic_for("wa7ed")
    ('واحد', None)
    >>> ordinary_spelling("wa7ed", words), ordinary_spelling("Hna", words)
    ('واحد', 'هنا')
    """
    to_arabic: dict[str, str] = {}
    to_arabizi: dict[str, str] = {}
    by_key: dict[str, Counter[str]] = {}
    for latin, arabic in pairs:
        latin, arabic = latin.strip(), _plain(arabic)
        if not latin or not arabic or " " in latin or " " in arabic:
            continue
        if token_script(latin) != LATN or token_script(arabic) != ARAB or not _ARABIZI_WORD.fullmatch(latin):
            continue
        to_arabic.setdefault(latin, arabic)
        to_arabizi.setdefault(arabic, latin)
        by_key.setdefault(spelling_key(latin), Counter())[arabic] += 1
    for key, spellings in by_key.items():
        (best, n), *_ = spellings.most_common(1)
        if 2 * n > sum(spellings.values()):
            to_arabic[_KEY_MARK + key] = best
    return Lexicon(to_arabic, to_arabizi)


# DODa folders and files: word lists first, function words before content words, so that
# their spelling wins where two lists spell one Arabizi word differently.
_FILE_ORDER = (
    "x-tra__utils", "syntactic_categories__pronouns", "syntactic_categories__prepositions",
    "syntactic_categories__adverbs", "semantic_categories__numbers", "semantic_categories__time",
    "syntactic_categories__verbs", "syntactic_categories__nouns", "syntactic_categories__adjectives",
)  # fmt: skip
_ARABIC_COLUMNS = ("darija_ar", "name_darija", "darija_name")
# DODa's table of adjective and noun forms (Latin only): the feminine and plural forms of
# words the word lists spell.
_INFLECTION_COLUMNS = ("masculine", "feminine", "masc_plural", "fem_plural")


def _columns(fieldnames: Sequence[str]) -> tuple[str, list[str]] | None:
    """The Arabic column and the Arabizi columns of a DODa word list (None: not one)."""
    arabic = next((c for c in _ARABIC_COLUMNS if c in fieldnames), None)
    if arabic is None or "darija" in fieldnames:  # no Arabic, or a sentence list
        return None
    latin = [c for c in fieldnames if c != arabic and re.fullmatch(r"n\d|name|.+_darija", c)]
    return (arabic, latin) if latin else None


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f), [])


def dictionary_files(folder: str | Path, *, names: bool = False) -> list[Path]:
    """The DODa word lists in ``folder``, function words first: CSV files with spelling
    variants and an Arabic-script column, and the table of feminine and plural forms.

    Left out: sentence lists (a ``darija`` column; their Arabic mirrors the Arabizi letter
    by letter), tables without Arabic script, and unless ``names`` the lists of first names
    (``wal`` is وائل there, and would read ``walo`` as وائلو).
    """
    found = []
    for path in sorted(Path(folder).glob("*.csv")):
        header = _header(path)
        columns = _columns(header)
        if columns is not None and (names or "name" not in columns[1]) or set(_INFLECTION_COLUMNS) <= set(header):
            found.append(path)
    rank = {name: k for k, name in enumerate(_FILE_ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.stem, len(rank)), "imagenet" in p.stem, p.name))


def load_dictionary(*paths: str | Path) -> Lexicon:
    """Read DODa word lists (or folders of them: :func:`dictionary_files`) into a dictionary
    for :func:`ordinary_spelling` (earlier files win).

    Every spelling variant (``n1``..``n6``; ``name``; ``*_darija``) maps to the row's
    Arabic spelling (``darija_ar``; ``name_darija``), without diacritics, when
    :func:`same_spelling` says it writes the same word (``5oDra`` -> خضرة is kept; the
    synonym ``nhar`` beside يوم and ``hadi`` beside هادا are not). Multi-word entries are
    left out. DODa's table of feminine and plural forms (Latin only) adds the forms of words
    the lists spell: ``mnasba`` مناسبة, ``mnasbin`` مناسبين, ``charikat`` شركات. Where a
    list writes the article as Arabizi does (``lyom`` ليوم) and has the word without it
    (``yom`` يوم), the article is written whole (اليوم).

    Raises ValueError for a sentence list (its Arabic column mirrors the Arabizi letter by
    letter: not a spelling to learn) or a CSV that is neither kind of word list.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(dictionary_files(path) if path.is_dir() else [path])
    pairs: list[tuple[str, str]] = []
    tables: list[Path] = []
    for file in files:
        if set(_INFLECTION_COLUMNS) <= set(_header(file)):
            tables.append(file)
        else:
            pairs.extend(_word_list_pairs(file))
    find = _lookup(dictionary_from_pairs(pairs))
    pairs = [(latin, _article_written(latin, arabic, find)) for latin, arabic in pairs]
    pairs.extend(pair for table in tables for pair in _inflection_pairs(table, find))
    return dictionary_from_pairs(pairs)


def _article_written(latin: str, arabic: str, find: Lookup) -> str:
    """DODa spells some words with the article as Arabizi does (``lyom`` ليوم): ال when the
    word without its ``l`` is in the lists too (``yom`` يوم -> اليوم)."""
    if re.match(r"(?i)l[^aeiou]", latin) and arabic.startswith("ل") and not arabic.startswith("ال"):
        if find(latin[1:]) == arabic[1:]:
            return "ا" + arabic
    return arabic


def _word_list_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = _columns(reader.fieldnames or [])
        if columns is None:
            raise ValueError(f"{path}: not a DODa word list (no Arabic column, or a sentence list)")
        arabic_col, latin_cols = columns
        for row in reader:
            arabic = _plain(row.get(arabic_col) or "")
            for col in latin_cols:
                latin = (row.get(col) or "").strip()
                spelled = _spelling_for(latin, arabic) if latin and arabic else None
                if spelled:
                    yield latin, spelled


def _inflection_pairs(path: Path, find: Lookup) -> Iterator[tuple[str, str]]:
    """Feminine and plural forms of the words ``find`` spells: the masculine + ة / ين / ات,
    or a feminine noun's ة -> ات."""
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            masc, fem, mpl, fpl = ((row.get(c) or "").strip() for c in _INFLECTION_COLUMNS)
            base = find(masc) if masc else None
            if base and base[-1] not in "اىة":
                forms = [(fem, base + _FEMININE), (mpl, base + "ين"), (fpl, base + "ات")]
            else:
                base = find(fem) if fem else None
                forms = [(fpl, base[:-1] + "ات")] if base and base.endswith(_FEMININE) else []
            for latin, arabic in forms:
                if latin and same_spelling(latin, arabic):
                    yield latin, arabic


_FOLD = str.maketrans(
    {"ح": "ه", "ص": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ق": "ك", "ڭ": "ك", "گ": "ك", "ݣ": "ك", "ث": "ت", "ذ": "د",
     "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ا", "ة": "ا", "ڤ": "ف", "پ": "ب"}
)  # fmt: skip


def _letters(arabic: str) -> str:
    """The letters of a spelling with those Arabizi writes alike folded together, the hamza
    (alone, on و and on ي) and marks dropped (a doubled letter written with shadda counts
    once, as Arabic writes it)."""
    return re.sub("[ءؤئّ]", "", _MARKS.sub("", arabic)).translate(_FOLD)


def _writes(ruled: str, arabic: str) -> bool:
    """Whether ``arabic`` is the letter rules' spelling ``ruled`` with some vowel letters left
    out (the short vowels Arabizi writes and Arabic does not)."""
    target, spelled = _letters(arabic), _letters(ruled)
    k = 0
    for letter in spelled:
        if k < len(target) and target[k] == letter:
            k += 1
        elif letter not in "اوي":
            return False
    return k == len(target) > 0


def _spelling_for(latin: str, arabic: str) -> str | None:
    """The Arabic spelling of ``latin`` that ``arabic`` gives, if they are one word."""
    if " " in latin or " " in arabic or not _ARABIZI_WORD.fullmatch(latin):
        return None
    ruled = _arabizi_token(latin)
    target = arabic
    sun = re.match(rf"({_SUN})\1", latin)
    if arabic.startswith("ال"):
        if sun:
            target = arabic[2:]  # both have the article: ddrari الدراري
        elif re.match("(?i)l", latin):
            target = arabic[1:]  # l7ajj الحاج
        elif not re.match("(?i)[ea]l", latin):
            arabic = target = arabic[2:]  # the article on the Arabic side only: rbaT الرباط -> رباط
    elif sun:
        arabic = "ال" + arabic  # on the Arabizi side only: ddarija دارجة -> الدارجة
    final = latin.rstrip("eE")[-1:]  # a final e is not written (mziane مزيان)
    if not final or not _writes(ruled, target) or (final in _VOWELS and target[-1] not in _FINAL_VOWELS):
        return None
    if re.search(r"(?i)[h8k](?:o|ou|u)m$", latin):
        arabic = re.sub("([هك])وم$", r"\1م", arabic)  # the suffixes -hom -kom: عندهوم -> عندهم
    return arabic


def same_spelling(latin: str, arabic: str) -> bool:
    """Whether an Arabizi spelling and an Arabic one write the same word.

    The Arabic is what the letter rules write for the Arabizi, with letters Arabizi spells
    alike folded together (ه ح, س ص, ...), but for vowel letters left out (short vowels
    Arabizi writes: ``khoDra`` خضرة) and a final vowel on the Arabic side only where the
    Arabizi has one too (``had`` هادا is out). The article ال on one side only is allowed
    (``rbaT`` الرباط). The spelling kept is the Arabic one, without the article the Arabizi
    lacks and with the suffixes ``-hom -kom`` as هم كم (عندهوم -> عندهم).

    >>> same_spelling("khoDra", "خضرة"), same_spelling("9ahwa", "قهوة"), same_spelling("wa9t", "وقت")
    (True, True, True)
    >>> same_spelling("had", "هادا"), same_spelling("hadi", "هادا"), same_spelling("dir", "دار")
    (False, False, False)
    >>> same_spelling("nhar", "يوم"), same_spelling("howa", "هو"), same_spelling("3ndhom", "عندهوم")
    (False, True, True)
    """
    return _spelling_for(latin, arabic) is not None


# --- spelling --------------------------------------------------------------------------------

_ARABIZI_WORD = re.compile(r"[A-Za-z0-9']+")
_PIECES = re.compile(r"([A-Za-z0-9']+)")
_PUNCT_TO_ARABIC = str.maketrans({",": "،", "?": "؟", ";": "؛"})
_SUN = r"(?:ch|sh|[tdrzslnjxTDSZ])"  # the article assimilates to these (jj too: jjame3)
_VOWELS = "aeiouAEIOU"


#: Frequent words the letter rules misspell and DODa's word lists lack or give another
#: word for (``hadi`` is هادئ "calm" there, ``safi`` the town أسفي), matched by
#: :func:`spelling_key`. They come before the dictionary.
COMMON_WORDS: Mapping[str, str] = MappingProxyType({
    "o": "و", "w": "و",  # and
    "ola": "ولا", "wla": "ولا",  # or
    "li": "اللي", "lli": "اللي",  # the relative; "to me" is liya
    "lhadra": "الهضرة", "lhdra": "الهضرة", "ch7al": "شحال",
    "lyoum": "اليوم", "lbare7": "البارح", "kolchi": "كلشي", "chwiya": "شوية", "kont": "كنت", "knt": "كنت",
    "3la": "على", "7tta": "حتى", "m3a": "مع", "imta": "إمتى",
    "had": "هاد", "hadi": "هادي", "hada": "هادا", "hna": "هنا",
    "howa": "هو", "hwa": "هو", "hiya": "هي",
    "safi": "صافي", "inta": "نتا", "wahad": "واحد", "3and": "عند", "gher": "غير",
    "khass": "خاص", "khs": "خص", "hit": "حيت",
    "lma": "الما",
    "lah": "الله", "llah": "الله", "allah": "الله",
    "wlah": "والله", "wallah": "والله", "wlh": "والله", "wallahi": "والله",
    "inchallah": "إن شاء الله", "nchallah": "إن شاء الله", "tbarkllah": "تبارك الله", "tbarkallah": "تبارك الله",
    "l7amdolillah": "الحمد لله", "hamdolillah": "الحمد لله", "l7mdolillah": "الحمد لله", "l7amdollah": "الحمد لله",
    "chokran": "شكرا", "chkran": "شكرا",
    "walakin": "ولكن", "walaken": "ولكن", "wlakin": "ولكن", "wlaken": "ولكن",
})  # fmt: skip
_COMMON_BY_KEY: Mapping[str, str] = MappingProxyType({spelling_key(k): v for k, v in COMMON_WORDS.items()})


def _lookup(dictionary: Lexicon) -> Lookup:
    """The dictionary's spelling of a word: as written, lowercase, or by spelling key."""
    table = dictionary.to_arabic

    def find(word: str) -> str | None:
        hit = table.get(word) or table.get(word.lower()) or table.get(_KEY_MARK + spelling_key(word))
        return _plain(hit) if hit else None

    return find


def _with_common(find: Lookup) -> Lookup:
    return lambda word: _COMMON_BY_KEY.get(spelling_key(word)) or find(word)


def _exact(dictionary: Lexicon) -> Lookup:
    """The dictionary's spelling of a word as written (or lowercase), or a common word's."""
    table = dictionary.to_arabic

    def find(word: str) -> str | None:
        hit = _COMMON_BY_KEY.get(spelling_key(word)) or table.get(word) or table.get(word.lower())
        return _plain(hit) if hit else None

    return find


def spelled_words(arabizi: str, dictionary: Lexicon) -> list[SpelledWord]:
    """The pieces of an Arabizi sentence, each with its ordinary spelling and where it came
    from (:data:`Source`); :func:`ordinary_spelling` joins them. Spaces and punctuation are
    ``kept`` pieces, so the ``arabic`` fields joined give the sentence.

    >>> [(w.arabic, w.source) for w in spelled_words("ddar zwina", dictionary_from_pairs([("dar", "دار")]))]
    [('الدار', 'affix'), (' ', 'kept'), ('زوينا', 'rule')]
    """
    if any(tok.script == ARAB for tok in tokens(arabizi)):
        return [SpelledWord(arabizi, arabizi, "kept")]
    find, exact = _lookup(dictionary), _exact(dictionary)
    out: list[SpelledWord] = []
    for chunk in re.split(r"(\s+)", _joined_articles(arabizi)):
        if not chunk:
            continue
        if chunk.isspace() or any(ch.isalpha() and not ch.isascii() for ch in chunk):
            out.append(SpelledWord(chunk, chunk, "kept"))  # a space, or a foreign word (café)
            continue
        for k, piece in enumerate(_PIECES.split(chunk)):
            if not piece:
                continue
            if k % 2 == 0:  # punctuation between or around words; a hyphen separates words
                out.append(SpelledWord(piece, piece.translate(_PUNCT_TO_ARABIC).replace("-", " "), "kept"))
            else:
                out.append(_spell(piece, find, exact))
    return out


def _joined_articles(text: str) -> str:
    """The article written with a hyphen joins its word: el-mdina lmdina, ech-chams chchams."""
    text = re.sub(r"(?i)\b[ea]?l-(?=[a-z0-9])", "l", text)
    return re.sub(r"(?i)\b[ea]?(ch|sh|[tdrzsnj])-(?=\1)", r"\1", text)


def ordinary_spelling(arabizi: str, dictionary: Lexicon) -> str:
    """Write an Arabizi Darija sentence in ordinary Arabic-script spelling.

    ``dictionary``: :func:`load_dictionary` (DODa's word lists) or
    :func:`dictionary_from_pairs`; any :class:`~awal.text.arabizi.Lexicon` works, matched
    as written (and by spelling key where the lexicon has the keys).

    >>> words = dictionary_from_pairs([("chms", "شمس"), ("khdma", "خدمة"), ("S7ab", "صحاب")])
    >>> ordinary_spelling("chchms w ss7ab dyali f lkhdma", words)
    'الشمس و الصحاب ديالي ف الخدمة'
    >>> ordinary_spelling("khdmtek mzyana, 250 DH", words)
    'خدمتك مزيانا، 250 DH'
    """
    return "".join(w.arabic for w in spelled_words(arabizi, dictionary))


# Ordinary spelling writes French p and v as ب and ف (البورطابل, الفيزيت), not پ ڤ.
_FOREIGN_LETTERS = str.maketrans("پڤ", "بف")


def _spell(word: str, find: Lookup, exact: Lookup) -> SpelledWord:
    spelled = _spell_word(word, find, exact)
    return SpelledWord(spelled.arabizi, spelled.arabic.translate(_FOREIGN_LETTERS), spelled.source)


def _spell_word(word: str, find: Lookup, exact: Lookup) -> SpelledWord:
    if word.isdigit() or (len(word) > 1 and word.isupper() and word.isalpha()):
        return SpelledWord(word, word, "kept")  # a number; an acronym (DH, SMS)
    plain = word.replace("'", "")
    if not plain:
        return SpelledWord(word, "", "kept")
    common = _COMMON_BY_KEY.get(spelling_key(plain))
    if common:
        return SpelledWord(word, common, "common")
    known = find(plain)
    if known:
        return SpelledWord(word, known, "dictionary")
    # stems as written first (wsafi: w + safi, not wSf + i), then by spelling key
    affixed = _affixed(plain, exact) or _affixed(plain, _with_common(find))
    if affixed:
        return SpelledWord(word, affixed, "affix")
    return SpelledWord(word, _ruled(plain), "rule")


def _ruled(word: str) -> str:
    """The letter rules, without shadda, and the article written whole.

    The article: a doubled sun letter at the start, alone or after ``f``/``l`` (``ssbitar``
    السبيتار, ``fddar`` فالدار; not after ``b``: ``bzzef`` is بزف), or ``l`` before a
    consonant, alone or after ``f``/``b``/``w`` (``lhayat`` الهايات), when a stem of three
    letters or more with a vowel follows and the word is not a form of the verb ``l9a``
    (``l9it`` لقيت) or a demonstrative after the preposition ``l`` (``lhadchi`` لهادشي).
    Short vowels known to be short go: ``i`` of ``iy`` before a vowel (``liya`` ليا), ``o``
    of the suffixes ``-hom -kom`` after a vowel (``3lihom`` عليهم), the ``a`` of the verb
    prefixes ``ka-``/``ta-`` (``kaydir`` كيدير). ``o`` before a negation, a verb prefix or
    the article is "and" (``omakaynch`` وماكاينش). The hamza ``2`` sits on its seat
    (``ta2min`` تأمين). ``4`` is غ (chat: ``4adi`` غادي).
    """
    word = re.sub(r"(?<=[^aeiouAEIOU])iy(?=[aeouAEOU])", "y", word.replace("4", "gh"))
    for pattern, seat in _HAMZA:
        word = re.sub(pattern, seat, word)
    conj = _CONJ_RULE.match(word)
    if conj:  # omakaynch وماكاينش, okan وكان, olmdina والمدينة
        return "و" + _ruled(word[conj.end() :])
    aspect = _ASPECT_RULE.match(word)
    if aspect:  # kaydir كيدير, kantsenna كنتسنا, tanmchi تنمشي, makan3rafch ماكنعرفش
        head = "ما" if aspect.group(1) else ""
        return head + {"k": "ك", "t": "ت"}[aspect.group(2).lower()] + _ruled(word[aspect.end(2) + 1 :])
    suffix = re.search(r"(?i)(?<=[aeiou])([h8k])(?:o|ou|u)m$", word)
    if suffix and suffix.start() >= 2:  # 3lihom عليهم, likom ليكم: the o is short
        return _ruled(word[: suffix.start()]) + {"k": "كم"}.get(suffix.group(1).lower(), "هم")
    m = re.match(rf"(?i)(w|o|ou)?([fl])?(?:[ea]?l)?({_SUN})\3(?=.)", word)
    if m and len(word) - m.end(3) > len(m.group(3)):
        head = "".join(_PROCLITIC_AR[g.lower()] for g in m.groups()[:2] if g)
        return _article(head) + _plain(_arabizi_token(word[m.start(3) :]))
    m = re.match(r"(?i)(w|o)?([fb])?l(?=[^aeiouy'])", word)
    stem = word[m.end() :] if m else ""
    if m and len(stem) >= 3 and _has_vowel(stem) and not _NOT_ARTICLE.match(word[m.start() :].lower()):
        head = "".join(_PROCLITIC_AR[g.lower()] for g in m.groups() if g)
        return _article(head) + _plain(_arabizi_token(stem))
    return _plain(_arabizi_token(word))


def _article(head: str) -> str:
    """Proclitics + the article: ال, فال, وال; ل + ال is لل."""
    return head + "ل" if head.endswith("ل") else head + "ال"


# The hamza of learned words, on its seat: ta2min تأمين, so2al سؤال, ra2is رئيس, nt2ekked نتأكد.
_HAMZA = (
    (r"a2(?=i)", "ئ"),
    (r"(?i)ou?2(?=a)", "ؤ"),
    (r"(?i)[ae]2", "أ"),
    (r"(?i)(?<=[b-df-hj-np-tv-z])2[aeo]?(?=[a-z])", "أ"),
)
# o/ou "and" before a negation, a verb prefix or the article (okhra, ostad are words).
_CONJ_RULE = re.compile(r"(?i)ou?(?=ma\w+(?:ch|x|sh)$|k[ae]?[nty][b-df-hj-np-tv-z]|l[b-df-hj-km-np-tv-z]\w*[aeiou])")
# ka-/ta- + person + a stem: the alif of the aspect prefix is not written (not kayn, kaynin:
# "there is", nor kanet, tani...).
_ASPECT_RULE = re.compile(r"(?i)(ma)?([kt])a(?!yn)(?=[nty][b-df-hj-np-tv-z2-9]\w*[aeiou])(?=\w{4})")


# l + these is not the article: the verb l9a "find" (l9it, l9ina), l + a demonstrative or a
# pronoun-like word (lhadchi, lhna, lxi).
_NOT_ARTICLE = re.compile(r"[wo]?[fb]?l(?:[9q][aie]|had|dak|dik|dok|hna|xi|chi|mn)")


def _has_vowel(text: str) -> bool:
    return any(ch in _VOWELS for ch in text)


# --- clitics ---------------------------------------------------------------------------------

_PROCLITIC_AR = {"w": "و", "o": "و", "ou": "و", "f": "ف", "b": "ب", "l": "ل", "d": "د"}

# (Latin, Arabic, kind). Kinds: "conj" (and), "neg" (ma...ch), "art" (preposition + article
# or the article alone), "prep" (preposition alone), "verb" (aspect and/or person).
_PREFIX_LAYERS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (("w", "و", "conj"), ("o", "و", "conj"), ("ou", "و", "conj")),
    (("ma", "ما", "neg"),),
)
_ARTICLE_PREFIXES = (
    ("fl", "فال"), ("fel", "فال"), ("fal", "فال"), ("bl", "بال"), ("bel", "بال"), ("bal", "بال"),
    ("ll", "لل"), ("lel", "لل"), ("dl", "دال"), ("del", "دال"), ("l", "ال"), ("el", "ال"), ("al", "ال"),
)  # fmt: skip
_PREPOSITIONS = (("f", "ف"), ("b", "ب"), ("l", "ل"))
# ka-/ta- written ك/ت, as careful writers do (كنمشي, تنقول); gha- keeps its alif (غانمشي).
_ASPECTS = (("ka", "ك"), ("ta", "ت"), ("k", "ك"), ("t", "ت"), ("gha", "غا"), ("gh", "غ"))
_PERSONS = (("n", "ن"), ("t", "ت"), ("y", "ي"), ("i", "ي"))

_NEGATION_SUFFIXES = (("ch", "ش"), ("x", "ش"), ("sh", "ش"))
_PRONOUN_SUFFIXES = (
    ("ha", "ها"), ("8a", "ها"), ("hom", "هم"), ("houm", "هم"), ("hum", "هم"), ("8om", "هم"),
    ("kom", "كم"), ("koum", "كم"), ("kum", "كم"), ("ni", "ني"), ("na", "نا"), ("k", "ك"),
    ("ek", "ك"), ("ak", "ك"), ("o", "و"), ("ou", "و"), ("h", "ه"), ("i", "ي"), ("ya", "يا"),
    ("iya", "يا"),
)  # fmt: skip
_VERB_SUFFIXES = (
    ("t", "ت"), ("ti", "تي"), ("na", "نا"), ("to", "تو"), ("tou", "تو"), ("tu", "تو"),
    ("at", "ات"), ("o", "و"), ("ou", "و"), ("u", "و"), ("w", "و"), ("aw", "او"), ("iw", "يو"), ("i", "ي"),
    ("it", "يت"), ("iti", "يتي"), ("ina", "ينا"), ("ito", "يتو"), ("itou", "يتو"),
)  # fmt: skip
# No feminine -a here: a final a gets ة only when the dictionary has the feminine word
# (load_dictionary adds DODa's feminine forms), never by guess.
# The one feminine -a that is written ة without the dictionary having the word: after the
# -i of a relative adjective the dictionary knows (waTani وطني -> waTaniya وطنية).
_NOUN_SUFFIXES = (("at", "ات"), ("in", "ين"), ("ya", "ة"), ("a", "ة"))


@dataclass(frozen=True)
class _Prefix:
    latin: str
    arabic: str
    kinds: frozenset[str]


def _prefixes(word: str) -> Iterator[_Prefix]:
    """Every way the start of ``word`` reads as proclitics (the empty one included)."""
    low = word.lower()
    heads: list[_Prefix] = [_Prefix("", "", frozenset())]
    for layer in _PREFIX_LAYERS:
        heads += [
            _Prefix(h.latin + lat, h.arabic + ar, h.kinds | {kind})
            for h in heads
            for lat, ar, kind in layer
            if low.startswith(h.latin + lat)
        ]
    for head in heads:
        yield head
        rest = low[len(head.latin) :]
        if "neg" not in head.kinds:
            for lat, ar in _ARTICLE_PREFIXES:
                if rest.startswith(lat):
                    yield _Prefix(head.latin + lat, head.arabic + ar, head.kinds | {"art"})
            sun = re.match(rf"([fbld]?)[ea]?({_SUN})(?=\2)", rest)  # the article: ddar, fddar
            if sun:
                article = {"": "ال", "f": "فال", "b": "بال", "l": "لل", "d": "دال"}[sun.group(1)]
                yield _Prefix(head.latin + sun.group(), head.arabic + article, head.kinds | {"art"})
            for lat, ar in _PREPOSITIONS:
                if rest.startswith(lat):
                    yield _Prefix(head.latin + lat, head.arabic + ar, head.kinds | {"prep"})
        for alat, aar in (*_ASPECTS, ("", "")):
            for plat, par in _PERSONS:
                if rest.startswith(alat + plat):
                    yield _Prefix(head.latin + alat + plat, head.arabic + aar + par, head.kinds | {"verb"})


@dataclass(frozen=True)
class _Suffix:
    latin: str
    arabic: str
    kinds: tuple[str, ...]  # innermost first
    ending: str = ""  # the Latin of the innermost one


def _suffixes(word: str) -> Iterator[_Suffix]:
    """Every way the end of ``word`` reads as endings and enclitics (the empty one included):
    a stem ending (verb person, plural), then a pronoun, then the negation."""
    low = word.lower()
    tails = [_Suffix("", "", ())]
    tails += [_Suffix(lat, ar, ("neg",), lat) for lat, ar in _NEGATION_SUFFIXES if low.endswith(lat)]
    tails += [
        _Suffix(lat + t.latin, ar + t.arabic, ("pron", *t.kinds), lat)
        for t in list(tails)
        for lat, ar in _PRONOUN_SUFFIXES
        if low.endswith(lat + t.latin)
    ]
    endings = [(lat, ar, "verb") for lat, ar in _VERB_SUFFIXES] + [(lat, ar, "noun") for lat, ar in _NOUN_SUFFIXES]
    tails += [
        _Suffix(lat + t.latin, ar + t.arabic, (kind, *t.kinds), lat)
        for t in list(tails)
        for lat, ar, kind in endings
        if low.endswith(lat + t.latin) and not (kind == "noun" and t.kinds)
    ]
    yield from tails


_FEMININE = "ة"
_EMPHATIC = re.compile("[TSDZH]")
_FINAL_VOWELS = "اىوية"


def _affixed(word: str, find: Lookup) -> str | None:
    """The spelling of ``word`` as clitics around a stem ``find`` knows, or None.

    A stem has three letters or more (four after a preposition alone), two of them
    consonants, and starts with a consonant after the conjunction, a preposition or a verb
    prefix (``wach`` is not w + ``ach``), and after the article unless it has four letters
    (``lawal``). What is looked up has a spelling key of three letters or more (``dert`` is
    not ``Dr`` + t). A common word takes only the conjunction, pronoun suffixes and the
    negation (``lhna`` is not الهنا).
    The reading with the fewest clitics wins, then the one with the longest stem.
    """
    best: tuple[tuple[int, int], str] | None = None
    suffixes = list(_suffixes(word))
    for prefix in _prefixes(word):
        for suffix in suffixes:
            n_affixes = len(prefix.kinds) + len(suffix.kinds)
            if not n_affixes or not _compatible(prefix, suffix):
                continue
            stem = word[len(prefix.latin) : len(word) - len(suffix.latin)]
            if not _stem_ok(stem, prefix.kinds):
                continue
            if "art" not in prefix.kinds and _EMPHATIC.search(word[: len(prefix.latin)]):
                continue
            if suffix.latin and _EMPHATIC.search(word[-len(suffix.latin) :]):
                continue  # wTay7at: T is ط, not the prefix ta-
            rank = (n_affixes, -len(stem))
            if best is not None and rank >= best[0]:
                continue
            spelled = _with_stem(stem, prefix, suffix, find)
            if spelled is not None:
                best = (rank, spelled)
    return best[1] if best else None


def _stem_ok(stem: str, prefix: frozenset[str]) -> bool:
    if len(stem) < (4 if "prep" in prefix else 3) or sum(ch not in _VOWELS for ch in stem) < 2:
        return False
    if stem[0] in _VOWELS:
        return "art" in prefix and len(stem) >= 4 or not prefix & {"conj", "verb", "prep", "art"}
    return True


def _compatible(prefix: _Prefix, suffix: _Suffix) -> bool:
    kinds = set(suffix.kinds)
    if ("neg" in prefix.kinds) != ("neg" in kinds):
        return False  # ma...ch go together
    if "art" in prefix.kinds and kinds & {"pron", "verb", "neg"}:
        return False  # no article before a pronoun suffix or on a verb
    if "verb" in prefix.kinds and "noun" in kinds:
        return False
    if "prep" in prefix.kinds and "verb" in kinds:
        return False
    return True


def _with_stem(stem: str, prefix: _Prefix, suffix: _Suffix, find: Lookup) -> str | None:
    """Prefix + the dictionary's stem + suffix, with the joins ordinary spelling makes."""
    ending = suffix.kinds[0] if suffix.kinds else None

    def look(latin: str) -> str | None:
        if len(spelling_key(latin)) < 3:
            return None
        hit = find(latin)
        common = hit is not None and hit == _COMMON_BY_KEY.get(spelling_key(latin))
        if common and (prefix.kinds & {"art", "prep", "verb"} or set(suffix.kinds) & {"verb", "noun"}):
            return None  # a common word takes the conjunction, pronouns and the negation only
        return hit

    arabic = look(stem)
    if arabic is None:
        if ending == "verb" and suffix.ending[:1] == "i" and (suffix.ending != "i" or "verb" in prefix.kinds):
            # a weak verb: bgh-it from bgha (بغا -> بغيت), n-mch-i from mcha
            weak = look(stem + "a")
            if weak and weak[-1] in "اى":
                arabic = weak[:-1]
        elif ending == "pron" and stem.lower().endswith("t"):
            # the feminine -t- before a suffix: mdint-i from mdina (مدينة -> مدينتي)
            fem = look(stem[:-1] + "a")
            if fem and fem.endswith(_FEMININE):
                arabic = fem[:-1] + "ت"
        if arabic is None:
            return None
    elif suffix.kinds:
        if suffix.arabic.startswith(_FEMININE) and not (arabic.endswith("ي") and stem[-1] in "iI"):
            return None  # ة only after the -i of a relative adjective: waTani-ya
        if ending == "noun" and not suffix.arabic.startswith(_FEMININE) and arabic[-1] in _FINAL_VOWELS:
            return None  # -at/-in after a vowel: not a plural ending
        if arabic.endswith(_FEMININE):
            return None  # a feminine noun takes -t- before a suffix (mdinti, not mdinai)
        if arabic[-1] == "ى":
            arabic = arabic[:-1] + "ا"
        elif stem[-1] in "aA" and arabic[-1] not in _FINAL_VOWELS:
            arabic += "ا"  # m3a-k: مع -> معاك
    head = prefix.arabic
    if head.endswith("ال") and arabic.startswith("ال"):
        arabic = arabic[2:]
    elif head.endswith("ل") and not head.endswith("ال") and arabic.startswith("ال"):
        arabic = "ل" + arabic[2:]  # l + the article: للدار
    return head + arabic + suffix.arabic
