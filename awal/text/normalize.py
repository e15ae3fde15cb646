"""Text normalization profiles: ``display``, ``scoring``, ``scoring-leaderboard``, ``tts``.

Every profile is a pure function of ``(text, language)`` built from small steps, each
documented with an example in docs/languages.md. Tamazight is NFC-normalized only:
NFKC would fold the labialization mark ⵯ U+2D6F into ⵡ U+2D61 and ``ʷ`` into ``w``.

* ``display``: what a person should see. NFC, Arabic presentation forms to letters,
  invisible format characters removed, Kabyle look-alikes repaired (Greek ε γ, ğ ţ,
  Cyrillic Ԑ), whitespace collapsed. Punctuation and case kept.
* ``scoring``: for WER/CER. ``display``, then punctuation to spaces, Latin lowercased
  (not Arabizi: its capitals are emphatics), Arabic harakat and tatweel removed, the
  hamza seats, ة ى and the variants of ڭ unified, Eastern digits to Western. The Darija
  letters پ ڤ ڭ are kept.
* ``scoring-leaderboard``: the Open Universal Arabic ASR Leaderboard's
  ``normalize_arabic_text`` step for step (it maps پ to ب and ڤ to ف).
* ``tts``: ``display``, Eastern digits to Western, tatweel removed, then numbers, times, dates, currency, phone numbers,
  percentages, units, abbreviations and symbols spelled out in the text's script.

>>> normalize("ⴰⴳⵯⵔⵔⴰⵡ!", "zgh", "scoring")
'ⴰⴳⵯⵔⵔⴰⵡ'
>>> normalize("Aɣṛum  d  γef", "kab", "scoring")
'aɣṛum d ɣef'
>>> normalize("الصَّحَّة، مزيان؟", "ary", "scoring")
'الصحه مزيان'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Literal, Mapping

from awal.errors import InputError
from awal.languages import Language, get_language

__all__ = ["PROFILES", "Profile", "UnknownProfileError", "normalize", "without_accents"]

Profile = Literal["display", "scoring", "scoring-leaderboard", "tts"]

#: The profile names, in the order the CLI lists them.
PROFILES: tuple[str, ...] = ("scoring", "scoring-leaderboard", "tts", "display")


class UnknownProfileError(InputError):
    """A profile name that is not one of :data:`PROFILES`."""


# --- display steps -------------------------------------------------------------------------

# Invisible format characters: zero-width space/joiners, direction marks and embeddings,
# isolates, the BOM, the soft hyphen. None carries meaning in these languages' text.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]")
_SPACES = re.compile(r"\s+")

#: Look-alikes of Kabyle (and Tamazight Latin) letters seen in real text, and their repair.
LOOKALIKES: Mapping[str, str] = {
    "ε": "ɛ", "Ε": "Ɛ",  # Greek epsilon U+03B5 / U+0395
    "ԑ": "ɛ", "Ԑ": "Ɛ",  # Cyrillic reversed ze U+0511 / U+0510
    "γ": "ɣ", "Γ": "Ɣ",  # Greek gamma U+03B3 / U+0393
    "ğ": "ǧ", "Ğ": "Ǧ",  # g with breve U+011F -> g with caron U+01E7
    "ţ": "ṭ", "Ţ": "Ṭ",  # t with cedilla U+0163 -> t with dot below U+1E6D
}  # fmt: skip
_LOOKALIKE_TABLE = str.maketrans(dict(LOOKALIKES))


def nfc(text: str) -> str:
    """Unicode NFC (composes r + U+0323 into ṛ; leaves ⵯ and ʷ alone)."""
    return unicodedata.normalize("NFC", text)


def presentation_forms(text: str) -> str:
    """Arabic presentation forms (U+FB50-FDFF, U+FE70-FEFE) to the letters they show."""
    return _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def remove_invisible(text: str) -> str:
    """Remove zero-width characters, direction marks, the BOM and soft hyphens."""
    return _INVISIBLE.sub("", text)


def repair_lookalikes(text: str) -> str:
    """Greek/Cyrillic/Turkish look-alikes -> the Kabyle/Tamazight Latin letters (ε -> ɛ)."""
    return text.translate(_LOOKALIKE_TABLE)


def collapse_spaces(text: str) -> str:
    """Every run of whitespace (NBSP and tabs included) -> one space; strip the ends."""
    return _SPACES.sub(" ", text).strip()


def display(text: str, language: Language) -> str:
    text = presentation_forms(nfc(remove_invisible(text)))
    if language.family in ("zgh", "kab"):
        text = repair_lookalikes(text)
    return collapse_spaces(text)


# --- scoring steps -------------------------------------------------------------------------

_HARAKAT = re.compile("[\u064b-\u0652\u0670]")  # tanwin, fatha..sukun, superscript alef
_TATWEEL = "\u0640"
_TIFINAGH_JOINER = "\u2d7f"
_ARABIC_FOLD = str.maketrans(
    {
        "آ": "ا", "أ": "ا", "إ": "ا", "ٱ": "ا",  # hamza/madda seats and wasla on alif
        "ؤ": "و", "ئ": "ي", "ء": None,  # hamza on waw/ya to the letter; lone hamza dropped
        "ى": "ي", "ة": "ه",  # alif maqsura, ta marbuta (spelled both ways in Darija)
        "ݣ": "ڭ", "گ": "ڭ",  # the three spellings of Darija /g/
        "ک": "ك", "ی": "ي",  # Persian kaf and ya
        _TATWEEL: None,
    }
)  # fmt: skip
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def strip_harakat(text: str) -> str:
    """Remove Arabic short-vowel marks, tanwin, shadda, sukun and superscript alef."""
    return _HARAKAT.sub("", text)


def fold_arabic(text: str) -> str:
    """Unify letters Darija spells several ways: أ إ آ ٱ -> ا, ؤ -> و, ئ ى -> ي, ة -> ه, ء and
    tatweel removed, ݣ گ -> ڭ. پ ڤ ڭ stay: they are /p/ /v/ /g/."""
    return text.translate(_ARABIC_FOLD)


def western_digits(text: str) -> str:
    """Eastern Arabic and Persian digits -> 0-9."""
    return text.translate(_DIGITS)


def punctuation_to_space(text: str) -> str:
    """Every punctuation character (Unicode category P*) -> a space.

    Hyphens and apostrophes included: Kabyle ``yenna-d`` and ``w'iṛwan`` score as two
    words on both sides of the comparison.
    """
    return "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)


def lowercase_latin(text: str, language: Language) -> str:
    """Lowercase, except Arabizi (Darija in Latin), whose capitals T S D Z H are emphatics."""
    return text if language.family == "ary" else text.lower()


def scoring(text: str, language: Language) -> str:
    text = display(text, language)
    text = punctuation_to_space(text)
    text = lowercase_latin(text, language)
    text = fold_arabic(strip_harakat(text))
    text = western_digits(text).replace(_TIFINAGH_JOINER, "")
    # NFC again: a removed letter may leave a combining mark next to a new base letter.
    return collapse_spaces(nfc(text))


# --- the leaderboard's normalizer, step for step -------------------------------------------

_LB_PUNCT = re.compile(r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~،؛؟]")
_LB_DIACRITICS = re.compile("[\u064b-\u0652]")
_LB_WAW = re.compile(r"(^|\s)و\s+")


def scoring_leaderboard(text: str, language: Language) -> str:
    """The Open Universal Arabic ASR Leaderboard's ``normalize_arabic_text`` (eval.py at
    commit 8fce859), in its order: ASCII punctuation and ، ؛ ؟ deleted; harakat
    U+064B-U+0652 deleted; پ -> ب, ڤ -> ف; آ أ إ -> ا; ؤ -> و; ئ -> ي; ء deleted;
    Eastern digits -> Western; a lone و joined to the next word; whitespace collapsed.
    Nothing else: no NFC, no case change, ة ى and tatweel untouched."""
    del language  # the leaderboard normalizes every language the same way
    text = _LB_PUNCT.sub("", text)
    text = _LB_DIACRITICS.sub("", text)
    text = text.replace("پ", "ب").replace("ڤ", "ف")
    text = text.replace("آ", "ا")
    text = re.sub("[أإ]", "ا", text)
    text = text.replace("ؤ", "و").replace("ئ", "ي").replace("ء", "")
    text = text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
    text = _LB_WAW.sub(r"\1و", text)
    return _SPACES.sub(" ", text).strip()


# --- tts -----------------------------------------------------------------------------------


def tts(text: str, language: Language) -> str:
    from awal.text.verbalize import verbalize

    text = western_digits(display(text, language)).replace(_TATWEEL, "")
    # NFC again: a spelled-out number may now carry a combining mark that followed a digit.
    return collapse_spaces(nfc(verbalize(text, language)))


_PROFILES: Mapping[str, Callable[[str, Language], str]] = {
    "display": display,
    "scoring": scoring,
    "scoring-leaderboard": scoring_leaderboard,
    "tts": tts,
}


def normalize(text: str, lang: str | Language, profile: Profile | str = "scoring") -> str:
    """Normalize ``text`` of language ``lang`` with a profile (see the module docs).

    Raises:
        UnknownLanguageError: ``lang`` is not registered.
        UnknownProfileError: ``profile`` is not one of :data:`PROFILES`.
    """
    language = get_language(lang)
    try:
        step = _PROFILES[profile]
    except KeyError:
        raise UnknownProfileError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}") from None
    return step(text, language)


def without_accents(text: str) -> str:
    """``text`` with every combining mark dropped after canonical decomposition (``é`` -> ``e``,
    ``ô`` -> ``o``; Arabic harakat and shadda too: for Latin text)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
