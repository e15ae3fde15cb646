"""Export a Hugging Face Whisper checkpoint for faster-whisper, and read the ``awal.json`` beside it.

:func:`export_asr` turns a ``WhisperForConditionalGeneration`` folder (``save_pretrained``
output: a fine-tuned checkpoint, or :mod:`awal.asr.train.ct2_to_hf`'s conversion of whisper-base)
into a CTranslate2 model folder that faster-whisper loads offline::

    OUT/model.bin                  CTranslate2 weights (int8, int8_float16, float16 or float32)
    OUT/config.json                CTranslate2's: lang_ids, suppress_ids, alignment_heads, ...
    OUT/vocabulary.json            CTranslate2's token list
    OUT/tokenizer.json             the checkpoint's tokenizer (faster-whisper reads it; without it
                                   faster-whisper tries to download openai/whisper-tiny's)
    OUT/preprocessor_config.json   the log-mel front end (mel bins, hop, ...)
    OUT/awal.json                  what awal needs to serve it (below)

``awal.json`` (format 1)::

    {"format": 1, "kind": "asr", "engine": "ctranslate2-whisper", "quantization": "int8",
     "languages": {"ary": {"whisper_token": "ar", "scripts": ["Arab", "Latn"], "default_script": "Arab"},
                   "zgh": {"whisper_token": "sn", ...}, ...},
     "training_text_profile": "scoring", "encoder_context": {"bucket_s": 5.0, "share": 0.5} | null,
     "data": {...} | null, "metrics": {...} | null,
     "source": "/abs/path/of/the/checkpoint", "awal_version": "0.1.0"}

``encoder_context``: the model was also trained on short encoder inputs (a share of its
utterances; :func:`awal.asr.features.context_frames`), so the streaming engine and batched
transcription may encode short windows short; null: 30 s only, as faster-whisper does.

Whisper has no Darija or Tamazight token: a model is trained with an existing token per
language (the registry's :attr:`awal.languages.Language.whisper_token` by default), and that
choice travels with the model. Every awal loader asks :func:`whisper_token_for` (or
:func:`read_awal_json`) which token to force, so that training and serving never disagree.
A folder without ``awal.json`` (whisper-base, a hub model) falls back to the registry's tokens,
and :attr:`ModelInfo.from_registry` says so.

Reading ``awal.json`` needs only the standard library; exporting imports ``ctranslate2`` and
``transformers`` (the ``train`` extra) inside :func:`export_asr`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from awal.errors import InputError
from awal.languages import get_language, languages
from awal.text.normalize import PROFILES, UnknownProfileError

__all__ = [
    "AWAL_JSON",
    "AWAL_JSON_FORMAT",
    "ENGINE",
    "QUANTIZATIONS",
    "TRAINING_JSON",
    "ExportError",
    "ModelInfo",
    "ModelInfoError",
    "ModelLanguage",
    "export_asr",
    "read_awal_json",
    "registry_languages",
    "whisper_token_for",
]

log = logging.getLogger(__name__)

#: Name of the file, beside ``model.bin``, that records what awal needs to serve the model.
AWAL_JSON = "awal.json"
#: What the recipe's training writes beside a Hugging Face checkpoint: the languages, their Whisper
#: tokens and training scripts, the text profile, and a summary of the run.
TRAINING_JSON = "awal_training.json"
#: The version of the ``awal.json`` layout this module writes (and the newest it reads).
AWAL_JSON_FORMAT = 1
#: The engine an exported ASR model runs on.
ENGINE = "ctranslate2-whisper"
#: CTranslate2 weight types ``export_asr`` writes. int8 is the CPU choice; int8_float16 and
#: float16 are for GPUs (on a CPU CTranslate2 computes them in float32 or int8).
QUANTIZATIONS: tuple[str, ...] = ("int8", "int8_float16", "float16", "float32")

_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
#: Whisper's special tokens that look like ``<|xx|>`` but name no language.
NON_LANGUAGE_TOKENS = frozenset(
    {
        "<|endoftext|>",
        "<|startoftranscript|>",
        "<|translate|>",
        "<|transcribe|>",
        "<|startoflm|>",
        "<|startofprev|>",
        "<|nocaptions|>",
        "<|notimestamps|>",
    }
)
_LANGUAGE_TOKEN = re.compile(r"^<\|([a-z]{2,3}(?:_[a-z]+)?)\|>$")


class ExportError(InputError):
    """A checkpoint, language mapping or output folder :func:`export_asr` refuses; says why."""


class ModelInfoError(InputError):
    """An ``awal.json`` that cannot be read, or a language the model was not exported for."""


# --- awal.json: the model's languages and provenance -----------------------------------------


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


def registry_languages() -> dict[str, ModelLanguage]:
    """Every registry language with its registry Whisper token: the default of an export."""
    return {
        lang.code: ModelLanguage(lang.whisper_token, tuple(lang.scripts), lang.default_script) for lang in languages()
    }


def _token_code(token: str) -> str:
    """``"<|ar|>"`` or ``" AR "`` -> ``"ar"``."""
    token = token.strip()
    if token.startswith("<|") and token.endswith("|>"):
        token = token[2:-2]
    return token.lower()


def _language_entries(mapping: Mapping[str, str] | None) -> dict[str, ModelLanguage]:
    """The ``languages`` of ``awal.json``: the registry's, or ``mapping`` (awal code -> Whisper token)."""
    if mapping is None:
        return registry_languages()
    if not mapping:
        raise ExportError("the language mapping is empty: give at least one awal code -> Whisper token")
    out: dict[str, ModelLanguage] = {}
    for code, token in mapping.items():
        language = get_language(code)
        if not isinstance(token, str) or not _token_code(token):
            raise ExportError(f"language {language.code!r}: the Whisper token must be a language code, got {token!r}")
        out[language.code] = ModelLanguage(_token_code(token), tuple(language.scripts), language.default_script)
    return dict(sorted(out.items()))


def _read_json(path: Path, error: type[InputError]) -> Any:
    """The JSON in ``path``; ``error`` naming the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise error(f"{path}: cannot read it as JSON ({exc})") from None


def _training_info(checkpoint: Path) -> dict[str, Any]:
    """The checkpoint's ``awal_training.json`` (the recipe writes it beside the weights), or ``{}``."""
    path = checkpoint / TRAINING_JSON
    if not path.is_file():
        return {}
    info = _read_json(path, ExportError)
    if not isinstance(info, dict) or not isinstance(info.get("languages"), dict) or not info["languages"]:
        raise ExportError(f"{path}: no languages section")
    return info


def _trained_entries(training: Mapping[str, Any]) -> dict[str, ModelLanguage]:
    """``awal.json`` languages from ``awal_training.json``: the tokens trained, each text's script first."""
    out: dict[str, ModelLanguage] = {}
    for code, entry in training["languages"].items():
        language = get_language(code)
        token = entry.get("whisper_token") if isinstance(entry, Mapping) else entry
        if not isinstance(token, str) or not _token_code(token):
            raise ExportError(f"{TRAINING_JSON}: language {code!r} has no Whisper token")
        script = entry.get("script") if isinstance(entry, Mapping) else None
        script = script if script in language.scripts else language.default_script
        scripts = (script, *(s for s in language.scripts if s != script))
        out[language.code] = ModelLanguage(_token_code(token), scripts, script)
    return dict(sorted(out.items()))


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
    data = _read_json(path, ModelInfoError)
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
            _token_code(entry["whisper_token"]), tuple(scripts), default if isinstance(default, str) else None
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
        context_bucket_s=_context_bucket(data.get("encoder_context")),
    )


def _context_bucket(value: Any) -> float | None:
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


# --- export ------------------------------------------------------------------------------------


def _check_checkpoint(checkpoint: Path) -> dict[str, Any]:
    """The ``config.json`` of a Hugging Face Whisper folder, or :class:`ExportError` saying what it is instead."""
    if not checkpoint.exists():
        raise ExportError(f"{checkpoint}: no such checkpoint folder")
    if not checkpoint.is_dir():
        raise ExportError(
            f"{checkpoint}: a file, not a Hugging Face Whisper folder (save_pretrained output with "
            "config.json, the weights and the tokenizer)"
        )
    config_path = checkpoint / "config.json"
    if not config_path.is_file():
        raise ExportError(f"{checkpoint}: not a Hugging Face Whisper folder (no config.json)")
    config = _read_json(config_path, ExportError)
    if not isinstance(config, dict):
        raise ExportError(f"{config_path}: not a model configuration")
    if (checkpoint / "model.bin").is_file() and "model_type" not in config:
        raise ExportError(
            f"{checkpoint}: a CTranslate2 model already (model.bin); export needs the Hugging Face checkpoint "
            "(python -m awal.asr.train.ct2_to_hf converts a CTranslate2 Whisper back)"
        )
    model_type = config.get("model_type")
    if model_type != "whisper":
        raise ExportError(
            f"{checkpoint}: not a Whisper checkpoint (config.json model_type is {model_type!r}, expected 'whisper')"
        )
    if not any((checkpoint / name).is_file() for name in _WEIGHT_FILES):
        raise ExportError(f"{checkpoint}: no weights (expected one of {', '.join(_WEIGHT_FILES)})")
    return config


def _check_out_dir(out: Path, checkpoint: Path) -> None:
    """Refuse an output folder whose replacement would destroy something that is not an exported model."""
    resolved, source = out.resolve(), checkpoint.resolve()
    if resolved == source or source.is_relative_to(resolved):
        raise ExportError(f"{out}: the output folder would replace the checkpoint {checkpoint}; choose another --out")
    if out.exists():
        if not out.is_dir():
            raise ExportError(f"{out}: exists and is a file; choose another --out")
        entries = [p.name for p in out.iterdir()]
        if entries and not ({"model.bin", AWAL_JSON} & set(entries)):
            raise ExportError(
                f"{out}: exists and is not a model folder (no model.bin, no {AWAL_JSON}); it is left alone: "
                "choose an empty or new --out"
            )


def _language_tokens(tokenizer: Any) -> dict[str, int]:
    """Whisper language code -> token id, from the tokenizer's added tokens (``<|ar|>`` -> ``"ar"``)."""
    out: dict[str, int] = {}
    for token, token_id in tokenizer.get_added_vocab().items():
        if token in NON_LANGUAGE_TOKENS:
            continue
        match = _LANGUAGE_TOKEN.match(token)
        if match:
            out[match.group(1)] = int(token_id)
    return out


def _faster_whisper_codes() -> frozenset[str] | None:
    """The language codes faster-whisper accepts (it refuses any other), or None if it is not installed."""
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:  # pragma: no cover - depends on the install
        return None
    return frozenset(_LANGUAGE_CODES)


def _check_tokens(entries: Mapping[str, ModelLanguage], tokens: Mapping[str, int], checkpoint: Path) -> None:
    bad = {code: e.whisper_token for code, e in entries.items() if e.whisper_token not in tokens}
    if bad:
        wanted = ", ".join(f"{code} -> <|{token}|>" for code, token in sorted(bad.items()))
        known = " ".join(sorted(tokens)) or "none"
        raise ExportError(
            f"{checkpoint}: the tokenizer has no language token for {wanted}; its language tokens are: {known}"
        )
    accepted = _faster_whisper_codes()
    if accepted is not None:
        refused = {code: e.whisper_token for code, e in entries.items() if e.whisper_token not in accepted}
        if refused:
            wanted = ", ".join(f"{code} -> {token}" for code, token in sorted(refused.items()))
            raise ExportError(f"faster-whisper accepts only its own language codes, not: {wanted}")


def _json_value(value: Mapping[str, Any] | None, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ExportError(f"{name} must be a mapping (a JSON object), got {type(value).__name__}")
    try:
        return json.loads(json.dumps(dict(value), ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ExportError(f"{name} is not JSON-serializable: {exc}") from None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _finish_ct2_config(folder: Path, tokens: Mapping[str, int], entries: Mapping[str, ModelLanguage]) -> None:
    """Make sure CTranslate2's ``config.json`` lists the language tokens the model is served with.

    The converter takes ``lang_ids`` from the generation config's ``lang_to_id``, else from the
    tokenizer's ``additional_special_tokens``; a checkpoint with neither gets an empty list, and
    CTranslate2 cannot then force a language. Such a list is filled from the tokenizer's language
    tokens (what the converter means to do); a list without a served token is refused.
    """
    path = folder / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    lang_ids = config.get("lang_ids") or []
    if not lang_ids:
        log.warning("%s: no lang_ids from the generation config; using the tokenizer's language tokens", path)
        config["lang_ids"] = sorted(tokens.values())
        _write_json(path, config)
        return
    missing = {code: e.whisper_token for code, e in entries.items() if tokens[e.whisper_token] not in lang_ids}
    if missing:
        raise ExportError(
            f"the checkpoint's generation config (lang_to_id) lacks the language tokens of {missing}: "
            "CTranslate2 would not know them as languages"
        )


def _replace_folder(new: Path, out: Path) -> None:
    """Move the finished folder ``new`` to ``out``, replacing a previous export there."""
    if not out.exists():
        os.replace(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _trained_context(training: Mapping[str, Any]) -> dict[str, float] | None:
    """The training config's ``model.encoder_context``, when short contexts were trained."""
    model_cfg = (training.get("config") or {}).get("model") or {}
    context = model_cfg.get("encoder_context") if isinstance(model_cfg, Mapping) else None
    bucket = _context_bucket(context)
    if bucket is None or not isinstance(context, Mapping):
        return None
    return {"bucket_s": bucket, "share": float(context.get("share", 1.0))}


def export_asr(
    checkpoint: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    quantization: str = "int8",
    languages: Mapping[str, str] | None = None,
    profile: str | None = None,
    data_summary: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> Path:
    """Convert a Hugging Face Whisper checkpoint to a CTranslate2 folder faster-whisper loads.

    Args:
        checkpoint: a ``WhisperForConditionalGeneration`` folder (``config.json``, weights,
            tokenizer; ``generation_config.json`` with ``lang_to_id``, ``suppress_tokens``,
            ``begin_suppress_tokens``, ``alignment_heads``).
        out_dir: the model folder to write. It is built beside it and moved into place when
            complete; a previous export there is replaced, any other non-empty folder refused.
        quantization: one of :data:`QUANTIZATIONS`.
        languages: awal code -> Whisper language code (``{"ary": "ar", "zgh": "sn"}``), the
            tokens the model was trained with; default: the checkpoint's ``awal_training.json``
            (written by the recipe's training: its tokens, and each language's training script
            becomes its ``default_script``), else every registry language with its registry token.
        profile: the normalization profile of the training text (recorded); default: the one in
            ``awal_training.json``, else ``scoring``.
        data_summary, metrics: JSON objects recorded in ``awal.json`` (training data, scores).

    Returns:
        ``Path(out_dir)``.

    Raises:
        ExportError: not a Whisper folder, a Whisper token the tokenizer lacks (or faster-whisper
            refuses), an unknown quantization, an output folder that is not a model folder, a
            conversion failure.
        UnknownLanguageError, UnknownProfileError: an unknown awal code or profile.
    """
    if quantization not in QUANTIZATIONS:
        raise ExportError(f"unknown quantization {quantization!r}; choose one of: {', '.join(QUANTIZATIONS)}")
    source, out = Path(checkpoint).expanduser(), Path(out_dir).expanduser()
    config = _check_checkpoint(source)
    training = _training_info(source)
    if profile is None:
        profile = str(training.get("training_text_profile") or "scoring")
    if profile not in PROFILES:
        raise UnknownProfileError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    entries = _language_entries(languages) if languages is not None or not training else _trained_entries(training)
    if data_summary is None and training:
        data_summary = {k: training[k] for k in ("train_manifest", "global_step", "best") if k in training}
    data = _json_value(data_summary, "data_summary")
    scores = _json_value(metrics, "metrics")
    _check_out_dir(out, source)

    import ctranslate2
    from transformers import WhisperFeatureExtractor, WhisperTokenizerFast  # type: ignore[attr-defined]

    try:
        tokenizer = WhisperTokenizerFast.from_pretrained(source)
    except (OSError, ValueError, TypeError) as exc:
        raise ExportError(f"{source}: cannot load its tokenizer ({exc})") from None
    tokens = _language_tokens(tokenizer)
    _check_tokens(entries, tokens, source)

    n_mels = int(config.get("num_mel_bins", 80))
    copy = [name for name in ("tokenizer.json", "preprocessor_config.json") if (source / name).is_file()]
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        model_dir = work / "model"
        converter = ctranslate2.converters.TransformersConverter(
            str(source), copy_files=copy, load_as_float16=quantization in ("float16", "int8_float16")
        )
        try:
            converter.convert(str(model_dir), quantization=quantization, force=True)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise ExportError(f"{source}: CTranslate2 could not convert it ({type(exc).__name__}: {exc})") from exc
        if "tokenizer.json" not in copy:  # a checkpoint with vocab.json + merges.txt only
            tokenizer.backend_tokenizer.save(str(model_dir / "tokenizer.json"))
        if "preprocessor_config.json" not in copy:
            try:
                extractor = WhisperFeatureExtractor.from_pretrained(source)
            except (OSError, ValueError, TypeError):
                extractor = WhisperFeatureExtractor(feature_size=n_mels)
            extractor.save_pretrained(model_dir)
        front_end = json.loads((model_dir / "preprocessor_config.json").read_text(encoding="utf-8"))
        if int(front_end.get("feature_size", n_mels)) != n_mels:
            raise ExportError(
                f"{source}: preprocessor_config.json has feature_size {front_end.get('feature_size')}, "
                f"the model {n_mels} mel bins"
            )
        _finish_ct2_config(model_dir, tokens, entries)
        model = ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="default")
        if not model.is_multilingual:
            raise ExportError(
                f"{source}: CTranslate2 reads the converted model as English-only, so faster-whisper would "
                "ignore the language token; the tokenizer must be Whisper's multilingual one"
            )
        del model

        from awal import __version__

        _write_json(
            model_dir / AWAL_JSON,
            {
                "format": AWAL_JSON_FORMAT,
                "kind": "asr",
                "engine": ENGINE,
                "quantization": quantization,
                "languages": {code: entry.to_dict() for code, entry in entries.items()},
                "training_text_profile": profile,
                "encoder_context": _trained_context(training),
                "data": data,
                "metrics": scores,
                "source": str(source.resolve()),
                "awal_version": __version__,
            },
        )
        _replace_folder(model_dir, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s -> %s (%s)", source, out, quantization)
    return out
