#!/usr/bin/env python
"""Soak test: real-time streams and abusive clients together against ``awal serve``, for minutes.

    python bench/soak.py [--minutes 30] [--streams 3] [--abuse-rate 10] [--max-sessions 8] [--abuse KIND,...]
                         [--idle-wait 20] [--keepalive-wait 75] [--missing-tolerance 0.25] [--silence-hours 4]
                         [--url ws://HOST:PORT --api-key KEY [--pid PID]] [--out docs/bench]

Not part of CI (it runs for ``--minutes``). Unless ``--url`` names a running server, it starts
``awal serve`` itself (a subprocess on loopback, with an API key it makes up and
``--max-sessions``) and waits for ``/readyz``.

**The recording.** The four Darija utterances of ``samples/audio`` (``ary_000218``, ``ary_000533``,
``ary_000390``, ``ary_000007``: held-out sentences, espeak-ng voices with noise) joined by 1.2 s of
silence, 0.5 s before and 1.5 s after: 14 s of 16 kHz ``linear16`` whose utterance times are
known. **The reference**: before the soak, one session replays it alone in real time; its final
words inside each utterance are that utterance's reference transcript (streaming against
streaming: what a loaded server must still give; the CER against the true sentences is
reported beside it).

**Clean sessions.** ``--streams`` clients, each in a loop for ``--minutes``: connect
(``interim_results=true&endpointing=300``, as bench/streaming.py), replay the recording in
real time in 20 ms frames, ``CloseStream``, read until the server closes, wait 0-3 s (callers do
not redial in step), again. A session refused at capacity (``Error unavailable``, close 1013) is
counted as *refused* and tried again 1 s later. An accepted session **loses a final** when it
ends without ``Metadata`` and close 1000, or when, for an utterance, its final words are missing,
or miss more than ``--missing-tolerance`` of the characters of both the reference and the true
sentence (substitutions + deletions of a character alignment after the ``scoring``
normalization, insertions not counted; "both": a reference that heard a word too many, or a
word the model always gets wrong, does not make a final lost). **Final latency** follows bench/streaming.py:
from sending the frame that holds an utterance's last audio to the last final result with a word
inside the utterance (the 300 ms endpointing silence is part of it). **Refusal latency**: from
opening the connection to the 1013 close.

**The abuse mix.** ``--abuse-rate`` clients a minute (0: none), in turn through a shuffled cycle
of the kinds (``--abuse`` picks some), each run concurrently with everything else. Each one's
answer from the server is classified as expected or unexpected (``ABUSE`` below lists them; a
refusal at capacity, 1013, is expected of every WebSocket kind). Any HTTP 5xx, close 1011 but
after an ``idle_timeout`` ``Error`` (Deepgram's NET-0001 close), an ``Error`` of variant
``internal``, a request that times out or a connection the server does not answer is unexpected.

**Watched throughout.** The server's resident memory (``VmRSS`` of the process and its
children, from ``/proc``) every ``--rss-interval`` seconds (with ``--url``, only if ``--pid`` is
given), and whether it is alive. At the end, once every client is done, ``/readyz`` must report
0 sessions within 30 s (every slot freed: idle, aborted and refused clients included).

Prints a table (sessions, finals lost, latencies, each abuse kind's outcomes, RSS start / max /
end and its slope in MB per 10 minutes: a least-squares line through the samples after the first
minute), writes ``soak.json``, ``soak-rss.png`` (RSS over time) and ``soak-latency.png`` (final
latency histogram) to ``--out``. Exit status 1 if a final was lost, a clean session did not end
normally, an abuse had an unexpected outcome, a slot was not freed or the server died.
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
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SR = 16000
FRAME = 320  # 20 ms
SAMPLES = ROOT / "samples" / "audio"
UTTERANCES = ("ary_000218.wav", "ary_000533.wav", "ary_000390.wav", "ary_000007.wav")
LEAD, GAP, TAIL = 0.5, 1.2, 1.5  # seconds of silence
CLEAN_QUERY = "encoding=linear16&sample_rate=16000&language=ary&interim_results=true&endpointing=300"
TIMEOUT = 120.0  # the longest any one client waits for an answer


# --- the recording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    audio: np.ndarray  # int16, 16 kHz mono
    spans: tuple[tuple[float, float], ...]  # (start, end) of each utterance, seconds
    texts: tuple[str, ...]  # the sentences spoken (the manifest's)
    parts: tuple[np.ndarray, ...]  # each utterance alone, int16

    @property
    def seconds(self) -> float:
        return len(self.audio) / SR

    def pcm(self, repeat: int = 1) -> bytes:
        return np.tile(self.audio, repeat).astype("<i2").tobytes()


def build_recording() -> Recording:
    from awal.audio import load_audio

    texts = {}
    for line in (SAMPLES / "heldout.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts[record["audio_filepath"]] = record["text"]
    pieces: list[np.ndarray] = [np.zeros(int(LEAD * SR), np.int16)]
    spans, parts, at = [], [], LEAD
    for name in UTTERANCES:
        speech = (np.clip(load_audio(SAMPLES / name, sr=SR), -1, 1) * 32767).astype(np.int16)
        spans.append((at + 0.05, at + len(speech) / SR - 0.05))  # espeak leaves a little silence around
        parts.append(speech)
        gap = np.zeros(int((GAP if name != UTTERANCES[-1] else TAIL) * SR), np.int16)
        pieces += [speech, gap]
        at += (len(speech) + len(gap)) / SR
    audio = np.concatenate(pieces)
    audio = np.resize(audio, len(audio) // FRAME * FRAME)
    return Recording(audio, tuple(spans), tuple(texts[n] for n in UTTERANCES), tuple(parts))


def wav_bytes(samples: np.ndarray, rate: int, header_rate: int | None = None) -> bytes:
    """A 16-bit mono WAV of ``samples`` whose header says ``header_rate`` (default: ``rate``)."""
    data = samples.astype("<i2").tobytes()
    rate = header_rate or rate
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    size = struct.pack("<I", len(data))
    return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + fmt + b"data" + size + data


def silent_flac(path: Path, hours: float, rate: int = 8000) -> Path:
    """``hours`` of digital silence as FLAC (it compresses to almost nothing), written once."""
    import soundfile as sf

    if path.exists():
        return path
    block = np.zeros(rate * 60, np.int16)  # a minute at a time
    with sf.SoundFile(str(path), "w", samplerate=rate, channels=1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(int(round(hours * 60))):
            f.write(block)
    return path


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(max_sessions: int, key: str, threads: int, model: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "awal.cli", "serve", "--port", str(port), "--api-key", key,
               "--max-sessions", str(max_sessions), "--model", model]  # fmt: skip
    if threads:
        command += ["--threads", str(threads)]
    proc = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench/soak.py: awal serve exited ({proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"bench/soak.py: awal serve did not become ready; see {log}")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (``/proc/PID/task/*/children``)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` and its children, MB; None once it is gone."""
    total = 0
    for p in descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            if p == pid:
                return None
    return total / 1024


def readyz(http: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{http}/readyz", timeout=5) as r:
            return dict(json.loads(r.read()))
    except (OSError, ValueError):
        return None


# --- what happened ------------------------------------------------------------------------------


@dataclass
class Stream:
    """What one WebSocket client saw."""

    opened: float = 0.0  # monotonic, before connecting
    sent: list[float] = field(default_factory=list)  # when each audio frame was sent
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    close_code: int | None = None
    http_status: int | None = None  # a refused handshake
    closed_at: float | None = None
    timed_out: bool = False
    failed: str | None = None  # the connection could not be made (or broke oddly): why

    @property
    def refused(self) -> bool:
        return self.close_code == 1013

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m for _, m in self.messages if m.get("type") == "Error"]

    @property
    def metadata(self) -> dict[str, Any] | None:
        return next((m for _, m in reversed(self.messages) if m.get("type") == "Metadata"), None)

    @property
    def ended_normally(self) -> bool:
        return self.close_code == 1000 and self.metadata is not None

    def finals(self, channel: int = 0) -> list[tuple[float, list[tuple[float, float, str]]]]:
        """(when, words) of each final result with words on ``channel``."""
        out = []
        for t, m in self.messages:
            if m.get("type") == "Results" and m.get("is_final") and m["channel_index"][0] == channel:
                words = [(w["start"], w["end"], w["word"]) for w in m["channel"]["alternatives"][0]["words"]]
                if words:
                    out.append((t, words))
        return out


@dataclass(frozen=True)
class Outcome:
    kind: str
    outcome: str  # a short label: "403", "bad_message x5, 1000", "idle close 1008 (timeout)" ...
    expected: bool
    detail: str = ""
    seconds: float = 0.0
    refused: bool = False  # a 1013 at capacity (or an idle close: a refusal the server decided)
    refusal_latencies: tuple[float, ...] = ()  # connect -> 1013 close, seconds


def _inside(start: float, end: float, w0: float, w1: float) -> bool:
    """Whether a word overlaps the utterance [start, end] by more than 0.1 s or lies inside it
    (bench/streaming.py's rule)."""
    return min(w1, end) - max(w0, start) > 0.1 or start <= w0 <= w1 <= end


def utterance_words(stream: Stream, spans: Sequence[tuple[float, float]], channel: int = 0,
                    offset: float = 0.0) -> list[tuple[str, float | None]]:  # fmt: skip
    """Per utterance (times shifted by ``offset``): its final words as one text, and when the last
    final result with a word inside it came (None if none did)."""
    finals = stream.finals(channel)
    out = []
    for s, e in spans:
        s, e = s + offset, e + offset
        words, last = [], None
        for t, ws in finals:
            inside = [w for w0, w1, w in ws if _inside(s, e, w0, w1)]
            if inside:
                words += inside
                last = t
        out.append((" ".join(words), last))
    return out


def missing_rate(ref: str, hyp: str) -> float:
    """The share of the reference's characters the hypothesis misses (substituted or deleted,
    after the ``scoring`` normalization; insertions do not count)."""
    import jiwer

    from awal.text import normalize

    ref_n, hyp_n = normalize(ref, "ary", "scoring"), normalize(hyp, "ary", "scoring")
    if not ref_n:
        return 0.0
    if not hyp_n:
        return 1.0
    out = jiwer.process_characters(ref_n, hyp_n)
    return (out.substitutions + out.deletions) / len(ref_n)


def cer(ref: str, hyp: str) -> float:
    from awal.scoring import score_utterance

    return score_utterance(ref, hyp, "ary").cer


# --- clients ------------------------------------------------------------------------------------


class Soak:
    """The server's address and key, the recording, the REST payloads, and the clients."""

    def __init__(self, address: str, key: str | None, recording: Recording, work: Path, args: argparse.Namespace):
        self.ws = f"ws://{address}/v1/listen"
        self.http = f"http://{address}"
        self.key = key
        self.recording = recording
        self.work = work
        self.args = args
        self.reference: list[str] = []
        self.stop = asyncio.Event()
        self.began = time.monotonic()  # the soak's start (after the reference run)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.key}"} if self.key else {}

    async def talk(self, query: str, client: Callable[[Any, Stream], Awaitable[None]], *,
                   headers: dict[str, str] | None = None, slow: tuple[float, float] | None = None,
                   timeout: float = TIMEOUT) -> Stream:  # fmt: skip
        """Connect to ``/v1/listen?query``, run ``client(ws, stream)`` beside a reader that keeps
        every message, wait until the server closes (at most ``timeout`` for each). ``slow``:
        (pause, delay) the reader reads nothing for ``pause`` s, then one message every ``delay``
        s, with a receive queue of one message (so that TCP pushes back on the server)."""
        import websockets
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        stream = Stream(opened=time.monotonic())
        try:
            async with websockets.connect(f"{self.ws}?{query}", additional_headers=self.auth if headers is None
                                          else headers, max_size=None, max_queue=1 if slow else 16,
                                          open_timeout=30, close_timeout=10) as ws:  # fmt: skip

                async def read() -> None:
                    if slow:
                        await asyncio.sleep(slow[0])
                    try:
                        async for raw in ws:
                            stream.messages.append((time.monotonic(), json.loads(raw)))
                            if slow:
                                await asyncio.sleep(slow[1])
                    except ConnectionClosed:
                        pass
                    stream.closed_at = time.monotonic()

                reader = asyncio.create_task(read())
                try:
                    try:
                        await asyncio.wait_for(client(ws, stream), timeout)
                    except ConnectionClosed:
                        pass  # the server closed while the client was sending: what it said is read below
                    await asyncio.wait_for(reader, timeout)
                except asyncio.TimeoutError:
                    stream.timed_out = True
                    reader.cancel()
                stream.close_code = ws.close_code
        except InvalidStatus as exc:
            stream.http_status = exc.response.status_code
        except asyncio.TimeoutError:
            stream.timed_out = True
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            stream.failed = f"{type(exc).__name__}: {exc}"[:200]
        return stream

    @staticmethod
    async def send_paced(ws: Any, pcm: bytes, stream: Stream, speed: float = 1.0, frame: int = FRAME * 2,
                         per_second: int = 2 * SR) -> None:  # fmt: skip
        """``pcm`` (``per_second`` bytes a second) in ``frame``-byte frames, ``speed`` times real
        time (0: as fast as the socket takes them)."""
        began = time.monotonic()
        for i in range(0, len(pcm), frame):
            if speed:
                delay = began + i / per_second / speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send(pcm[i : i + frame])
            stream.sent.append(time.monotonic())

    async def replay(self, speed: float = 1.0) -> Stream:
        """One clean session: the recording in real time, CloseStream, everything until the close."""
        pcm = self.recording.pcm()

        async def client(ws: Any, stream: Stream) -> None:
            await self.send_paced(ws, pcm, stream, speed)
            await ws.send(json.dumps({"type": "CloseStream"}))

        return await self.talk(CLEAN_QUERY, client)

    def missing(self, i: int, text: str) -> float:
        """What ``text`` misses of utterance ``i``: the less of what it misses of the solo
        reference and of the true sentence (a reference that heard a word too many, or a word
        the model always gets wrong, does not make a final lost)."""
        return min(missing_rate(self.reference[i], text), missing_rate(self.recording.texts[i], text))

    def judge_clean(self, stream: Stream) -> dict[str, Any]:
        """An accepted clean session: did it end normally, which finals did it lose, its latencies."""
        rec = self.recording
        row: dict[str, Any] = {"ended_normally": stream.ended_normally, "close_code": stream.close_code,
                               "lost": [], "latencies": [], "missing": [], "cer_true": []}  # fmt: skip
        n = len(stream.sent)
        for i, ((_, e), (text, last)) in enumerate(zip(rec.spans, utterance_words(stream, rec.spans))):
            ref = self.reference[i]
            miss = self.missing(i, text)
            row["missing"].append(round(miss, 3))
            row["cer_true"].append(round(cer(rec.texts[i], text), 3))
            if (ref and not text) or miss > self.args.missing_tolerance:
                row["lost"].append({"utterance": i, "reference": ref, "heard": text, "missing": round(miss, 3)})
            if last is not None and n:
                row["latencies"].append(round(last - stream.sent[min(int(e * SR) // FRAME, n - 1)], 3))
        if not stream.ended_normally:
            heard = {d["utterance"] for d in row["lost"]}
            row["lost"] += [{"utterance": i, "reference": r, "heard": None, "missing": None}
                            for i, r in enumerate(self.reference) if i not in heard]  # fmt: skip
        return row

    # --- the clean loops -------------------------------------------------------------------------

    async def clean_loop(self, index: int, results: list[dict[str, Any]], delay: float) -> None:
        """One caller after another on one line until the soak stops: refused ones try again in 1 s."""
        rng = random.Random(self.args.seed * 1000 + index)
        await asyncio.sleep(delay)
        while not self.stop.is_set():
            stream = await self.replay()
            if stream.failed:
                results.append({"stream": index, "refused": False, "failed": stream.failed})
                await asyncio.sleep(1.0)
                continue
            if stream.refused:
                results.append({"stream": index, "refused": True,
                                "refusal_latency": _refusal_latency(stream)})  # fmt: skip
                await asyncio.sleep(1.0)
                continue
            row = self.judge_clean(stream)
            row.update(stream=index, refused=False, at=round(stream.opened - self.began, 1),
                       http_status=stream.http_status, timed_out=stream.timed_out, errors=stream.errors)  # fmt: skip
            results.append(row)
            await asyncio.sleep(rng.uniform(0.0, 3.0))  # callers do not hang up and call again in step

    # --- the abuse ---------------------------------------------------------------------------------

    def _ws_common(self, kind: str, stream: Stream, started: float) -> Outcome | None:
        """The answers every WebSocket kind shares: refused at capacity, a timeout, an internal error."""
        took = round(time.monotonic() - started, 2)
        if stream.failed:
            return Outcome(kind, "connection failed", False, stream.failed, took)
        if stream.refused:
            latency = _refusal_latency(stream)
            return Outcome(kind, "1013 at capacity", True, seconds=took, refused=True,
                           refusal_latencies=() if latency is None else (latency,))  # fmt: skip
        if stream.http_status is not None and kind not in ("ws_bad_token_query", "ws_bad_bearer"):
            return Outcome(kind, f"HTTP {stream.http_status}", False, "the handshake was refused", took)
        if stream.timed_out:
            return Outcome(kind, "timeout", False, f"no close from the server within {TIMEOUT:g} s", took)
        internal = [e for e in stream.errors if e.get("variant") == "internal"]
        idle = any(e.get("variant") == "idle_timeout" for e in stream.errors)
        if internal or (stream.close_code == 1011 and not idle):  # 1011 is also Deepgram's idle close (NET-0001)
            return Outcome(kind, f"internal error, close {stream.close_code}", False, str(internal[:1]), took)
        return None

    async def ws_bad_token_query(self) -> Outcome:
        """``?token=%C3%A9`` (a non-ASCII key in the query): expected HTTP 403."""
        return await self._bad_key("ws_bad_token_query", CLEAN_QUERY + "&token=%C3%A9", {})

    async def ws_bad_bearer(self) -> Outcome:
        """``Authorization: Bearer é``: expected HTTP 403."""
        return await self._bad_key("ws_bad_bearer", CLEAN_QUERY, {"Authorization": "Bearer é"})

    async def _bad_key(self, kind: str, query: str, headers: dict[str, str]) -> Outcome:
        started = time.monotonic()

        async def client(ws: Any, stream: Stream) -> None:
            await ws.send(json.dumps({"type": "CloseStream"}))

        stream = await self.talk(query, client, headers=headers)
        took = round(time.monotonic() - started, 2)
        if stream.http_status == 403:
            return Outcome(kind, "HTTP 403", True, seconds=took)
        got = f"HTTP {stream.http_status}" if stream.http_status else f"accepted, close {stream.close_code}"
        return Outcome(kind, got, False, stream.failed or "a wrong key must be refused with 403", took)

    async def malformed_json(self) -> Outcome:
        """Five bad control messages (not JSON, a bare ``{``, an unknown type, JSON nested 100,000
        deep as a list and as objects), then an utterance at twice real time and CloseStream:
        expected an ``Error`` ``bad_message`` for each, the utterance's final words, ``Metadata``,
        close 1000."""
        kind, started = "malformed_json", time.monotonic()
        deep = 100_000
        bad = ["not json", "{", json.dumps({"type": "Nope"}), "[" * deep, '{"a":' * deep + "1" + "}" * deep]
        pcm = np.concatenate([self.recording.parts[0], np.zeros(SR, np.int16)]).astype("<i2").tobytes()

        async def client(ws: Any, stream: Stream) -> None:
            for text in bad:
                await ws.send(text)
            await self.send_paced(ws, pcm, stream, speed=2.0)
            await ws.send(json.dumps({"type": "CloseStream"}))

        stream = await self.talk("encoding=linear16&sample_rate=16000&language=ary", client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        took = round(time.monotonic() - started, 2)
        variants = [e.get("variant") for e in stream.errors]
        heard = any(words for _, words in stream.finals())
        label = f"bad_message x{variants.count('bad_message')}, close {stream.close_code}"
        ok = variants == ["bad_message"] * len(bad) and stream.ended_normally and heard
        return Outcome(kind, label, ok, "" if ok else f"errors {variants}, metadata {stream.metadata is not None}, "
                       f"final words {heard}", took)  # fmt: skip

    async def oversized_frame(self) -> Outcome:
        """A binary frame of 300 KiB (over the 256 KiB limit) or of 5 MiB (over the WebSocket's
        4 MiB message limit): expected close 1009 (with ``Error`` ``frame_too_large`` for 300 KiB)."""
        kind, started = "oversized_frame", time.monotonic()
        size = random.choice([300 * 1024, 5 * 1024 * 1024])

        async def client(ws: Any, stream: Stream) -> None:
            await ws.send(b"\0" * size)
            await ws.send(json.dumps({"type": "CloseStream"}))

        stream = await self.talk("encoding=linear16&sample_rate=16000", client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        variants = [e.get("variant") for e in stream.errors]
        ok = stream.close_code == 1009 and (size > 4 * 1024 * 1024 or "frame_too_large" in variants)
        return Outcome(kind, f"{size // 1024} KiB: close {stream.close_code}" + (f" {variants}" if variants else ""),
                       ok, "" if ok else "expected close 1009", round(time.monotonic() - started, 2))  # fmt: skip

    async def flood(self) -> Outcome:
        """400 messages back to back (tiny audio frames, or KeepAlives): expected ``Error``
        ``rate_limit``, close 1008, ``Metadata``."""
        kind, started = "flood", time.monotonic()
        keepalive = random.random() < 0.5
        message: str | bytes = json.dumps({"type": "KeepAlive"}) if keepalive else b"\0\0" * 16

        async def client(ws: Any, stream: Stream) -> None:
            for _ in range(400):
                await ws.send(message)

        stream = await self.talk("encoding=linear16&sample_rate=16000", client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        variants = [e.get("variant") for e in stream.errors]
        ok = stream.close_code == 1008 and "rate_limit" in variants and stream.metadata is not None
        what = "KeepAlive" if keepalive else "audio"
        took = round(time.monotonic() - started, 2)
        return Outcome(kind, f"{what}: close {stream.close_code} {variants}", ok,
                       "" if ok else "expected rate_limit, 1008, Metadata", took)  # fmt: skip

    async def idle_silent(self) -> Outcome:
        """Connect and send nothing: expected, within ``--idle-wait`` s (the server's idle timeout
        is 10 s), an ``Error`` (``idle_timeout``, NET-0001) and a close by the server (1011, as
        Deepgram's; counted as a refusal). Still open then: unexpected (the client ends it with
        CloseStream). Its slot must be freed (checked at the end)."""
        return await self._idle("idle_silent", keepalive=False, wait=self.args.idle_wait)

    async def keepalive_only(self) -> Outcome:
        """Connect and send only ``KeepAlive``, every 2 s: expected, within ``--keepalive-wait`` s
        (KeepAlive keeps a stream without audio open 60 s at most), an ``Error`` and a close by
        the server, as for ``idle_silent``."""
        return await self._idle("keepalive_only", keepalive=True, wait=self.args.keepalive_wait)

    async def _idle(self, kind: str, keepalive: bool, wait: float) -> Outcome:
        started = time.monotonic()
        still_open = False

        async def client(ws: Any, stream: Stream) -> None:
            nonlocal still_open
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and stream.closed_at is None and not stream.errors:
                if keepalive:
                    await ws.send(json.dumps({"type": "KeepAlive"}))
                await asyncio.sleep(min(0.5, max(deadline - time.monotonic(), 0.0)) if not keepalive else
                                    min(2.0, max(deadline - time.monotonic(), 0.0)))  # fmt: skip
            if stream.closed_at is None and not stream.errors:
                still_open = True
                await ws.send(json.dumps({"type": "CloseStream"}))
            # else the server said why and is finishing the stream: talk() waits for its close

        stream = await self.talk("encoding=linear16&sample_rate=16000", client, timeout=wait + 60)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        took = round(time.monotonic() - started, 2)
        variants = [e.get("variant") for e in stream.errors]
        if still_open:
            label = f"still open after {wait:g} s, then close {stream.close_code}"
            return Outcome(kind, label, False, "the server should close a stream without audio", took)
        said = next((t for t, m in stream.messages if m.get("type") == "Error"), None)
        ok = bool(variants) and stream.close_code not in (None, 1006)
        detail = (f"Error after {said - stream.opened:.1f} s, " if said is not None else "") + \
            f"closed after {(stream.closed_at or time.monotonic()) - stream.opened:.1f} s"  # fmt: skip
        return Outcome(kind, f"idle close {stream.close_code} {variants}", ok,
                       detail + ("" if ok else "; expected an Error, then a close"), took, refused=ok)  # fmt: skip

    async def disconnect_mid(self) -> Outcome:
        """Half the recording in real time, then the TCP connection dropped (no close frame):
        expected nothing from the server (its slot is freed: checked at the end)."""
        kind, started = "disconnect_mid", time.monotonic()
        pcm = self.recording.pcm()
        half = len(pcm) // 2 // (FRAME * 2) * (FRAME * 2)

        async def client(ws: Any, stream: Stream) -> None:
            await self.send_paced(ws, pcm[:half], stream)
            if stream.closed_at is None:
                ws.transport.abort()

        stream = await self.talk(CLEAN_QUERY, client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        return Outcome(kind, "aborted", True, seconds=round(time.monotonic() - started, 2))

    async def slow_reader(self) -> Outcome:
        """The recording at 4x real time with interim results and VAD events to a client that
        reads nothing for 10 s (a 1-message receive queue: TCP backpressure on the server), then
        one message every 50 ms: expected every result, ``Metadata`` and close 1000 (or an
        ``Error`` and a policy close if the server drops a client that does not read)."""
        kind, started = "slow_reader", time.monotonic()
        pcm = self.recording.pcm()

        async def client(ws: Any, stream: Stream) -> None:
            await self.send_paced(ws, pcm, stream, speed=4.0, frame=FRAME * 2 * 4)  # 80 ms frames: 50 a second
            await ws.send(json.dumps({"type": "CloseStream"}))

        stream = await self.talk(CLEAN_QUERY + "&vad_events=true&utterance_end_ms=1000", client,
                                 slow=(10.0, 0.05))  # fmt: skip
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        took = round(time.monotonic() - started, 2)
        if stream.ended_normally:
            lost = [i for i, (text, _) in enumerate(utterance_words(stream, self.recording.spans))
                    if self.reference[i] and not text]  # fmt: skip
            return Outcome(kind, "close 1000, Metadata", not lost,
                           f"{len(stream.messages)} messages" + (f"; utterances without finals {lost}" if lost else ""),
                           took)  # fmt: skip
        variants = [e.get("variant") for e in stream.errors]
        ok = bool(variants) and "rate_limit" not in variants and stream.close_code in (1008, 1013)
        return Outcome(kind, f"close {stream.close_code} {variants}", ok, "" if ok else "no Metadata", took)

    async def fast_replay(self) -> Outcome:
        """The recording 4 times over (56 s) in 0.5 s frames as fast as the socket takes them:
        expected every utterance's final (as a clean session's: ``--missing-tolerance``),
        ``Metadata`` with the whole duration, close 1000; or an ``Error`` and a policy close (the
        server refuses the pace). Accepted audio must not lose finals."""
        kind, started = "fast_replay", time.monotonic()
        repeat = 4
        pcm = self.recording.pcm(repeat)

        async def client(ws: Any, stream: Stream) -> None:
            await self.send_paced(ws, pcm, stream, speed=0, frame=SR)  # 0.5 s frames
            await ws.send(json.dumps({"type": "CloseStream"}))

        stream = await self.talk("encoding=linear16&sample_rate=16000&language=ary&endpointing=300", client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        took = round(time.monotonic() - started, 2)
        variants = [e.get("variant") for e in stream.errors]
        meta = stream.metadata
        if stream.close_code == 1000 and meta is not None:
            seconds = self.recording.seconds * repeat
            lost = []
            for k in range(repeat):
                heard = utterance_words(stream, self.recording.spans, offset=k * self.recording.seconds)
                for i, (text, _) in enumerate(heard):
                    if (self.reference[i] and not text) or self.missing(i, text) > self.args.missing_tolerance:
                        lost.append(f"{k}:{i}")
            whole = abs(meta["duration"] - seconds) < 0.05
            ok = whole and not lost and not variants
            return Outcome(kind, "close 1000" + (f", {len(lost)} finals lost" if lost else "") + (
                "" if whole else ", duration short"), ok,
                f"sent in {stream.sent[-1] - stream.opened:.1f} s; duration {meta['duration']} of {seconds:.2f} s"
                + (f"; lost {lost}" if lost else "") + (f"; errors {variants}" if variants else ""), took)  # fmt: skip
        ok = bool(variants) and "rate_limit" not in variants and stream.close_code in (1008, 1013)
        return Outcome(kind, f"close {stream.close_code} {variants}", ok, "" if ok else "no Metadata", took)

    async def stereo(self) -> Outcome:
        """A two-channel call (``channels=2&multichannel=true``; one utterance on the left, then
        another on the right) in real time: expected final words on both channels, ``Metadata``
        with 2 channels, close 1000."""
        kind, started = "stereo", time.monotonic()
        a, b = self.recording.parts[0], self.recording.parts[1]
        pad = np.zeros(SR // 2, np.int16)
        left = np.concatenate([pad, a, pad, np.zeros(len(b), np.int16), pad])
        right = np.concatenate([pad, np.zeros(len(a), np.int16), pad, b, pad])
        pcm = np.stack([left, right], axis=1).astype("<i2").tobytes()

        async def client(ws: Any, stream: Stream) -> None:
            await self.send_paced(ws, pcm, stream, frame=FRAME * 4, per_second=4 * SR)  # 20 ms of stereo
            await ws.send(json.dumps({"type": "CloseStream"}))

        query = "encoding=linear16&sample_rate=16000&channels=2&multichannel=true&language=ary&endpointing=300"
        stream = await self.talk(query, client)
        common = self._ws_common(kind, stream, started)
        if common:
            return common
        both = [bool(stream.finals(c)) for c in (0, 1)]
        meta = stream.metadata
        ok = stream.ended_normally and all(both) and meta is not None and meta.get("channels") == 2
        return Outcome(kind, f"close {stream.close_code}, finals on channels {[c for c in (0, 1) if both[c]]}", ok,
                       "" if ok else f"errors {[e.get('variant') for e in stream.errors]}",
                       round(time.monotonic() - started, 2))  # fmt: skip

    async def crowd(self) -> Outcome:
        """As many connections at once as the server's capacity, each 0.5 s of silence then
        CloseStream: expected each either refused (1013, ``Error`` ``unavailable``) or ended
        normally; the refusal latencies are the soak's."""
        kind, started = "crowd", time.monotonic()
        state = readyz(self.http) or {}
        n = int(state.get("capacity") or self.args.max_sessions)

        async def client(ws: Any, stream: Stream) -> None:
            await asyncio.sleep(0.05)
            if stream.closed_at is None:
                await self.send_paced(ws, b"\0\0" * (SR // 2), stream, speed=0, frame=FRAME * 2 * 5)
                await ws.send(json.dumps({"type": "CloseStream"}))

        streams = await asyncio.gather(*(self.talk("encoding=linear16&sample_rate=16000", client) for _ in range(n)))
        refused = [s for s in streams if s.refused]
        normal = [s for s in streams if s.ended_normally]
        odd = [s.close_code if s.http_status is None else f"HTTP {s.http_status}" for s in streams
               if not (s.refused or s.ended_normally)]  # fmt: skip
        latencies = [x for x in (_refusal_latency(s) for s in refused) if x is not None]
        return Outcome(kind, f"{len(normal)} served, {len(refused)} refused" + (f", odd {odd}" if odd else ""),
                       not odd, "", round(time.monotonic() - started, 2), refused=bool(refused),
                       refusal_latencies=tuple(latencies))  # fmt: skip

    # --- REST -------------------------------------------------------------------------------------

    async def post(self, path: str, **kwargs: Any) -> tuple[int | str, dict[str, Any] | None, Any]:
        """(status or the failure's name, the JSON body if any, the headers)."""
        import httpx

        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                r = await client.post(f"{self.http}{path}", **kwargs)
                body: dict[str, Any] | None = None
                if r.headers.get("content-type", "").startswith("application/json"):
                    try:
                        body = r.json()
                    except ValueError:
                        body = None
                return r.status_code, body, r.headers
        except httpx.TimeoutException:
            return "timeout", None, None
        except httpx.HTTPError as exc:
            return type(exc).__name__, None, None

    def _rest(self, kind: str, status: int | str, want: Sequence[int], started: float, body: Any = None,
              param: str | None = None) -> Outcome:  # fmt: skip
        took = round(time.monotonic() - started, 2)
        error = (body or {}).get("error") if isinstance(body, dict) else None
        ok = status in want and (param is None or (isinstance(error, dict) and error.get("param") == param))
        detail = "" if ok else f"expected {'/'.join(map(str, want))}" + (f" on {param}" if param else "")
        if error and not ok:
            detail += f"; got {str(error)[:160]}"
        return Outcome(kind, str(status), ok, detail, took)

    async def rest_bad_key(self) -> Outcome:
        """``POST /v1/audio/transcriptions?token=%C3%A9`` and ``POST /v1/audio/speech`` with
        ``Authorization: Bearer é``: expected 401 both."""
        kind, started = "rest_bad_key", time.monotonic()
        files = {"file": ("a.wav", wav_bytes(self.recording.parts[2], SR), "audio/wav")}
        one, _, _ = await self.post("/v1/audio/transcriptions?token=%C3%A9", files=files)
        headers = {"Authorization": "Bearer é".encode(), "Content-Type": b"application/json"}  # UTF-8 bytes
        two, _, _ = await self.post("/v1/audio/speech", content=json.dumps({"input": "سلام"}).encode(), headers=headers)
        ok = one == 401 and two == 401
        took = round(time.monotonic() - started, 2)
        return Outcome(kind, f"{one}, {two}", ok, "" if ok else "expected 401, 401", took)

    async def rest_corrupt(self) -> Outcome:
        """An upload that is no audio (a RIFF header and text, or random bytes): expected 400."""
        kind, started = "rest_corrupt", time.monotonic()
        data = random.choice([b"RIFF\x00\x00\x00\x00WAVEnot audio at all", os.urandom(5000)])
        status, body, _ = await self.post("/v1/audio/transcriptions", headers=self.auth,
                                          files={"file": ("bad.wav", data, "audio/wav")})  # fmt: skip
        return self._rest(kind, status, (400,), started, body)

    async def rest_1hz(self) -> Outcome:
        """A WAV whose header says 1 Hz (2,000 samples of speech: 33 minutes at that rate):
        expected 400 (or 413)."""
        kind, started = "rest_1hz", time.monotonic()
        data = wav_bytes(self.recording.parts[0][:2000], SR, header_rate=1)
        status, body, _ = await self.post("/v1/audio/transcriptions", headers=self.auth,
                                          files={"file": ("slow.wav", data, "audio/wav")})  # fmt: skip
        return self._rest(kind, status, (400, 413), started, body)

    async def rest_flac_silence(self) -> Outcome:
        """A FLAC of ``--silence-hours`` (4) hours of silence, more than the server transcribes (3 h by
    default), in a file of a few hundred KB: expected 413 (or 400)."""
        kind, started = "rest_flac_silence", time.monotonic()
        path = silent_flac(self.work / f"silence-{self.args.silence_hours:g}h.flac", self.args.silence_hours)
        files = {"file": ("silence.flac", path.read_bytes(), "audio/flac")}
        status, body, _ = await self.post("/v1/audio/transcriptions", headers=self.auth, files=files)
        return self._rest(kind, status, (413, 400), started, body)

    async def speech_odd_number(self) -> Outcome:
        """``POST /v1/audio/speech`` with ``"sample_rate": Infinity``, ``-Infinity`` or
        ``"speed": NaN`` (raw JSON; Python's parser takes them): expected 400 naming the field."""
        kind, started = "speech_odd_number", time.monotonic()
        field_, value = random.choice([("sample_rate", "Infinity"), ("sample_rate", "-Infinity"), ("speed", "NaN")])
        raw = '{"model": "tts-1", "input": "سلام عليكم", "voice": "alloy", "%s": %s}' % (field_, value)
        status, body, _ = await self.post("/v1/audio/speech", content=raw.encode(),
                                          headers={**self.auth, "Content-Type": "application/json"})  # fmt: skip
        out = self._rest(kind, status, (400,), started, body, param=field_)
        return Outcome(kind, f"{field_}={value}: {out.outcome}", out.expected, out.detail, out.seconds)

    async def speech_crlf_model(self) -> Outcome:
        """``POST /v1/audio/speech`` with a ``model`` holding CR/LF and a header line: expected 200
        with audio and no injected header (the name echoed percent-encoded), or 400."""
        kind, started = "speech_crlf_model", time.monotonic()
        body = {"model": "tts-1\r\nX-Injected: yes\r\n", "input": "سلام عليكم", "voice": "alloy"}
        status, error, headers = await self.post("/v1/audio/speech", json=body, headers=self.auth)
        took = round(time.monotonic() - started, 2)
        if status == 200 and headers is not None:
            echoed = headers.get("x-awal-model", "")
            ok = "x-injected" not in headers and "\r" not in echoed and "\n" not in echoed
            return Outcome(kind, "200", ok, "" if ok else f"headers {dict(headers)}", took)
        return self._rest(kind, status, (400,), started, error)


ABUSE: dict[str, Callable[[Soak], Awaitable[Outcome]]] = {
    "ws_bad_token_query": Soak.ws_bad_token_query,
    "ws_bad_bearer": Soak.ws_bad_bearer,
    "rest_bad_key": Soak.rest_bad_key,
    "malformed_json": Soak.malformed_json,
    "oversized_frame": Soak.oversized_frame,
    "flood": Soak.flood,
    "idle_silent": Soak.idle_silent,
    "keepalive_only": Soak.keepalive_only,
    "disconnect_mid": Soak.disconnect_mid,
    "slow_reader": Soak.slow_reader,
    "fast_replay": Soak.fast_replay,
    "stereo": Soak.stereo,
    "crowd": Soak.crowd,
    "rest_corrupt": Soak.rest_corrupt,
    "rest_1hz": Soak.rest_1hz,
    "rest_flac_silence": Soak.rest_flac_silence,
    "speech_odd_number": Soak.speech_odd_number,
    "speech_crlf_model": Soak.speech_crlf_model,
}
NEEDS_KEY = ("ws_bad_token_query", "ws_bad_bearer", "rest_bad_key")


def _refusal_latency(stream: Stream) -> float | None:
    return round(stream.closed_at - stream.opened, 3) if stream.closed_at is not None else None


# --- the run ------------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def soak(soak_: Soak, args: argparse.Namespace, pid: int | None, kinds: list[str]) -> dict[str, Any]:
    """The reference run, then the clean loops, the abuse and the sampler for ``--minutes``."""
    rec = soak_.recording
    print(f"reference: one session alone, {rec.seconds:.1f} s in real time ...", file=sys.stderr, flush=True)
    ref_stream = await soak_.replay()
    if not ref_stream.ended_normally:
        raise SystemExit(f"bench/soak.py: the reference session did not end normally (close {ref_stream.close_code}, "
                         f"errors {ref_stream.errors})")  # fmt: skip
    soak_.reference = [text for text, _ in utterance_words(ref_stream, rec.spans)]
    reference_cer = [round(cer(t, r), 3) for t, r in zip(rec.texts, soak_.reference)]
    for text, ref, c in zip(rec.texts, soak_.reference, reference_cer):
        print(f"  {text}  ->  {ref}  (CER {c:.0%})", file=sys.stderr)

    clean: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    rss: list[tuple[float, float]] = []
    sessions: list[tuple[float, int]] = []
    load: list[float] = []  # the machine's 1-minute load average
    deaths: list[str] = []
    began = soak_.began = time.monotonic()
    seconds = args.minutes * 60

    async def sampler() -> None:
        fails = 0
        while not soak_.stop.is_set() or pending:
            at = round(time.monotonic() - began, 1)
            load.append(os.getloadavg()[0])
            if pid is not None:
                mb = rss_mb(pid)
                if mb is None:
                    deaths.append(f"the server process {pid} is gone at {at} s")
                    soak_.stop.set()
                    return
                rss.append((at, round(mb, 1)))
            state = await asyncio.to_thread(readyz, soak_.http)
            if state is None:
                fails += 1
                if fails >= 3:
                    deaths.append(f"/readyz did not answer 3 times in a row at {at} s")
                    soak_.stop.set()
                    return
            else:
                fails = 0
                sessions.append((at, int(state.get("sessions", -1))))
            await asyncio.sleep(args.rss_interval)

    async def progress() -> None:
        while not soak_.stop.is_set():
            await asyncio.sleep(30)
            accepted = [r for r in clean if not r["refused"] and "failed" not in r]
            lost = sum(len(r["lost"]) for r in accepted)
            unexpected = sum(1 for o in outcomes if not o.expected)
            mb = f", RSS {rss[-1][1]:.0f} MB" if rss else ""
            print(f"  {time.monotonic() - began:5.0f} s: clean {len(accepted)} accepted, "
                  f"{len(clean) - len(accepted)} refused, {lost} finals lost; abuse {len(outcomes)} done, "
                  f"{len(pending)} running, {unexpected} unexpected{mb}", file=sys.stderr, flush=True)  # fmt: skip

    pending: set[asyncio.Task[Outcome]] = set()

    def done(task: asyncio.Task[Outcome]) -> None:
        pending.discard(task)
        outcomes.append(task.result())

    async def abuse() -> None:
        if args.abuse_rate <= 0 or not kinds:
            return
        order: list[str] = []
        rng = random.Random(args.seed)
        while not soak_.stop.is_set():
            await asyncio.sleep(rng.expovariate(args.abuse_rate / 60))
            if soak_.stop.is_set():
                return
            if not order:
                order = rng.sample(kinds, len(kinds))
            kind = order.pop()
            task = asyncio.create_task(_guarded(kind, ABUSE[kind](soak_)))
            pending.add(task)
            task.add_done_callback(done)

    print(f"soak: {args.streams} clean stream(s), {args.abuse_rate:g} abusive clients a minute "
          f"({len(kinds)} kinds), {args.minutes:g} min ...", file=sys.stderr, flush=True)  # fmt: skip
    workers = [asyncio.create_task(soak_.clean_loop(i, clean, i * rec.seconds / max(args.streams, 1)))
               for i in range(args.streams)]  # fmt: skip
    side = [asyncio.create_task(sampler()), asyncio.create_task(progress()), asyncio.create_task(abuse())]
    try:
        await asyncio.wait_for(soak_.stop.wait(), seconds)
    except asyncio.TimeoutError:
        soak_.stop.set()
    print("  time is up: waiting for the clients in flight ...", file=sys.stderr, flush=True)
    await asyncio.gather(*workers)
    while pending:
        await asyncio.sleep(0.2)
    side[1].cancel()
    await side[0]
    duration = time.monotonic() - began

    released = None
    if not deaths:
        for _ in range(300):
            state = await asyncio.to_thread(readyz, soak_.http)
            if state is not None and state.get("sessions") == 0:
                released = True
                break
            await asyncio.sleep(0.1)
        else:
            released = False
    return {"reference": soak_.reference, "reference_cer": reference_cer, "clean": clean,
            "outcomes": outcomes, "rss": rss, "sessions": sessions, "deaths": deaths, "load": load,
            "duration": duration, "released": released}  # fmt: skip


async def _guarded(kind: str, work: Awaitable[Outcome]) -> Outcome:
    """An abuse client's outcome; an exception in the client itself (the server unreachable ...) is
    an unexpected outcome too."""
    started = time.monotonic()
    try:
        return await asyncio.wait_for(work, TIMEOUT + 90)
    except asyncio.TimeoutError:
        return Outcome(kind, "timeout", False, f"no answer within {TIMEOUT + 90:g} s", time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - whatever it is, it is reported as unexpected
        return Outcome(kind, type(exc).__name__, False, str(exc)[:200], time.monotonic() - started)


def rss_slope(rss: list[tuple[float, float]]) -> float | None:
    """MB per 10 minutes: a least-squares line through the samples after the first minute (None
    when they span less than 2 minutes: too short to tell growth from warming up)."""
    points = [(t, mb) for t, mb in rss if t >= 60]
    if len(points) < 3 or points[-1][0] - points[0][0] < 120:
        return None
    t, mb = np.array(points).T
    return round(float(np.polyfit(t, mb, 1)[0]) * 600, 1)


def summarize(run: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    clean = run["clean"]
    accepted = [r for r in clean if not r["refused"] and "failed" not in r]
    refused = [r for r in clean if r["refused"]]
    latencies = [x for r in accepted for x in r["latencies"]]
    outcomes: list[Outcome] = run["outcomes"]
    refusals = [r["refusal_latency"] for r in refused if r["refusal_latency"] is not None]
    refusals += [x for o in outcomes for x in o.refusal_latencies]
    kinds: dict[str, dict[str, Any]] = defaultdict(lambda: {"runs": 0, "expected": 0, "unexpected": 0,
                                                            "outcomes": Counter(), "examples": []})  # fmt: skip
    for o in outcomes:
        row = kinds[o.kind]
        row["runs"] += 1
        row["expected" if o.expected else "unexpected"] += 1
        row["outcomes"][("" if o.expected else "UNEXPECTED ") + o.outcome] += 1
        if not o.expected and len(row["examples"]) < 3:
            row["examples"].append(f"{o.outcome}: {o.detail}")
    rss = run["rss"]
    mbs = [mb for _, mb in rss]
    return {
        "duration_s": round(run["duration"], 1),
        "streams": args.streams,
        "clean_sessions": len(clean),
        "clean_accepted": len(accepted),
        "clean_refused_1013": len(refused),
        "clean_not_ended_normally": sum(1 for r in accepted if not r["ended_normally"]),
        "clean_connect_failures": sum(1 for r in clean if "failed" in r),
        "finals_lost": sum(len(r["lost"]) for r in accepted),
        "utterances": len(accepted) * len(run["reference"]),
        "final_latency_p50": pct(latencies, 50),
        "final_latency_p95": pct(latencies, 95),
        "final_latency_max": round(max(latencies), 3) if latencies else None,
        "refusals": len(refusals),
        "refusal_latency_p50": pct(refusals, 50),
        "refusal_latency_p95": pct(refusals, 95),
        "missing_p95": pct([m for r in accepted for m in r["missing"]], 95),
        "cer_true_mean": round(float(np.mean([c for r in accepted for c in r["cer_true"]])), 3) if accepted else None,
        "abuse_runs": len(outcomes),
        "abuse_unexpected": sum(1 for o in outcomes if not o.expected),
        "abuse": {k: {**v, "outcomes": dict(v["outcomes"])} for k, v in sorted(kinds.items())},
        "rss_start_mb": mbs[0] if mbs else None,
        "rss_max_mb": max(mbs) if mbs else None,
        "rss_end_mb": mbs[-1] if mbs else None,
        "rss_slope_mb_per_10min": rss_slope(rss),
        "machine_load_mean": round(float(np.mean(run["load"])), 2) if run["load"] else None,
        "soak_client_cpu_s": round(time.process_time(), 1),
        "server_died": bool(run["deaths"]),
        "deaths": run["deaths"],
        "slots_released": run["released"],
        "latencies": latencies,
        "refusal_latencies": refusals,
    }


def report_table(s: dict[str, Any], args: argparse.Namespace) -> str:
    def opt(value: Any, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    lines = [
        "| figure | value |", "|---|---|",
        f"| duration | {s['duration_s'] / 60:.1f} min ({args.streams} clean stream(s), {args.abuse_rate:g} abusive "
        f"clients/min, --max-sessions {args.max_sessions}) |",
        f"| clean sessions: accepted / refused (1013) | {s['clean_accepted']} / {s['clean_refused_1013']} |",
        f"| clean sessions not ended with Metadata + 1000 / not connected | {s['clean_not_ended_normally']} / "
        f"{s['clean_connect_failures']} |",
        f"| finals lost (of {s['utterances']} utterances) | {s['finals_lost']} |",
        f"| final latency p50 / p95 / max | {opt(s['final_latency_p50'], ' s')} / {opt(s['final_latency_p95'], ' s')}"
        f" / {opt(s['final_latency_max'], ' s')} |",
        f"| refusals (1013) answered in p50 / p95 | {opt(s['refusal_latency_p50'], ' s')} / "
        f"{opt(s['refusal_latency_p95'], ' s')} ({s['refusals']} refusals) |",
        f"| missing characters vs the solo reference, p95 per utterance | {opt(s['missing_p95'])} |",
        f"| CER against the true sentences, mean | {opt(s['cer_true_mean'])} |",
        f"| RSS start / max / end | {opt(s['rss_start_mb'], ' MB')} / {opt(s['rss_max_mb'], ' MB')} / "
        f"{opt(s['rss_end_mb'], ' MB')} |",
        f"| RSS slope | {opt(s['rss_slope_mb_per_10min'], ' MB per 10 min')} |",
        f"| machine load (1-min average, mean; {os.cpu_count()} CPUs) / the soak client's own CPU | "
        f"{opt(s['machine_load_mean'])} / {s['soak_client_cpu_s']} s |",
        f"| server died | {'yes: ' + '; '.join(s['deaths']) if s['server_died'] else 'no'} |",
        f"| every slot freed at the end | {opt(s['slots_released'])} |",
        f"| abusive clients: runs / unexpected outcomes | {s['abuse_runs']} / {s['abuse_unexpected']} |",
    ]  # fmt: skip
    lines += ["", "| abuse | runs | expected | unexpected | the server's answers |", "|---|---:|---:|---:|---|"]
    for kind, row in s["abuse"].items():
        answers = "; ".join(f"{k} x{n}" for k, n in sorted(row["outcomes"].items(), key=lambda kv: -kv[1]))
        lines.append(f"| {kind} | {row['runs']} | {row['expected']} | {row['unexpected']} | {answers} |")
    return "\n".join(lines) + "\n"


def plot(s: dict[str, Any], rss: list[tuple[float, float]], sessions: list[tuple[float, int]], out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plots)", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(9, 4))
    if rss:
        t, mb = zip(*rss)
        ax.plot(np.array(t) / 60, mb, label="server RSS (MB)")
    ax.set_xlabel("minutes")
    ax.set_ylabel("RSS (MB), process and children")
    slope = s["rss_slope_mb_per_10min"]
    ax.set_title("awal serve under the soak: memory" + ("" if slope is None else f" (slope {slope:+.1f} MB / 10 min)"))
    if sessions:
        twin = ax.twinx()
        t, n = zip(*sessions)
        twin.plot(np.array(t) / 60, n, color="tab:gray", alpha=0.5, lw=0.8, label="open sessions")
        twin.set_ylabel("open sessions (/readyz)")
        twin.legend(loc="lower right", fontsize=8)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "soak-rss.png", dpi=110)
    plt.close(fig)
    fig, (ax, refused) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 1]})
    lat = s["latencies"]
    top = float(min(max(4.0, np.ceil(max(lat, default=0.0))), 15.0))
    ax.hist(np.clip(lat, 0, top), bins=[top * i / 80 for i in range(81)])
    ax.set_xlabel(f"final latency after end of speech (s; {top:g} = {top:g} or more)")
    ax.set_ylabel("utterances")
    ax.set_title(f"clean sessions: final latency, p50 {s['final_latency_p50']} s, p95 {s['final_latency_p95']} s "
                 f"({len(lat)} utterances)", fontsize=10)  # fmt: skip
    refusals = s["refusal_latencies"]
    refused.hist(np.clip(refusals, 0, 2), bins=[i / 20 for i in range(41)], color="tab:orange")
    refused.set_xlabel("connect to 1013 close (s; 2 = 2 or more)")
    refused.set_title(f"refusals at capacity: p95 {s['refusal_latency_p95']} s ({len(refusals)})", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "soak-latency.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out / 'soak-rss.png'} and {out / 'soak-latency.png'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--streams", type=int, default=3, help="clean real-time sessions at once")
    parser.add_argument("--abuse-rate", type=float, default=10.0, help="abusive clients a minute (0: none)")
    parser.add_argument("--abuse", default="", help=f"comma-separated kinds (default all: {', '.join(ABUSE)})")
    parser.add_argument("--max-sessions", type=int, default=8, help="the server's --max-sessions (when started here)")
    parser.add_argument("--url", help="a running server (ws://HOST:PORT or http://HOST:PORT) instead of starting one")
    parser.add_argument("--api-key", help="its key (with --url); without one the key abuses are left out")
    parser.add_argument("--pid", type=int, help="its process id (with --url), for the memory samples")
    parser.add_argument("--model", default="whisper-base-awal")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--idle-wait", type=float, default=20.0,
                        help="how long a silent client waits for the server to close it (s)")  # fmt: skip
    parser.add_argument("--keepalive-wait", type=float, default=75.0,
                        help="how long a KeepAlive-only client waits for the server to close it (s)")  # fmt: skip
    parser.add_argument("--missing-tolerance", type=float, default=0.25,
                        help="share of an utterance's reference characters a final may miss")  # fmt: skip
    parser.add_argument("--silence-hours", type=float, default=4.0,
                        help="of the silent FLAC upload (more than the server's --max-audio-s, 3 h by default)")
    parser.add_argument("--rss-interval", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    args = parser.parse_args(argv)
    kinds = [k for k in args.abuse.split(",") if k] or list(ABUSE)
    unknown = set(kinds) - set(ABUSE)
    if unknown:
        parser.error(f"unknown abuse kinds {sorted(unknown)}; known: {', '.join(ABUSE)}")
    random.seed(args.seed)
    recording = build_recording()
    proc: subprocess.Popen | None = None
    with tempfile.TemporaryDirectory(prefix="awal-soak-") as tmp:
        work = Path(tmp)
        log = work / "serve.log"
        if args.url:
            parts = urlsplit(args.url if "://" in args.url else f"ws://{args.url}")
            address, key, pid = parts.netloc, args.api_key, args.pid
            if not key:
                kinds = [k for k in kinds if k not in NEEDS_KEY]
            state = readyz(f"http://{address}")
            if state is None:
                raise SystemExit(f"bench/soak.py: {address}/readyz does not answer")
            args.max_sessions = int(state.get("capacity") or args.max_sessions)  # the server's, for the report
        else:
            key = f"soak-{os.urandom(6).hex()}"
            print(f"starting awal serve (--max-sessions {args.max_sessions}, --threads {args.threads}) ...",
                  file=sys.stderr, flush=True)  # fmt: skip
            proc, address = start_server(args.max_sessions, key, args.threads, args.model, log)
            pid = proc.pid
        if "rest_flac_silence" in kinds:
            silent_flac(work / f"silence-{args.silence_hours:g}h.flac", args.silence_hours)
        try:
            run = asyncio.run(soak(Soak(address, key, recording, work, args), args, pid, kinds))
        finally:
            exit_code = None
            if proc is not None:
                exit_code = proc.poll()
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if proc is not None and exit_code is not None and not run["deaths"]:
            run["deaths"].append(f"awal serve exited with {exit_code}")
        server_log = log.read_text(errors="replace").splitlines()[-40:] if log.exists() else []
    s = summarize(run, args)
    report = report_table(s, args)
    print(report)
    failures = []
    if s["finals_lost"]:
        failures.append(f"{s['finals_lost']} finals lost")
    if s["clean_connect_failures"]:
        failures.append(f"{s['clean_connect_failures']} clean sessions could not connect")
    if s["clean_not_ended_normally"]:
        failures.append(f"{s['clean_not_ended_normally']} clean sessions did not end normally")
    if s["server_died"]:
        failures.append("the server died")
    if s["abuse_unexpected"]:
        failures.append(f"{s['abuse_unexpected']} unexpected outcomes")
    if s["slots_released"] is False:
        failures.append("sessions were still open at the end")
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python bench/soak.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "api_key"},
        "recording": {"seconds": round(recording.seconds, 2), "utterances": list(UTTERANCES),
                      "spans": recording.spans, "texts": recording.texts},  # fmt: skip
        "reference": run["reference"], "reference_cer": run["reference_cer"],
        "summary": s, "failures": failures, "table": report,
        "rss_mb": run["rss"], "open_sessions": run["sessions"],
        "clean_sessions": run["clean"],
        "abuse_outcomes": [o.__dict__ for o in run["outcomes"]],
        "server_log_tail": server_log if failures else [],
    }  # fmt: skip
    (args.out / "soak.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'soak.json'}")
    plot(s, run["rss"], run["sessions"], args.out)
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
