#!/usr/bin/env python
"""Batch transcription throughput: ``awal transcribe`` against plain faster-whisper and transformers.

    python bench/batch.py DATA_DIR [--model whisper-base-awal] [--short 48] [--long 2] [--long-minutes 5 8]
                          [--memory-minutes 5 120] [--batch-size 8] [--threads 2] [--out docs/bench]

DATA_DIR is laid out like the shared data folder beside the checkout (the Makefile passes
``../shared/data``); its ``doda/ongoing__4*.csv`` Darija sentences (Arabic script; rounds 1 and 2
of the bundled model never trained on them, round 3 (``conf/base_gpu.yaml``) did, voiced by other
renders, so with round 3 the CER column is not a held-out figure; the speeds are unaffected) are
spoken by espeak-ng (``awal prepare synthetic``) to build, before anything is timed, two workloads:

* **short**: ``--short`` utterances of 2-8 s, one wav file each (a folder of voicemail
  prompts or call snippets);
* **long**: ``--long`` recordings of ``--long-minutes`` minutes each (5-10 min calls), made of
  other utterances joined by pauses of 0.3-2 s (several voices take turns);
* **memory**: one recording of each of ``--memory-minutes`` minutes (default 5 and 120: a call,
  and a meeting or a day's recording), the long recordings played again and again, transcribed by
  ``awal transcribe`` alone in a fresh process each (``--systems memory``: only these), for its
  peak RSS (the process's own high-water mark, ``VmHWM``; ``ru_maxrss`` is carried across exec
  from a large parent) and its RSS once the model is loaded. It stays flat with the length: the
  file is read, resampled, run through the VAD and cut into windows block by block
  (:meth:`awal.asr.transcribe.Transcriber.stream_segments`), never held whole.

Systems, the same model and audio, side by side in one run, each with ``--threads`` CPU threads:

* ``awal transcribe``: :func:`awal.asr.transcribe.transcribe_files` (what the command runs; the
  model loaded once, outside the timing) with ``--batch-size``: short inputs decoded together
  (one encoder call, greedy), long ones as speech windows (Silero VAD's speech, pauses left out,
  :mod:`awal.asr.windows`) decoded in batches;
* ``faster-whisper``: ``WhisperModel.transcribe(path, language=...)`` file after file with its
  defaults (beam 5, temperature fallback, no VAD): what a plain faster-whisper script does;
* ``faster-whisper, beam 1``: the same, greedy (the gap that is not the beam);
* ``transformers``: the Hugging Face ``automatic-speech-recognition`` pipeline (greedy,
  ``batch_size``; ``chunk_length_s=30`` on long audio) on the same model's weights in
  float32 (:func:`awal.asr.train.ct2_to_hf.convert_ct2_to_hf` of the CTranslate2 folder; int8 weights
  are dequantized): PyTorch has no int8 path for it on a CPU;
* ``engine floor``: what the CTranslate2 engine itself costs: the encoder on every window and
  greedy decoding, batched, through :class:`awal.asr.decoder.BatchDecoder` (the decoder of ``awal
  transcribe``, ``awal eval asr`` and the streaming engine), nothing else (no VAD, no word times,
  no files); on long audio, the
  recordings cut into consecutive 30-s windows. A window is encoded as ``awal transcribe``
  encodes it: 30 s, or for a model trained with short encoder contexts (its ``awal.json``) its
  own length rounded up to the model's bucket. On short files ``awal transcribe`` cannot go
  faster than this, and the gap is its pipeline's cost (reading, VAD, the ladder); on long ones
  it can, by leaving the pauses out.

Reported per workload and system: wall seconds, seconds per file, x real time (audio seconds
per wall second), the ratios of ``awal transcribe`` to each other system, and the CER of each
system against the text that was spoken (faster is no use if it is worse; on long recordings a
high CER also shows a model that drops sentences), and for the memory workloads the peak RSS (no
CER: one string of hours is too long to align). Writes ``batch.json`` and ``batch.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SR = 16000


@dataclass
class Workload:
    name: str
    paths: list[str]
    texts: list[str]  # what was spoken
    seconds: float


@dataclass
class Row:
    workload: str
    system: str
    wall: float
    files: int
    audio_seconds: float
    cer: float | None = None
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def x_real_time(self) -> float:
        return self.audio_seconds / self.wall if self.wall else 0.0

    @property
    def per_file(self) -> float:
        return self.wall / self.files if self.files else 0.0


# --- workloads ----------------------------------------------------------------------------------


def build_workloads(data_dir: Path, work: Path, n_short: int, n_long: int, minutes: tuple[float, float],
                    seed: int) -> tuple[Workload, Workload]:  # fmt: skip
    """Synthesize the text (espeak-ng), then pick the short files and join the long calls."""
    import soundfile as sf

    from awal.data.synthetic import SyntheticOptions, prepare_synthetic
    from awal.manifest import read_manifest

    texts = sorted((data_dir / "doda").glob("ongoing__4*.csv"))
    if not texts:
        raise SystemExit(f"bench/batch.py: no {data_dir}/doda/ongoing__4*.csv (give the shared data folder)")
    long_seconds = n_long * 60 * (minutes[0] + minutes[1]) / 2
    hours = (n_short * 6.0 * 1.6 + long_seconds * 1.1) / 3600  # short picks drop what is under 2 s
    options = SyntheticOptions(lang="ary", hours=hours, seed=seed, heldout_fraction=0.0, dev_fraction=0.0,
                               progress=False)  # fmt: skip
    prepare_synthetic(texts, work / "corpus", options)
    records = list(read_manifest(work / "corpus" / "train.jsonl"))
    short = [r for r in records if 2.0 <= r.duration <= 8.0][:n_short]
    chosen = {r.audio_filepath for r in short}
    rest = [r for r in records if r.audio_filepath not in chosen]
    if len(short) < n_short:
        raise SystemExit(f"bench/batch.py: only {len(short)} utterances of 2-8 s were made")
    rng = random.Random(seed)
    long_paths, long_texts, long_total = [], [], 0.0
    for i in range(n_long):
        target = rng.uniform(*minutes) * 60
        parts: list[np.ndarray] = []
        said: list[str] = []
        total = 0.0
        while total < target and rest:
            record = rest.pop(0)
            audio, rate = sf.read(record.audio_filepath, dtype="float32")
            pause = np.zeros(int(rng.uniform(0.3, 2.0) * rate), dtype=np.float32)
            parts += [audio, pause]
            said.append(record.text)
            total += (len(audio) + len(pause)) / rate
        path = work / f"call_{i + 1}.wav"
        sf.write(path, np.concatenate(parts), SR, subtype="PCM_16")
        long_paths.append(str(path))
        long_texts.append(" ".join(said))
        long_total += total
    return (
        Workload("short", [r.audio_filepath for r in short], [r.text for r in short], sum(r.duration for r in short)),
        Workload("long", long_paths, long_texts, long_total),
    )


def build_memory_inputs(long: Workload, work: Path, minutes: Sequence[float]) -> list[Workload]:
    """One recording of each length in ``minutes``: the long workload's recordings again and again,
    written block by block (the bench does not hold hours of audio either)."""
    import soundfile as sf

    out = []
    for length in minutes:
        path = work / f"memory_{length:g}min.wav"
        target, written = int(length * 60 * SR), 0
        with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
            while written < target:
                for source in long.paths:
                    for block in sf.blocks(source, blocksize=60 * SR, dtype="float32"):
                        block = block[: target - written]
                        f.write(block)
                        written += len(block)
                        if written >= target:
                            break
                    if written >= target:
                        break
        out.append(Workload(f"memory {length:g} min", [str(path)], [], written / SR))
    return out


#: Run in a fresh process per input: ``awal transcribe`` of one file, its wall time and memory.
_PEAK_RSS = """
import json, resource, sys, time
from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files

def rss_mb(field):
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024
    except OSError:  # no /proc: ru_maxrss (bytes on macOS)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)

model, lang, batch_size, threads, path = sys.argv[1:]
engine = Transcriber(model, cpu_threads=int(threads))
options = TranscribeOptions(language=lang, batch_size=int(batch_size))
loaded = rss_mb("VmRSS")
began = time.perf_counter()
(result,) = transcribe_files([path], engine, options)
print(json.dumps({"wall": time.perf_counter() - began, "peak_rss_mb": rss_mb("VmHWM"), "loaded_rss_mb": loaded,
                  "segments": len(result.segments), "error": result.error}))
"""


def peak_rss(model_path: str, lang: str, batch_size: int, threads: int, path: str) -> dict[str, Any]:
    """``awal transcribe`` of ``path`` in a fresh process: wall seconds, peak RSS and RSS once loaded (MB)."""
    import subprocess

    cmd = [sys.executable, "-c", _PEAK_RSS, model_path, lang, str(batch_size), str(threads), path]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=Path(path).parent)
    if done.returncode != 0:
        raise RuntimeError(f"awal transcribe of {path} failed:\n{done.stderr[-2000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    if row["error"]:
        raise RuntimeError(f"awal transcribe of {path} failed: {row['error']}")
    return row


# --- systems ------------------------------------------------------------------------------------


def timed(run: Callable[[list[str]], list[str]], paths: list[str]) -> tuple[float, list[str]]:
    began = time.perf_counter()
    out = run(paths)
    return time.perf_counter() - began, out


def awal_system(model_path: str, lang: str, batch_size: int, threads: int) -> Callable[[list[str]], list[str]]:
    from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files

    engine = Transcriber(model_path, cpu_threads=threads)
    options = TranscribeOptions(language=lang, batch_size=batch_size)

    def run(paths: list[str]) -> list[str]:
        results = list(transcribe_files(paths, engine, options))
        failed = [r.path for r in results if r.error]
        if failed:
            raise RuntimeError(f"awal transcribe failed on {failed}")
        return [r.text for r in results]

    return run


System = Callable[[list[str]], list[str]]


def faster_whisper_system(model_path: str, token: str, threads: int, beam: int | None) -> System:
    from faster_whisper import WhisperModel

    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=threads)
    kwargs = {} if beam is None else {"beam_size": beam}

    def run(paths: list[str]) -> list[str]:
        out = []
        for path in paths:
            segments, _ = model.transcribe(path, language=token, **kwargs)
            out.append(" ".join(s.text.strip() for s in segments))
        return out

    return run


def transformers_system(hf_dir: Path, token: str, batch_size: int, threads: int) -> Callable[[list[str]], list[str]]:
    import torch
    from transformers import pipeline

    torch.set_num_threads(threads)
    pipe: Any = pipeline("automatic-speech-recognition", model=str(hf_dir), device="cpu", dtype=torch.float32)
    if pipe.tokenizer.pad_token is None:  # Whisper pads with <|endoftext|> (batching needs a pad token)
        pipe.tokenizer.pad_token = pipe.tokenizer.eos_token

    def run(paths: list[str]) -> list[str]:
        import soundfile as sf

        inputs = []
        long = False
        for path in paths:
            audio, rate = sf.read(path, dtype="float32")
            long |= len(audio) / rate > 30
            inputs.append({"raw": audio, "sampling_rate": rate})
        extra = {"chunk_length_s": 30} if long else {}
        results = pipe(inputs, batch_size=batch_size, generate_kwargs={"language": token, "task": "transcribe"},
                       **extra)  # fmt: skip
        return [r["text"].strip() for r in results]

    return run


def floor_system(model_path: str, token: str, batch_size: int, threads: int) -> Callable[[list[str]], list[str]]:
    """The engine alone: every window (30 s at most) encoded as the model is served and decoded
    greedily, in batches."""
    import soundfile as sf
    from faster_whisper import WhisperModel

    from awal.asr.decoder import BatchDecoder, DecodeRequest
    from awal.asr.folder import read_awal_json

    info = read_awal_json(model_path)
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=threads)
    decoder = BatchDecoder(model, context_bucket_s=info.context_bucket_s, scripts=info.output_scripts())

    def run(paths: list[str]) -> list[str]:
        windows: list[tuple[int, np.ndarray]] = []
        for i, path in enumerate(paths):
            audio, _ = sf.read(path, dtype="float32")
            windows += [(i, audio[at : at + 30 * SR]) for at in range(0, len(audio), 30 * SR)]
        texts: list[list[str]] = [[] for _ in paths]
        for at in range(0, len(windows), batch_size):
            chunk = windows[at : at + batch_size]
            hyps = decoder.decode([DecodeRequest(audio, token) for _, audio in chunk], word_times=False)
            for (i, _), hyp in zip(chunk, hyps):
                texts[i].append(hyp.text)
        return [" ".join(t) for t in texts]

    return run


# --- the run ------------------------------------------------------------------------------------


def cer(refs: Sequence[str], hyps: Sequence[str], lang: str) -> float:
    from awal.scoring import score

    return round(score(refs, hyps, lang).cer, 4)


def table(rows: Sequence[Row]) -> str:
    lines = ["| workload | system | files | audio | wall | s per file | x real time | awal is faster by | CER "
             "| peak RSS |", "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        mine = next(r for r in rows if r.workload == row.workload and r.system == "awal transcribe")
        ratio = "-" if row is mine else f"{row.wall / mine.wall:.2f}x"
        if row.system == "engine floor":
            ratio = f"({mine.wall / row.wall:.2f}x the floor)"
        lines.append(
            f"| {row.workload} | {row.system} | {row.files} | {row.audio_seconds / 60:.1f} min | {row.wall:.1f} s | "
            f"{row.per_file:.2f} s | {row.x_real_time:.1f} | {ratio} | "
            f"{'-' if row.cer is None else f'{row.cer:.1%}'} | {_rss(row)} |"
        )
    return "\n".join(lines)


def _rss(row: Row) -> str:
    """``peak (model loaded: x)`` in MB, for the memory workloads."""
    if "peak_rss_mb" not in row.extra:
        return "-"
    return f"{row.extra['peak_rss_mb']:.0f} MB (loaded: {row.extra['loaded_rss_mb']:.0f} MB)"


def plot(rows: Sequence[Row], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)", file=sys.stderr)
        return
    memory = [r for r in rows if "peak_rss_mb" in r.extra]
    workloads = list(dict.fromkeys(r.workload for r in rows if r not in memory))
    panels = len(workloads) + bool(memory)
    if not panels:
        return
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 3.6))
    axes = np.atleast_1d(axes)
    if memory:  # the last panel: peak RSS against the recording's length
        ax = axes[-1]
        ax.barh([f"{r.audio_seconds / 60:.0f} min" for r in memory], [r.extra["peak_rss_mb"] for r in memory],
                color="#2a7")  # fmt: skip
        ax.invert_yaxis()
        ax.set_xlabel("peak RSS of awal transcribe (MB)")
        ax.set_title("memory: one recording each, a fresh process")
        for i, r in enumerate(memory):
            ax.text(r.extra["peak_rss_mb"], i, f" {r.extra['peak_rss_mb']:.0f}", va="center", fontsize=8)
    for ax, name in zip(axes, workloads):
        group = [r for r in rows if r.workload == name]
        colors = ["#2a7" if r.system == "awal transcribe" else "#bbb" if r.system == "engine floor" else "#58c"
                  for r in group]  # fmt: skip
        ax.barh([r.system for r in group], [r.x_real_time for r in group], color=colors)
        ax.invert_yaxis()
        ax.set_xlabel("x real time (audio seconds per wall second)")
        ax.set_title(f"{name}: {group[0].files} files, {group[0].audio_seconds / 60:.1f} min of audio")
        for i, r in enumerate(group):
            ax.text(r.x_real_time, i, f" {r.x_real_time:.1f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the shared data folder (doda/ongoing__*.csv)")
    parser.add_argument("--model", default="whisper-base-awal", help="a model awal resolves (default: the bundled)")
    parser.add_argument("--language", default="ary")
    parser.add_argument("--short", type=int, default=48, help="short files (2-8 s)")
    parser.add_argument("--long", type=int, default=2, help="long recordings")
    parser.add_argument("--long-minutes", type=float, nargs=2, default=(5.0, 8.0), metavar=("LO", "HI"))
    parser.add_argument("--memory-minutes", type=float, nargs="*", default=(5.0, 120.0),
                        help="a recording of each length: awal transcribe's peak RSS (system memory)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--systems", default="awal,faster-whisper,faster-whisper-beam1,transformers,floor,memory")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    args = parser.parse_args(argv)

    from awal.asr.folder import read_awal_json
    from awal.asr.model import resolve_model

    model_path = resolve_model(args.model)
    token = read_awal_json(model_path).whisper_token(args.language)
    wanted = args.systems.split(",")
    with tempfile.TemporaryDirectory(prefix="awal-bench-batch-") as tmp:
        work = Path(tmp)
        print("building the workloads (espeak-ng) ...", file=sys.stderr)
        workloads = build_workloads(args.data_dir, work, args.short, args.long, tuple(args.long_minutes), args.seed)
        systems: list[tuple[str, Callable[[list[str]], list[str]]]] = []
        print("loading the systems ...", file=sys.stderr)
        if "awal" in wanted:
            systems.append(("awal transcribe", awal_system(model_path, args.language, args.batch_size, args.threads)))
        if "faster-whisper" in wanted:
            systems.append(("faster-whisper", faster_whisper_system(model_path, token, args.threads, None)))
        if "faster-whisper-beam1" in wanted:
            systems.append(("faster-whisper, beam 1", faster_whisper_system(model_path, token, args.threads, 1)))
        if "transformers" in wanted:
            from awal.asr.train.ct2_to_hf import convert_ct2_to_hf

            hf_dir = convert_ct2_to_hf(model_path, work / "hf")
            systems.append(("transformers", transformers_system(hf_dir, token, args.batch_size, args.threads)))
        if "floor" in wanted:
            systems.append(("engine floor", floor_system(model_path, token, args.batch_size, args.threads)))
        # warm-up: one short file through each system (first-call costs are not throughput)
        for _, run in systems:
            run(workloads[0].paths[:1])
        rows: list[Row] = []
        for workload in workloads:
            for name, run in systems:
                print(f"{workload.name}: {name} ...", file=sys.stderr, flush=True)
                wall, texts = timed(run, workload.paths)
                row = Row(workload.name, name, round(wall, 3), len(workload.paths), round(workload.seconds, 2))
                if workload.texts and name != "engine floor":
                    row.cer = cer(workload.texts, texts, args.language)
                rows.append(row)
                print(f"  {wall:.1f} s, {row.x_real_time:.1f}x real time", file=sys.stderr, flush=True)
        if "memory" in wanted and args.memory_minutes:
            for workload in build_memory_inputs(workloads[1], work, args.memory_minutes):
                print(f"{workload.name}: awal transcribe, a fresh process ...", file=sys.stderr, flush=True)
                got = peak_rss(str(model_path), args.language, args.batch_size, args.threads, workload.paths[0])
                row = Row(workload.name, "awal transcribe", round(got["wall"], 3), 1, round(workload.seconds, 2),
                          extra={k: round(got[k], 1) for k in ("peak_rss_mb", "loaded_rss_mb")})  # fmt: skip
                rows.append(row)
                print(f"  {row.wall:.1f} s, {row.x_real_time:.1f}x real time, peak RSS {_rss(row)}",
                      file=sys.stderr, flush=True)  # fmt: skip
                Path(workload.paths[0]).unlink()
    report = table(rows)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": _dt.date.today().isoformat(),
        "command": "python bench/batch.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor()},
        "model": str(model_path),
        "batch_size": args.batch_size,
        "threads": args.threads,
        "rows": [{**asdict(r), "x_real_time": round(r.x_real_time, 2), "per_file": round(r.per_file, 3)} for r in rows],
        "table": report,
    }
    (args.out / "batch.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'batch.json'}")
    plot(rows, args.out / "batch.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
