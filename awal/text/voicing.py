"""What espeak-ng says for a line of Darija, Tamazight or Kabyle: the voicing front-end of
the synthetic corpus (:mod:`awal.data.synthetic`). Pure functions of strings.

espeak-ng has an Arabic voice (``ar``) and no Berber voice. Every language here is
spoken through that voice, whose phoneme table has what these languages need: the
pharyngeals ħ ʕ, the uvulars q χ, ɣ, the emphatics tˤ dˤ sˤ and their "dark" vowels, the
trilled r, and (inherited from espeak's base table) ə, ʃ, ʑ, θ, ð, β, ç, ʝ, p, v, g.

Two steps, both documented with their tables in docs/data.md ("How each language is voiced"):

1. :func:`spoken_text`: the line as it is said, in its language's orthography: Arabizi
   Darija written in Arabic script (:mod:`awal.text.arabizi`), then the ``tts``
   normalization profile (numbers, dates, times, money spelled out). This is the text the
   manifest carries.
2. :func:`espeak_input`: what espeak-ng reads.

   * **Darija**: Arabic script, read by espeak's own Arabic rules, after
     :data:`DARIJA_LETTERS` (ڭ ݣ -> گ, which espeak-ng reads /g/; ڤ -> ف, since no
     Arabic letter gives /v/; پ kept, read /p/). Left alone, espeak drops ڭ ڤ inside a
     word and reads them by their Unicode names when they stand alone. Latin words in
     Arabic lines (French code-switching) are written in Arabic script by the Arabizi
     rules, or espeak would switch to its English voice for them.
   * **Tamazight and Kabyle**: espeak phoneme input, one ``[[...]]`` group per word, made
     from the IRCAM / Kabyle Latin spelling (Tifinagh goes through IRCAM Latin first) by
     :data:`BERBER_PHONEMES`, with gemination (``:``), labialization (``w``), emphasis
     spread to the word's vowels, schwa epenthesis in consonant runs (IRCAM spelling does
     not write schwa), Kabyle spirantization, and stress on the last full vowel.

>>> word_phonemes("azul", "zgh")
"az'ul"
>>> word_phonemes("fllawn", "zgh")
"f@l:'awn"
>>> espeak_input("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ!", "zgh")
"[[az'ul]] [[f@l:'awn]]!"
>>> espeak_input("ڭالس فالدار", "ary")
'گالس فالدار'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from awal.languages import get_language
from awal.text.arabizi import Lexicon, arabizi_to_arabic
from awal.text.normalize import normalize
from awal.text.scripts import ARAB, COMMON, LATN, TFNG, token_script
from awal.text.tifinagh import latin_to_tifinagh, tifinagh_to_latin

__all__ = [
    "BERBER_PHONEMES",
    "CLAUSE_PUNCTUATION",
    "DARIJA_LETTERS",
    "DARIJA_LETTERS_FALLBACK",
    "EMPHATICS",
    "ESPEAK_VOICE",
    "KABYLE_SPIRANTS",
    "darija_espeak_input",
    "espeak_input",
    "spoken_text",
    "tamazight_espeak_input",
    "to_espeak",
    "word_phonemes",
]

#: The espeak-ng voice every language is spoken with.
ESPEAK_VOICE = "ar"

#: Darija letters -> the letters espeak-ng 1.51's Arabic voice reads as intended.
#: Checked with ``espeak-ng -v ar -x``: ``گلس`` -> ``gls``, ``پاپا`` -> ``p'a:pa:``,
#: ``ڭلس`` -> ``ls`` (ڭ dropped), ``ڤالي`` -> ``'a:li:`` (ڤ dropped).
DARIJA_LETTERS: Mapping[str, str] = {
    "ڭ": "گ",  # U+06AD, Moroccan /g/
    "ݣ": "گ",  # U+0763, Moroccan /g/
    "ڨ": "گ",  # U+06A8, Algerian /g/
    "ڤ": "ف",  # U+06A4 /v/: nearest letter espeak reads is /f/
    "ڥ": "ف",  # U+06A5, Maghrebi /v/
    "ک": "ك",  # Persian kaf
    "ی": "ي",  # Persian ya
    "\u0640": "",  # tatweel
}

#: For an espeak-ng whose Arabic rules lack گ and پ (they read them as letter names):
#: /g/ -> ك (k), /p/ -> ب (b). :mod:`awal.data.synthetic` probes the installed espeak.
DARIJA_LETTERS_FALLBACK: Mapping[str, str] = {
    **DARIJA_LETTERS,
    "ڭ": "ك",
    "ݣ": "ك",
    "ڨ": "ك",
    "گ": "ك",
    "پ": "ب",
}

#: Punctuation kept as clause boundaries (espeak pauses there and uses ? for intonation).
CLAUSE_PUNCTUATION = frozenset(",.?!;:،؟؛")
_TO_ASCII_PUNCT = str.maketrans({"،": ",", "؟": "?", "؛": ";"})

#: IRCAM / Kabyle Latin letter -> espeak-ng phoneme mnemonic (``ar`` phoneme table;
#: IPA in the comments, as ``espeak-ng -v ar -q --ipa "[[...]]"`` prints it).
BERBER_PHONEMES: Mapping[str, str] = {
    "a": "a", "i": "i", "u": "u", "o": "o",  # a i u; o in loanwords
    "e": "@", "ǝ": "@", "ə": "@",  # schwa ə
    "b": "b", "d": "d", "f": "f", "g": "g", "h": "h", "k": "k", "l": "l", "m": "m",
    "n": "n", "p": "p", "q": "q", "s": "s", "t": "t", "v": "v", "w": "w", "z": "z",
    "y": "j",  # j
    "r": "R", "ṛ": "R",  # trilled r (espeak's "r" is English ɹ); ṛ: dark vowels around it
    "c": "S",  # ʃ
    "j": "Z;",  # ʒ -> ʑ (the ar table redefines Z as ð)
    "č": "tS", "ǧ": "dZ",  # tʃ dʒ (Kabyle)
    "ḥ": "H", "ɛ": "A",  # ħ ʕ
    "x": "X", "ɣ": "Q",  # χ ɣ
    "ḍ": "dH", "ṭ": "t[", "ṣ": "s[", "ẓ": "z",  # dˤ t̪ˤ s̪ˤ, zˤ -> z with dark vowels
}  # fmt: skip

#: Kabyle spirantization: a single (not geminate) b t d k g ḍ, not after n, l or m.
KABYLE_SPIRANTS: Mapping[str, str] = {"b": "B", "t": "T", "d": "D", "k": "C", "g": "J^", "ḍ": "Z"}  # β θ ð ç ʝ ðˤ
_SPIRANT_BLOCKERS = frozenset("nlm")

#: Consonants whose emphasis spreads over the word: its vowels become espeak's dark ones.
EMPHATICS = frozenset("ḍṭṣẓṛ")
_DARK = {"a": "a.", "i": "i.", "u": "u."}
_VOWELS = frozenset("aiuoeǝə")
_FULL_VOWELS = frozenset("aiuo")
_LABIAL = "ʷ"
_SCHWA = "e"


# --- step 1: the spoken text ---------------------------------------------------------------


def spoken_text(line: str, lang: str, *, lexicon: Lexicon | None = None) -> str:
    """The line as it is spoken, in the language's own spelling (the manifest text).

    Darija written in Arabizi (most letters Latin) is first written in Arabic script
    (with ``lexicon`` overriding the rules word by word); then every language goes through
    the ``tts`` profile, which spells out numbers, dates, times, money and symbols.
    """
    language = get_language(lang)
    if language.family == "ary" and token_script(line) == LATN:
        line = arabizi_to_arabic(line, lexicon=lexicon)
    return normalize(line, language, "tts")


# --- step 2: espeak's input ----------------------------------------------------------------


def espeak_input(text: str, lang: str) -> str:
    """What espeak-ng's ``ar`` voice reads for ``text`` (a :func:`spoken_text`)."""
    family = get_language(lang).family
    if family == "ary":
        return darija_espeak_input(text)
    return tamazight_espeak_input(text, family)


def to_espeak(line: str, lang: str, *, lexicon: Lexicon | None = None) -> str:
    """:func:`espeak_input` of :func:`spoken_text`: a line as read, to espeak's input."""
    return espeak_input(spoken_text(line, lang, lexicon=lexicon), lang)


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _punct_split(token: str) -> tuple[str, str, str]:
    """``(leading punctuation, word, trailing punctuation)`` of one whitespace token
    (punctuation and symbols: Unicode categories P and S; harakat stay with the word)."""
    start, end = 0, len(token)
    while start < end and _is_punct(token[start]):
        start += 1
    while end > start and _is_punct(token[end - 1]):
        end -= 1
    return token[:start], token[start:end], token[end:]


def _clause_marks(punct: str) -> str:
    """The clause punctuation in ``punct``, ASCII, at most one mark."""
    marks = [ch for ch in punct.translate(_TO_ASCII_PUNCT) if ch in CLAUSE_PUNCTUATION]
    if not marks:
        return ""
    # A question mark wins (intonation), then the strongest stop.
    for mark in "?!.;:,":
        if mark in marks:
            return mark
    return ""


# Darija ------------------------------------------------------------------------------------

_ARABIC_KEEP = re.compile(r"[^\u0621-\u063a\u0641-\u0652\u0670\u067e\u06af0-9]")


def darija_espeak_input(text: str, *, letters: Mapping[str, str] = DARIJA_LETTERS) -> str:
    """Arabic-script Darija -> the Arabic-script text espeak-ng's ``ar`` voice reads.

    :data:`DARIJA_LETTERS` maps ڭ ݣ ڨ -> گ and ڤ ڥ -> ف (``letters`` may replace the
    table, e.g. :data:`DARIJA_LETTERS_FALLBACK`); Latin tokens (French words) are
    written in Arabic script by the Arabizi rules; clause punctuation is kept (as ASCII
    ``, . ? ! ; :``); every other character that is not an Arabic letter, haraka or digit
    (quotes, apostrophes, symbols, Tifinagh) is dropped, since espeak reads symbols aloud.
    """
    table = str.maketrans(dict(letters))
    out: list[str] = []
    for token in text.split():
        lead, word, trail = _punct_split(token)
        if token_script(word) == LATN:
            word = arabizi_to_arabic(word)
        word = re.sub(r"['’ʼ‘]", "", word).translate(table)
        parts = [p for p in _ARABIC_KEEP.split(word) if p]
        if not parts:
            mark = _clause_marks(lead + trail)
            if mark and out:
                out[-1] += mark
            continue
        mark = _clause_marks(trail)
        lead_mark = _clause_marks(lead)
        if lead_mark and out:
            out[-1] += lead_mark
        out.append(" ".join(parts) + mark)
    return " ".join(out)


# Tamazight and Kabyle ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One segment of a word: a letter of :data:`BERBER_PHONEMES`, maybe geminate/labialized."""

    letter: str
    geminate: bool = False
    labial: bool = False

    @property
    def vowel(self) -> bool:
        return self.letter in _VOWELS


def _latin_word(word: str, variant: str) -> str:
    """A word in Tifinagh or (IRCAM, informal, Kabyle) Latin -> lowercase NFC Latin."""
    if token_script(word) == TFNG:
        return unicodedata.normalize("NFC", tifinagh_to_latin(word))
    # Through Tifinagh and back: lowercases, reads informal spellings (gh, 3, 7) and
    # look-alikes (γ, ε), and keeps IRCAM/Kabyle letters as they are.
    tif = latin_to_tifinagh(word, scheme="auto", variant=variant)  # type: ignore[arg-type]
    return unicodedata.normalize("NFC", tifinagh_to_latin(tif))


def _units(latin: str) -> list[_Unit]:
    """Letters -> segments; doubled letters are one geminate segment; ʷ labializes."""
    units: list[_Unit] = []
    for ch in latin:
        if ch == _LABIAL:
            if units and not units[-1].vowel:
                units[-1] = _Unit(units[-1].letter, units[-1].geminate, True)
            continue
        if ch not in BERBER_PHONEMES:
            base = unicodedata.normalize("NFD", ch)[0]  # é -> e, à -> a; others dropped
            if base not in BERBER_PHONEMES:
                continue
            ch = base
        last = units[-1] if units else None
        if last and last.letter == ch and not last.vowel and not last.geminate and not last.labial:
            units[-1] = _Unit(ch, True)
        else:
            units.append(_Unit(ch))
    return units


def _epenthesize(units: list[_Unit]) -> list[_Unit]:
    """Insert schwas so that every consonant run can be said (IRCAM spelling has none).

    In each run of consonants (a geminate counts as one): the last one is the onset of a
    following vowel, the first one the coda of a preceding vowel; the rest are grouped
    from the right into ``CəC`` syllables; a consonant left over joins the preceding
    vowel's coda, or gets a schwa after it at the start of a word. So ``tmazirt`` ->
    ``təmazirt``, ``fllawn`` -> ``fəllawn``, ``tamaziɣt`` and ``amɣran`` unchanged,
    ``tuḍnd`` -> ``tuḍnəd``, ``nkk`` -> ``nəkk``, ``trmsd`` -> ``tərəmsəd``.
    """
    out: list[_Unit] = []
    i = 0
    schwa = _Unit(_SCHWA)
    while i < len(units):
        if units[i].vowel:
            out.append(units[i])
            i += 1
            continue
        j = i
        while j < len(units) and not units[j].vowel:
            j += 1
        run = units[i:j]
        left_vowel = i > 0
        right_vowel = j < len(units)
        onset = [run.pop()] if right_vowel and run else []
        coda = [run.pop(0)] if left_vowel and run else []
        middle: list[_Unit] = []
        while len(run) >= 2:
            second, first = run.pop(), run.pop()
            middle = [first, schwa, second, *middle]
        if run:
            if left_vowel:
                coda.append(run.pop())
            else:
                middle = [run.pop(), schwa, *middle]
        out.extend(coda + middle + onset)
        i = j
    return out


def _mnemonic(unit: _Unit, previous: _Unit | None, kabyle: bool) -> str:
    letter = unit.letter
    if (
        kabyle
        and letter in KABYLE_SPIRANTS
        and not unit.geminate
        and not (previous is not None and previous.letter in _SPIRANT_BLOCKERS)
    ):
        phoneme = KABYLE_SPIRANTS[letter]
    else:
        phoneme = BERBER_PHONEMES[letter]
    return phoneme + (":" if unit.geminate else "") + ("w" if unit.labial else "")


def word_phonemes(word: str, lang: str) -> str:
    """One Tamazight/Kabyle word (Tifinagh or Latin) -> espeak-ng phoneme mnemonics.

    See :data:`BERBER_PHONEMES`; the rules, in order: segments (doubled letter = geminate,
    written ``C:``; ``ʷ`` = ``w`` after the consonant), schwa epenthesis (Tamazight; for
    Kabyle, whose spelling writes schwa, only in words with no vowel), Kabyle
    spirantization, dark vowels in a word with an emphatic, primary stress ``'`` before
    the last full vowel (a i u o), or the last schwa. Empty when nothing is pronounceable.

    >>> word_phonemes("taqbaylit", "kab")
    "TaqBajl'iT"
    >>> word_phonemes("aḍar", "zgh")
    "a.dH'a.R"
    """
    kabyle = get_language(lang).family == "kab"
    return _latin_phonemes(_latin_word(word, _variant(kabyle)), kabyle)


def _variant(kabyle: bool) -> str:
    return "kab" if kabyle else "ircam"


def _latin_phonemes(latin: str, kabyle: bool) -> str:
    units = _units(latin)
    if not units:
        return ""
    if not kabyle or not any(u.vowel for u in units):
        units = _epenthesize(units)
    dark = any(u.letter in EMPHATICS for u in units)
    full = [k for k, u in enumerate(units) if u.letter in _FULL_VOWELS]
    schwas = [k for k, u in enumerate(units) if u.vowel]
    stressed = full[-1] if full else (schwas[-1] if schwas else -1)
    pieces: list[str] = []
    for k, unit in enumerate(units):
        if k == stressed:
            pieces.append("'")
        if unit.vowel:
            phoneme = BERBER_PHONEMES[unit.letter]
            pieces.append(_DARK.get(phoneme, phoneme) if dark else phoneme)
        else:
            pieces.append(_mnemonic(unit, units[k - 1] if k else None, kabyle))
    return "".join(pieces)


def tamazight_espeak_input(text: str, lang: str) -> str:
    """Tamazight or Kabyle text (Tifinagh or Latin) -> espeak-ng input for the ``ar`` voice.

    Each word becomes one ``[[...]]`` phoneme group (:func:`word_phonemes`); hyphens and
    apostrophes join clitics to their word (``fell-awen`` is one word); a one-consonant
    word is said with the next word when that one starts with a vowel (``n uzal`` ->
    ``[[nuz'al]]``); clause punctuation stays outside the groups (espeak pauses there);
    words in Arabic script pass through as text (espeak reads them); digits the ``tts``
    profile left pass through too; other symbols are dropped.
    """
    kabyle = get_language(lang).family == "kab"
    variant = _variant(kabyle)
    items: list[tuple[str, str]] = []  # ("w", Latin word), ("a", as is) or ("p", punctuation)
    for token in text.replace("\u2d70", " ").split():
        lead, word, trail = _punct_split(token)
        if _clause_marks(lead):
            items.append(("p", _clause_marks(lead)))
        word = re.sub(r"[-'’ʼ‘]", "", word)
        script = token_script(word)
        if script in (LATN, TFNG, "Grek", "Cyrl"):
            items.append(("w", _latin_word(word, variant)))
        elif script == ARAB or (script == COMMON and any(ch.isdigit() for ch in word)):
            kept = " ".join(p for p in _ARABIC_KEEP.split(word) if p)
            if kept:
                items.append(("a", kept))
        if _clause_marks(trail):
            items.append(("p", _clause_marks(trail)))
    out: list[str] = []
    pending = ""  # a one-consonant word waiting for the word it is said with
    for k, (kind, value) in enumerate(items):
        if kind == "w":
            units = _units(value)
            nxt = items[k + 1] if k + 1 < len(items) else ("", "")
            if not pending and len(units) == 1 and not units[0].vowel and nxt[0] == "w":
                following = _units(nxt[1])
                if following and following[0].vowel:
                    pending = value
                    continue
            phonemes = _latin_phonemes(pending + value, kabyle)
            pending = ""
            if phonemes:
                out.append(f"[[{phonemes}]]")
        elif kind == "a":
            out.append(value)
        elif out:
            out[-1] += value
    return " ".join(out)
