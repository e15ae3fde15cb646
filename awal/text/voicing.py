"""What espeak-ng says for a line of Darija, Tamazight or Kabyle: the voicing front-end of
the synthetic corpus (:mod:`awal.data.synthetic`). Pure functions of strings.

espeak-ng has an Arabic voice (``ar``) and no Berber voice. Every language here is
spoken through that voice, whose phoneme table has what these languages need: the
pharyngeals ħ ʕ, the uvulars q χ, ɣ, the emphatics tˤ dˤ sˤ and their "dark" vowels, the
trilled r, and (inherited from espeak's base table) ə, ʃ, ʑ, θ, ð, β, ç, ʝ, p, v, g.

Two steps, both documented with their tables in docs/data.md ("How each language is voiced"):

1. :func:`spoken_text`: the line as it is said: the ``tts`` normalization profile (numbers,
   dates, times, money, units spelled out in the line's own script), then every word in the
   language's canonical script: Darija in Arabic script (Arabizi and French words through
   :mod:`awal.text.arabizi`), Tamazight in Tifinagh, Kabyle in Latin. The synthetic corpus's
   manifest text and the TTS front-end's text (:mod:`awal.tts.frontend`) are this one text.
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

:func:`espeak_request` is the one dispatch from a line to espeak-ng: the spoken text, what
espeak-ng reads, with which voice, pitch and rate. The synthetic corpus
(:mod:`awal.data.synthetic`) and the espeak-ng TTS voice (:mod:`awal.tts.espeak`) both call it,
so a line says the same thing in the ASR training corpus and from the TTS voice.

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

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from awal.languages import Language, get_language
from awal.text.arabizi import Lexicon, arabic_punctuation, arabizi_to_arabic
from awal.text.loanwords import french_word
from awal.text.normalize import normalize, without_accents
from awal.text.scripts import ARAB, COMMON, LATN, TFNG, char_script, token_script
from awal.text.tifinagh import latin_to_tifinagh, tifinagh_to_latin

__all__ = [
    "BERBER_PHONEMES",
    "CLAUSE_PUNCTUATION",
    "DARIJA_LETTERS",
    "DARIJA_LETTERS_FALLBACK",
    "EMPHATICS",
    "ESPEAK_VOICE",
    "KABYLE_SPIRANTS",
    "EspeakRequest",
    "darija_espeak_input",
    "espeak_input",
    "espeak_request",
    "espeak_voice",
    "spoken_text",
    "tamazight_espeak_input",
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
    """``line`` as it is said, every word in the language's canonical script: the text a TTS voice
    reads (:mod:`awal.tts.frontend`) and the synthetic corpus's manifest text, one function for both.

    First the ``tts`` profile in the line's own script, so that what is written beside a number
    is read with it (``1000 dhs`` and ``5 km`` in Arabizi are money and a distance, as ``1000 درهم``
    is in Arabic script). Then Darija words with Latin letters (Arabizi, French) are written in
    Arabic script (:func:`_darija_word`; ``lexicon`` overrides the rules word by word), Tamazight
    Latin in IRCAM Tifinagh, Kabyle Tifinagh in Latin: the scripts the voices' symbols are in.

    >>> spoken_text("3tini 50 DH", "ary")
    'عتيني خمسين درهم'
    >>> spoken_text("azul 2", "zgh")
    'ⴰⵣⵓⵍ ⵙⵉⵏ'
    """
    language = get_language(lang)
    spoken = normalize(line, language, "tts")
    if language.family == "ary":
        spoken = " ".join(_darija_word(token, lexicon, language) for token in spoken.split())
    elif language.family == "zgh":
        spoken = latin_to_tifinagh(spoken, variant="ircam")
    elif language.family == "kab":
        spoken = tifinagh_to_latin(spoken, variant="kab")
    return unicodedata.normalize("NFC", spoken)


def _darija_word(token: str, lexicon: Lexicon | None = None, language: Language | str = "ary") -> str:
    """One token of a (``tts``-normalized) Darija line, in Arabic script.

    A French word Darija uses (``merci``, ``l'appel``: :mod:`awal.text.loanwords`) is said as a
    Moroccan speaker says it, unless ``lexicon`` knows the token. Any other Latin token (Arabizi
    ``3lach``, French ``l'hôpital``) goes through the Arabizi rules whole,
    its accents and apostrophes dropped first: ``é`` is read as ``e`` (the rules take ASCII only)
    and ``l'h`` as l + h. A token with Arabic letters and a Latin run (``éكونوميقو``, ``سûر``: a
    French keyboard's letter typed into an Arabic word) has each Latin run converted the same way
    and its Arabic letters kept. A digit the rules leave in the word (``la6dt``: 6 is no Arabizi
    letter) is then spelled out as in an Arabic-script line, where the ``tts`` profile reads a digit
    that touches Arabic letters as a number: the spoken text has no digits left.
    """
    if not any(_is_latin_letter(ch) for ch in token):
        return token
    lead, core, trail = _punct_split(token)
    french = None if lexicon is not None and lexicon.arabic_for(core) else french_word(core)
    if french is not None:
        word = arabic_punctuation(lead) + french + arabic_punctuation(trail)
    elif token_script(token) == LATN and not any(char_script(ch) == ARAB for ch in token):
        word = _arabizi(token, lexicon)
    else:
        out: list[str] = []
        for is_latin, group in itertools.groupby(token, key=_is_latin_letter):
            run = "".join(group)
            if is_latin:
                run = _arabizi(run, lexicon)
                if out and run[:1] in "أإ":  # a word-initial vowel's seat, not wanted inside a word
                    run = run[1:]
            out.append(run)
        word = "".join(out)
    if token_script(word) == ARAB and any(ch.isdigit() for ch in word):
        word = normalize(word, language, "tts")
    return word


def _arabizi(latin: str, lexicon: Lexicon | None) -> str:
    """Latin text through the Arabizi rules, without its accents and apostrophes."""
    return arabizi_to_arabic(re.sub(r"['’ʼ‘]", "", without_accents(latin)), lexicon=lexicon)


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


# --- step 2: espeak's input ----------------------------------------------------------------


def espeak_input(text: str, lang: str, *, letters: Mapping[str, str] = DARIJA_LETTERS) -> str:
    """What espeak-ng's ``ar`` voice reads for ``text`` (a :func:`spoken_text`): Darija through
    :func:`darija_espeak_input` (with the letter table ``letters``), Tamazight and Kabyle through
    :func:`tamazight_espeak_input`."""
    family = get_language(lang).family
    if family == "ary":
        return darija_espeak_input(text, letters=letters)
    return tamazight_espeak_input(text, family)


def espeak_voice(variant: str | None = None) -> str:
    """espeak-ng's ``-v`` argument: :data:`ESPEAK_VOICE`, every language's voice, with a variant
    (``m3`` -> ``ar+m3``) or without."""
    return f"{ESPEAK_VOICE}+{variant}" if variant else ESPEAK_VOICE


@dataclass(frozen=True)
class EspeakRequest:
    """What espeak-ng is asked for one line: ``espeak-ng -v voice -p pitch -s rate`` reading
    ``espeak_input``.

    Attributes:
        text: the spoken text (:func:`spoken_text`): the manifest text, the TTS front-end's text.
        espeak_input: what espeak-ng reads (:func:`espeak_input`); empty when nothing in the line
            can be said (symbols only, or only letters espeak-ng would not read).
        voice: the ``-v`` argument (:func:`espeak_voice`).
        pitch: ``-p``, 0-99.
        rate: ``-s``, words per minute.
    """

    text: str
    espeak_input: str
    voice: str
    pitch: int = 50
    rate: int = 175


def espeak_request(
    line: str,
    lang: str,
    *,
    variant: str | None = None,
    pitch: int = 50,
    rate: int = 175,
    letters: Mapping[str, str] = DARIJA_LETTERS,
    lexicon: Lexicon | None = None,
) -> EspeakRequest:
    """The one way from a line to espeak-ng: its :func:`spoken_text` (with ``lexicon`` for Arabizi),
    what the language's voice reads for it (:func:`espeak_input`; ``letters``: the Darija letter
    table for the installed espeak-ng, :func:`awal.espeak.darija_letters`), and the voice
    (:func:`espeak_voice` of ``variant``), pitch and rate to read it with. The synthetic corpus and
    the espeak-ng TTS voice both call it, so that a line sounds the same in both.

    >>> espeak_request("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ!", "zgh", variant="m3")
    EspeakRequest(text='ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ!', espeak_input="[[az'ul]] [[f@l:'awn]]!", voice='ar+m3', pitch=50, rate=175)
    """
    text = spoken_text(line, lang, lexicon=lexicon)
    said = espeak_input(text, lang, letters=letters)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in said):
        said = ""
    return EspeakRequest(text, said, espeak_voice(variant), pitch, rate)


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
    table, e.g. :data:`DARIJA_LETTERS_FALLBACK`); words with Latin letters (French words)
    are written in Arabic script as :func:`spoken_text` writes them (a spoken text has
    none left, but for an acronym); clause punctuation is kept (as ASCII
    ``, . ? ! ; :``); every other character that is not an Arabic letter, haraka or digit
    (quotes, apostrophes, symbols, Tifinagh) is dropped, since espeak reads symbols aloud.
    """
    table = str.maketrans(dict(letters))
    out: list[str] = []
    for token in text.split():
        lead, word, trail = _punct_split(token)
        word = _darija_word(word)
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
