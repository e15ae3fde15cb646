#!/usr/bin/env python
"""Streaming latency and capacity: concurrent real-time calls against ``awal serve``.

    python bench/streaming.py DATA_DIR [--model whisper-base-awal] [--sessions 1 2 4 8] [--minutes 2]
                              [--memory-minutes 10] [--peer-memory-minutes M] [--threads 2] [--out docs/bench]

DATA_DIR is laid out like the shared data folder beside the checkout; its Darija sentences
(``doda/ongoing__4*.csv``: rounds 1 and 2 of the bundled model never trained on them, round 3
did, so with round 3 the CER is not a held-out figure; the latencies are unaffected) are spoken by espeak-ng
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

Then ``--memory-minutes`` of the largest level that held (or 1 session): the server's resident memory is
sampled every second (``/proc/PID/status``), and the median of the last minute is compared with
the median of the second (RSS swings by tens of MB with each decoding step's buffers; flat
medians: the sessions' buffers are bounded and nothing leaks).

``--peers whisperlive,whisperlivekit`` runs the same call, levels and memory run against the
peers, one after the other, each serving the same CTranslate2 model folder on the CPU with the
same threads (``OMP_NUM_THREADS``; they set no CTranslate2 thread count of their own), from
their own virtual environments under ``--peers-dir`` (``bench/peers/setup.sh`` makes them):

* **WhisperLive** (``whisper-live``): its ``TranscriptionServer`` with the ``faster_whisper``
  backend and the model folder (one shared model, as it does for a custom model); the client
  sends its JSON config with ``use_vad: true``, float32 frames, and reads ``segments``
  (``completed`` ones are final). It does not decode what is buffered at ``END_OF_AUDIO``, so
  the client waits 5 s after the last frame before sending it.
* **WhisperLiveKit** (``whisperlivekit``): ``whisperlivekit-server --backend faster-whisper
  --backend-policy localagreement --model_dir ... --lan ar --pcm-input`` (the policy that runs
  offline on a CTranslate2 folder); int16 frames to ``/asr``; ``lines`` are final (with
  times), ``buffer_transcription`` is the partial; an empty frame ends the stream.

A peer's result is matched to the utterances its times overlap (its segments can span several).
The RTF and engine columns are awal's own ``/metrics``; the peers have none.

Writes ``streaming.json`` and ``streaming.png`` (per system: latency histograms per level,
latencies over the call, memory over time) to ``--out``.
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
from collections.abc import Awaitable, Callable, Sequence
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

    from awal.data.synthetic import SyntheticOptions, prepare_synthetic
    from awal.manifest import read_manifest

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


def wait_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the server did not open port {port}; see {log}")


def peer_env(threads: int) -> dict[str, str]:
    # the peers set no CTranslate2 thread count: OMP_NUM_THREADS decides it (4 by default)
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1"}


def start_whisperlive(peers: Path, model: str, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    """WhisperLive's TranscriptionServer (faster_whisper backend, one shared model: what it does
    with a custom model), on loopback; its wheel has no launcher of its own."""
    port = free_port()
    code = ("from whisper_live.server import TranscriptionServer; TranscriptionServer().run("
            f"'127.0.0.1', port={port}, backend='faster_whisper', faster_whisper_custom_model_path={model!r}, "
            "single_model=True, max_clients=256, max_connection_time=36000)")  # fmt: skip
    proc = subprocess.Popen([str(peers / "whisperlive-venv" / "bin" / "python"), "-c", code],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=peer_env(threads))  # fmt: skip
    wait_port(port, proc, log)
    return proc, f"127.0.0.1:{port}"


def start_whisperlivekit(peers: Path, model: str, threads: int, log: Path,
                         warmup: Path) -> tuple[subprocess.Popen, str]:  # fmt: skip
    """WhisperLiveKit with its faster-whisper backend and LocalAgreement policy (the one that
    runs offline on a CTranslate2 folder), raw PCM input."""
    port = free_port()
    proc = subprocess.Popen(
        [str(peers / "whisperlivekit-venv" / "bin" / "whisperlivekit-server"), "--host", "127.0.0.1",
         "--port", str(port), "--backend", "faster-whisper", "--backend-policy", "localagreement",
         "--model_dir", model, "--lan", "ar", "--pcm-input", "--warmup-file", str(warmup)],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, env=peer_env(threads),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"whisperlivekit-server exited ({proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if json.loads(r.read()).get("ready"):
                    return proc, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"whisperlivekit-server did not become ready; see {log}")


# --- clients ------------------------------------------------------------------------------------


async def replay(address: str, call: Call, log: SessionLog, seconds: float) -> None:
    """One caller: ``seconds`` of the call from ``log.offset`` on (wrapping), in real time."""
    import websockets

    url = (f"ws://{address}/v1/listen?encoding=linear16&sample_rate={SR}&language=ary"
           "&interim_results=true&endpointing=300")  # fmt: skip
    audio = _session_audio(call, log, seconds)
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
        await _send_paced(ws, audio, log)
        await ws.send(json.dumps({"type": "CloseStream"}))
        try:
            await asyncio.wait_for(reader, timeout=60)
        except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed):
            pass
        log.close_code = ws.close_code


def _clock(value: str) -> float:
    """WhisperLiveKit's ``H:MM:SS.cc`` as seconds."""
    h, m, sec = value.split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


async def replay_whisperlive(address: str, call: Call, log: SessionLog, seconds: float, tail: float = 5.0) -> None:
    """One caller of WhisperLive: its JSON config, float32 frames in real time; its segments
    (``completed`` ones are final); it does not decode what is buffered at END_OF_AUDIO, so the
    client waits ``tail`` seconds for the last update first."""
    import uuid

    import websockets

    audio = _session_audio(call, log, seconds).astype(np.float32) / 32768.0
    async with websockets.connect(f"ws://{address}", max_size=None) as ws:
        await ws.send(json.dumps({"uid": str(uuid.uuid4()), "language": "ar", "task": "transcribe",
                                  "model": "base", "use_vad": True}))  # fmt: skip
        while json.loads(await ws.recv()).get("message") != "SERVER_READY":
            pass

        async def receive() -> None:
            done: set[tuple[str, str, str]] = set()  # completed segments come again in every message
            async for raw in ws:
                message = json.loads(raw)
                for seg in message.get("segments") or []:
                    if not seg.get("text", "").strip():
                        continue
                    span = (float(seg["start"]), float(seg["end"]))
                    if seg.get("completed"):
                        key = (seg["start"], seg["end"], seg["text"])
                        if key in done:
                            continue
                        done.add(key)
                    log.results.append((time.monotonic(), bool(seg.get("completed")), [span]))

        reader = asyncio.create_task(receive())
        await _send_paced(ws, audio, log)
        await asyncio.sleep(tail)
        await ws.send(b"END_OF_AUDIO")
        try:
            await asyncio.wait_for(reader, timeout=30)
        except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed):
            reader.cancel()
        log.close_code = ws.close_code


async def replay_whisperlivekit(address: str, call: Call, log: SessionLog, seconds: float) -> None:
    """One caller of WhisperLiveKit (``/asr``): int16 frames in real time; ``lines`` are final
    (with times), ``buffer_transcription`` is the partial tail (no times: it is taken to span
    from the last line's end to the audio sent so far); an empty frame ends the stream."""
    import websockets

    audio = _session_audio(call, log, seconds)
    spans = _session_spans(call, log, seconds)
    async with websockets.connect(f"ws://{address}/asr", max_size=None) as ws:

        async def receive() -> None:
            seen: set[tuple[str, float, float]] = set()
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "ready_to_stop":
                    return
                now = time.monotonic()
                last_end = 0.0
                for line in message.get("lines") or []:
                    if not line.get("text", "").strip() or line.get("speaker") == -2:
                        continue
                    key = (line["text"], _clock(line["start"]), _clock(line["end"]))
                    last_end = max(last_end, key[2])
                    if key not in seen:
                        seen.add(key)
                        log.results.append((now, True, [(key[1], key[2])]))
                if (message.get("buffer_transcription") or "").strip():
                    # the tentative text has no times: it is the speech after the last line, so it is
                    # credited to the first utterance that starts there and has been heard by now
                    heard_until = len(log.sent) * FRAME / SR
                    following = [(a, b) for a, b in spans if a >= last_end - 0.25 and a < heard_until - 0.2]
                    if following:
                        log.results.append((now, False, [following[0]]))

        reader = asyncio.create_task(receive())
        await _send_paced(ws, audio, log)
        await ws.send(b"")
        try:
            await asyncio.wait_for(reader, timeout=120)
        except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed):
            reader.cancel()
        await ws.close()
        log.close_code = 1000


def _session_spans(call: Call, log: SessionLog, seconds: float) -> list[tuple[float, float]]:
    """The utterances' (start, end) in the session's own time (it starts at ``log.offset``)."""
    out = []
    for k in range(int(seconds // call.seconds) + 2):
        for start, end in call.spans:
            s = (start - log.offset) % call.seconds + k * call.seconds
            out.append((s, s + end - start))
    return sorted(out)


def _session_audio(call: Call, log: SessionLog, seconds: float) -> np.ndarray:
    """``seconds`` of the call from ``log.offset`` on (wrapping), int16."""
    start = int(log.offset * SR) // FRAME * FRAME
    frames = int(seconds * SR) // FRAME
    return np.resize(np.roll(call.audio, -start), frames * FRAME)


async def _send_paced(ws: Any, audio: np.ndarray, log: SessionLog) -> None:
    """20 ms frames in real time; each frame's send time is logged."""
    began = time.monotonic()
    for i in range(0, len(audio), FRAME):
        delay = began + i / SR - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await ws.send(audio[i : i + FRAME].tobytes())
        log.sent.append(time.monotonic())


def _inside(spans: list[tuple[float, float]], start: float, end: float) -> bool:
    """Whether a span of a result (a word; a peer's segment) overlaps the utterance [start, end]
    by more than 0.1 s, or lies inside it."""
    return any(min(b, end) - max(a, start) > 0.1 or start <= a <= b <= end for a, b in spans)


def latencies(call: Call, log: SessionLog, seconds: float) -> list[dict[str, Any]]:
    """Per utterance heard by this session: its stream times, first-partial and final latency."""
    out = []
    n_sent = len(log.sent)
    for s, e in _session_spans(call, log, seconds):
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


Replay = Callable[[str, Call, SessionLog, float], Awaitable[None]]


async def level(replay_one: Replay, address: str, call: Call, n: int, seconds: float,
                rng: random.Random) -> list[SessionLog]:  # fmt: skip
    starts = rng.sample(range(len(call.spans)), min(n, len(call.spans)))
    starts += [rng.randrange(len(call.spans)) for _ in range(n - len(starts))]
    logs = [SessionLog(offset=max(call.spans[i][0] - 0.5, 0.0)) for i in starts]
    await asyncio.gather(*(replay_one(address, call, log, seconds) for log in logs))
    return logs


def summarize(call: Call, logs: list[SessionLog], seconds: float, n: int, rtf: float | None,
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
        "real_time_factor": None if rtf is None else round(rtf, 3),
        "closed_normally": sum(1 for log in logs if log.close_code == 1000),
        "holds": bool(p95 is not None and p95 <= max_final_p95 and keeps_up),
        "keeps_up": keeps_up,
        "first_partials": firsts, "finals": finals,
        "over_time": [(r["at"], r["final"]) for r in rows if r["final"] is not None],
    }  # fmt: skip


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Per system: final-latency histograms per level, latencies over the call, memory over time."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)", file=sys.stderr)
        return
    fig, axes = plt.subplots(len(results), 3, figsize=(16, 4 * len(results)), squeeze=False)
    bins = np.linspace(0, 6, 61)
    for (hist, over, mem), result in zip(axes, results):
        name = result["system"]
        for row in result["levels"]:
            label = f"{row['sessions']} session(s)"
            hist.hist(np.clip(row["finals"], 0, 6), bins=bins, histtype="step", label=label)
            if row["over_time"]:
                at, final = zip(*sorted(row["over_time"]))
                over.plot(at, final, ".", ms=3, label=label)
        hist.set_xlabel("final latency after end of speech (s; 6 = 6 or more)")
        hist.set_ylabel("utterances")
        if result["levels"]:
            hist.legend(fontsize=8)
        hist.set_title(f"{name}: final latency")
        over.set_xlabel("time in the call (s)")
        over.set_ylabel("final latency (s)")
        over.set_title(f"{name}: does it keep up?")
        if any(row["over_time"] for row in result["levels"]):
            over.legend(fontsize=8)
        if result["memory_mb"]:
            t, mb = zip(*result["memory_mb"])
            mem.plot(np.array(t) / 60, mb)
        mem.set_xlabel("minutes")
        mem.set_ylabel("server RSS (MB)")
        mem.set_title(f"{name}: memory over time")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


async def memory_run(replay_one: Replay, address: str, pid: int, call: Call, n: int, seconds: float,
                     rng: random.Random) -> list[tuple[float, float]]:  # fmt: skip
    samples: list[tuple[float, float]] = []
    began = time.monotonic()
    task = asyncio.create_task(level(replay_one, address, call, n, seconds, rng))
    while not task.done():
        samples.append((round(time.monotonic() - began, 1), round(rss_mb(pid), 1)))
        await asyncio.sleep(1.0)
    await task
    return samples


def run_system(name: str, proc: subprocess.Popen, address: str, call: Call, args: argparse.Namespace,
               rng: random.Random) -> dict[str, Any]:  # fmt: skip
    """Every level, then the memory run, against one started server."""
    replay_one: Replay = {"awal": replay, "whisperlive": replay_whisperlive,
                          "whisperlivekit": replay_whisperlivekit}[name]  # fmt: skip
    asyncio.run(level(replay_one, address, call, 1, 5.0, rng))  # warm-up (WhisperLive loads its model here)
    levels = []
    seconds = args.minutes * 60
    for n in args.sessions:
        print(f"{name}: {n} session(s), {args.minutes:g} min ...", file=sys.stderr, flush=True)
        decode0 = audio0 = 0.0
        if name == "awal":
            decode0 = metric(address, "awal_decode_seconds_total")
            audio0 = metric(address, "awal_stream_audio_seconds_total")
        began = time.monotonic()
        logs = asyncio.run(level(replay_one, address, call, n, seconds, rng))
        wall = time.monotonic() - began
        rtf = busy = None
        if name == "awal":
            decoded = metric(address, "awal_decode_seconds_total") - decode0
            rtf = decoded / max(metric(address, "awal_stream_audio_seconds_total") - audio0, 1e-9)
            busy = round(decoded / wall, 3)
        row = summarize(call, logs, seconds, n, rtf, args.max_final_p95)
        row["engine_busy"] = busy
        levels.append(row)
        print(f"  final p50 {row['final_p50']} s, p95 {row['final_p95']} s; first partial p50 "
              f"{row['first_partial_p50']} s; missed {row['missed']}; holds: {row['holds']}",
              file=sys.stderr, flush=True)  # fmt: skip
        if not row["holds"] and args.stop_when_failing:
            break
    held = [row["sessions"] for row in levels if row["holds"]]
    capacity = max(held) if held else 0
    memory: list[tuple[float, float]] = []
    minutes = args.memory_minutes if name == "awal" or args.peer_memory_minutes is None else args.peer_memory_minutes
    if minutes > 0:
        n = max(capacity, 1)
        print(f"{name}: memory, {n} session(s) for {minutes:g} min ...", file=sys.stderr)
        memory = asyncio.run(memory_run(replay_one, address, proc.pid, call, n, minutes * 60, rng))
    # RSS swings by tens of MB with each decoding step's buffers: compare medians, not two samples
    end = memory[-1][0] if memory else 0.0
    second_minute = [mb for t, mb in memory if 60 <= t < 120]
    last_minute = [mb for t, mb in memory if t >= end - 60 and t >= 120]
    growth = None
    if second_minute and last_minute:
        growth = round(float(np.median(last_minute) - np.median(second_minute)), 1)
    return {"system": name, "levels": levels, "capacity": capacity, "memory_minutes": minutes, "memory_mb": memory,
            "memory_growth_mb": growth,
            "memory_median_mb": (round(float(np.median(second_minute)), 1) if second_minute else None,
                                 round(float(np.median(last_minute)), 1) if last_minute else None)}  # fmt: skip


def report_table(results: list[dict[str, Any]]) -> str:
    header = "| system | sessions | utterances | first partial p50 / p95 | final p50 / p95 | missed | RTF | engine busy | holds |"  # noqa: E501
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for row in result["levels"]:
            holds = "yes" if row["holds"] else "no"
            rtf = "-" if row["real_time_factor"] is None else row["real_time_factor"]
            busy = "-" if row["engine_busy"] is None else f"{row['engine_busy']:.0%}"
            first = f"{row['first_partial_p50']} / {row['first_partial_p95']} s" if row["first_partial_p50"] else "-"
            final = f"{row['final_p50']} / {row['final_p95']} s" if row["final_p50"] is not None else "none final"
            lines.append(f"| {result['system']} | {row['sessions']} | {row['utterances']} | {first} | {final} | "
                         f"{row['missed']} | {rtf} | {busy} | {holds} |")  # fmt: skip
    report = "\n".join(lines) + "\n"
    for result in results:
        report += f"\n{result['system']}: capacity (largest level that holds) {result['capacity']} real-time sessions"
        first, last = result["memory_median_mb"]
        if result["memory_growth_mb"] is not None:
            report += (f"; memory over {result['memory_minutes']:g} min: median RSS {first:.0f} MB in the second "
                       f"minute, {last:.0f} MB in the last ({result['memory_growth_mb']:+.1f} MB)")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the shared data folder (doda/ongoing__*.csv)")
    parser.add_argument("--model", default="whisper-base-awal")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--minutes", type=float, default=2.0, help="of the call, per level")
    parser.add_argument("--memory-minutes", type=float, default=10.0, help="0: no memory run")
    parser.add_argument("--peer-memory-minutes", type=float, default=None,
                        help="the peers' memory run (default: --memory-minutes)")  # fmt: skip
    parser.add_argument("--max-final-p95", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--peers", default="", help="also whisperlive and/or whisperlivekit (comma-separated)")
    parser.add_argument("--peers-dir", type=Path, default=ROOT.parent / "peers",
                        help="folder with whisperlive-venv/ and whisperlivekit-venv/ (bench/peers/setup.sh)")
    parser.add_argument("--stop-when-failing", action="store_true", help="skip the levels above one that fails")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    args = parser.parse_args(argv)
    from awal.asr.model import resolve_model

    model_path = resolve_model(args.model)
    systems = ["awal"] + [p for p in args.peers.split(",") if p]
    unknown = set(systems) - {"awal", "whisperlive", "whisperlivekit"}
    if unknown:
        raise SystemExit(f"bench/streaming.py: unknown peers {sorted(unknown)}")
    results = []
    with tempfile.TemporaryDirectory(prefix="awal-bench-streaming-") as tmp:
        work = Path(tmp)
        print("building the call (espeak-ng) ...", file=sys.stderr)
        call = build_call(args.data_dir, work, args.minutes, args.seed)
        warmup = work / "warmup.wav"
        import soundfile as sf

        sf.write(warmup, call.audio[: 5 * SR], SR, subtype="PCM_16")
        for name in systems:
            log = work / f"{name}.log"
            if name == "awal":
                proc, address = start_awal(args.model, args.threads, log)
            elif name == "whisperlive":
                proc, address = start_whisperlive(args.peers_dir, model_path, args.threads, log)
            else:
                proc, address = start_whisperlivekit(args.peers_dir, model_path, args.threads, log, warmup)
            try:
                results.append(run_system(name, proc, address, call, args, random.Random(args.seed)))
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
    report = report_table(results)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": _dt.date.today().isoformat(),
        "command": "python bench/streaming.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "model": args.model, "threads": args.threads, "call_seconds": round(call.seconds, 1),
        "utterances_in_call": len(call.spans), "systems": results, "table": report,
    }  # fmt: skip
    (args.out / "streaming.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'streaming.json'}")
    plot(results, args.out / "streaming.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
