"""Numbers to words: Darija (Arabic script and Arabizi), Tamazight (Latin and Tifinagh), Kabyle.

Readings: ``cardinal`` (0 to 999,999,999,999), ``digits`` (one word per digit, for
phone numbers and codes), ``year`` (the cardinal: Darija and Tamazight read years as
plain numbers, 1999 = "alf o ts3 myya o ts3oud o ts3in"), and decimals through
:func:`decimal_to_words`.

Sources (see docs/languages.md for the whole tables and the open questions):

* Darija: the Darija Open Dataset's ``semantic_categories/numbers.csv`` (the spelling
  of every word from 0 to 99, ``myya``, ``alf``, ``alaf``, ``mlyon``, ``mlyar``, the
  conjunction ``o``/``و``); hundreds (``mitin``, ``tlt myya``), ``alfayn`` and
  ``jouj mlayn`` from the Peace Corps *Moroccan Arabic* textbook (2011). Units come
  before tens, every part joined with ``o`` (``wahd o 3chrin``).
* Tamazight: IRCAM-style numerals (amya, yan, sin, kraḍ, kkuẓ, smmus, sḍis, sa, tam,
  tẓa, mraw; ``yan d mraw`` = 11, ``sin id mraw`` = 20, timiḍi = 100, ifḍ = 1000,
  amlyun = 10^6). Sources disagree above 20; awal follows the "id mraw" system and
  records the choice (docs/languages.md).
* Kabyle: Berber numerals 1-10, Arabic loans from 11 (``ḥdac``, ``ɛecrin``,
  ``meyya``, ``alef``), as Kabyle speakers count.

>>> number_to_words(21, "ary")
'واحد و عشرين'
>>> number_to_words(1999, "ary", script="Latn")
'alf o ts3 myya o ts3oud o ts3in'
>>> number_to_words(23, "zgh", script="Latn")
'sin id mraw d kraḍ'
>>> number_to_words(212, "ary", reading="digits", script="Latn")
'jouj wahd jouj'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from awal.languages import get_language, normalize_script

__all__ = ["MAX_NUMBER", "NumberWords", "Reading", "and_word", "decimal_to_words", "number_to_words"]

Reading = Literal["cardinal", "digits", "year"]

#: The largest number :func:`number_to_words` reads (just under a trillion).
MAX_NUMBER = 999_999_999_999


@dataclass(frozen=True)
class NumberWords:
    """The words one language uses to read numbers in one script.

    ``units[n]`` is n on its own (0-10); ``compound_units[n]`` is n before ``and`` and a
    ten (Darija ``tnayn o 3chrin``, not ``jouj``); ``teens[n-11]`` 11-19; ``tens[n]``
    n*10 for n in 2-9. ``hundreds[n]`` n*100 (1-9), ``thousands`` and the rest are
    read by :func:`_cardinal` with the scale rules of each language.
    """

    units: Sequence[str]
    compound_units: Sequence[str]
    teens: Sequence[str]
    tens: Mapping[int, str]
    hundreds: Sequence[str]  # index 1..9
    thousand: str  # 1000
    two_thousand: str  # 2000
    thousands_few: str  # the plural used after 3-10
    million: str
    two_million: str
    millions_few: str
    billion: str
    two_billion: str
    billions_few: str
    conj: str  # "and" between the parts
    unit_first: bool  # Darija/Kabyle: "wahd o 3chrin"; Tamazight: "sin id mraw d yan"
    point: str  # the decimal separator word
    #: the count words before the plural of a scale for 3-10 (Darija "tlt alaf");
    #: empty: the count is the ordinary cardinal ("kraḍ id ifḍ").
    few: Mapping[int, str] = field(default_factory=dict)


_ARY_LATN = NumberWords(
    units=("sifr", "wahd", "jouj", "tlata", "rb3a", "khmsa", "stta", "sb3a", "tmnya", "ts3oud", "3chra"),
    compound_units=("", "wahd", "tnayn", "tlata", "rb3a", "khmsa", "stta", "sb3a", "tmnya", "ts3oud"),
    teens=("7Dach", "Tnach", "TlTTach", "rb3Tach", "khmsTach", "sTTach", "sb3Tach", "tmnTach", "ts3Tach"),
    tens={2: "3chrin", 3: "tlatin", 4: "rb3in", 5: "khmsin", 6: "stin", 7: "sb3in", 8: "tmanin", 9: "ts3in"},
    hundreds=("", "myya", "mitin", "tlt myya", "rb3 myya", "khms myya", "stt myya", "sb3 myya", "tmn myya",
              "ts3 myya"),
    thousand="alf", two_thousand="alfayn", thousands_few="alaf",
    million="mlyon", two_million="jouj mlayn", millions_few="mlayn",
    billion="mlyar", two_billion="jouj mlayr", billions_few="mlayr",
    conj="o", unit_first=True, point="fasila",
    few={3: "tlt", 4: "rb3", 5: "khms", 6: "stt", 7: "sb3", 8: "tmn", 9: "ts3", 10: "3chr"},
)  # fmt: skip

_ARY_ARAB = NumberWords(
    units=("صفر", "واحد", "جوج", "تلاتة", "ربعة", "خمسة", "ستّة", "سبعة", "تمنية", "تسعود", "عشرة"),
    compound_units=("", "واحد", "تناين", "تلاتة", "ربعة", "خمسة", "ستّة", "سبعة", "تمنية", "تسعود"),
    teens=("حضاش", "طناش", "طلطّاش", "ربعطاش", "خمسطاش", "سطّاش", "سبعطاش", "تمنطاش", "تسعطاش"),
    tens={2: "عشرين", 3: "تلاتين", 4: "ربعين", 5: "خمسين", 6: "ستين", 7: "سبعين", 8: "تمانين", 9: "تسعين"},
    hundreds=("", "ميّة", "ميتين", "تلت ميّة", "ربع ميّة", "خمس ميّة", "ست ميّة", "سبع ميّة", "تمن ميّة",
              "تسع ميّة"),
    thousand="ألف", two_thousand="ألفين", thousands_few="آلاف",
    million="مليون", two_million="جوج ملايين", millions_few="ملايين",
    billion="مليار", two_billion="جوج ملايير", billions_few="ملايير",
    conj="و", unit_first=True, point="فاصلة",
    few={3: "تلت", 4: "ربع", 5: "خمس", 6: "ست", 7: "سبع", 8: "تمن", 9: "تسع", 10: "عشر"},
)  # fmt: skip

_ZGH_LATN = NumberWords(
    units=("amya", "yan", "sin", "kraḍ", "kkuẓ", "smmus", "sḍis", "sa", "tam", "tẓa", "mraw"),
    compound_units=("", "yan", "sin", "kraḍ", "kkuẓ", "smmus", "sḍis", "sa", "tam", "tẓa"),
    teens=("yan d mraw", "sin d mraw", "kraḍ d mraw", "kkuẓ d mraw", "smmus d mraw", "sḍis d mraw",
           "sa d mraw", "tam d mraw", "tẓa d mraw"),
    tens={2: "sin id mraw", 3: "kraḍ id mraw", 4: "kkuẓ id mraw", 5: "smmus id mraw", 6: "sḍis id mraw",
          7: "sa id mraw", 8: "tam id mraw", 9: "tẓa id mraw"},
    # timiḍi (100) is feminine: feminine numerals count it, plural tmaḍ.
    hundreds=("", "timiḍi", "snat tmaḍ", "kraḍt tmaḍ", "kkuẓt tmaḍ", "smmust tmaḍ", "sḍist tmaḍ", "sat tmaḍ",
              "tamt tmaḍ", "tẓat tmaḍ"),
    thousand="ifḍ", two_thousand="sin id ifḍ", thousands_few="id ifḍ",
    million="amlyun", two_million="sin id amlyun", millions_few="id amlyun",
    billion="amlyar", two_billion="sin id amlyar", billions_few="id amlyar",
    conj="d", unit_first=False, point="tafrayt",
)  # fmt: skip

_KAB_LATN = NumberWords(
    units=("ilem", "yiwen", "sin", "kraḍ", "kuẓ", "semmus", "sḍis", "sa", "tam", "tẓa", "mraw"),
    compound_units=("", "waḥed", "tnayen", "tlata", "rebɛa", "xemsa", "setta", "sebɛa", "tmanya", "tesɛa"),
    teens=("ḥdac", "ṭnac", "ṭlaṭac", "rbeɛṭac", "xemsṭac", "sṭac", "sbeɛṭac", "tmenṭac", "tseɛṭac"),
    tens={2: "ɛecrin", 3: "tlatin", 4: "rebɛin", 5: "xemsin", 6: "settin", 7: "sebɛin", 8: "tmanin", 9: "tesɛin"},
    hundreds=("", "meyya", "mitin", "tlata meyya", "rebɛa meyya", "xemsa meyya", "setta meyya", "sebɛa meyya",
              "tmanya meyya", "tesɛa meyya"),
    thousand="alef", two_thousand="alfayen", thousands_few="alaf",
    million="melyun", two_million="sin imelyunen", millions_few="imelyunen",
    billion="melyar", two_billion="sin imelyaren", billions_few="imelyaren",
    conj="u", unit_first=True, point="tafrayt",
    few={3: "tlata", 4: "rebɛa", 5: "xemsa", 6: "setta", 7: "sebɛa", 8: "tmanya", 9: "tesɛa", 10: "ɛecra"},
)  # fmt: skip


def _words_for(lang: str, script: str | None) -> tuple[NumberWords, bool]:
    """The word table for a language and script; the flag says "convert to Tifinagh"."""
    language = get_language(lang)
    script = normalize_script(script) if script else language.default_script
    if language.family == "ary":
        if script == "Arab":
            return _ARY_ARAB, False
        if script == "Latn":
            return _ARY_LATN, False
    elif language.family == "kab":
        if script in ("Latn", "Tfng"):
            return _KAB_LATN, script == "Tfng"
    elif language.is_tamazight:
        if script in ("Latn", "Tfng"):
            return _ZGH_LATN, script == "Tfng"
    raise ValueError(f"{language.code}: numbers are not spelled in script {script}")


def _join(words: NumberWords, parts: list[str]) -> str:
    return f" {words.conj} ".join(p for p in parts if p)


def _below_100(words: NumberWords, n: int) -> str:
    if n <= 10:
        return words.units[n]
    if n < 20:
        return words.teens[n - 11]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return words.tens[tens]
    if words.unit_first:
        return _join(words, [words.compound_units[unit], words.tens[tens]])
    return _join(words, [words.tens[tens], words.units[unit]])


def _below_1000(words: NumberWords, n: int) -> str:
    hundreds, rest = divmod(n, 100)
    return _join(words, [words.hundreds[hundreds] if hundreds else "", _below_100(words, rest) if rest else ""])


def _scale(words: NumberWords, count: int, one: str, two: str, few: str) -> str:
    """``count`` thousands/millions/billions (1 <= count <= 999)."""
    if count == 1:
        return one
    if count == 2:
        return two
    if not words.few:
        return f"{_below_1000(words, count)} {few}"
    if count <= 10:
        return f"{words.few[count]} {few}"
    return f"{_below_1000(words, count)} {one}"


def _cardinal(words: NumberWords, n: int) -> str:
    if n < 1000:
        return _below_1000(words, n) if n else words.units[0]
    parts = []
    for size, one, two, few in (
        (10**9, words.billion, words.two_billion, words.billions_few),
        (10**6, words.million, words.two_million, words.millions_few),
        (10**3, words.thousand, words.two_thousand, words.thousands_few),
    ):
        count, n = divmod(n, size)
        if count:
            parts.append(_scale(words, count, one, two, few))
    if n:
        parts.append(_below_1000(words, n))
    return _join(words, parts)


def number_to_words(n: int | str, lang: str, *, script: str | None = None, reading: Reading = "cardinal") -> str:
    """Read a whole number in words.

    Args:
        n: the number (an ``int`` or a string of digits; ``reading="digits"`` keeps
            leading zeros of a string: ``"0612"`` -> four words).
        lang: a registered language code.
        script: ``Arab``/``Latn``/``Tfng`` (any case); the language's default when None.
        reading: ``cardinal``, ``digits`` or ``year``.

    Raises:
        ValueError: negative, too large, not digits, or a script the language does not
            spell numbers in.
    """
    words, tifinagh = _words_for(lang, script)
    digits = str(n).strip()
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a whole number: {n!r}")
    if reading == "digits":
        text = " ".join(words.units[int(d)] for d in digits)
    elif reading in ("cardinal", "year"):
        value = int(digits)
        if value > MAX_NUMBER:
            raise ValueError(f"{value} is larger than {MAX_NUMBER:,}")
        text = _cardinal(words, value)
    else:
        raise ValueError(f"unknown reading {reading!r}; known: cardinal, digits, year")
    if tifinagh:
        from awal.text.tifinagh import latin_to_tifinagh

        text = latin_to_tifinagh(text, scheme="ircam", variant="kab" if lang == "kab" else "ircam")
    return text


def decimal_to_words(value: str, lang: str, *, script: str | None = None) -> str:
    """Read a decimal number such as ``"3.05"`` or ``"3,5"``.

    The whole part is a cardinal; the fraction is read as a cardinal after the
    separator word, each leading zero read as a zero (``3.05`` -> three point zero five).
    """
    text = value.strip().replace(",", ".")
    whole, sep, frac = text.partition(".")
    if not sep or not whole.isdigit() or not frac.isdigit():
        raise ValueError(f"not a decimal number: {value!r}")
    words, tifinagh = _words_for(lang, script)
    point = words.point
    if tifinagh:
        from awal.text.tifinagh import latin_to_tifinagh

        point = latin_to_tifinagh(point, scheme="ircam")
    zeros = len(frac) - len(frac.lstrip("0"))
    parts = [number_to_words(whole, lang, script=script), point]
    parts += [number_to_words(0, lang, script=script)] * zeros
    if frac.lstrip("0"):
        parts.append(number_to_words(frac.lstrip("0"), lang, script=script))
    return " ".join(parts)


def and_word(lang: str, *, script: str | None = None) -> str:
    """The word that joins the parts of a number ("o" / "و" in Darija, "d" in Tamazight)."""
    words, tifinagh = _words_for(lang, script)
    if tifinagh:
        from awal.text.tifinagh import latin_to_tifinagh

        return latin_to_tifinagh(words.conj, scheme="ircam")
    return words.conj
