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

__all__ = ["Token", "char_script", "dominant_script", "iter_runs", "token_script", "tokens"]

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
