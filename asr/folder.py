"""The ASR model folder's contract: ``awal.json``, read and validated here, written by export.

A model folder is what faster-whisper loads (``model.bin``, ``config.json``, ``vocabulary.json``,
``tokenizer.json``, ``preprocessor_config.json``) plus ``awal.json``, what awal needs to serve it
(format 1)::

    {"format": 1, "kind": "asr", "engine": "ctranslate2-whisper", "quantization": "int8",
     "languages": {"ary": {"whisper_token": "ar", "scripts": ["Arab", "Latn"], "default_script": "Arab"},
                   "zgh": {"whisper_token": "sn", ...}, ...},
     "training_text_profile": "scoring", "encoder_context": {"bucket_s": 5.0, "share": 0.5} | null,
     "data": {...} | null, "metrics": {...} | null,
     "source": "/abs/path/of/the/checkpoint", "awal_version": "0.1.0"}

``encoder_context``: the model was also trained on short encoder inputs (a share of its
utterances; :func:`awal.asr.features.context_frames`), so the streaming engine and batched
transcription may encode short windows short; null: 30 s only, as faster-whisper does.

Whisper has no Darija or Tamazight token: a model is trained with an existing token per language
(the registry's :attr:`awal.languages.Language.whisper_token` by default), and that choice travels
with the model. Every loader asks :func:`read_awal_json` (or :func:`whisper_token_for`) which token
to force, so that training and serving never disagree. A folder without ``awal.json``
(whisper-base, a hub model) falls back to the registry's tokens, and
:attr:`ModelInfo.from_registry` says so. :func:`awal.asr.export.export_asr` writes the file
(:func:`write_awal_json`); the recipe's card stage adds ``metrics`` (:func:`write_metrics`).
Standard library only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from awal.errors import InputError
from awal.languages import SCRIPTS, get_language, languages

__all__ = [
    "AWAL_JSON",
    "AWAL_JSON_FORMAT",
    "ENGINE",
    "ModelInfo",
    "ModelInfoError",
    "ModelLanguage",
    "read_awal_json",
    "read_json",
    "registry_languages",
    "token_code",
    "whisper_token_for",
    "write_awal_json",
    "write_metrics",
]

log = logging.getLogger(__name__)

#: Name of the file, beside ``model.bin``, that records what awal needs to serve the model.
AWAL_JSON = "awal.json"
#: The version of the ``awal.json`` layout this module writes (and the newest it reads).
AWAL_JSON_FORMAT = 1
#: The engine an exported ASR model runs on.
ENGINE = "ctranslate2-whisper"
#: The engine an exported ASR model runs on.
ENGINE = "ctranslate2-whisper"


class ModelInfoError(InputError):
    """An ``awal.json`` that cannot be read, or a language the model was not exported for."""



@dataclass(frozen=True)
class ModelLanguage:
    """How a model serves one awal language.

    Attributes:
        whisper_token: the Whisper language code forced while decoding (``"ar"`` for ``<|ar|>``).
        scripts: ISO 15924 codes of the scripts the language is written in (most common first).
        default_script: the script of the model's training text.
    """

    whisper_token: str
    scripts: tuple[str, ...] = ()
    default_script: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "whisper_token": self.whisper_token,
            "scripts": list(self.scripts),
            "default_script": self.default_script,
        }


@dataclass(frozen=True)
class ModelInfo:
    """What :func:`read_awal_json` found for a model folder.

    Attributes:
        path: the folder (or the name given, for a hub id).
        languages: awal language code -> :class:`ModelLanguage`.
        from_registry: ``True`` when the folder has no ``awal.json`` and :attr:`languages` are the
            registry's defaults (whisper-base, a hub model): nothing guarantees they are the tokens
            the model was trained with.
        quantization, training_text_profile, data, metrics, source, awal_version, engine: the
            ``awal.json`` fields (``None`` when absent).
        context_bucket_s: ``encoder_context.bucket_s`` of ``awal.json``: the model was trained
            with short encoder contexts of this granularity as well as 30 s
            (:func:`awal.asr.features.context_frames`); ``None``: 30 s only.
    """

    path: str
    languages: Mapping[str, ModelLanguage] = field(hash=False)
    from_registry: bool = False
    quantization: str | None = None
    training_text_profile: str | None = None
    data: Mapping[str, Any] | None = field(default=None, hash=False)
    metrics: Mapping[str, Any] | None = field(default=None, hash=False)
    source: str | None = None
    awal_version: str | None = None
    engine: str = ENGINE
    context_bucket_s: float | None = None  # trained with short encoder contexts too (awal.asr.features)

    def language(self, lang: str) -> ModelLanguage:
        """The entry of ``lang``; a variety missing from the model uses its family's (``shi`` -> ``zgh``).

        Raises:
            UnknownLanguageError: ``lang`` is not in the registry.
            ModelInfoError: the model was exported without ``lang`` (nor its family).
        """
        language = get_language(lang)
        for code in (language.code, language.family):
            if code in self.languages:
                return self.languages[code]
        known = ", ".join(sorted(self.languages)) or "none"
        raise ModelInfoError(
            f"model {self.path} was not exported for language {language.code!r} "
            f"(its {AWAL_JSON} lists: {known}); re-export it with that language"
        )

    def whisper_token(self, lang: str) -> str:
        """The Whisper language code to force for ``lang`` (``"ar"`` for Darija by default)."""
        return self.language(lang).whisper_token

    def output_scripts(self) -> dict[str, str]:
        """Whisper code -> the script the model writes that language in (its ``default_script``,
        the script of its training text): what script-safe decoding holds each language's
        hypotheses to (:class:`awal.asr.decoder.BatchDecoder`). Empty for a folder without
        ``awal.json`` (:attr:`from_registry`: nothing says what it writes); a token whose
        languages name different scripts, or none, is left out."""
        if self.from_registry:
            return {}
        found: dict[str, set[str | None]] = {}
        for entry in self.languages.values():
            found.setdefault(entry.whisper_token, set()).add(entry.default_script)
        out: dict[str, str] = {}
        for token, scripts in sorted(found.items()):
            script = next(iter(scripts))
            if len(scripts) == 1 and script is not None and script in SCRIPTS:
                out[token] = script
        return out


def registry_languages() -> dict[str, ModelLanguage]:
    """Every registry language with its registry Whisper token: the default of an export."""
    return {
        lang.code: ModelLanguage(lang.whisper_token, tuple(lang.scripts), lang.default_script) for lang in languages()
    }


def token_code(token: str) -> str:
    """``"<|ar|>"`` or ``" AR "`` -> ``"ar"``."""
    token = token.strip()
    if token.startswith("<|") and token.endswith("|>"):
        token = token[2:-2]
    return token.lower()


def read_json(path: Path, error: type[InputError]) -> Any:
    """The JSON in ``path``; ``error`` naming the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise error(f"{path}: cannot read it as JSON ({exc})") from None


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def read_awal_json(model_dir: str | os.PathLike[str]) -> ModelInfo:
    """The languages and provenance of the model in ``model_dir``.

    ``model_dir`` is the folder faster-whisper loads (:func:`awal.asr.model.resolve_model`'s answer).
    Without an ``awal.json`` there (whisper-base, a hub id, a folder converted by another tool)
    the registry's tokens are returned with ``from_registry=True``.

    Raises:
        ModelInfoError: ``awal.json`` is not valid JSON, is of a newer format, is not an ASR
            model's, or has malformed language entries (the message names the file).
    """
    folder = Path(model_dir).expanduser()
    path = folder / AWAL_JSON
    if not path.is_file():
        log.debug("%s: no %s, using the registry's Whisper tokens", folder, AWAL_JSON)
        return ModelInfo(
            path=os.fspath(model_dir), languages=MappingProxyType(registry_languages()), from_registry=True
        )
    data = read_json(path, ModelInfoError)
    if not isinstance(data, dict):
        raise ModelInfoError(f"{path}: expected a JSON object, got {type(data).__name__}")
    version = data.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelInfoError(f"{path}: 'format' must be an integer, got {version!r}")
    if version > AWAL_JSON_FORMAT:
        raise ModelInfoError(
            f"{path}: format {version} was written by a newer awal (this one reads format {AWAL_JSON_FORMAT}): "
            "upgrade awal"
        )
    if data.get("kind", "asr") != "asr":
        raise ModelInfoError(f"{path}: this is a {data.get('kind')!r} model, not an ASR model")
    entries = data.get("languages")
    if not isinstance(entries, dict) or not entries:
        raise ModelInfoError(f"{path}: 'languages' must be a non-empty object (awal code -> whisper_token)")
    langs: dict[str, ModelLanguage] = {}
    for code, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("whisper_token"), str) or not entry["whisper_token"]:
            raise ModelInfoError(f"{path}: language {code!r} needs a 'whisper_token' string")
        scripts = entry.get("scripts") or ()
        if not isinstance(scripts, (list, tuple)) or not all(isinstance(s, str) for s in scripts):
            raise ModelInfoError(f"{path}: language {code!r}: 'scripts' must be a list of script codes")
        default = entry.get("default_script")
        langs[str(code).lower()] = ModelLanguage(
            token_code(entry["whisper_token"]), tuple(scripts), default if isinstance(default, str) else None
        )

    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) else None

    def mapping(name: str) -> Mapping[str, Any] | None:
        value = data.get(name)
        return _frozen(value) if isinstance(value, dict) else None

    return ModelInfo(
        path=os.fspath(model_dir),
        languages=MappingProxyType(langs),
        from_registry=False,
        quantization=text("quantization"),
        training_text_profile=text("training_text_profile"),
        data=mapping("data"),
        metrics=mapping("metrics"),
        source=text("source"),
        awal_version=text("awal_version"),
        engine=text("engine") or ENGINE,
        context_bucket_s=context_bucket(data.get("encoder_context")),
    )


def context_bucket(value: Any) -> float | None:
    """``bucket_s`` of an ``encoder_context`` entry (awal.json, or a training config) used for a
    share of the training; None when absent or unused."""
    if not isinstance(value, Mapping):
        return None
    bucket, share = value.get("bucket_s"), value.get("share", 1.0)
    if isinstance(bucket, (int, float)) and bucket > 0 and isinstance(share, (int, float)) and share > 0:
        return float(bucket)
    return None


def whisper_token_for(model_dir: str | os.PathLike[str], lang: str) -> str:
    """The Whisper language code to force when ``model_dir`` transcribes ``lang`` (``"ar"``, ``"sn"``, ...).

    From the model's ``awal.json``; the registry's token when the folder has none (see
    :func:`read_awal_json`, whose ``from_registry`` flag tells the two apart).
    """
    return read_awal_json(model_dir).whisper_token(lang)


def write_awal_json(
    folder: str | os.PathLike[str],
    *,
    quantization: str,
    languages: Mapping[str, ModelLanguage],
    training_text_profile: str,
    encoder_context: Mapping[str, float] | None,
    data: Mapping[str, Any] | None,
    metrics: Mapping[str, Any] | None,
    source: str,
) -> Path:
    """Write ``folder/awal.json`` (format :data:`AWAL_JSON_FORMAT`); returns its path."""
    from awal import __version__

    path = Path(folder) / AWAL_JSON
    _write(path, {
        "format": AWAL_JSON_FORMAT,
        "kind": "asr",
        "engine": ENGINE,
        "quantization": quantization,
        "languages": {code: entry.to_dict() for code, entry in languages.items()},
        "training_text_profile": training_text_profile,
        "encoder_context": dict(encoder_context) if encoder_context is not None else None,
        "data": dict(data) if data is not None else None,
        "metrics": dict(metrics) if metrics is not None else None,
        "source": source,
        "awal_version": __version__,
    })  # fmt: skip
    return path


def write_metrics(folder: str | os.PathLike[str], metrics: Mapping[str, Any]) -> None:
    """Replace the ``metrics`` of ``folder/awal.json`` (the recipe's card stage), keeping the rest."""
    path = Path(folder) / AWAL_JSON
    read_awal_json(folder)  # refuses what is not an ASR model folder this awal reads
    data = read_json(path, ModelInfoError)
    data["metrics"] = dict(metrics)
    _write(path, data)


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
