"""The TTS front-end: text in any script people write a language in -> the symbols a voice reads.

    from awal.tts.frontend import encode, split_sentences

    for sentence in split_sentences("بغيت نمشي l'hôpital ghda. عندي 25 درهم!"):
        result = encode(sentence, "ary")
        result.text      # 'بغيت نمشي لهوپيتال غدا.', then 'عندي خمسة و عشرين درهم!'
        result.ids       # what the acoustic model reads

Symbols are **graphemes of one canonical script per language** (why, and the inventories:
docs/tts.md): Darija in Arabic script, Tamazight in IRCAM Tifinagh, Kabyle in Kabyle Latin.
Three steps, each a pure function:

1. :func:`spoken_text` (:func:`awal.text.voicing.spoken_text`, the one the synthetic corpus
   writes its transcripts with): the ``tts`` normalization profile (:mod:`awal.text.normalize`:
   numbers, dates, times, money, phone numbers, units and abbreviations spelled out), then every
   word written in the canonical script (Arabizi and French words of a Darija line through the
   Arabizi rules, :mod:`awal.text.arabizi`; Tamazight in Latin, IRCAM or informal, into
   Tifinagh, :mod:`awal.text.tifinagh`).
2. :func:`symbols_of`: letter variants folded to one symbol each (the /g/ letters ڭ ݣ ڨ گ, the
   /v/ letters ڤ ڥ, Persian kaf and ya), Latin lowercased, clause punctuation to ``, . ? !``,
   marks that carry no sound (quotes, brackets, dashes) left out by rule, and anything else
   reported: an unknown character is never dropped silently (:class:`UnknownCharactersError`,
   or listed in :attr:`Encoded.unknown` with ``strict=False``).
3. ids in the language's :class:`SymbolSet` (0 is padding, 1 a word boundary).

:func:`split_sentences` cuts a text where a streaming synthesizer can start speaking.
No torch, no NeMo: the runtime and the recipe share this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from awal.errors import InputError
from awal.languages import get_language
from awal.text.voicing import spoken_text

__all__ = [
    "CANONICAL_SCRIPT",
    "Encoded",
    "SymbolSet",
    "UnknownCharactersError",
    "encode",
    "split_sentences",
    "spoken_text",
    "symbol_set",
    "symbols_of",
]

#: The script each language family's voices read.
CANONICAL_SCRIPT: Mapping[str, str] = {"ary": "Arab", "zgh": "Tfng", "kab": "Latn"}

PAD, SPACE = "<pad>", " "
#: Clause punctuation, the only punctuation a voice reads (pauses and question intonation).
PUNCTUATION = (",", ".", "?", "!")
_PUNCT_MAP = {"،": ",", "؛": ",", ";": ",", ":": ",", "؟": "?", "…": ".", "⵰": ",", "¿": "", "¡": ""}
#: Marks with no sound of their own: left out (by rule, not as unknown characters).
SILENT_MARKS = frozenset("\"'«»“”„‘’‚‹›()[]{}<>-‐‑‒–—―_*/\\|~`^#")

# The letters of each canonical script (lowercase; variants folded by _FOLD).
_ARABIC_LETTERS = (
    "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"  # the Arabic alphabet and hamza seats
    + "ڭپڤچژ"  # Darija /g/ (one symbol for ڭ ݣ ڨ گ), /p/, /v/, /tʃ/, /ʒ/ of loanwords
    + "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"  # harakat, shadda, sukun, dagger alef
)
_TIFINAGH_LETTERS = "ⴰⴱⴳⴷⴹⴻⴼⴽⵀⵃⵄⵅⵇⵉⵊⵍⵎⵏⵓⵔⵕⵖⵙⵚⵛⵜⵟⵡⵢⵣⵥ" + "ⵒⵠ" + "\u2d6f"  # IRCAM, extended, labialization
_KABYLE_LETTERS = "abcdefghijklmnopqrstuvwxyz" + "ḍḥṛṣṭẓɛɣčǧǝ" + "ʷ"
_LETTERS = {"Arab": _ARABIC_LETTERS, "Tfng": _TIFINAGH_LETTERS, "Latn": _KABYLE_LETTERS}

#: Variants read as one symbol.
_FOLD = {
    "ݣ": "ڭ", "ڨ": "ڭ", "گ": "ڭ",  # Moroccan, Algerian and Persian spellings of /g/
    "ڥ": "ڤ",  # Maghrebi /v/
    "ک": "ك", "ی": "ي",  # Persian kaf and ya
    "ə": "ǝ",  # the two schwas of Kabyle Latin
    "\u2d7f": "",  # Tifinagh consonant joiner: a rendering hint, no sound
}  # fmt: skip


class UnknownCharactersError(InputError):
    """Characters the language's symbol set does not have (listed in the message and in ``characters``)."""

    def __init__(self, message: str, characters: tuple[str, ...]) -> None:
        super().__init__(message)
        self.characters = characters


@dataclass(frozen=True)
class SymbolSet:
    """The symbols a voice of one language family reads, in id order: padding, word boundary,
    clause punctuation, then the letters of the canonical script. Its ``name`` goes into a
    voice's ``awal.json``; a change of inventory is a new name."""

    name: str
    family: str
    script: str
    symbols: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.symbols)


@lru_cache(maxsize=None)
def _index(symbols: tuple[str, ...]) -> Mapping[str, int]:
    return {s: i for i, s in enumerate(symbols)}


def symbol_set(lang: str) -> SymbolSet:
    """The symbol set of ``lang``'s family (``shi``, ``tzm``, ``rif`` read ``zgh``'s)."""
    return _family_set(get_language(lang).family)


@lru_cache(maxsize=None)
def _family_set(family: str) -> SymbolSet:
    script = CANONICAL_SCRIPT.get(family)
    if script is None:
        raise InputError(f"{family}: no TTS symbol set; languages with one: {', '.join(sorted(CANONICAL_SCRIPT))}")
    letters = tuple(dict.fromkeys(_LETTERS[script]))
    return SymbolSet(f"{family}-{script.lower()}-graphemes-1", family, script, (PAD, SPACE, *PUNCTUATION, *letters))


@dataclass(frozen=True)
class Encoded:
    """One text through the front-end.

    Attributes:
        text: the spoken text in the canonical script (:func:`spoken_text`).
        symbols: what the voice reads, word boundaries and clause punctuation included.
        ids: the symbols' ids in :attr:`symbol_set`.
        unknown: characters left out because the symbol set lacks them (empty unless
            ``strict=False``: by default they raise :class:`UnknownCharactersError`).
        symbol_set: the set's name.
    """

    text: str
    symbols: tuple[str, ...]
    ids: tuple[int, ...]
    unknown: tuple[str, ...]
    symbol_set: str


def symbols_of(spoken: str, lang: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(symbols, unknown characters) of a :func:`spoken_text`: see the module docs, step 2.
    Runs of spaces and punctuation collapse to one boundary or the strongest punctuation."""
    table = symbol_set(lang)
    known = _index(table.symbols)
    out: list[str] = []
    unknown: dict[str, None] = {}
    for ch in spoken:
        if table.script == "Latn":
            ch = ch.lower()
        ch = _FOLD.get(ch, ch)
        ch = _PUNCT_MAP.get(ch, ch)
        if not ch or ch in SILENT_MARKS:
            continue
        if ch.isspace():
            if out and out[-1] != SPACE:
                out.append(SPACE)
            continue
        if ch in PUNCTUATION:
            while out and out[-1] == SPACE:
                out.pop()
            if out and out[-1] in PUNCTUATION:
                out[-1] = max(out[-1], ch, key=PUNCTUATION.index)
            elif out:
                out.append(ch)
            continue
        if ch in known:
            out.append(ch)
        else:
            unknown[ch] = None
    while out and out[-1] == SPACE:
        out.pop()
    return tuple(out), tuple(unknown)


def encode(text: str, lang: str, *, strict: bool = True) -> Encoded:
    """``text`` of language ``lang`` as the symbols and ids its voices read.

    Raises:
        UnknownCharactersError: (``strict``) characters the symbol set does not have; the
            message names them with their Unicode names.
        UnknownLanguageError: ``lang`` is not registered.
    """
    table = symbol_set(lang)
    spoken = spoken_text(text, lang)
    symbols, unknown = symbols_of(spoken, lang)
    if unknown and strict:
        names = ", ".join(f"{ch!r} ({unicodedata.name(ch, f'U+{ord(ch):04X}')})" for ch in unknown)
        raise UnknownCharactersError(
            f"{lang}: the {table.name} symbols have no {names}; write the text in "
            f"{table.script} (or one of the scripts awal converts from) or leave those out",
            unknown,
        )
    index = _index(table.symbols)
    return Encoded(spoken, symbols, tuple(index[s] for s in symbols), unknown, table.name)


# Sentence ends: . ! ? ؟ … (and runs of them), not a decimal point or an abbreviation's dot
# inside a word; the end is followed by space or the end of the text. Newlines always end one.
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])[\"'»”)\]]*\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=[,،;؛:])\s+")


def split_sentences(text: str, max_chars: int = 220) -> list[str]:
    """The sentences of ``text`` in order (empty ones left out), each at most ``max_chars``
    where a clause boundary allows: what streaming synthesis speaks one at a time."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        if len(sentence) <= max_chars:
            out.append(sentence)
            continue
        current = ""
        for clause in _CLAUSE_END.split(sentence):
            if current and len(current) + 1 + len(clause) > max_chars:
                out.append(current)
                current = clause
            else:
                current = f"{current} {clause}" if current else clause
        if current:
            out.append(current)
    return out
