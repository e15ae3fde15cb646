"""Export a Hugging Face Whisper checkpoint as a model folder faster-whisper loads (``awal export asr``).

:func:`export_asr` turns a ``WhisperForConditionalGeneration`` folder (``save_pretrained``
output: a fine-tuned checkpoint, or :mod:`awal.asr.train.ct2_to_hf`'s conversion of whisper-base)
into a CTranslate2 model folder that faster-whisper loads offline::

    OUT/model.bin                  CTranslate2 weights (int8, int8_float16, float16 or float32)
    OUT/config.json                CTranslate2's: lang_ids, suppress_ids, alignment_heads, ...
    OUT/vocabulary.json            CTranslate2's token list
    OUT/tokenizer.json             the checkpoint's tokenizer (faster-whisper reads it; without it
                                   faster-whisper tries to download openai/whisper-tiny's)
    OUT/preprocessor_config.json   the log-mel front end (mel bins, hop, ...)
    OUT/awal.json                  what awal needs to serve it (:mod:`awal.asr.folder`)

The languages and their Whisper tokens come from the checkpoint's training summary
(:mod:`awal.training.metadata`, written by the recipe's training) unless given. Exporting imports
``ctranslate2`` and ``transformers`` (the ``train`` extra) inside :func:`export_asr`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awal.asr.folder import (
    AWAL_JSON,
    ModelLanguage,
    context_bucket,
    read_json,
    registry_languages,
    token_code,
    write_awal_json,
)
from awal.errors import InputError
from awal.languages import get_language
from awal.text.normalize import PROFILES, UnknownProfileError
from awal.training.metadata import TRAINING_JSON, read_summary

__all__ = ["QUANTIZATIONS", "ExportError", "export_asr"]

log = logging.getLogger(__name__)

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


def _language_entries(mapping: Mapping[str, str] | None) -> dict[str, ModelLanguage]:
    """The ``languages`` of ``awal.json``: the registry's, or ``mapping`` (awal code -> Whisper token)."""
    if mapping is None:
        return registry_languages()
    if not mapping:
        raise ExportError("the language mapping is empty: give at least one awal code -> Whisper token")
    out: dict[str, ModelLanguage] = {}
    for code, token in mapping.items():
        language = get_language(code)
        if not isinstance(token, str) or not token_code(token):
            raise ExportError(f"language {language.code!r}: the Whisper token must be a language code, got {token!r}")
        out[language.code] = ModelLanguage(token_code(token), tuple(language.scripts), language.default_script)
    return dict(sorted(out.items()))


def _training_info(checkpoint: Path) -> dict[str, Any]:
    """The checkpoint's training summary (the recipe writes it beside the weights) as its JSON, or ``{}``."""
    try:
        summary = read_summary(checkpoint, kind="whisper")
    except InputError as exc:
        raise ExportError(str(exc)) from None
    if summary is None:
        return {}
    info = summary.to_json()
    if not isinstance(info.get("languages"), dict) or not info["languages"]:
        raise ExportError(f"{checkpoint / TRAINING_JSON}: no languages section")
    return info


def _trained_entries(training: Mapping[str, Any]) -> dict[str, ModelLanguage]:
    """``awal.json`` languages from ``awal_training.json``: the tokens trained, each text's script first."""
    out: dict[str, ModelLanguage] = {}
    for code, entry in training["languages"].items():
        language = get_language(code)
        token = entry.get("whisper_token") if isinstance(entry, Mapping) else entry
        if not isinstance(token, str) or not token_code(token):
            raise ExportError(f"{TRAINING_JSON}: language {code!r} has no Whisper token")
        script = entry.get("script") if isinstance(entry, Mapping) else None
        script = script if script in language.scripts else language.default_script
        scripts = (script, *(s for s in language.scripts if s != script))
        out[language.code] = ModelLanguage(token_code(token), scripts, script)
    return dict(sorted(out.items()))


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
    config = read_json(config_path, ExportError)
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
    bucket = context_bucket(context)
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
            tokens the model was trained with; default: the checkpoint's training summary (``awal_training.json``)
            (written by the recipe's training: its tokens, and each language's training script
            becomes its ``default_script``), else every registry language with its registry token.
        profile: the normalization profile of the training text (recorded); default: the one in
            training summary, else ``scoring``.
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

        write_awal_json(model_dir, quantization=quantization, languages=entries, training_text_profile=profile,
                        encoder_context=_trained_context(training), data=data, metrics=scores,
                        source=str(source.resolve()))  # fmt: skip
        _replace_folder(model_dir, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s -> %s (%s)", source, out, quantization)
    return out
