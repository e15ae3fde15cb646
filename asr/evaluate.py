"""WER/CER of a faster-whisper model on a NeMo manifest (``awal eval asr``).

:func:`evaluate_asr` decodes every record of a manifest (the segment ``offset``/``duration``
of its audio, resampled to 16 kHz) with the language token the model was exported with
(:func:`awal.asr.folder.whisper_token_for`: its ``awal.json``, else the registry), scores each
language with :func:`awal.scoring.score` under one normalization profile, and returns the
JSON object the command prints.

Decoding is the decoder that serves: :class:`awal.asr.decoder.BatchDecoder`, which ``awal
transcribe`` and the streaming engine decode with, with its settings (prompt, suppressed tokens,
``max_new_tokens``), so that the CER measured is the CER served. A clip of up to 30 s is one
window of the decoder; a longer one is decoded as ``awal transcribe`` decodes it, in its speech
windows (:meth:`awal.asr.transcribe.Transcriber.window_hypotheses`: Silero VAD's speech, pauses
left out). The encoder sees 30 s (``context="full"``) or each window's short context
(``"short"``, what the model is served with when its ``awal.json`` has ``encoder_context``).
Decoding is deterministic and the same for every model: ``task="transcribe"``, no timestamps,
no previous-text conditioning, temperature 0 only (no fallback, so no compression-ratio or
log-probability re-decoding), no no-speech skipping (every utterance of a test set is speech: a
skip would hide the decoder's output), ``beam_size`` 1 (greedy) unless asked.

Scripts: hypotheses are kept as the model writes them (``pred_text`` in the details). When a
hypothesis is in another script than the reference (a Tamazight reference in Tifinagh, the
model writing Latin), it is transliterated with :mod:`awal.text.translit` into the
reference's dominant script before scoring (``pred_text_scored``). ``script="latn"`` (any
script code) scores every utterance in that script instead, transliterating both sides.
Pairs the transliterator cannot convert (Darija into Tifinagh, Tamazight out of Arabic
script) are scored as they are.

An utterance whose audio cannot be read (a missing file, an undecodable one, an empty
segment) or that the model fails on is scored with an empty hypothesis, counted in
``errors`` and reported with its reason in the details: the evaluation never stops at it
and never drops it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awal.errors import InputError
from awal.languages import get_language, normalize_script
from awal.manifest import ManifestRecord, read_manifest
from awal.scoring import ScoreReport, UtteranceScore, score
from awal.text.normalize import PROFILES, UnknownProfileError
from awal.text.translit import converter

if TYPE_CHECKING:
    import numpy as np

    from awal.asr.decoder import BatchDecoder
    from awal.asr.transcribe import TranscribeOptions, Transcriber

__all__ = ["SAMPLE_RATE", "evaluate_asr", "evaluate_suite", "suite_table"]

log = logging.getLogger(__name__)

#: The rate Whisper models read.
SAMPLE_RATE = 16000
_SCRIPTS = ("Arab", "Latn", "Tfng")


@dataclass
class _Utterance:
    index: int
    record: ManifestRecord
    lang: str
    token: str
    audio_seconds: float = 0.0
    hyp: str = ""
    error: str | None = None


def _utterance_id(record: ManifestRecord, index: int) -> str:
    for key in ("id", "utt_id", "utterance_id", "audio_id"):
        value = record.extra.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    name = Path(record.audio_filepath).name
    return f"{name}@{record.offset:g}" if record.offset else name or str(index)


def _in_script(text: str, lang: str, script: str) -> str:
    """``text`` written in ``script`` when the language converts into it and some word is in another script."""
    from awal.text.scripts import tokens

    if script not in _SCRIPTS or all(tok.script in (script, "Zyyy") for tok in tokens(text)):
        return text
    convert = converter(get_language(lang).code, script)
    return text if convert is None else convert(text)


def _scored_pair(ref: str, hyp: str, lang: str, script: str | None) -> tuple[str, str, str | None]:
    """``(ref, hyp, script)`` as scored: both in ``script`` when given, else hyp in ref's dominant script."""
    from awal.text.scripts import dominant_script

    if script is not None:
        return _in_script(ref, lang, script), _in_script(hyp, lang, script), script
    target = dominant_script(ref)
    if target not in _SCRIPTS:
        return ref, hyp, None
    return ref, _in_script(hyp, lang, target), target


def _read_records(manifest: Path) -> list[ManifestRecord]:
    try:
        records = list(read_manifest(manifest))
    except FileNotFoundError:
        raise InputError(f"{manifest}: no such manifest") from None
    except OSError as exc:
        raise InputError(f"cannot read {manifest}: {exc.strerror}") from None
    if not records:
        raise InputError(f"{manifest}: the manifest has no records")
    return records


def _decode_short(decoder: BatchDecoder, batch: Sequence[tuple[_Utterance, np.ndarray]], beam_size: int) -> None:
    """Decode clips of up to 30 s in one :meth:`BatchDecoder.decode` call (what ``awal transcribe``
    and the streaming engine call); when the call fails, each clip again alone, so that only the
    culprit is scored empty, with its reason."""
    from awal.asr.decoder import DecodeRequest

    try:
        hyps = decoder.decode([DecodeRequest(audio, utt.token) for utt, audio in batch], word_times=False,
                              beam_size=beam_size)  # fmt: skip
    except Exception as exc:  # the whole batch: retry one by one so only the culprit fails
        if len(batch) > 1:
            log.warning("batch decoding failed (%s); decoding one by one", _error(exc))
            for one in batch:
                _decode_short(decoder, [one], beam_size)
            return
        utt = batch[0][0]
        utt.error = f"decoding failed: {_error(exc)}"
        log.warning("%s: %s", utt.record.audio_filepath, utt.error)
        return
    for (utt, _), hyp in zip(batch, hyps, strict=True):
        utt.hyp = hyp.text


def _decode_long(transcriber: Transcriber, utt: _Utterance, audio: np.ndarray, options: TranscribeOptions) -> None:
    """Decode a clip longer than 30 s as ``awal transcribe`` does (its speech windows,
    :meth:`Transcriber.window_hypotheses`); the windows' texts joined, none skipped."""
    try:
        windows = transcriber.window_hypotheses(audio, utt.lang, options)
        utt.hyp = " ".join(text for _, _, hyp in windows if (text := hyp.text.strip()))
    except Exception as exc:
        utt.error = f"decoding failed: {_error(exc)}"
        log.warning("%s: %s", utt.record.audio_filepath, utt.error)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _summary(reports: Sequence[ScoreReport]) -> dict[str, Any]:
    utts = [u for report in reports for u in report.utterances]
    ref_words = sum(u.ref_words for u in utts)
    ref_chars = sum(u.ref_chars for u in utts)
    subs, ins, dels = (sum(getattr(u, name) for u in utts) for name in ("substitutions", "insertions", "deletions"))
    chars = sum(u.char_errors for u in utts)
    return {
        "wer": round((subs + ins + dels) / ref_words, 6) if ref_words else (0.0 if not subs + ins + dels else None),
        "cer": round(chars / ref_chars, 6) if ref_chars else (0.0 if not chars else None),
        "ref_words": ref_words,
        "ref_chars": ref_chars,
        "substitutions": subs,
        "insertions": ins,
        "deletions": dels,
    }


def evaluate_asr(
    model: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    *,
    lang: str | None = None,
    profile: str = "scoring",
    script: str | None = None,
    beam_size: int = 1,
    batch_size: int = 1,
    details: str | os.PathLike[str] | None = None,
    compute_type: str = "int8",
    device: str = "cpu",
    cpu_threads: int = 0,
    progress: bool = True,
    context: str = "full",
    context_bucket_s: float | None = None,
) -> dict[str, Any]:
    """Decode every record of ``manifest`` with ``model`` and score it; return the JSON report.

    Args:
        model: a model folder, ``"whisper-base"``, or a hub id (see :func:`awal.asr.model.resolve_model`).
        manifest: a NeMo manifest (``audio_filepath``, ``duration``, ``text``, ``offset``, ``lang``).
        lang: the language of every record; default: each record's ``lang`` (one missing is an error).
        profile: the normalization profile both sides are scored after.
        script: score every utterance in this script (``arab``, ``latn``, ``tfng``); default: the
            reference's dominant script, the hypothesis transliterated into it when needed.
        beam_size: 1 is greedy decoding.
        batch_size: utterances of up to 30 s decoded together in one decoder call (the same
            tokens as one by one, up to int8 rounding; faster on a GPU, no faster on a 2-core
            CPU), and the speech windows of a longer one. A batch whose call fails is decoded
            again one by one, so that only the culprit is scored empty.
        details: write one JSON line per utterance here, in manifest order.
        compute_type, device, cpu_threads: how faster-whisper loads the model.
        progress: show a progress bar (tqdm, on stderr).
        context: ``full`` (the encoder sees 30 s, as faster-whisper's ``transcribe`` gives it) or
            ``short`` (each window's short encoder context, as the streaming engine and batched
            transcription give it to a model trained so: ``awal.json`` ``encoder_context``).
        context_bucket_s: the short contexts' granularity; default: the model's.

    Returns:
        ``{"model", "manifest", "profile", "script", "utterances", "errors", "wer", "cer",
        "ref_words", "ref_chars", "substitutions", "insertions", "deletions", "per_language",
        "whisper_tokens", "tokens_from", "audio_seconds", "decode_seconds", "rtf", "seconds",
        "beam_size", "batch_size", "compute_type", "device"}``; ``per_language`` maps each
        language to :meth:`awal.scoring.ScoreReport.summary` plus its ``errors``; ``rtf`` is
        decoding seconds over audio seconds; ``seconds`` the whole run, model loading included.

    Raises:
        InputError: an unreadable manifest or a record without a language (before any decoding),
            an unknown language, profile or script, a language the model was not exported for.
    """
    started = time.perf_counter()
    if profile not in PROFILES:
        raise UnknownProfileError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    target = normalize_script(script) if script is not None else None
    if beam_size < 1 or batch_size < 1:
        raise InputError(f"beam_size and batch_size must be at least 1 (got {beam_size}, {batch_size})")
    if context not in ("full", "short"):
        raise InputError(f"context must be full or short, got {context!r}")
    manifest_path = Path(manifest)
    records = _read_records(manifest_path)
    if details is not None and not Path(details).expanduser().resolve().parent.is_dir():
        raise InputError(f"{details}: its folder does not exist")

    from awal.asr.folder import read_awal_json
    from awal.asr.model import load_whisper, resolve_model

    folder = resolve_model(model)
    info = read_awal_json(folder)
    bucket = None
    if context == "short":
        bucket = context_bucket_s or info.context_bucket_s
        if not bucket:
            raise InputError(f"{folder} was not trained with short encoder contexts (no encoder_context in its "
                             "awal.json); give context_bucket_s to measure one anyway")  # fmt: skip
    forced = get_language(lang).code if lang is not None else None
    utts: list[_Utterance] = []
    for index, record in enumerate(records):
        code = forced or record.lang
        if not code:
            raise InputError(f"{manifest_path}: record {index + 1} ({record.audio_filepath}) has no 'lang'; give lang")
        code = get_language(code).code
        utts.append(_Utterance(index, record, code, info.whisper_token(code)))
    if target is not None:
        from awal.text.translit import transliterator

        for code in sorted({u.lang for u in utts}):
            transliterator(code, target)  # UnsupportedConversionError (an InputError) before decoding
    if info.from_registry:
        log.info("%s has no awal.json: forcing the registry's Whisper tokens", folder)

    from tqdm import tqdm

    from awal.asr.decoder import BatchDecoder
    from awal.asr.transcribe import TranscribeOptions, Transcriber
    from awal.audio import read_audio

    whisper = load_whisper(folder, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
    decoder = BatchDecoder(whisper, context_bucket_s=bucket, scripts=info.output_scripts())
    transcriber = Transcriber.loaded(str(folder), info, whisper, decoder)
    long_options = TranscribeOptions(batch_size=batch_size, beam_size=beam_size)
    decode_seconds = 0.0
    bar = tqdm(total=len(utts), unit="utt", desc="eval", disable=not progress)
    pending: list[tuple[_Utterance, np.ndarray]] = []

    def flush() -> None:
        nonlocal decode_seconds
        if not pending:
            return
        t0 = time.perf_counter()
        _decode_short(decoder, list(pending), beam_size)
        decode_seconds += time.perf_counter() - t0
        bar.update(len(pending))
        pending.clear()

    for utt in utts:
        record = utt.record
        try:
            audio = read_audio(record.audio_filepath, sr=SAMPLE_RATE, offset=record.offset, duration=record.duration)
            samples = audio.samples
            if samples.size == 0:
                raise InputError(f"no audio in {record.audio_filepath!r} from {record.offset} s")
        except Exception as exc:  # a missing or broken file: reported, scored as an empty hypothesis
            utt.error = f"audio: {_error(exc)}"
            log.warning("%s: %s", record.audio_filepath, utt.error)
            bar.update(1)
            continue
        utt.audio_seconds = samples.size / SAMPLE_RATE
        if samples.size <= 30 * SAMPLE_RATE:
            pending.append((utt, samples))
            if len(pending) >= batch_size:
                flush()
            continue
        flush()  # the clips before it, in their own call
        t0 = time.perf_counter()
        _decode_long(transcriber, utt, samples, long_options)
        decode_seconds += time.perf_counter() - t0
        bar.update(1)
    flush()
    bar.close()

    scored: dict[int, tuple[UtteranceScore, str, str | None]] = {}
    per_language: dict[str, Any] = {}
    reports: list[ScoreReport] = []
    for code in sorted({u.lang for u in utts}):
        group = [u for u in utts if u.lang == code]
        pairs = [_scored_pair(u.record.text, u.hyp, code, target) for u in group]
        report = score([p[0] for p in pairs], [p[1] for p in pairs], code, profile)
        reports.append(report)
        for utt, pair, result in zip(group, pairs, report.utterances, strict=True):
            scored[utt.index] = (result, pair[1], pair[2])
        per_language[code] = {**report.summary(), "errors": sum(u.error is not None for u in group)}

    if details is not None:
        with open(details, "w", encoding="utf-8") as stream:
            for utt in utts:
                result, hyp_scored, used_script = scored[utt.index]
                line = {
                    "index": utt.index,
                    "id": _utterance_id(utt.record, utt.index),
                    "audio_filepath": utt.record.audio_filepath,
                    "offset": utt.record.offset,
                    "duration": utt.record.duration,
                    "lang": utt.lang,
                    "whisper_token": utt.token,
                    "text": utt.record.text,
                    "pred_text": utt.hyp,
                    "pred_text_scored": hyp_scored,
                    "script": used_script,
                    "error": utt.error,
                    **result.to_dict(),
                }
                stream.write(json.dumps(line, ensure_ascii=False) + "\n")

    audio_seconds = sum(u.audio_seconds for u in utts)
    return {
        "model": str(model),
        "manifest": str(manifest_path),
        "profile": profile,
        "script": target,
        "utterances": len(utts),
        "errors": sum(u.error is not None for u in utts),
        **_summary(reports),
        "per_language": per_language,
        "whisper_tokens": {code: info.whisper_token(code) for code in sorted({u.lang for u in utts})},
        "tokens_from": "registry" if info.from_registry else "awal.json",
        "audio_seconds": round(audio_seconds, 3),
        "decode_seconds": round(decode_seconds, 3),
        "rtf": round(decode_seconds / audio_seconds, 4) if audio_seconds else None,
        "seconds": round(time.perf_counter() - started, 3),
        "beam_size": beam_size,
        "context": context,
        "context_bucket_s": bucket,
        "batch_size": batch_size,
        "compute_type": compute_type,
        "device": device,
    }


def evaluate_suite(
    model: str | os.PathLike[str],
    suite: str | os.PathLike[str],
    *,
    baseline: str | os.PathLike[str] | None = None,
    details_dir: str | os.PathLike[str] | None = None,
    cpu_threads: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """Score ``model`` (and ``baseline`` beside it) on every set of a test suite
    (``awal prepare test-suite``: ``<suite>/<lang>/suite.json`` and its sets).

    Each model is decoded as it is served: with short encoder contexts when its ``awal.json``
    says it was trained with them, else with 30 s. Returns ``{"model", "baseline", "rows"}``,
    a row per set: ``lang``, ``set``, ``speakers``, ``utterances``, and ``model``/``baseline``
    with ``wer``, ``cer`` and ``errors``; :func:`suite_table` writes them as a table.

    Raises:
        InputError: no ``suite.json`` under ``suite``.
    """
    from awal.asr.folder import read_awal_json
    from awal.asr.model import resolve_model

    found = sorted(Path(suite).glob("*/suite.json"))
    if not found:
        raise InputError(f"{suite}: no <lang>/suite.json inside (awal prepare test-suite makes one)")
    contexts = {}
    for name in (model, baseline):
        if name is not None:
            contexts[str(name)] = "short" if read_awal_json(resolve_model(name)).context_bucket_s else "full"
    rows: list[dict[str, Any]] = []
    for path in found:
        info = json.loads(path.read_text(encoding="utf-8"))
        for set_name, entry in info["sets"].items():
            manifest = path.parent / entry["manifest"]
            row: dict[str, Any] = {"lang": info["lang"], "set": set_name, "speakers": entry.get("speakers", []),
                                   "utterances": entry.get("utterances")}  # fmt: skip
            for role, name in (("model", model), ("baseline", baseline)):
                if name is None:
                    continue
                details = None
                if details_dir is not None:
                    Path(details_dir).mkdir(parents=True, exist_ok=True)
                    details = Path(details_dir) / f"{role}-{info['lang']}-{set_name}.jsonl"
                result = evaluate_asr(name, manifest, lang=info["lang"], details=details, cpu_threads=cpu_threads,
                                      device=device, progress=progress, context=contexts[str(name)])  # fmt: skip
                row[role] = {"wer": result["wer"], "cer": result["cer"], "errors": result["errors"]}
                row["utterances"] = result["utterances"]
            rows.append(row)
    return {"model": str(model), "baseline": None if baseline is None else str(baseline), "rows": rows}


def suite_table(report: dict[str, Any]) -> str:
    """A Markdown table of :func:`evaluate_suite`'s report: CER (WER) per language and set."""

    def cell(scores: dict[str, Any] | None) -> str:
        if not scores or scores.get("cer") is None:
            return "-"
        return f"{100 * scores['cer']:.1f}% ({100 * scores['wer']:.1f}%)"

    base = report.get("baseline")
    head = f"| language | test set | utterances | {report['model']} CER (WER) |"
    rule = "|---|---|---|---|"
    if base:
        head += f" {base} CER (WER) |"
        rule += "---|"
    lines = [head, rule]
    for row in report["rows"]:
        line = f"| {row['lang']} | {row['set']} | {row['utterances']} | {cell(row.get('model'))} |"
        if base:
            line += f" {cell(row.get('baseline'))} |"
        lines.append(line)
    return "\n".join(lines) + "\n"
