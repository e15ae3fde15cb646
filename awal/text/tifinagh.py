"""Tamazight transliteration: Tifinagh <-> Latin (IRCAM), informal Latin input, Kabyle usage.

The table is IRCAM's (Standard Moroccan Tamazight, Unicode Tifinagh block U+2D30-U+2D7F).
With ``scheme="ircam"``, Tifinagh -> IRCAM Latin -> Tifinagh is lossless, and so is
lowercase NFC IRCAM Latin -> Tifinagh -> Latin. The default ``scheme="auto"`` keeps that
promise except for Tifinagh g/k/c/s followed by h (ⴳⵀ ⴽⵀ ⵛⵀ ⵙⵀ) in a word with no other
IRCAM letter, which it reads back as a digraph (ⵖ ⵅ ⵛ ⵛ). Labialized ⴳⵯ/ⴽⵯ are written
``gʷ``/``kʷ`` (U+02B7) in Latin.

Informal Latin as people type it (``gh`` for ɣ, ``ch``/``sh`` for c, ``kh`` for x, ``3``
for ɛ, ``7`` for ḥ) is read with ``scheme="informal"``, or per token with
``scheme="auto"`` (the default), which reads a token informally only when it has no
IRCAM letter (ɣ ɛ ḥ ḍ ṛ ṣ ṭ ẓ ʷ) and has one of those spellings.

Kabyle Tifinagh (``variant="kab"``) differs in three letters: č ⵞ, ǧ ⴵ, h ⵁ.

>>> latin_to_tifinagh("azul fellawen")
'ⴰⵣⵓⵍ ⴼⴻⵍⵍⴰⵡⴻⵏ'
>>> tifinagh_to_latin("ⴰⴳⵯⵔⵔⴰⵡ")
'agʷrraw'
>>> latin_to_tifinagh("tamazight", scheme="informal")
'ⵜⴰⵎⴰⵣⵉⵖⵜ'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal, Mapping

from awal.text.scripts import LATN, TFNG, token_script

__all__ = [
    "IRCAM",
    "KABYLE",
    "Scheme",
    "Variant",
    "latin_to_tifinagh",
    "tifinagh_to_latin",
]

Scheme = Literal["ircam", "informal", "auto"]
Variant = Literal["ircam", "kab"]

#: IRCAM Tifinagh letter -> IRCAM Latin (lowercase NFC), including the labialization mark.
IRCAM: Mapping[str, str] = {
    "ⴰ": "a", "ⴱ": "b", "ⴳ": "g", "ⴷ": "d", "ⴹ": "ḍ", "ⴻ": "e", "ⴼ": "f", "ⴽ": "k",
    "ⵀ": "h", "ⵃ": "ḥ", "ⵄ": "ɛ", "ⵅ": "x", "ⵇ": "q", "ⵉ": "i", "ⵊ": "j", "ⵍ": "l",
    "ⵎ": "m", "ⵏ": "n", "ⵓ": "u", "ⵔ": "r", "ⵕ": "ṛ", "ⵖ": "ɣ", "ⵙ": "s", "ⵚ": "ṣ",
    "ⵛ": "c", "ⵜ": "t", "ⵟ": "ṭ", "ⵡ": "w", "ⵢ": "y", "ⵣ": "z", "ⵥ": "ẓ",
    "ⵯ": "ʷ",
    # Extended Tifinagh for loanwords (IRCAM's extended set).
    "ⵒ": "p", "ⵠ": "v",
    # Letters of Kabyle usage, read wherever they occur.
    "ⵞ": "č", "ⴵ": "ǧ", "ⵁ": "h",
}  # fmt: skip

#: Kabyle Tifinagh: the letters where Kabyle usage differs from IRCAM.
KABYLE: Mapping[str, str] = {"č": "ⵞ", "ǧ": "ⴵ", "h": "ⵁ", "ǝ": "ⴻ"}

# Latin spellings beyond the table, all schemes: look-alikes and alternatives.
_LATIN_EXTRA: Mapping[str, str] = {
    "ǝ": "ⴻ", "ə": "ⴻ",  # schwa
    "γ": "ⵖ", "ε": "ⵄ", "ԑ": "ⵄ",  # Greek/Cyrillic look-alikes of ɣ ɛ
    "ğ": "ⴵ", "ţ": "ⵟ",
}  # fmt: skip

# Informal Latin: digraphs and digits, longest first.
_INFORMAL: Mapping[str, str] = {
    "gh": "ⵖ", "kh": "ⵅ", "ch": "ⵛ", "sh": "ⵛ", "3": "ⵄ", "7": "ⵃ",
}  # fmt: skip

_IRCAM_ONLY = frozenset("ɣɛḥḍṛṣṭẓʷčǧ")


@lru_cache(maxsize=None)
def _latin_table(variant: str, informal: bool) -> tuple[dict[str, str], re.Pattern[str]]:
    table = {lat: tf for tf, lat in IRCAM.items() if tf not in "ⵁ"}
    table.update(_LATIN_EXTRA)
    if variant == "kab":
        table.update(KABYLE)
    if informal:
        table.update(_INFORMAL)
    keys = sorted(table, key=len, reverse=True)
    return table, re.compile("|".join(re.escape(k) for k in keys))


def _prepare_latin(token: str) -> str:
    # NFC joins decomposed letters (r + U+0323 -> ṛ); Tifinagh has no case.
    return unicodedata.normalize("NFC", token).lower()


def _is_informal(token: str, variant: str) -> bool:
    if any(ch in _IRCAM_ONLY for ch in token):
        return False
    if any(ch in token for ch in "37"):
        return True
    # Kabyle has one standard Latin orthography, where "sh" is s + h (yeshel): only chat
    # spellings with digits count as informal there.
    return variant != "kab" and any(d in token for d in ("gh", "kh", "ch", "sh"))


def _latin_token_to_tifinagh(token: str, variant: str, scheme: Scheme) -> str:
    token = _prepare_latin(token)
    informal = scheme == "informal" or (scheme == "auto" and _is_informal(token, variant))
    table, pattern = _latin_table(variant, informal)
    # Digits stay digits unless they are informal letters (3, 7) inside a word.
    if informal and token.isdigit():
        table, pattern = _latin_table(variant, False)
    return pattern.sub(lambda m: table[m.group()], token)


def latin_to_tifinagh(text: str, *, scheme: Scheme = "auto", variant: Variant = "ircam") -> str:
    """Write Tamazight Latin text in Tifinagh; tokens in other scripts pass through unchanged.

    Args:
        text: any text; only Latin-script tokens are converted.
        scheme: ``"ircam"`` (strict: lossless on IRCAM text), ``"informal"``
            (gh ch sh kh 3 7), or ``"auto"`` (informal per token when it looks informal).
        variant: ``"ircam"`` or ``"kab"`` (Kabyle letters ⵞ ⴵ ⵁ).
    """
    return re.sub(
        r"\S+",
        lambda m: (
            _latin_token_to_tifinagh(m.group(), variant, scheme)
            if token_script(m.group()) in (LATN, "Grek", "Cyrl")
            else m.group()
        ),
        text,
    )


def tifinagh_to_latin(text: str, *, variant: Variant = "ircam") -> str:
    """Write Tifinagh text in IRCAM Latin (Kabyle Latin for ``variant="kab"``).

    Characters outside the table (punctuation, digits, other scripts, the separator
    U+2D70 and the joiner U+2D7F) pass through unchanged.
    """
    del variant  # both Latin orthographies read the same from Tifinagh (ⵁ ⵞ ⴵ included)
    return "".join(IRCAM.get(ch, ch) for ch in text)


def is_tifinagh(text: str) -> bool:
    """True when most letters of ``text`` are Tifinagh."""
    return token_script(text) == TFNG
