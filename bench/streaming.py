#!/usr/bin/env python
"""Streaming latency and capacity: concurrent real-time calls against ``awal serve``.

    python bench/streaming.py DATA_DIR [--model whisper-base-awal] [--sessions 1 2 4 8] [--minutes 2]
                              [--memory-minutes 10] [--threads 2] [--out docs/bench]

DATA_DIR is laid out like the shared data folder beside the checkout; its Darija sentences
(``doda/ongoing__4*.csv``, never used in the ASR recipe's training) are spoken by espeak-ng
(``awal prepare synthetic``) and joined into a call of ``--minutes`` minutes: utterances separated
by pauses of 0.8-2 s, whose times are known. Before anything is timed.

For each number of concurrent sessions in ``--sessions``, that many clients connect to a real
``awal serve`` (a subprocess on loopback, ``--threads`` CPU threads) at once and replay the call in
real time (20 ms frames of 16 kHz ``linear16``, ``interim_results=true``, ``endpointing=300``),
each starting at a different utterance so that their speech does not line up. For every
utterance of every session, measured at the client:

* **first-partial latency**: from the moment the frame holding the utterance's first audio was
  sent to the first result with a word inside the utterance;
* **final latency**: from the moment the frame holding the utterance's last audio was sent (the
  end of speech) to the final result that completes the utterance (the last final result with a
  word inside it); the ``endpointing`` silence is part of it, as it is for a caller.

Reported per level: p50 and p95 of both, the utterances that got no words, the server's
real-time factor (decoding seconds per second of audio of one channel, from its ``/metrics``) and
how busy its engine was (decoding seconds per wall second: near 100%, it is saturated). A level *holds*
when the p95 final latency is under ``--max-final-p95`` seconds and the latencies do not grow
from the first third of the call to the last (the server keeps up). The largest level that
holds is the capacity reported.

Then ``--memory-minutes`` of the largest level that held: the server's resident memory is
sampled every second (``/proc/PID/status``), and the median of the last minute is compared with
the median of the second (RSS swings by tens of MB with each decoding step's buffers; flat
medians: the sessions' buffers are bounded and nothing leaks).

Writes ``streaming.json`` and ``streaming.png`` (latency histograms per level, latencies over
the call, memory over time) to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SR = 16000
FRAME = 320  # 20 ms


@dataclass
class Call:
    audio: np.ndarray  # int16
    spans: list[tuple[float, float]]  # (start, end) of each utterance, seconds

    @property
    def seconds(self) -> float:
        return len(self.audio) / SR


@dataclass
class SessionLog:
    offset: float  # where in the call this session started (seconds); it wraps around
    sent: list[float] = field(default_factory=list)  # monotonic time each frame was sent
    results: list[tuple[float, bool, list[tuple[float, float]]]] = field(default_factory=list)
    close_code: int | None = None


def build_call(data_dir: Path, work: Path, minutes: float, seed: int) -> Call:
    import soundfile as sf

    from awal.manifest import read_manifest
    from data_manifests.synthetic import SyntheticOptions, prepare_synthetic

    texts = sorted((data_dir / "doda").glob("ongoing__4*.csv"))
    if not texts:
        raise SystemExit(f"bench/streaming.py: no {data_dir}/doda/ongoing__4*.csv (give the shared data folder)")
    options = SyntheticOptions(lang="ary", hours=minutes / 60 * 0.75, seed=seed, heldout_fraction=0.0,
                               dev_fraction=0.0, progress=False)  # fmt: skip
    prepare_synthetic(texts, work / "corpus", options)
    rng = random.Random(seed)
    parts, spans, at = [], [], 0.0
    for record in read_manifest(work / "corpus" / "train.jsonl"):
        audio, _ = sf.read(record.audio_filepath, dtype="int16")
        pause = np.zeros(int(rng.uniform(0.8, 2.0) * SR), dtype=np.int16)
        spans.append((at + 0.05, at + len(audio) / SR - 0.05))  # espeak leaves a little silence around
        parts += [audio, pause]
        at += (len(audio) + len(pause)) / SR
        if at >= minutes * 60:
            break
    return Call(np.concatenate(parts), spans)


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_awal(model: str, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "awal.cli", "serve", "--port", str(port), "--model", model,
         "--threads", str(threads), "--max-sessions", "256"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"awal serve did not start; see {log}")


def metric(address: str, name: str) -> float:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- clients ------------------------------------------------------------------------------------


async def replay(address: str, call: Call, log: SessionLog, seconds: float) -> None:
    """One caller: ``seconds`` of the call from ``log.offset`` on (wrapping), in real time."""
    import websockets

    url = (f"ws://{address}/v1/listen?encoding=linear16&sample_rate={SR}&language=ary"
           "&interim_results=true&endpointing=300")  # fmt: skip
    start = int(log.offset * SR) // FRAME * FRAME
    frames = int(seconds * SR) // FRAME
    audio = np.roll(call.audio, -start)
    async with websockets.connect(url, max_size=None) as ws:

        async def receive() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") != "Results":
                    continue
                words = [(w["start"], w["end"]) for w in message["channel"]["alternatives"][0]["words"]]
                if words:
                    log.results.append((time.monotonic(), bool(message["is_final"]), words))

        reader = asyncio.create_task(receive())
        began = time.monotonic()
        for i in range(frames):
            delay = began + i * FRAME / SR - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            at = (i * FRAME) % len(audio)
            await ws.send(audio[at : at + FRAME].tobytes())
            log.sent.append(time.monotonic())
        await ws.send(json.dumps({"type": "CloseStream"}))
        try:
            await asyncio.wait_for(reader, timeout=60)
        except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed):
            pass
        log.close_code = ws.close_code


def _inside(words: list[tuple[float, float]], start: float, end: float) -> bool:
    """Whether a word of a result falls in the utterance [start, end] (by its middle)."""
    return any(start - 0.25 <= (a + b) / 2 <= end + 0.25 for a, b in words)


def latencies(call: Call, log: SessionLog, seconds: float) -> list[dict[str, Any]]:
    """Per utterance heard by this session: its stream times, first-partial and final latency."""
    out = []
    n_sent = len(log.sent)
    for k in range(int(seconds // call.seconds) + 1):
        for start, end in call.spans:
            s = (start - log.offset) % call.seconds + k * call.seconds
            e = s + (end - start)
            if e > n_sent * FRAME / SR - 0.5:
                continue  # not over before the session ended
            sent_start = log.sent[min(int(s * SR) // FRAME, n_sent - 1)]
            sent_end = log.sent[min(int(e * SR) // FRAME, n_sent - 1)]

            heard = [t for t, _, words in log.results if _inside(words, s, e)]
            finals = [t for t, final, words in log.results if final and _inside(words, s, e)]
            out.append({
                "at": round(s, 2),
                "first_partial": round(min(heard) - sent_start, 3) if heard else None,
                "final": round(max(finals) - sent_end, 3) if finals else None,
            })  # fmt: skip
    return out


def pct(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def level(address: str, call: Call, n: int, seconds: float, rng: random.Random) -> list[SessionLog]:
    starts = rng.sample(range(len(call.spans)), min(n, len(call.spans)))
    starts += [rng.randrange(len(call.spans)) for _ in range(n - len(starts))]
    logs = [SessionLog(offset=max(call.spans[i][0] - 0.5, 0.0)) for i in starts]
    await asyncio.gather(*(replay(address, call, log, seconds) for log in logs))
    return logs


def summarize(call: Call, logs: list[SessionLog], seconds: float, n: int, rtf: float,
              max_final_p95: float) -> dict[str, Any]:  # fmt: skip
    rows = [row for log in logs for row in latencies(call, log, seconds)]
    firsts = [r["first_partial"] for r in rows if r["first_partial"] is not None]
    finals = [r["final"] for r in rows if r["final"] is not None]
    third = seconds / 3
    early = [r["final"] for r in rows if r["final"] is not None and r["at"] < third]
    late = [r["final"] for r in rows if r["final"] is not None and r["at"] >= 2 * third]
    p95 = pct(finals, 95)
    keeps_up = bool(early and late and np.median(late) <= 1.5 * np.median(early) + 0.2)
    return {
        "sessions": n,
        "utterances": len(rows),
        "missed": sum(1 for r in rows if r["final"] is None),
        "first_partial_p50": pct(firsts, 50), "first_partial_p95": pct(firsts, 95),
        "final_p50": pct(finals, 50), "final_p95": p95,
        "real_time_factor": round(rtf, 3),
        "closed_normally": sum(1 for log in logs if log.close_code == 1000),
        "holds": bool(p95 is not None and p95 <= max_final_p95 and keeps_up),
        "keeps_up": keeps_up,
        "first_partials": firsts, "finals": finals,
        "over_time": [(r["at"], r["final"]) for r in rows if r["final"] is not None],
    }  # fmt: skip


def plot(levels: list[dict[str, Any]], memory: list[tuple[float, float]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    bins = np.linspace(0, 4, 41)
    for row in levels:
        axes[0].hist(np.clip(row["finals"], 0, 4), bins=bins, histtype="step", label=f"{row['sessions']} sessions")
        if row["over_time"]:
            at, final = zip(*sorted(row["over_time"]))
            axes[1].plot(at, final, ".", ms=3, label=f"{row['sessions']} sessions")
    axes[0].set_xlabel("final latency after end of speech (s)")
    axes[0].set_ylabel("utterances")
    axes[0].legend(fontsize=8)
    axes[0].set_title("awal serve: final latency")
    axes[1].set_xlabel("time in the call (s)")
    axes[1].set_ylabel("final latency (s)")
    axes[1].set_title("does it keep up?")
    axes[1].legend(fontsize=8)
    if memory:
        t, mb = zip(*memory)
        axes[2].plot(np.array(t) / 60, mb)
    axes[2].set_xlabel("minutes")
    axes[2].set_ylabel("server RSS (MB)")
    axes[2].set_title("memory over time")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


async def memory_run(address: str, pid: int, call: Call, n: int, seconds: float,
                     rng: random.Random) -> list[tuple[float, float]]:  # fmt: skip
    samples: list[tuple[float, float]] = []
    began = time.monotonic()
    task = asyncio.create_task(level(address, call, n, seconds, rng))
    while not task.done():
        samples.append((round(time.monotonic() - began, 1), round(rss_mb(pid), 1)))
        await asyncio.sleep(1.0)
    await task
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the shared data folder (doda/ongoing__*.csv)")
    parser.add_argument("--model", default="whisper-base-awal")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--minutes", type=float, default=2.0, help="of the call, per level")
    parser.add_argument("--memory-minutes", type=float, default=10.0, help="0: no memory run")
    parser.add_argument("--max-final-p95", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="awal-bench-streaming-") as tmp:
        work = Path(tmp)
        print("building the call (espeak-ng) ...", file=sys.stderr)
        call = build_call(args.data_dir, work, args.minutes, args.seed)
        proc, address = start_awal(args.model, args.threads, work / "server.log")
        try:
            asyncio.run(level(address, call, 1, 5.0, rng))  # warm-up
            levels = []
            seconds = args.minutes * 60
            for n in args.sessions:
                print(f"{n} session(s), {args.minutes:g} min ...", file=sys.stderr, flush=True)
                decode0, audio0 = (metric(address, "awal_decode_seconds_total"),
                                   metric(address, "awal_stream_audio_seconds_total"))  # fmt: skip
                began = time.monotonic()
                logs = asyncio.run(level(address, call, n, seconds, rng))
                wall = time.monotonic() - began
                decoded = metric(address, "awal_decode_seconds_total") - decode0
                rtf = decoded / max(metric(address, "awal_stream_audio_seconds_total") - audio0, 1e-9)
                row = summarize(call, logs, seconds, n, rtf, args.max_final_p95)
                row["engine_busy"] = round(decoded / wall, 3)
                levels.append(row)
                print(f"  final p50 {row['final_p50']} s, p95 {row['final_p95']} s; first partial p50 "
                      f"{row['first_partial_p50']} s; RTF {row['real_time_factor']}; holds: {row['holds']}",
                      file=sys.stderr, flush=True)  # fmt: skip
            held = [row["sessions"] for row in levels if row["holds"]]
            capacity = max(held) if held else 0
            memory: list[tuple[float, float]] = []
            if args.memory_minutes > 0 and capacity:
                print(f"memory: {capacity} sessions for {args.memory_minutes:g} min ...", file=sys.stderr)
                memory = asyncio.run(memory_run(address, proc.pid, call, capacity, args.memory_minutes * 60, rng))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    # RSS swings by tens of MB with each decoding step's buffers: compare medians, not two samples
    end = memory[-1][0] if memory else 0.0
    second_minute = [mb for t, mb in memory if 60 <= t < 120]
    last_minute = [mb for t, mb in memory if t >= end - 60 and t >= 120]
    growth = None
    if second_minute and last_minute:
        growth = round(float(np.median(last_minute) - np.median(second_minute)), 1)
    header = "| sessions | utterances | first partial p50 / p95 | final p50 / p95 | missed | RTF | engine busy | holds |"  # noqa: E501
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for row in levels:
        holds = "yes" if row["holds"] else "no"
        lines.append(f"| {row['sessions']} | {row['utterances']} | {row['first_partial_p50']} / "
                     f"{row['first_partial_p95']} s | {row['final_p50']} / {row['final_p95']} s | {row['missed']} | "
                     f"{row['real_time_factor']} | {row['engine_busy']:.0%} | {holds} |")  # fmt: skip
    report = "\n".join(lines)
    report += f"\n\ncapacity (largest level that holds): {capacity} concurrent real-time sessions"
    if memory and growth is not None:
        report += (f"\nmemory over {args.memory_minutes:g} min at {capacity} sessions: median RSS "
                   f"{np.median(second_minute):.0f} MB in the second minute, {np.median(last_minute):.0f} MB in the "
                   f"last ({growth:+.1f} MB)")
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": _dt.date.today().isoformat(),
        "command": "python bench/streaming.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "model": args.model, "threads": args.threads, "call_seconds": round(call.seconds, 1),
        "utterances_in_call": len(call.spans), "levels": levels, "capacity": capacity,
        "memory_mb": memory, "memory_growth_mb": growth, "table": report,
    }  # fmt: skip
    (args.out / "streaming.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'streaming.json'}")
    plot(levels, memory, args.out / "streaming.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
