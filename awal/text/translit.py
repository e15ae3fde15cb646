"""One entry point for transliteration: ``(language, target script)`` -> a function.

Darija: Arabizi <-> Arabic script (:mod:`awal.text.arabizi`). Tamazight and Kabyle:
Tifinagh <-> Latin (:mod:`awal.text.tifinagh`). The source script is found per token;
tokens already in the target script, or in a script the conversion does not read, pass
through unchanged.

>>> transliterate("ⴰⵣⵓⵍ", "zgh", "latn")
'azul'
>>> transliterate("salam 3likom", "ary", "arab")
'سالام عليكوم'
"""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Sequence

from awal.errors import InputError
from awal.languages import get_language, normalize_script

__all__ = ["UnsupportedConversionError", "converter", "transliterate", "transliterator"]


class UnsupportedConversionError(InputError):
    """A target script the language is not transliterated into."""


def transliterator(
    lang: str,
    to: str,
    *,
    scheme: str = "auto",
    lexicon: Sequence[str | Path] | None = None,
) -> Callable[[str], str]:
    """A function that writes text of ``lang`` in script ``to`` (``arab``/``latn``/``tfng``).

    Args:
        scheme: Tamazight Latin input reading (``auto``, ``ircam``, ``informal``).
        lexicon: Darija lexicon files (TSV or DODa CSV) that override the rules.

    Raises:
        UnknownLanguageError, UnknownScriptError, UnsupportedConversionError.
    """
    language = get_language(lang)
    target = normalize_script(to)
    if language.family == "ary":
        from awal.text.arabizi import arabic_to_arabizi, arabizi_to_arabic, load_lexicon

        lex = load_lexicon(*lexicon) if lexicon else None
        if target == "Arab":
            return partial(arabizi_to_arabic, lexicon=lex)
        if target == "Latn":
            return partial(arabic_to_arabizi, lexicon=lex)
        supported = "arab, latn"
    else:
        from awal.text.tifinagh import latin_to_tifinagh, tifinagh_to_latin

        variant = "kab" if language.family == "kab" else "ircam"
        if target == "Tfng":
            return partial(latin_to_tifinagh, scheme=scheme, variant=variant)  # type: ignore[arg-type]
        if target == "Latn":
            return partial(tifinagh_to_latin, variant=variant)  # type: ignore[arg-type]
        supported = "latn, tfng"
    raise UnsupportedConversionError(
        f"{language.code}: transliteration to {target.lower()} is not supported; supported: {supported}"
    )


@lru_cache(maxsize=None)
def converter(lang: str, to: str) -> Callable[[str], str] | None:
    """The default :func:`transliterator` of ``lang`` into ``to``, or ``None`` when the language is not
    transliterated into that script (Darija into Tifinagh). Cached: one function per pair."""
    try:
        return transliterator(lang, to)
    except UnsupportedConversionError:
        return None


def transliterate(text: str, lang: str, to: str, **options) -> str:
    """Write ``text`` of language ``lang`` in script ``to`` (see :func:`transliterator`)."""
    return transliterator(lang, to, **options)(text)
