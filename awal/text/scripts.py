"""Script detection per character and per token (ISO 15924 codes).

Arabizi writes letters with digits (``3`` for ع, ``7`` for ح, ``9`` for ق): a digit
inside a token that has Latin letters counts as Latin. A token with no letters at all
(``123``, ``?``) is ``Zyyy`` (common), one in a script awal does not handle is ``Zzzz``
unless it is Greek or Cyrillic (look-alikes that leak into Kabyle text).

>>> token_script("3lach")
'Latn'
>>> token_script("ⴰⵣⵓⵍ")
'Tfng'
>>> [t.script for t in tokens("بغيت rendez-vous 2")]
['Arab', 'Latn', 'Zyyy']
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

__all__ = [
    "OUTPUT_SCRIPTS",
    "Token",
    "char_script",
    "dominant_script",
    "foreign_bytes",
    "foreign_character",
    "iter_runs",
    "strip_foreign",
    "token_script",
    "tokens",
]

ARAB, LATN, TFNG, GREK, CYRL, COMMON, UNKNOWN = "Arab", "Latn", "Tfng", "Grek", "Cyrl", "Zyyy", "Zzzz"

_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


@lru_cache(maxsize=4096)
def char_script(ch: str) -> str:
    """The script of one character: letters and marks only; everything else is ``Zyyy``."""
    cat = unicodedata.category(ch)
    if cat[0] not in "LM":
        return COMMON
    cp = ord(ch)
    if 0x2D30 <= cp <= 0x2D7F:
        return TFNG
    if any(lo <= cp <= hi for lo, hi in _ARABIC_RANGES):
        return ARAB
    if cat[0] == "M":  # other combining marks (U+0323 in decomposed Kabyle letters) do not vote
        return COMMON
    name = unicodedata.name(ch, "")
    if name.startswith(("LATIN", "MODIFIER LETTER SMALL")):
        return LATN
    if name.startswith("GREEK"):
        return GREK
    if name.startswith("CYRILLIC"):
        return CYRL
    return UNKNOWN


def token_script(token: str) -> str:
    """The script of a token: the script of most of its letters (``Zyyy`` when it has none).

    Digits and punctuation do not vote; a tie goes to the first letter's script.
    """
    votes: Counter[str] = Counter()
    first = None
    for ch in token:
        script = char_script(ch)
        if script != COMMON:
            votes[script] += 1
            first = first or script
    if not votes:
        return COMMON
    best = max(votes.values())
    leaders = [s for s, n in votes.items() if n == best]
    return first if first in leaders else leaders[0]


@dataclass(frozen=True)
class Token:
    """A whitespace-delimited token with its position in the text and its script."""

    text: str
    start: int
    end: int
    script: str


_TOKEN = re.compile(r"\S+")


def tokens(text: str) -> list[Token]:
    """Split ``text`` at whitespace and tag each token with its script."""
    return [Token(m.group(), m.start(), m.end(), token_script(m.group())) for m in _TOKEN.finditer(text)]


def dominant_script(text: str) -> str:
    """The script most letters of ``text`` are written in (``Zyyy`` when there are none)."""
    return token_script(text)


def iter_runs(text: str) -> Iterator[tuple[str, str]]:
    """Yield ``(piece, script)`` so that ``"".join(pieces) == text``; whitespace is ``Zyyy``."""
    pos = 0
    for tok in tokens(text):
        if tok.start > pos:
            yield text[pos : tok.start], COMMON
        yield tok.text, tok.script
        pos = tok.end
    if pos < len(text):
        yield text[pos:], COMMON


# --- script-safe output: what a hypothesis of one script may not hold ---------------------------

_TIFINAGH_BLOCK = (0x2D30, 0x2D7F)
#: The scripts a hypothesis may be held to (:func:`foreign_character`): awal's three.
OUTPUT_SCRIPTS = (ARAB, LATN, TFNG)
# Characters other than letters that a hypothesis of any script may need: ASCII and Latin-1
# punctuation, digits and signs and the spacing modifiers' symbols (the non-letters of
# U+0000-U+02FF), general punctuation through the miscellaneous symbols and arrows (… ’ “ ” € ...),
# and emoji. A UTF-8 prefix that can start none of these (nor a letter of the script) is useless
# to that script (:func:`foreign_bytes`).
_SHARED = ((0x0000, 0x02FF), (0x2000, 0x2BFF), (0x1F000, 0x1FAFF))
# what each script needs besides its letters and the shared characters: its own blocks (Arabic
# punctuation and digits; the Tifinagh separator), and for Latin the combining diacritics of
# decomposed letters
_OWN: dict[str, tuple[tuple[int, int], ...]] = {
    ARAB: _ARABIC_RANGES,
    LATN: ((0x0300, 0x036F),),
    TFNG: (_TIFINAGH_BLOCK,),
}


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _check_script(script: str) -> None:
    if script not in OUTPUT_SCRIPTS:
        raise ValueError(f"unknown output script {script!r}; known: {', '.join(OUTPUT_SCRIPTS)}")


def foreign_character(ch: str, script: str) -> bool:
    """Whether ``ch`` has no place in a text written in ``script`` (``Arab``, ``Latn``, ``Tfng``):
    a letter or mark of another script (Latin or Tifinagh letters in Arabic-script Darija, Arabic
    letters in IRCAM Latin, Greek look-alikes, ...), or any character of the Arabic or Tifinagh
    blocks in a text of another script (``،`` ``؟`` ``٣`` in Latin). Digits, punctuation, spaces
    and symbols are common to all scripts and never foreign.

    >>> [foreign_character(c, "Arab") for c in "بṭk3ⴰ؟"]
    [False, True, True, False, True, False]
    >>> [foreign_character(c, "Latn") for c in "ṭɣεب؟,"]
    [False, False, True, True, True, False]
    """
    _check_script(script)
    found = char_script(ch)
    if found not in (script, COMMON):
        return True
    cp = ord(ch)
    if script != ARAB and _in(cp, _ARABIC_RANGES):
        return True
    return script != TFNG and _TIFINAGH_BLOCK[0] <= cp <= _TIFINAGH_BLOCK[1]


def _completions(prefix: bytes) -> range:
    """The code points whose UTF-8 encoding starts with ``prefix`` (a lead byte and fewer
    continuation bytes than its character has): one contiguous range, as UTF-8 keeps order."""
    lead = prefix[0]
    length = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    missing = length - len(prefix)
    lo = prefix + b"\x80" * missing
    hi = prefix + b"\xbf" * missing
    # decode the bounds by hand: overlong or out-of-range bounds are clamped to the valid ones
    def value(data: bytes) -> int:
        cp = data[0] & (0x7F >> length)
        for byte in data[1:]:
            cp = (cp << 6) | (byte & 0x3F)
        return cp

    first = max(value(lo), (0x80, 0x800, 0x10000)[length - 2])
    return range(first, min(value(hi), 0x10FFFF) + 1)


@lru_cache(maxsize=4096)
def _prefix_foreign(prefix: bytes, script: str) -> bool:
    """A partial character is foreign when it can only become characters ``script`` does not
    need (another script's, or none that it uses), one of them at least a foreign one. What a
    text of ``script`` may need: one of its letters, a character of its own blocks, or a shared
    character that is not a letter; never an unassigned or private-use one."""
    seen_foreign = False
    for cp in _completions(prefix):
        ch = chr(cp)
        category = unicodedata.category(ch)
        if category in ("Cn", "Co", "Cs"):
            continue
        if foreign_character(ch, script):
            seen_foreign = True
        elif char_script(ch) == script or _in(cp, _OWN[script]) or (_in(cp, _SHARED) and category[0] != "L"):
            return False
    return seen_foreign


def foreign_bytes(data: bytes, script: str) -> bool:
    """Whether a piece of UTF-8 (a byte-level BPE token, which may hold partial characters) can
    only write what a text of ``script`` has no place for: it holds a whole foreign character
    (:func:`foreign_character`), or it ends with the start of a character that can only be one
    ``script`` does not need (``\\xc9``, which starts ``ɛ`` ``ɣ`` ``ǝ``..., for Arabic script;
    ``\\xd8``-``\\xdb``, the Arabic letters, for Latin). Continuation bytes at its start (the end
    of a character begun by an earlier piece) could end too many characters to say: they make
    no piece foreign, nor does a lone lead byte that also starts shared punctuation (``\\xe2``:
    ``…`` ``’`` and Tifinagh alike) -- :func:`strip_foreign` is the guard behind such pieces.

    >>> foreign_bytes("ṭ".encode(), "Arab"), foreign_bytes(b"\\xc9", "Arab"), foreign_bytes(b"\\xe2", "Arab")
    (True, True, False)
    >>> foreign_bytes(" ال".encode(), "Arab"), foreign_bytes(b"\\xd8", "Latn"), foreign_bytes(b"\\xc9", "Latn")
    (False, True, False)
    """
    _check_script(script)
    at, end = 0, len(data)
    while at < end and 0x80 <= data[at] < 0xC0:  # the tail of a character begun before
        at += 1
    while at < end:
        lead = data[at]
        length = 1 if lead < 0x80 else 2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else (
            4 if 0xF0 <= lead < 0xF5 else 0)  # fmt: skip
        piece = data[at : at + length]
        if not length or not all(0x80 <= b < 0xC0 for b in piece[1:]):  # not UTF-8: says nothing
            at += 1
            continue
        if len(piece) < length:  # the start of a character the next piece ends
            return _prefix_foreign(piece, script)
        try:
            if foreign_character(piece.decode("utf-8"), script):
                return True
        except UnicodeDecodeError:  # an overlong form or a surrogate: says nothing
            pass
        at += length
    return False


def strip_foreign(text: str, script: str) -> tuple[str, int]:
    """``text`` without its characters foreign to ``script`` (:func:`foreign_character`), and how
    many were dropped; where a drop leaves a run of spaces, one space. The last guard of a
    hypothesis decoded in ``script``: the decoder suppresses the tokens that write foreign
    characters, and this catches one assembled from pieces it could not suppress.

    >>> strip_foreign("أه ṭوموبيل خاṭṣها", "Arab")
    ('أه وموبيل خاها', 3)
    >>> strip_foreign("is tẓḍaṛt ⴰ mayنّا ?", "Latn")
    ('is tẓḍaṛt may ?', 4)
    >>> strip_foreign("azul", "Latn")
    ('azul', 0)
    """
    _check_script(script)
    kept = [ch for ch in text if not foreign_character(ch, script)]
    dropped = len(text) - len(kept)
    if not dropped:
        return text, 0
    out = re.sub(r"(\s)\s+", r"\1", "".join(kept))
    return (out.strip() if text == text.strip() else out), dropped
