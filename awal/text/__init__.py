"""Text for Darija and Tamazight: normalization profiles, transliteration, numbers in
words, script detection. Pure functions of strings; nothing here does I/O but reading a
lexicon file when asked.

>>> from awal.text import normalize, transliterate
>>> transliterate("ⴰⵣⵓⵍ", "zgh", "latn")
'azul'
"""

from awal.text.normalize import PROFILES, normalize
from awal.text.numbers import decimal_to_words, number_to_words
from awal.text.scripts import token_script, tokens
from awal.text.translit import transliterate, transliterator

__all__ = [
    "PROFILES",
    "decimal_to_words",
    "normalize",
    "number_to_words",
    "token_script",
    "tokens",
    "transliterate",
    "transliterator",
]
