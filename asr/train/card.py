"""Stage 5 of the ASR recipe: the model card, and the metrics recorded in ``awal.json``.

    python -m awal.asr.train.card --model EXP/model --eval EXP/eval --data DATA --run RUN_DIR --command "..."
    python -m awal.asr.train.card --summary EXP/eval/model-ary.json --label "model ary"    # one line

``--eval`` holds stage 4's ``<name>-<lang>.json`` (``awal eval asr`` output) for ``name`` in
``model`` (the exported model) and ``whisper-base`` (the untouched base on the same held-out set).
The card states the data and its licenses, the exact command, the metrics against the base, the
training run (steps, throughput, curves) and the limits; the model's own ``awal.json`` gets the
``metrics`` section, so that every loader can show what the model measured.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from awal.asr.folder import AWAL_JSON, ModelInfoError, read_awal_json, read_json, write_metrics
from awal.training.card import bundle_when_better, pct
from awal.training.metadata import read_summary

__all__ = [
    "bundle",
    "bundle_if_better_unseen",
    "eval_results",
    "heard",
    "mean_cer",
    "suite_reports",
    "unseen_cer",
    "write_card",
]

#: stage 4's test-suite reports (``awal eval asr --suite ... --report``), by the model they score: the
#: exported model, the model bundled when the round was made, the untouched base
SUITE_REPORTS = {name: f"suite-{name}.json" for name in ("model", "bundled", "whisper-base")}

#: a synthesizer as the manifests' ``synthesizer`` field names it -> (its name in the card, what it is)
_SYNTHESIZERS = {
    "espeak-ng": ("espeak-ng", "formant synthesizer: voice variants, pitch, rate"),
    "kokoro": ("Kokoro-82M", "a neural voice trained on people: its style vectors and blends of two"),
    "piper": ("Piper", "VITS voices trained on people"),
}

_LICENSES = {
    "ary": "Darija Open Dataset (DODa) sentences, CC BY-NC 4.0: the model is a derivative of non-commercial "
    "material; retrain on text you may use for a commercial default",
    "zgh": "Common Voice Tamazight (zgh) sentence list, CC0",
    "kab": "Common Voice Kabyle sentence list, CC0",
}


def summary_line(result: Mapping[str, Any]) -> str:
    """``WER 12.3%  CER 4.5%  (105 utterances, RTF 0.21)``."""
    rtf = result.get("rtf")
    speed = f", RTF {rtf:.2f}" if isinstance(rtf, (int, float)) else ""
    wer, cer = pct(result.get("wer")), pct(result.get("cer"))
    return f"WER {wer}  CER {cer}  ({result.get('utterances')} utterances{speed})"


def suite_reports(folder: Path) -> dict[str, dict[str, Any]]:
    """``{name: report}`` for each of :data:`SUITE_REPORTS` found in ``folder``."""
    return {name: json.loads((folder / file).read_text(encoding="utf-8"))
            for name, file in SUITE_REPORTS.items() if (folder / file).is_file()}  # fmt: skip


def _suite_scores(report: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(lang, set): {"wer", "cer", "utterances"}}`` of a suite report's scored model."""
    out = {}
    for row in report.get("rows", []):
        scores = row.get("model") or {}
        if isinstance(scores.get("cer"), (int, float)):
            out[(row["lang"], row["set"])] = {"wer": scores.get("wer"), "cer": scores["cer"],
                                              "utterances": row.get("utterances")}  # fmt: skip
    return out


def unseen_cer(report: Mapping[str, Any], lang: str | None = None) -> float | None:
    """The mean CER over a suite report's ``unseen-*`` sets (voices no training corpus holds), of
    every language or of ``lang``."""
    cers = [s["cer"] for (code, name), s in _suite_scores(report).items()
            if name.startswith("unseen-") and lang in (None, code)]  # fmt: skip
    return sum(cers) / len(cers) if cers else None


def heard(manifests: Sequence[Path]) -> dict[str, Any]:
    """What the training manifests made the model hear: hours and speakers per synthesizer, and the
    share of utterances through a simulated room, each codec, each noise, a telephone band."""
    voices: dict[str, dict[str, Any]] = {}
    total, hours, rooms, tel = 0, 0.0, 0, 0.0
    codecs: dict[str, int] = {}
    noises: dict[str, int] = {}
    speakers: dict[str, set[str]] = {}
    for manifest in manifests:
        try:
            lines = manifest.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            seconds = float(row.get("duration") or 0)
            synth = str(row.get("synthesizer") or "espeak-ng")
            entry = voices.setdefault(synth, {"hours": 0.0, "utterances": 0})
            entry["hours"] += seconds / 3600
            entry["utterances"] += 1
            speakers.setdefault(synth, set()).add(str(row.get("speaker")))
            total, hours = total + 1, hours + seconds / 3600
            rooms += bool(row.get("room"))
            tel += seconds / 3600 if row.get("telephone") else 0.0
            codec = row.get("codec") or row.get("telephone_codec")
            if codec:
                codecs[codec] = codecs.get(codec, 0) + 1
            if row.get("noise"):
                noises[row["noise"]] = noises.get(row["noise"], 0) + 1
    for synth, entry in voices.items():
        entry["speakers"] = len(speakers[synth])
        entry["hours"] = round(entry["hours"], 3)
    return {"utterances": total, "hours": round(hours, 3), "voices": voices,
            "room_share": rooms / total if total else 0.0, "telephone_hours": round(tel, 3),
            "codecs": dict(sorted(codecs.items())), "noises": dict(sorted(noises.items()))}  # fmt: skip


def _heard_lines(summary: Mapping[str, Any]) -> list[str]:
    """The card's "what it has heard, what it has not" section."""
    from awal.data.voices import RESERVED

    lines = ["## What it has heard, and what it has not", ""]
    if summary.get("utterances"):
        lines.append(
            f"Heard in this round's training ({summary['utterances']} utterances, {summary['hours']:.2f} h), "
            "every voice reading espeak-ng's phonemes for the line:"
        )
        lines.append("")
        for synth, v in sorted(summary["voices"].items()):
            name, what = _SYNTHESIZERS.get(synth, (synth, ""))
            lines.append(f"- {name}{f' ({what})' if what else ''}: {v['speakers']} speakers, {v['hours']:.2f} h")
        codecs = ", ".join(summary.get("codecs") or {}) or "none"
        noises = ", ".join(summary.get("noises") or {}) or "none"
        lines += [
            f"- simulated rooms (pyroomacoustics) on {100 * summary['room_share']:.0f}% of the utterances; "
            f"codecs {codecs}; noises {noises}; {summary['telephone_hours']:.2f} h at telephone band (8 kHz)"
        ]
    reserved = ", ".join(f"`{v}`" for v in sorted(RESERVED))
    lines += [
        "",
        "Never heard:",
        "",
        "- **a human voice saying Darija or Tamazight**: every training voice is a synthesizer, and the neural "
        "ones speak espeak-ng's phonemes with the accent of the language they were trained on",
        f"- the voices reserved for evaluation ({reserved}): the test suite's `unseen-*` rows measure them",
        "- real rooms, real telephone lines, spontaneous speech, code-switching with French or Spanish",
    ]
    return lines


def _suite_lines(reports: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The card's test-suite table: this model, the model bundled before it, the untouched base."""
    columns = [(name, label) for name, label in (("model", "this model"), ("bundled", "bundled before"),
                                                 ("whisper-base", "whisper-base, untouched"))
               if name in reports]  # fmt: skip
    scores = {name: _suite_scores(reports[name]) for name, _ in columns}
    keys = list(dict.fromkeys(k for name, _ in columns for k in scores[name]))
    lines = [
        "## Test suite (`awal eval asr --suite`): held-out sentences per condition",
        "",
        "Every sentence is one no training corpus holds (`awal prepare test-suite`; the corpora leave them out "
        "with `--exclude`). `espeak`: espeak-ng voices; `unseen-<voice>`: a voice reserved for evaluation; "
        "`telephone`: 8 kHz codecs; `ordinary`: hand-written Darija in ordinary spelling; `espeak-doda`: the "
        "`espeak` sentences scored against DODa's letter-mirroring spelling. CER (WER), each model as it is served.",
        "",
        "| language | test set | utterances | " + " | ".join(label for _, label in columns) + " |",
        "|---|---|---|" + "---|" * len(columns),
    ]
    for lang, name in keys:
        cells = []
        for model, _ in columns:
            s = scores[model].get((lang, name))
            cells.append(f"{pct(s['cer'])} ({pct(s['wer'])})" if s else "-")
        utts = next(scores[m][(lang, name)]["utterances"] for m, _ in columns if (lang, name) in scores[m])
        lines.append(f"| {lang} | {name} | {utts} | " + " | ".join(cells) + " |")
    means = []
    for lang in dict.fromkeys(code for code, _ in keys):
        cers = [(label, unseen_cer(reports[name], lang)) for name, label in columns]
        if any(cer is not None for _, cer in cers):
            means.append(f"{lang}: " + ", ".join(f"{label} {pct(cer)}" for label, cer in cers if cer is not None))
    if means:
        lines += ["", "Mean CER over the unseen voices, " + "; ".join(means) + "."]
    return lines


def eval_results(folder: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{name: {lang: awal eval asr output}}`` from ``<name>-<lang>.json`` files."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name in SUITE_REPORTS.values():
            continue
        name, _, lang = path.stem.rpartition("-")
        if name:
            out.setdefault(name, {})[lang] = json.loads(path.read_text(encoding="utf-8"))
    return out


def _data_rows(data: Path, langs: Sequence[str], train_manifests: Sequence[Path] = ()) -> list[str]:
    """One row per language: what it trained on (each training manifest of that language, by its
    folder, when the run names them; else ``synthetic-<lang>``'s train split), then its dev and
    test splits."""
    trained: dict[str, list[str]] = {}
    for manifest in train_manifests:
        count, hours, lang = 0, 0.0, None
        try:
            for line in manifest.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    count, hours, lang = count + 1, hours + float(row.get("duration") or 0) / 3600, row.get("lang")
        except (OSError, ValueError):
            continue
        if lang:
            trained.setdefault(lang, []).append(f"{manifest.parent.name} {count} utt / {hours:.2f} h")
    rows = []
    for lang in langs:
        stats_path = data / f"synthetic-{lang}" / "stats.json"
        splits = json.loads(stats_path.read_text(encoding="utf-8")).get("splits", {}) if stats_path.is_file() else {}
        cells = [f"train: {', '.join(trained[lang])}"] if lang in trained else []
        for split in ("dev", "test") if cells else ("train", "dev", "test"):
            s = splits.get(split, {})
            if s:
                cells.append(f"{split} {s.get('utterances')} utt / {s.get('hours', 0):.2f} h")
        if cells:
            rows.append(f"| {lang} | {'; '.join(cells)} | {_LICENSES.get(lang, '')} |")
    return rows


def _manifest_paths(value: Any) -> list[Path]:
    """The training manifests a run names (``train_ds.manifest_filepath``: a path, a list, or the
    string of a list as the training summary keeps it)."""
    import re

    text = " ".join(value) if isinstance(value, (list, tuple)) else str(value or "")
    return [Path(m) for m in re.findall(r"[^\s\[\],'\"]+\.jsonl?", text)]


def _metric_rows(keys: Sequence[str], ours: Mapping[str, Mapping[str, Any]],
                 base: Mapping[str, Mapping[str, Any]]) -> list[str]:  # fmt: skip
    """Table rows ``| test set | model | WER | CER | utterances |``, this model then the base."""
    rows = []
    for key in keys:
        for name, results in (("whisper-base-awal (this model)", ours), ("whisper-base, untouched", base)):
            r = results.get(key)
            if r:
                rows.append(f"| {key} | {name} | {pct(r.get('wer'))} | {pct(r.get('cer'))} | {r.get('utterances')} |")
    return rows


def write_card(model: Path, evals: Mapping[str, Mapping[str, Mapping[str, Any]]], data: Path,
               run: Path | None, command: str, note: str = "",
               suite: Mapping[str, Mapping[str, Any]] | None = None) -> Path:  # fmt: skip
    """Write ``model/MODEL_CARD.md`` and the ``metrics`` of ``model/awal.json``; returns the card.

    ``suite``: :func:`suite_reports` (stage 4's test-suite reports): the card gets their table and
    ``awal.json``'s metrics a ``suite`` list (a row per language and set: this model's scores)."""
    read_awal_json(model)  # an ASR model folder this awal reads, or ModelInfoError
    info = read_json(model / AWAL_JSON, ModelInfoError)
    langs = sorted(info.get("languages", {}))
    ours = evals.get("model", {})
    base = evals.get("whisper-base", {})

    def test_set(key: str) -> str:
        lang, _, condition = key.partition("_")
        if condition == "packed":
            return f"packed-{lang}/test.jsonl (2-4 held-out sentences per window)"
        if condition == "short":
            return f"synthetic-{lang}/test.jsonl (held-out sentences, short encoder contexts)"
        return f"synthetic-{lang}/test.jsonl (held-out sentences)"

    metrics: dict[str, Any] = {
        key: {k: ours[key].get(k) for k in ("wer", "cer", "utterances", "rtf", "profile")} | {"test_set": test_set(key)}
        for key in sorted(ours)
        if key in langs or key.partition("_")[0] in langs
    }
    if suite and "model" in suite:
        suite_scores = _suite_scores(suite["model"])
        for (lang, name), scores in suite_scores.items():
            if name == "espeak" and lang in langs and lang not in metrics:  # no other held-out set scored
                metrics[lang] = {
                    **scores,
                    "profile": "scoring",
                    "test_set": f"test suite {lang}/espeak (held-out sentences, espeak-ng voices)",
                }
        metrics["suite"] = [{"lang": lang, "set": name, **scores} for (lang, name), scores in suite_scores.items()]
    write_metrics(model, metrics)

    training: dict[str, Any] = {}
    summary = read_summary(run / "hf", kind="whisper") if run is not None else None
    if summary is not None:
        training = summary.to_json()
    trained_on = heard(_manifest_paths(training.get("train_manifest")))
    neural = sorted(_SYNTHESIZERS.get(v, (v, ""))[0] for v in trained_on["voices"] if v != "espeak-ng")
    voices = f"synthetic voices (espeak-ng and {', '.join(neural)})" if neural else "espeak-ng's voices"
    size_mb = (model / "model.bin").stat().st_size / 1e6
    model_cfg = ((training or {}).get("config", {}).get("model", {})) or {}
    top = int(model_cfg.get("encoder_trainable_layers") or 0)
    init = str(model_cfg.get("init_from") or "")
    earlier = Path(init).name if "/" in init and "whisper-base" != Path(init).name else ""  # a folder: a round
    if model_cfg and not model_cfg.get("freeze_encoder", False):
        kept = "but the token embeddings " if model_cfg.get("freeze_token_embeddings") else ""
        scale = float(model_cfg.get("encoder_lr_scale", 1.0))
        frozen = (f"with every layer {kept}trained (the encoder at {scale:g}x the "
                  "decoder's learning rate, with SpecAugment and dropout),")  # fmt: skip
        encoder_limit = ("- The whole encoder was trained on espeak-ng's voices: it may have lost part of what base "
                         "heard in real speech (unmeasured here), and what base could not hear (noisy telephone "
                         "speech, fast speech) it has not learned either.")  # fmt: skip
    elif top and earlier:
        frozen = (f"continued from an earlier round's model (`{earlier}`) with the encoder frozen but for its top "
                  f"{top} layers,")  # fmt: skip
        encoder_limit = (f"- Its encoder's top {top} layers trained on {voices} in this round; the layers below are "
                         "the earlier round's: what they could not hear, this model cannot hear either.")  # fmt: skip
    elif top:
        frozen = (f"with the encoder frozen but for its top {top} layers, so that what base learned from real "
                  "speech is kept in the layers below,")  # fmt: skip
        encoder_limit = (f"- The encoder is base's but for its top {top} layers, trained on {voices}: what "
                         "base cannot hear (noisy telephone speech, fast speech) it cannot hear either.")  # fmt: skip
    else:
        frozen = "with the encoder frozen, so that what base learned from real speech is kept,"
        encoder_limit = ("- The encoder is base's, frozen: what base cannot hear (noisy telephone speech, fast "
                         "speech) it cannot hear either.")  # fmt: skip
    lines = [
        "# whisper-base-awal: Whisper base fine-tuned for Darija and Tamazight on synthetic speech",
        "",
        "OpenAI's multilingual Whisper **base** (MIT), fine-tuned by awal's recipe "
        f"(`recipes/asr/whisper`) {frozen} and the decoder taught to write Darija in Arabic script and "
        "Tamazight in IRCAM Latin (served in Tifinagh through `awal.text`). CTranslate2 "
        f"{info.get('quantization')}, {size_mb:.1f} MB; faster-whisper loads this folder.",
        "",
        "## Languages",
        "",
        "| awal code | Whisper token | script of the output | other scripts (through awal.text) |",
        "|---|---|---|---|",
    ]
    for lang in langs:
        entry = info["languages"][lang]
        others = ", ".join(s for s in entry.get("scripts", []) if s != entry.get("default_script"))
        lines.append(f"| {lang} | `<|{entry['whisper_token']}|>` | {entry.get('default_script')} | {others} |")
    lines += [
        "",
        "## Data",
        "",
        "Speech synthesized from real text by `awal prepare synthetic`: espeak-ng (voices from pitch, rate "
        "and variant; speed perturbation; noise)"
        + (
            f" and neural voices trained on people ({', '.join(neural)}), reading espeak-ng's phonemes, through "
            "simulated rooms and codecs"
            if neural
            else ""
        )
        + ". The test sentences are held out: never spoken in training.",
        "",
        "| language | utterances | text source and license |",
        "|---|---|---|",
        *_data_rows(data, langs, _manifest_paths(training.get("train_manifest"))),
    ]
    if any(lang in ours for lang in langs):
        lines += [
            "",
            "## Metrics (held-out synthetic test sets, `awal eval asr`, greedy, int8 on CPU)",
            "",
            "| language | model | WER | CER | utterances |",
            "|---|---|---|---|---|",
            *_metric_rows(langs, ours, base),
        ]
    extra = sorted(k for k in ours if k not in langs and "_" in k)
    if extra:
        lines += [
            "",
            "Other conditions: `<lang>_packed`, several sentences in one window (2-4 held-out sentences "
            "joined by pauses, `python -m awal.data.pack`; a model that stops after the first "
            "sentence fails these); `<lang>_short`, the same test set with short encoder contexts "
            "(`awal eval asr --context short`: what the streaming engine and batched transcription "
            "give a model trained with `encoder_context`):",
            "",
            "| test set | model | WER | CER | utterances |",
            "|---|---|---|---|---|",
        ]
        lines += _metric_rows(extra, ours, base)
    lines += ["", "Scoring profile `scoring` (awal.scoring); hypotheses are written in the reference's script."]
    if suite:
        lines += ["", *_suite_lines(suite), "", *_heard_lines(trained_on)]
    if training:
        best = training.get("best", {})
        cfg = training.get("config", {})
        where = ""
        if training.get("accelerator"):
            where = f" ({training['accelerator']}, {training.get('devices')} device(s))"
        lines += [
            "",
            "## Training",
            "",
            f"- config `{cfg.get('name', '?')}`: {training.get('global_step')} steps of "
            f"{cfg.get('model', {}).get('train_ds', {}).get('batch_size', '?')} utterances, "
            f"best checkpoint at step {best.get('step')} (validation CER {pct(best.get('val_cer'))} at the "
            "last validation up to that step, greedy, in the training scripts)",
            f"- throughput of the last run: {training.get('train_utts_per_s') or 0:.2f} utterances/s{where}",
            "- training curves: `curves.png` beside this card",
        ]
        curves = run / "curves" / "curves.png" if run else None
        if curves and curves.is_file():
            (model / "curves.png").write_bytes(curves.read_bytes())
    lines += [
        "",
        "## Command",
        "",
        "```sh",
        command,
        "```",
        *(["", note] if note else []),
        "",
        "## Limits",
        "",
        "- It has heard synthetic voices only ("
        + (
            f"espeak-ng and {', '.join(neural)}, all reading espeak-ng's phonemes"
            if neural
            else "espeak-ng, which reads Darija with an Arabic voice and Tamazight through a transliteration"
        )
        + "). Its accuracy on real speech is unmeasured here and will be "
        "far worse than on the test sets above: for real use, fine-tune on real corpora (Common Voice, "
        "DVoice, ...) with the GPU configs (`conf/whisper_small_gpu.yaml`, `conf/whisper_large_v3_turbo_gpu.yaml`).",
        encoder_limit,
        "- Only the languages in the table were trained. Tachelhit, Central Atlas Tamazight and Tarifit use "
        "the zgh entry (their spelling differs; unmeasured); a language without an entry (Kabyle) is refused.",
        "- License: Whisper base is MIT; the Darija half is a derivative of DODa (CC BY-NC 4.0): "
        "non-commercial use only, unless retrained on other text.",
        "",
    ]
    card = model / "MODEL_CARD.md"
    card.write_text("\n".join(lines), encoding="utf-8")
    return card


def mean_cer(model: Path) -> float | None:
    """The mean held-out CER over the languages in ``model/awal.json``'s metrics, as the model is
    served: a model trained with short encoder contexts encodes short inputs short, so its
    ``<lang>_short`` row counts where it has one; other conditions (``<lang>_packed``) do not."""
    try:
        info = json.loads((model / "awal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    metrics = info.get("metrics") or {}
    short = bool((info.get("encoder_context") or {}).get("bucket_s"))
    cers = []
    for lang, row in metrics.items():
        if "_" in lang:
            continue
        served = metrics.get(f"{lang}_short") if short else None
        chosen = served if isinstance(served, dict) else row
        if isinstance(chosen, dict) and isinstance(chosen.get("cer"), (int, float)):
            cers.append(float(chosen["cer"]))
    return sum(cers) / len(cers) if cers else None


def bundle(model: Path, dest: Path) -> bool:
    """Copy ``model`` to ``dest`` when its mean held-out CER as served is lower than ``dest``'s."""
    return bundle_when_better(model, dest, mean_cer, "mean CER", "4 and 5")


#: How much lower (CER, absolute) the mean on the unseen voices must be for a round to replace the
#: bundled model: the suite's sets hold 40 sentences each, and a new binary stays in git for good.
MIN_UNSEEN_GAIN = 0.01


def bundle_if_better_unseen(model: Path, dest: Path, eval_dir: Path, min_gain: float = MIN_UNSEEN_GAIN) -> bool:
    """Copy ``model`` to ``dest`` when its mean CER on the test suite's unseen voices is lower, by
    more than ``min_gain``, than that of the model bundled when stage 4 scored both
    (``suite-model.json``, ``suite-bundled.json`` in ``eval_dir``: the same suite, the same decoding)."""
    reports = suite_reports(eval_dir)
    if "model" not in reports:
        raise SystemExit(f"{eval_dir}: no {SUITE_REPORTS['model']} (run stage 4 first)")
    scores = {model: unseen_cer(reports["model"]), dest: unseen_cer(reports.get("bundled", {}))}
    return bundle_when_better(model, dest, scores.get, "mean CER on unseen voices", "4", margin=min_gain)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.asr.train.card", description=__doc__.split("\n\n")[0])
    parser.add_argument("--summary", help="print one line for this `awal eval asr` JSON and stop")
    parser.add_argument("--label", default="")
    parser.add_argument("--model", help="the exported model folder")
    parser.add_argument("--eval", help="stage 4's folder of <name>-<lang>.json")
    parser.add_argument("--data", help="the data folder of stage 0")
    parser.add_argument("--run", help="the training run folder (with hf/ and curves/curves.png)")
    parser.add_argument("--command", default="recipes/asr/whisper/run.sh")
    parser.add_argument("--note", default="", help="a paragraph about how the run went, under the command")
    parser.add_argument("--bundle", metavar="DEST", help="copy --model to DEST if its held-out CER is lower")
    parser.add_argument("--unseen", action="store_true",
                        help="with --bundle: compare the mean CER on the test suite's unseen voices (--eval's "
                        "suite-model.json against suite-bundled.json), not the held-out CER")  # fmt: skip
    parser.add_argument("--min-gain", type=float, default=100 * MIN_UNSEEN_GAIN, metavar="POINTS",
                        help="with --unseen: how much lower the mean CER must be, in percentage points "
                        f"(default {100 * MIN_UNSEEN_GAIN:g})")  # fmt: skip
    args = parser.parse_args(argv)
    if args.bundle:
        if not args.model:
            parser.error("--bundle needs --model")
        if args.unseen:
            if not args.eval:
                parser.error("--unseen needs --eval")
            bundle_if_better_unseen(Path(args.model), Path(args.bundle), Path(args.eval), args.min_gain / 100)
        else:
            bundle(Path(args.model), Path(args.bundle))
        return 0
    if args.summary:
        result = json.loads(Path(args.summary).read_text(encoding="utf-8"))
        print(f"{args.label:<18} {summary_line(result)}")
        return 0
    if not (args.model and args.eval and args.data):
        parser.error("--model, --eval and --data are needed to write the card")
    card = write_card(Path(args.model), eval_results(Path(args.eval)), Path(args.data),
                      Path(args.run) if args.run else None, args.command, args.note,
                      suite_reports(Path(args.eval)))  # fmt: skip
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
