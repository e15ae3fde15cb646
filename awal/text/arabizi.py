"""Darija transliteration: Arabizi (Latin with digits) <-> Arabic script, DODa conventions.

Arabizi writes Arabic sounds with digits (``3`` ع, ``7`` ح, ``9`` ق, ``8`` ه, ``2`` ء,
``5`` خ), capitals for the emphatics (``T`` ط, ``S`` ص, ``D`` ض, ``Z`` ظ), digraphs
(``ch`` ش, ``kh`` خ, ``gh`` غ) and doubled letters for gemination (shadda). Short
vowels (``e``, and ``a``/``o``/``i`` between consonants in some words) are often not
written in Arabic script, and no rule can know which: a lexicon of known spellings
(the Darija Open Dataset pairs thousands) overrides the rules word by word.

Capitals carry meaning, so Arabizi is never lowercased blindly: a capital is read
as an emphatic only when it is one of ``T S D Z H``, the token is not all capitals, and
it does not open a word that goes on in lowercase (``Salam``, ``Tbib``: sentence or name
case, as a Moroccan reader takes it; ``faTima``, ``7Dach`` and a lone ``T`` are
emphatics). A lexicon, looked up as written first, can still spell a capitalized word
with an emphatic.

Tokens in another script pass through unchanged: Latin tokens in a line that has
Arabic-script words (French words: ``بغيت rendez-vous``), Latin words with French
letters (é è ç ...), and Arabic tokens on the way to Arabic script.

>>> arabizi_to_arabic("rah t9der xi nher nji")
'راه تقدر شي نهر نجي'
>>> arabizi_to_arabic("3lach")
'علاش'
>>> arabic_to_arabizi("علاش")
'3lach'
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from awal.text.scripts import ARAB, LATN, token_script, tokens

__all__ = ["Lexicon", "arabic_punctuation", "arabic_to_arabizi", "arabizi_to_arabic", "load_lexicon"]

# --- Arabizi -> Arabic ---------------------------------------------------------------------

# Consonant spellings, longest first (matched case-sensitively after the capital rule).
_CONSONANTS: Mapping[str, str] = {
    "ch": "ش", "sh": "ش", "kh": "خ", "gh": "غ", "dj": "ج",
    "3": "ع", "7": "ح", "9": "ق", "8": "ه", "5": "خ", "2": "ء",
    "b": "ب", "t": "ت", "j": "ج", "d": "د", "r": "ر", "z": "ز", "s": "س", "f": "ف",
    "q": "ق", "k": "ك", "l": "ل", "m": "م", "n": "ن", "h": "ه", "w": "و", "y": "ي",
    "x": "ش", "g": "ڭ", "v": "ڤ", "p": "پ", "c": "ك",
    "T": "ط", "S": "ص", "D": "ض", "Z": "ظ", "H": "ح",
}  # fmt: skip
_EMPHATIC_CAPITALS = frozenset("TSDZH")
_SHADDA = "\u0651"
_TATWEEL = "\u0640"
_HARAKAT = re.compile("[\u064b-\u0652\u0670]")

# One Arabizi unit: a consonant spelling, or a run of vowels.
# A doubled consonant comes first, so that "bessha" is s-s-h (بسّها), not s + "sh".
_UNIT = re.compile(r"([b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z])\1|ch|sh|kh|gh|dj|[aeiouAEIOU]+|.", re.DOTALL)
_VOWEL = re.compile(r"[aeiou]+", re.IGNORECASE)

# Letters Arabizi uses; a Latin token with any other letter (é, ç, ...) is not Arabizi.
_ARABIZI_CHARS = re.compile(r"[A-Za-z0-9'\-]+")


def _vowel_to_arabic(run: str, initial: bool) -> str:
    """A run of Latin vowels -> Arabic letters: long vowels written, schwa ``e`` dropped.

    Word-initially the vowel sits on an alif: ``a``/``e`` أ, ``i`` إ, ``o``/``u`` أو.
    Repeated letters (``aa``: emphasis, not length) count once; ``ou`` is ``o``.
    """
    v = re.sub(r"(.)\1+", r"\1", run.lower()).replace("ou", "o")
    out = []
    if initial:
        out.append("إ" if v[0] == "i" else "أ")
        v = v[1:] if v[0] in "aei" else v
    out.extend({"a": "ا", "i": "ي", "y": "ي", "o": "و", "u": "و"}.get(ch, "") for ch in v)
    return "".join(out)


def _emphatic_ok(token: str) -> bool:
    """Capitals mean emphatics unless the token is all capitals or a capitalized word."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return False
    return True


def _consonant(unit: str, emphatic: bool) -> str | None:
    """The Arabic letter of one Arabizi consonant spelling (None for anything else)."""
    if unit.isupper() and not (emphatic and unit in _EMPHATIC_CAPITALS):
        unit = unit.lower()
    return _CONSONANTS.get(unit) or _CONSONANTS.get(unit.lower())


def _opens_in_sentence_case(token: str, match: re.Match[str]) -> bool:
    """Whether ``match`` is a capital opening a word that goes on in lowercase (``Salam``)."""
    return match.start() == 0 and match.group()[0].isupper() and token[match.end() : match.end() + 1].islower()


def _arabizi_token(token: str) -> str:
    emphatic = _emphatic_ok(token)
    if re.match(r"2[aeiouAEIOU]", token):
        token = token[1:]  # a word-initial hamza is the seat of the first vowel: 2ana -> أنا
    out: list[str] = []
    prev_cons: str | None = None
    for k, match in enumerate(_UNIT.finditer(token)):
        unit = match.group()
        here = emphatic and not _opens_in_sentence_case(token, match)
        if match.group(1):  # a doubled letter: the letter, then a shadda
            letter = _consonant(unit[0], here)
            out.append(letter + _SHADDA if letter else unit)
            prev_cons = None
            continue
        if _VOWEL.fullmatch(unit):
            out.append(_vowel_to_arabic(unit, initial=k == 0))
            prev_cons = None
            continue
        letter = _consonant(unit, here)
        if letter is None:
            out.append(unit)  # hyphen, apostrophe, punctuation
            prev_cons = None
            continue
        if letter == prev_cons and letter != "ء":
            out.append(_SHADDA)  # doubled letter: gemination
            prev_cons = None
            continue
        out.append(letter)
        prev_cons = letter
    return "".join(out).replace("'", "").replace("-", " ")


@dataclass(frozen=True)
class Lexicon:
    """Known spellings that override the rules: Arabizi -> Arabic and Arabic -> Arabizi.

    Lookups try the token as written, then lowercase (for tokens whose capitals are
    only sentence case). The first pair seen for a key wins.
    """

    to_arabic: Mapping[str, str] = field(default_factory=dict)
    to_arabizi: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.to_arabic)

    def arabic_for(self, token: str) -> str | None:
        return self.to_arabic.get(token) or self.to_arabic.get(token.lower())

    def arabizi_for(self, token: str) -> str | None:
        return self.to_arabizi.get(_strip_harakat(token))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Lexicon:
        """Build from ``(arabizi, arabic)`` pairs; multi-word entries are kept whole."""
        to_ar: dict[str, str] = {}
        to_lat: dict[str, str] = {}
        for latin, arabic in pairs:
            latin, arabic = latin.strip(), unicodedata.normalize("NFC", arabic.strip())
            if not latin or not arabic or " " in latin or " " in arabic:
                continue
            if token_script(latin) != LATN or token_script(arabic) != ARAB:
                continue
            to_ar.setdefault(latin, arabic)
            to_lat.setdefault(_strip_harakat(arabic), latin)
        return cls(to_ar, to_lat)


def _strip_harakat(text: str) -> str:
    return _HARAKAT.sub("", text).replace(_TATWEEL, "")


def load_lexicon(*paths: str | Path) -> Lexicon:
    """Read lexicon files into one :class:`Lexicon` (earlier files win).

    Formats: a two-column TSV ``arabizi<TAB>arabic`` (lines starting with ``#``
    ignored; every pair trusted), or any DODa CSV: word lists with spelling variants
    ``n1..n6`` and ``darija_ar``, sentence lists with ``darija`` and ``darija_ar``
    (aligned word by word when both sides have as many words), and other lists with
    ``*darija*`` columns. From DODa, a pair is kept only when both sides have the same
    consonant skeleton: DODa's columns also hold synonyms (``nhar`` beside يوم).
    """
    pairs: list[tuple[str, str]] = []
    for path in paths:
        path = Path(path)
        with path.open(encoding="utf-8", newline="") as f:
            if path.suffix.lower() == ".csv":
                pairs.extend(_doda_pairs(csv.DictReader(f)))
            else:
                for line in f:
                    if line.startswith("#") or "\t" not in line:
                        continue
                    latin, arabic = line.rstrip("\n").split("\t")[:2]
                    pairs.append((latin, arabic))
    return Lexicon.from_pairs(pairs)


# DODa puts related words beside the spellings (yawm, youm, nhar -> يوم; had -> هادا;
# dir -> دار) and its sentence lists do not align one to one (dar bida -> الدار البيضاء).
# A pair is kept only when both sides have the same skeleton: consonants and long
# vowels, with the letters Arabizi spells alike (h for ح, s for ص, ...) counted as one,
# hamza seats as their vowel, a final ة/ى as ا, and doubled letters once.
_SKELETON_DROP = re.compile("[\u064b-\u0652\u0670\u0640ء]")
_SKELETON_FOLD = str.maketrans("حصطضظقڭگݣثذأإآؤئ", "هستدزككككتداااوي")


def _skeleton(arabic: str) -> str:
    word = re.sub("[ةى]$", "ا", _SKELETON_DROP.sub("", arabic))
    return re.sub(r"(.)\1+", r"\1", word.translate(_SKELETON_FOLD))


def _same_word(latin: str, arabic: str) -> bool:
    return _skeleton(_arabizi_token(latin)) == _skeleton(arabic)


def _doda_pairs(rows: Iterable[Mapping[str, str]]) -> Iterable[tuple[str, str]]:
    for row in rows:
        arabic = (row.get("darija_ar") or "").strip()
        if not arabic:
            continue
        # spelling columns: n1..n6 in word lists, darija in sentence lists, *_darija in others
        latin_cols = [k for k in row if k and k != "darija_ar" and re.fullmatch(r"n\d|.*darija.*", k)]
        for col in latin_cols:
            latin = (row.get(col) or "").strip()
            lw, aw = latin.split(), arabic.split()
            if len(lw) == len(aw):
                yield from ((lat, ar) for lat, ar in zip(lw, aw) if _same_word(lat, ar))


def _convert_tokens(text: str, convert, source_script: str) -> str:
    return re.sub(r"\S+", lambda m: convert(m.group()) if token_script(m.group()) == source_script else m.group(), text)


# punctuation around a word; Arabic marks (harakat, shadda, superscript alef: combining, so not
# \w) belong to the word: a word-final shadda (حقّ) doubles its letter
_LEADING = re.compile(r"^[^\w\u064b-\u065f\u0670]+")
_TRAILING = re.compile(r"[^\w\u064b-\u065f\u0670]+$")
_PUNCT_TO_ARABIC = str.maketrans({",": "،", "?": "؟", ";": "؛"})
_PUNCT_TO_LATIN = str.maketrans({"،": ",", "؟": "?", "؛": ";"})


def arabic_punctuation(text: str) -> str:
    """Latin commas, question marks and semicolons as Arabic script writes them (، ؟ ؛)."""
    return text.translate(_PUNCT_TO_ARABIC)


def _split_punct(token: str) -> tuple[str, str, str]:
    lead = _LEADING.match(token)
    trail = _TRAILING.search(token)
    a = lead.end() if lead else 0
    b = trail.start() if trail and trail.start() >= a else len(token)
    return token[:a], token[a:b], token[b:]


def arabizi_to_arabic(text: str, lexicon: Lexicon | None = None) -> str:
    """Write Arabizi Darija in Arabic script.

    Latin tokens are converted when the text has no Arabic-script word (Arabizi); in
    text with Arabic-script words, Latin tokens are foreign words (French, mostly) and
    pass through, as do Latin tokens with letters Arabizi does not use (é, ç, ...).
    """
    if any(tok.script == ARAB for tok in tokens(text)):
        return text

    def convert(token: str) -> str:
        lead, core, trail = _split_punct(token)
        if not core or not _ARABIZI_CHARS.fullmatch(core):
            return token
        if len(core) > 1 and core.isupper():
            return token  # an acronym (DH, SMS, CNSS)
        if core.isdigit():
            return token  # a number, not a word
        known = lexicon.arabic_for(core) if lexicon else None
        word = known or _arabizi_token(core)
        return lead.translate(_PUNCT_TO_ARABIC) + word + trail.translate(_PUNCT_TO_ARABIC)

    return _convert_tokens(text, convert, LATN)


# --- Arabic -> Arabizi ---------------------------------------------------------------------

_TO_LATIN: Mapping[str, str] = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "7", "خ": "kh", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "ch", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z",
    "ع": "3", "غ": "gh", "ف": "f", "ق": "9", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ة": "a", "ى": "a", "ء": "2", "ئ": "2", "ؤ": "2",
    "ڭ": "g", "ݣ": "g", "گ": "g", "ڤ": "v", "پ": "p", "ک": "k", "ی": "i",
    "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ا": "a",
    "\u064e": "a", "\u0650": "i", "\u064f": "o", "\u064b": "an", "\u064d": "in", "\u064c": "on",
    "\u0652": "", "\u0670": "a", _TATWEEL: "",
}  # fmt: skip
_ARABIC_VOWELS = set("اأإآٱىة\u064e\u0650\u064f")


_SUN_LETTERS = frozenset("تثدذرزسشصضطظلن")


def _arabic_token(token: str) -> str:
    chars = list(unicodedata.normalize("NFC", token))
    if len(chars) > 2 and chars[0] == "ا" and chars[1] == "ل":
        # The article: "l" before a moon letter; before a sun letter, the letter doubled
        # (السلام -> sslam), as Darija says and DODa writes it.
        article = _TO_LATIN[chars[2]] if chars[2] in _SUN_LETTERS else "l"
        return article + _arabic_token_body(chars[2:])
    return _arabic_token_body(chars)


def _arabic_token_body(chars: list[str]) -> str:
    out: list[str] = []
    for k, ch in enumerate(chars):
        prev = chars[k - 1] if k else ""
        nxt = chars[k + 1] if k + 1 < len(chars) else ""
        if ch in "أإآٱ" and nxt in "\u064e\u0650\u064f":
            continue  # a vowel seat: the haraka after it says which vowel
        if ch == _SHADDA:
            if out:
                last = out[-1]
                out.append(last[-1] if len(last) > 1 else last)
            continue
        if ch in "وي":
            # A consonant (w/y) at the start, before a vowel letter, or after one; a long
            # vowel (o/i) between consonants or at the end after a consonant.
            consonant = k == 0 or nxt in _ARABIC_VOWELS or prev in _ARABIC_VOWELS or prev in "وي" or nxt == _SHADDA
            out.append(("w" if ch == "و" else "y") if consonant else ("o" if ch == "و" else "i"))
            continue
        out.append(_TO_LATIN.get(ch, ch))
    return "".join(out)


def arabic_to_arabizi(text: str, lexicon: Lexicon | None = None) -> str:
    """Write Arabic-script Darija in Arabizi (DODa conventions); other tokens pass through."""

    def convert(token: str) -> str:
        lead, core, trail = _split_punct(token)
        if not core:
            return token.translate(_PUNCT_TO_LATIN)
        known = lexicon.arabizi_for(core) if lexicon else None
        return lead.translate(_PUNCT_TO_LATIN) + (known or _arabic_token(core)) + trail.translate(_PUNCT_TO_LATIN)

    return _convert_tokens(text, convert, ARAB)
