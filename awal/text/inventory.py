"""Character inventories: which letters a language writes in each script.

Corpus preparation rejects text with characters outside the inventory (and says which),
and the TTS front-end maps exactly these letters to symbols. Digits, whitespace,
punctuation and symbols (Unicode categories N, Z, P, S) are not letters and are always
allowed; what the inventory decides is letters and marks.

>>> unknown_characters("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ!", "zgh", "Tfng")
()
>>> unknown_characters("Azul é", "kab", "Latn")
('é',)
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from awal.languages import get_language, normalize_script

__all__ = ["letters", "unknown_characters"]

_BASIC_LATIN = "abcdefghijklmnopqrstuvwxyz"

# Arabic letters U+0621-U+063A, U+0641-U+064A, the Darija extras (پ ڤ ڭ گ ݣ, and چ ژ
# of loanwords), Persian kaf/ya seen in Moroccan text, harakat, shadda, sukun,
# superscript alef and tatweel.
_ARABIC = (
    "".join(chr(c) for c in range(0x0621, 0x063B))
    + "".join(chr(c) for c in range(0x0641, 0x064B))
    + "پڤڭگݣچژکی"
    + "".join(chr(c) for c in range(0x064B, 0x0653))
    + "\u0670\u0640"
)
# IRCAM Tifinagh, the extended letters for loanwords, Kabyle usage, the labialization
# mark, the separator and the consonant joiner.
_TIFINAGH = "ⴰⴱⴳⴷⴹⴻⴼⴽⵀⵃⵄⵅⵇⵉⵊⵍⵎⵏⵓⵔⵕⵖⵙⵚⵛⵜⵟⵡⵢⵣⵥ" + "ⵒⵠ" + "ⵞⴵⵁ" + "\u2d6f\u2d70\u2d7f"
# IRCAM Latin and Kabyle Latin: the basic letters, the emphatics with dot below, ɛ ɣ,
# č ǧ, schwa, the spirant letters with line below of some Kabyle spelling, and ʷ.
_BERBER_LATIN = _BASIC_LATIN + "ḍḥṛṣṭẓɛɣčǧǝəḏṯḵɛʷ"
# Arabizi: basic Latin (capitals T S D Z H are letters of their own) and the digits used
# as letters are digits (always allowed). French letters appear in code-switched words.
_FRENCH = "àâäçéèêëîïôöùûüÿœæ"


@lru_cache(maxsize=None)
def letters(lang: str, script: str) -> frozenset[str]:
    """The letters (lowercase and uppercase) and marks ``lang`` writes in ``script``.

    Darija in Arabic script may carry French words in Latin (code-switching is how
    Darija is written), so its Arabic inventory includes Latin letters.
    """
    language = get_language(lang)
    script = normalize_script(script)
    chars: str
    if script == "Arab":
        chars = _ARABIC + (_BASIC_LATIN + _FRENCH if language.family == "ary" else "")
    elif script == "Tfng":
        chars = _TIFINAGH
    elif language.family == "ary":
        chars = _BASIC_LATIN + _FRENCH
    else:
        chars = _BERBER_LATIN + (_FRENCH if language.family == "kab" else "")
    return frozenset(chars) | frozenset(chars.upper())


def unknown_characters(text: str, lang: str, script: str) -> tuple[str, ...]:
    """The letters and marks of ``text`` outside the inventory, in order of appearance."""
    allowed = letters(lang, script)
    seen: dict[str, None] = {}
    for ch in unicodedata.normalize("NFC", text):
        if ch not in allowed and unicodedata.category(ch)[0] in "LM" and ch not in seen:
            seen[ch] = None
    return tuple(seen)
