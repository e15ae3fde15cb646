"""Spell out what a voice cannot read: numbers, times, dates, money, phone numbers, units,
abbreviations and symbols, in the language and the script of the text around them.

The script of the words follows the line: Darija in Arabic script gets Arabic-script
words, Arabizi gets Arabizi; Tamazight in Tifinagh gets Tifinagh, in Latin gets Latin.

>>> from awal.languages import get_language
>>> verbalize("ساعة 10:30", get_language("ary"))
'ساعة عشرة و نص'
>>> verbalize("3tini 50 DH", get_language("ary"))
'3tini khmsin drhm'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Mapping, Sequence

from awal.languages import Language
from awal.text.numbers import and_word, decimal_to_words, number_to_words
from awal.text.scripts import ARAB, COMMON, TFNG, token_script
from awal.text.tifinagh import latin_to_tifinagh

__all__ = ["Vocabulary", "verbalize"]


@dataclass(frozen=True)
class Vocabulary:
    """The words verbalization needs in one language and script."""

    months: Sequence[str]  # January..December
    quarter: str  # hh:15
    third: str  # hh:20
    half: str  # hh:30
    less: str  # "minus", for hh:40 / hh:45 read from the next hour
    minutes: str
    currencies: Mapping[str, str]  # canonical code -> word
    cents: str
    percent: str  # "per hundred"
    plus: str
    symbols: Mapping[str, str]
    units: Mapping[str, str]
    abbreviations: Mapping[str, str]


_CURRENCY_CODES = {
    "dh": "MAD", "dhs": "MAD", "mad": "MAD", "درهم": "MAD", "دراهم": "MAD", "د.م": "MAD", "د.م.": "MAD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "اورو": "EUR", "أورو": "EUR",
    "$": "USD", "usd": "USD", "دولار": "USD",
}  # fmt: skip

_ARY_ARAB = Vocabulary(
    months=("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"),
    quarter="ربع", third="تلت", half="نص", less="قل", minutes="دقيقة",
    currencies={"MAD": "درهم", "EUR": "أورو", "USD": "دولار"}, cents="سنتيم",
    percent="فالمية", plus="زايد",
    symbols={"&": "و", "+": "زايد", "=": "يساوي", "@": "أروباز", "°": "درجة", "×": "ضرب"},
    units={"km": "كيلومتر", "kg": "كيلو", "g": "ڭرام", "cm": "سنتيمتر", "mm": "ميليمتر", "m": "ميترو",
           "l": "ليترو", "h": "ساعة", "min": "دقيقة", "km/h": "كيلومتر فالساعة"},
    abbreviations={"Dr": "دكتور", "Pr": "بروفيسور", "M.": "مسيو", "Mme": "مدام", "N°": "نيميرو", "n°": "نيميرو",
                   "Tel": "تيليفون", "Tél": "تيليفون", "tel": "تيليفون", "د.": "دكتور", "ص.ب": "صندوق البريد"},
)  # fmt: skip

_ARY_LATN = Vocabulary(
    months=("yanayir", "fibrayr", "mars", "abril", "may", "yonyo", "yolyoz", "ghocht", "chotanbir", "oktoubr",
            "nowanbir", "dojanbir"),
    quarter="rb3", third="tolot", half="nss", less="9l", minutes="d9i9a",
    currencies={"MAD": "drhm", "EUR": "euro", "USD": "dollar"}, cents="santim",
    percent="f lmya", plus="zayd",
    symbols={"&": "o", "+": "zayd", "=": "ysawi", "@": "arobaz", "°": "daraja", "×": "Drb"},
    units={"km": "kilometr", "kg": "kilo", "g": "gram", "cm": "santimetr", "mm": "milimetr", "m": "mitro",
           "l": "litro", "h": "sa3a", "min": "d9i9a", "km/h": "kilometr f sa3a"},
    abbreviations={"Dr": "doktor", "Pr": "profisor", "M.": "msyo", "Mme": "madam", "N°": "nimiro", "n°": "nimiro",
                   "Tel": "tilifon", "Tél": "tilifon", "tel": "tilifon"},
)  # fmt: skip

# Tamazight (Latin; Tifinagh is derived from it): the Gregorian month names used in
# Morocco's official Tamazight, tasragt = hour, tusdidt = minute.
_ZGH_LATN = Vocabulary(
    months=("innayr", "bṛayṛ", "maṛṣ", "ibrir", "mayyu", "yunyu", "yulyuz", "ɣuct", "cutanbir", "ktubr",
            "nuwanbir", "dujanbir"),
    quarter="rbeɛ", third="tulut", half="azgen", less="ɣas", minutes="tusdidin",
    currencies={"MAD": "dirham", "EUR": "uru", "USD": "dular"}, cents="santim",
    percent="g timiḍi", plus="d",
    symbols={"&": "d", "+": "d", "=": "ignu", "@": "arubaz", "°": "tafesna", "×": "s"},
    units={"km": "kilumitr", "kg": "kilugram", "g": "gram", "cm": "santimitr", "mm": "milimitr", "m": "mitr",
           "l": "litr", "h": "tasragt", "min": "tusdidt", "km/h": "kilumitr g tasragt"},
    abbreviations={"Dr": "dduktur", "N°": "uṭṭun", "n°": "uṭṭun"},
)  # fmt: skip

_KAB_LATN = Vocabulary(
    months=("yennayer", "fuṛar", "meɣres", "yebrir", "mayyu", "yunyu", "yulyu", "ɣuct", "ctembeṛ", "tubeṛ",
            "nunembeṛ", "duǧembeṛ"),
    quarter="rrbeɛ", third="tulut", half="azgen", less="ɣas", minutes="tisdidin",
    currencies={"MAD": "dirham", "EUR": "uru", "USD": "dular"}, cents="santim",
    percent="deg meyya", plus="d",
    symbols={"&": "d", "+": "d", "=": "yegda", "@": "arubaz", "°": "tafesna", "×": "s"},
    units={"km": "kilumitr", "kg": "kilu", "g": "gram", "cm": "santimitr", "mm": "milimitr", "m": "mitr",
           "l": "litr", "h": "asrag", "min": "tasdidt", "km/h": "kilumitr deg usrag"},
    abbreviations={"Dr": "ddektur", "N°": "uṭṭun", "n°": "uṭṭun"},
)  # fmt: skip


def _tifinagh_vocabulary(vocab: Vocabulary, variant: str) -> Vocabulary:
    """The Latin vocabulary of a Tamazight language, written in Tifinagh."""

    def tf(word: str) -> str:
        return latin_to_tifinagh(word, scheme="ircam", variant=variant)  # type: ignore[arg-type]

    def tf_values(table: Mapping[str, str]) -> dict[str, str]:
        return {key: tf(word) for key, word in table.items()}

    return replace(
        vocab,
        months=tuple(tf(m) for m in vocab.months),
        quarter=tf(vocab.quarter), third=tf(vocab.third), half=tf(vocab.half), less=tf(vocab.less),
        minutes=tf(vocab.minutes), currencies=tf_values(vocab.currencies), cents=tf(vocab.cents),
        percent=tf(vocab.percent), plus=tf(vocab.plus), symbols=tf_values(vocab.symbols),
        units=tf_values(vocab.units), abbreviations=tf_values(vocab.abbreviations),
    )  # fmt: skip


@dataclass(frozen=True)
class _Resources:
    """Everything one (language family, script of the text) needs, built once."""

    vocab: Vocabulary
    script: str  # the script numbers are spelled in
    words: re.Pattern[str]  # abbreviations and symbols
    replacements: Mapping[str, str]


@lru_cache(maxsize=None)
def _resources(family: str, script: str) -> _Resources:
    if family == "ary":
        vocab, num_script = (_ARY_ARAB, ARAB) if script == ARAB else (_ARY_LATN, "Latn")
    else:
        vocab = _KAB_LATN if family == "kab" else _ZGH_LATN
        num_script = TFNG if script == TFNG else "Latn"
        if num_script == TFNG:
            vocab = _tifinagh_vocabulary(vocab, "kab" if family == "kab" else "ircam")
    replacements = {abbr: word for abbr, word in vocab.abbreviations.items()}
    replacements.update({symbol: f" {word} " for symbol, word in vocab.symbols.items()})
    abbreviations = "|".join(re.escape(a) for a in sorted(vocab.abbreviations, key=len, reverse=True))
    symbols = "|".join(re.escape(sym) for sym in vocab.symbols)
    words = re.compile(rf"(?<!\w)(?:{abbreviations})(?!\w)|{symbols}")
    return _Resources(vocab, num_script, words, replacements)


# --- one pass over the text: the first alternative that matches at a position wins --------

# A number starts where no Latin letter or digit precedes it and ends where none follows:
# Arabizi digits inside words (3lach, t9der) are letters. Arabic and Tifinagh letters may
# touch a number (ب50 درهم).
_L = r"(?<![^\W_\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\u2d30-\u2d7f])"
_R = r"(?![^\W_\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\u2d30-\u2d7f])"
_AMOUNT = r"[0-9]{1,3}(?:[ \u00a0\u202f.][0-9]{3})+(?:,[0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,2})?"
_CURRENCY_AFTER = r"[€$]|(?i:dhs?|mad|eur|usd|euros?)|درهم|دراهم|د\.م\.?|أورو|اورو|دولار"
_UNITS = r"km/h|km|kg|cm|mm|min"
_ONE_LETTER_UNITS = r"|[gmlh]"


@lru_cache(maxsize=None)
def _pattern(arabizi: bool) -> re.Pattern[str]:
    """The verbalizer's pattern. In Arabizi a digit and a letter make a word (``9l`` is
    "less"), so one-letter units (g m l h) are only read in other scripts."""
    units = _UNITS if arabizi else _UNITS + _ONE_LETTER_UNITS
    return re.compile(
        rf"""{_L}(?:
      (?P<phone>(?:\+212|00212|0)[\s.-]?[5-8](?:[\s.-]?[0-9]){{8}})
    | (?P<date>(?P<day>0?[1-9]|[12][0-9]|3[01])(?P<sep>[/.-])(?P<month>0?[1-9]|1[0-2])(?P=sep)(?P<year>[0-9]{{4}}))
    | (?P<time>(?P<hour>[01]?[0-9]|2[0-3])\s?[:hH]\s?(?P<minute>[0-5][0-9]))(?![:[0-9]])
    | (?P<cur_pre>[€$])\s?(?P<amount_pre>{_AMOUNT})
    | (?P<amount>{_AMOUNT})\s?(?P<cur>{_CURRENCY_AFTER})
    | (?P<percent>[0-9]+(?:[.,][0-9]+)?)\s?[%٪]
    | (?P<measure>[0-9]+(?:[.,][0-9]+)?)\s?(?P<unit>{units})
    | (?P<grouped>[0-9]{{1,3}}(?:[ \u00a0\u202f.][0-9]{{3}})+)(?![.,]?[0-9])
    | (?P<decimal>[0-9]+[.,][0-9]+)
    | (?P<integer>[0-9]+)
    ){_R}""",
        re.VERBOSE,
    )


def _amount_digits(amount: str) -> tuple[str, str]:
    """``"1 250,50"`` -> ``("1250", "50")``: spaces and dots before 3 digits group thousands."""
    whole, _, cents = amount.rpartition(",") if "," in amount else (amount, "", "")
    if not re.fullmatch(r"[0-9]{1,3}(?:[ \u00a0\u202f.][0-9]{3})+", whole):
        whole, _, dot_cents = whole.partition(".")
        cents = cents or dot_cents
    return re.sub(r"[^0-9]", "", whole), cents


def verbalize(text: str, language: Language) -> str:
    """Spell out numbers and symbols in ``text`` (see the module docs). Pure; idempotent."""
    script = token_script(text)
    res = _resources(language.family, script if script != COMMON else language.default_script)
    vocab, num_script = res.vocab, res.script
    code = language.code
    conj = and_word(code, script=num_script)

    def words(n: int | str, reading: str = "cardinal") -> str:
        return number_to_words(n, code, script=num_script, reading=reading)  # type: ignore[arg-type]

    def number(value: str) -> str:
        if value.isdigit():
            return _integer(value, words)
        return decimal_to_words(value, code, script=num_script)

    def money(amount: str, symbol: str) -> str:
        whole, cents = _amount_digits(amount)
        parts = [words(whole), vocab.currencies[_CURRENCY_CODES[symbol.lower()]]]
        if cents and int(cents):
            parts += [conj, words(int(cents.ljust(2, "0"))), vocab.cents]
        return " ".join(parts)

    def time(hour: int, minute: int) -> str:
        if minute == 0:
            return words(hour)
        if minute in (15, 20, 30):
            part = {15: vocab.quarter, 20: vocab.third, 30: vocab.half}[minute]
            return f"{words(hour)} {conj} {part}"
        if minute in (40, 45):
            part = {40: vocab.third, 45: vocab.quarter}[minute]
            return f"{words((hour + 1) % 24)} {vocab.less} {part}"
        return f"{words(hour)} {conj} {words(minute)} {vocab.minutes}"

    def one(m: re.Match[str]) -> str:
        g = m.group
        if g("phone"):
            digits = words(re.sub(r"[^0-9]", "", g("phone")), "digits")
            return f"{vocab.plus} {digits}" if g("phone").startswith("+") else digits
        if g("date"):
            return f"{words(int(g('day')))} {vocab.months[int(g('month')) - 1]} {words(g('year'), 'year')}"
        if g("time"):
            return time(int(g("hour")), int(g("minute")))
        if g("amount_pre"):
            return money(g("amount_pre"), g("cur_pre"))
        if g("amount"):
            return money(g("amount"), g("cur"))
        if g("percent"):
            return f"{number(g('percent'))} {vocab.percent}"
        if g("measure"):
            return f"{number(g('measure'))} {vocab.units[g('unit')]}"
        if g("grouped"):
            return words(re.sub(r"[^0-9]", "", g("grouped")))
        return number(g("decimal") or g("integer"))

    arabizi = language.family == "ary" and num_script != ARAB
    text = _pattern(arabizi).sub(one, text)
    return res.words.sub(lambda m: res.replacements[m.group()], text)


def _integer(digits: str, words) -> str:
    """A bare integer: a cardinal, or digit by digit when it starts with 0 or is too long."""
    if (digits.startswith("0") and len(digits) > 1) or len(digits) > 12:
        return words(digits, "digits")
    return words(digits)
