"""The language registry: every language awal knows, and the facts code needs about it.

A :class:`Language` says which scripts a language is written in (ISO 15924 codes),
which one awal writes by default, which Unicode normalization form its text keeps,
which Whisper language token a model uses for it (Whisper has no Darija or Tamazight
token: fine-tuned models reuse an existing one, and the choice is recorded with the
exported model), and the symbol sets its voices read.

>>> get_language("ary").whisper_token
'ar'
>>> get_language("xx")
Traceback (most recent call last):
...
awal.languages.UnknownLanguageError: unknown language code 'xx'; known: ary, kab, rif, shi, tzm, zgh
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from awal.errors import InputError

__all__ = [
    "SCRIPTS",
    "Language",
    "UnknownLanguageError",
    "UnknownScriptError",
    "get_language",
    "languages",
    "normalize_script",
]

#: ISO 15924 codes of the scripts awal handles, with their names.
SCRIPTS: Mapping[str, str] = {
    "Arab": "Arabic",
    "Latn": "Latin",
    "Tfng": "Tifinagh",
}


class UnknownLanguageError(InputError):
    """A language code that is not in the registry. The message lists the known codes."""


class UnknownScriptError(InputError):
    """A script name that is not one of :data:`SCRIPTS` (case-insensitive)."""


@dataclass(frozen=True)
class Language:
    """One language (or variety) in the registry.

    Attributes:
        code: ISO 639-3 code (``ary``, ``zgh``, ...).
        name: English name.
        native_name: the name in the language itself, in its default script.
        scripts: ISO 15924 codes of the scripts in use, most common first.
        default_script: the script awal writes (training text, model output).
        whisper_token: the Whisper language token (``ar``, ...) a model fine-tuned by awal
            uses for this language. Exported models store their own mapping; this is the
            default for new training runs.
        unicode_form: ``"NFC"`` or ``"NFKC"``. Tamazight must never be NFKC-normalized
            (NFKC folds the labialization mark U+2D6F into U+2D61 and ``ʷ`` into ``w``).
        family: the language this variety belongs to for text processing
            (``shi``/``tzm``/``rif`` share ``zgh``'s orthography).
        tts_symbols: symbol sets the voices of this language read, by name
            (filled by the TTS front-end; empty until a voice defines one).
    """

    code: str
    name: str
    native_name: str
    scripts: tuple[str, ...]
    default_script: str
    whisper_token: str
    unicode_form: str = "NFC"
    family: str = ""
    tts_symbols: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default_script not in self.scripts:
            raise ValueError(f"{self.code}: default script {self.default_script} not in {self.scripts}")
        for script in self.scripts:
            if script not in SCRIPTS:
                raise ValueError(f"{self.code}: unknown script {script}")
        if not self.family:
            object.__setattr__(self, "family", self.code)

    @property
    def is_tamazight(self) -> bool:
        """True for Tamazight varieties (Tifinagh/IRCAM Latin orthography)."""
        return self.family == "zgh"


# Whisper token choices. Darija: `ar`, as every public Darija fine-tune does.
# Tamazight and Kabyle: Whisper knows no Berber language; awal trains them with the
# token of a language Whisper has seen little of and that shares no script with them,
# so that the token becomes the model's own: `ar` would make the decoder drift into
# Arabic script, `fr`/`en` into French/English words. We use `sn` (Shona) for zgh and
# its variants and `ha` (Hausa) for Kabyle, which keeps the two apart in one model.
_REGISTRY: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language(
            code="ary",
            name="Moroccan Darija",
            native_name="الدارجة",
            scripts=("Arab", "Latn"),
            default_script="Arab",
            whisper_token="ar",
        ),
        Language(
            code="zgh",
            name="Standard Moroccan Tamazight",
            native_name="ⵜⴰⵎⴰⵣⵉⵖⵜ",
            scripts=("Tfng", "Latn", "Arab"),
            default_script="Tfng",
            whisper_token="sn",
        ),
        Language(
            code="shi",
            name="Tachelhit",
            native_name="ⵜⴰⵛⵍⵃⵉⵜ",
            scripts=("Tfng", "Latn", "Arab"),
            default_script="Tfng",
            whisper_token="sn",
            family="zgh",
        ),
        Language(
            code="tzm",
            name="Central Atlas Tamazight",
            native_name="ⵜⴰⵎⴰⵣⵉⵖⵜ",
            scripts=("Tfng", "Latn", "Arab"),
            default_script="Tfng",
            whisper_token="sn",
            family="zgh",
        ),
        Language(
            code="rif",
            name="Tarifit",
            native_name="ⵜⴰⵔⵉⴼⵉⵜ",
            scripts=("Tfng", "Latn", "Arab"),
            default_script="Tfng",
            whisper_token="sn",
            family="zgh",
        ),
        Language(
            code="kab",
            name="Kabyle",
            native_name="Taqbaylit",
            scripts=("Latn", "Tfng"),
            default_script="Latn",
            whisper_token="ha",
        ),
    )
}


def languages() -> tuple[Language, ...]:
    """All registered languages, sorted by code."""
    return tuple(_REGISTRY[code] for code in sorted(_REGISTRY))


def get_language(code: str | Language) -> Language:
    """Look up a language by code (case-insensitive); a :class:`Language` passes through.

    Raises:
        UnknownLanguageError: the code is not registered; the message lists known codes.
    """
    if isinstance(code, Language):
        return code
    try:
        return _REGISTRY[code.strip().lower()]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownLanguageError(f"unknown language code {code!r}; known: {known}") from None


def normalize_script(script: str) -> str:
    """``arab``/``ARAB``/``Arabic`` -> ``Arab`` (an ISO 15924 code from :data:`SCRIPTS`)."""
    wanted = script.strip().lower()
    for code, name in SCRIPTS.items():
        if wanted in (code.lower(), name.lower()):
            return code
    raise UnknownScriptError(f"unknown script {script!r}; known: {', '.join(s.lower() for s in SCRIPTS)}")
