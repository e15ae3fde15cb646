"""``WS /v1/listen``: live recognition, compatible with Deepgram's streaming protocol.

A client connects with query parameters (``encoding=linear16|mulaw|alaw``, ``sample_rate``,
``channels``, ``multichannel``, ``language``, ``interim_results``, ``endpointing``,
``utterance_end_ms``, ``vad_events``, and ours: ``script``), sends binary audio frames
(interleaved when stereo) and the text control messages ``KeepAlive``, ``Finalize`` and
``CloseStream``; the server sends ``Results``, ``SpeechStarted``, ``UtteranceEnd`` and, at the
end, ``Metadata``. Each channel of a ``multichannel`` call is an independent stream (agent and
customer); otherwise channels are mixed down. docs/streaming.md has the messages in full.

The engine's decoding runs in one worker thread (:class:`EngineWorker`) that batches every
session's pending work; this module only decodes audio, pushes it, and sends what comes back.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from awal.asr.streaming.engine import StreamingEngine
from awal.asr.streaming.session import Result, SpeechStarted, StreamOptions, StreamSession, UtteranceEnd
from awal.errors import InputError
from awal.service.metrics import ArrivalClock, ServiceMetrics

__all__ = ["EngineWorker", "ListenLimits", "ListenParams", "parse_params", "result_message"]

SAMPLE_RATE = 16000
ENCODINGS = ("linear16", "mulaw", "alaw")
#: Close codes (RFC 6455 and Deepgram's usage).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # the server shuts down (after sending every final result)
CLOSE_POLICY = 1008  # a wrong or missing API key
CLOSE_TOO_BIG = 1009
CLOSE_ERROR = 1011
CLOSE_TRY_LATER = 1013  # at capacity: try again later


@dataclass(frozen=True)
class ListenLimits:
    """What one connection may do; each limit has its own clear error."""

    max_frame_bytes: int = 256 * 1024
    max_messages_per_second: float = 200.0
    max_session_seconds: float = 4 * 3600.0  # of audio
    max_sessions: int = 64


@dataclass(frozen=True)
class ListenParams:
    encoding: str
    sample_rate: int
    channels: int
    multichannel: bool
    options: StreamOptions


def _bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise InputError(f"{name} must be true or false, got {value!r}")


def _int(params: Mapping[str, str], name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{name} must be an integer, got {value!r}") from None


def parse_params(params: Mapping[str, str]) -> ListenParams:
    """The query parameters of ``/v1/listen``; an :class:`InputError` says which one is wrong."""
    encoding = params.get("encoding", "linear16").lower()
    if encoding not in ENCODINGS:
        raise InputError(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    default_rate = 8000 if encoding in ("mulaw", "alaw") else 16000
    rate = _int(params, "sample_rate", default_rate) or default_rate
    if not 8000 <= rate <= 48000:
        raise InputError(f"sample_rate must be 8000-48000, got {rate}")
    channels = _int(params, "channels", 1) or 1
    if not 1 <= channels <= 8:
        raise InputError(f"channels must be 1-8, got {channels}")
    endpointing_raw = params.get("endpointing")
    if endpointing_raw is not None and endpointing_raw.lower() == "false":
        endpointing = 10_000  # Deepgram's "false": no endpointing; ours: a long silence
    else:
        endpointing = _int(params, "endpointing", 500) or 500
    language = params.get("language", "ary")
    options = StreamOptions(
        language=language,
        script=params.get("script") or None,
        interim_results=_bool(params, "interim_results", False),
        endpointing_ms=max(endpointing, 10),
        utterance_end_ms=_int(params, "utterance_end_ms", None),
        vad_events=_bool(params, "vad_events", False),
    )
    return ListenParams(encoding, rate, channels, _bool(params, "multichannel", False), options)


class _Decoder:
    """Bytes of one encoding, rate and channel count -> per-stream 16 kHz float32 chunks."""

    def __init__(self, params: ListenParams) -> None:
        import soxr

        self.params = params
        self.streams = params.channels if params.multichannel else 1
        rate = params.sample_rate
        self._resamplers = [
            soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32") if rate != SAMPLE_RATE else None
            for _ in range(self.streams)
        ]
        self._carry = b""
        self.samples = 0  # per channel, at the input rate

    def __call__(self, data: bytes, last: bool = False) -> list[np.ndarray]:
        from awal.audio import alaw_decode, mulaw_decode, pcm16_decode

        width = 2 if self.params.encoding == "linear16" else 1
        frame = width * self.params.channels
        data = self._carry + data
        usable = len(data) - len(data) % frame
        self._carry = data[usable:]
        raw = data[:usable]
        if self.params.encoding == "linear16":
            samples = pcm16_decode(raw)
        elif self.params.encoding == "mulaw":
            samples = mulaw_decode(raw)
        else:
            samples = alaw_decode(raw)
        samples = samples.reshape(-1, self.params.channels)
        self.samples += samples.shape[0]
        per_stream = [samples[:, c] for c in range(self.params.channels)] if self.params.multichannel else [
            samples.mean(axis=1)
        ]  # fmt: skip
        out = []
        for stream, resampler in zip(per_stream, self._resamplers):
            stream = np.ascontiguousarray(stream, dtype=np.float32)
            out.append(resampler.resample_chunk(stream, last=last) if resampler is not None else stream)
        return out

    @property
    def seconds(self) -> float:
        return self.samples / self.params.sample_rate


def _words(result: Result) -> list[dict[str, Any]]:
    return [
        {"word": w.word.strip(), "start": w.start, "end": w.end, "confidence": w.probability,
         "punctuated_word": w.word.strip()}
        for w in result.words
    ]  # fmt: skip


def result_message(result: Result, channel: int, channels: int, request_id: str, model: Mapping[str, Any]) -> dict:
    """A Deepgram ``Results`` message (plus our ``language`` and ``script``)."""
    return {
        "type": "Results",
        "channel_index": [channel, channels],
        "duration": result.duration,
        "start": result.start,
        "is_final": result.is_final,
        "speech_final": result.speech_final,
        "from_finalize": result.from_finalize,
        "channel": {
            "alternatives": [
                {"transcript": result.transcript, "confidence": result.confidence, "words": _words(result),
                 "languages": [result.language]}
            ]
        },  # fmt: skip
        "language": result.language,
        "metadata": {"request_id": request_id, "model_info": dict(model), "model_uuid": model.get("uuid")},
    }


class EngineWorker:
    """Runs :meth:`StreamingEngine.step` in a thread and hands each session's events to its
    connection's asyncio queue."""

    def __init__(self, engine: StreamingEngine, metrics: ServiceMetrics | None = None) -> None:
        self.engine = engine
        self.metrics = metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._queues: dict[StreamSession, tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = {}
        self._thread = threading.Thread(target=self._run, name="awal-engine", daemon=True)
        self._decoding: set[StreamSession] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def register(self, session: StreamSession, queue: asyncio.Queue) -> None:
        self._queues[session] = (asyncio.get_running_loop(), queue)

    def in_flight(self, sessions: list[StreamSession]) -> bool:
        """Whether the worker is decoding a window of one of ``sessions`` right now."""
        return any(s in self._decoding for s in sessions)

    def forget(self, session: StreamSession) -> None:
        self._queues.pop(session, None)
        self.engine.discard(session)

    def notify(self) -> None:
        self._wake.set()

    def push(self, session: StreamSession, samples: np.ndarray) -> list:
        with self.engine.lock:
            events = session.push(samples)
        self._wake.set()
        return events

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.engine.lock:
                self._decoding = {s for s in self.engine.sessions if s.pending() is not None}
            try:
                produced = self.engine.step()
                if self.metrics is not None and self.engine.last_batch:
                    self.metrics.decoded(self.engine.last_seconds, self.engine.last_batch)
            except Exception as exc:  # noqa: BLE001 - a failed batch must not kill the worker
                produced = {}
                for loop, queue in list(self._queues.values()):
                    loop.call_soon_threadsafe(queue.put_nowait, exc)
            for session, events in produced.items():
                target = self._queues.get(session)
                if target is not None and events:
                    loop, queue = target
                    loop.call_soon_threadsafe(queue.put_nowait, (session, events))
            # cleared only once the events are handed over: a connection waiting for its last
            # results sees "not in flight" only after they are on its queue
            self._decoding = set()
            if produced:
                continue
            self._wake.wait(0.05)
            self._wake.clear()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class _Stop(Exception):
    """Ends a connection's read loop: (close code, reason)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def serve_listen(
    websocket: Any,
    worker: EngineWorker,
    limits: ListenLimits,
    model_info: Mapping[str, Any],
    metrics: ServiceMetrics | None = None,
    stopping: asyncio.Event | None = None,
) -> None:
    """One ``/v1/listen`` connection, already accepted, authorized and admitted by the caller.

    When ``stopping`` is set (the server shuts down), the connection stops reading, decodes
    everything it received, sends the final results and ``Metadata``, and closes with 1001.
    """
    from starlette.websockets import WebSocketDisconnect

    request_id = str(uuid.uuid4())
    created = _now()
    try:
        params = parse_params(dict(websocket.query_params))
        decoder = _Decoder(params)
        sessions = [worker.engine.open(params.options, channel=c) for c in range(decoder.streams)]
    except InputError as exc:
        await websocket.send_text(json.dumps({"type": "Error", "description": str(exc), "variant": "bad_request"}))
        await websocket.close(code=CLOSE_POLICY, reason="bad request")
        return
    queue: asyncio.Queue = asyncio.Queue()
    for session in sessions:
        worker.register(session, queue)
    channels = decoder.streams
    lock = asyncio.Lock()
    clock = ArrivalClock()
    new_utterance = {session: True for session in sessions}

    async def send(message: dict) -> None:
        async with lock:
            await websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def error(variant: str, description: str) -> None:
        await send({"type": "Error", "variant": variant, "description": description})

    def to_message(session: StreamSession, event: Any) -> dict | None:
        if isinstance(event, Result):
            return result_message(event, session.channel, channels, request_id, model_info)
        if isinstance(event, SpeechStarted):
            return {"type": "SpeechStarted", "channel": [session.channel, channels], "timestamp": event.timestamp}
        if isinstance(event, UtteranceEnd):
            channel = [session.channel, channels]
            return {"type": "UtteranceEnd", "channel": channel, "last_word_end": event.last_word_end}
        return None

    def measure(session: StreamSession, result: Result) -> None:
        """Latencies of a result just sent (see awal.service.metrics)."""
        assert metrics is not None
        now = time.monotonic()
        if result.words and new_utterance[session]:
            new_utterance[session] = False
            began = clock.when(result.words[0].start)
            if began is not None:
                metrics.first_partial.observe(now - began)
        if result.is_final and result.words:
            trigger = "endpoint" if result.speech_final else "finalize" if result.from_finalize else "commit"
            ended = clock.when(result.words[-1].end)
            if ended is not None:
                metrics.final.labels(trigger).observe(now - ended)
        if result.is_final and (result.speech_final or result.from_finalize):
            new_utterance[session] = True

    async def deliver(session: StreamSession, events: list) -> None:
        for event in events:
            message = to_message(session, event)
            if message is not None:
                await send(message)
                if metrics is not None and isinstance(event, Result):
                    measure(session, event)

    async def forward() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, Exception):
                await error("internal", f"decoding failed: {item}")
                continue
            session, events = item
            await deliver(session, events)

    def pending() -> bool:
        with worker.engine.lock:
            return any(s.pending() is not None for s in sessions)

    async def flush() -> None:
        """Wait until every session has decoded all the audio it was given."""
        worker.notify()
        while pending() or worker.in_flight(sessions):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.01)  # let the worker's hand-over callbacks run

    rate_window = [time.monotonic(), 0]

    async def handle(message: Mapping[str, Any]) -> None:
        """One client message; raises :class:`_Stop` when the connection should end."""
        rate_window[1] += 1
        if time.monotonic() - rate_window[0] >= 1.0:
            rate_window[:] = [time.monotonic(), 1]
        elif rate_window[1] > limits.max_messages_per_second:
            await error("rate_limit", f"more than {limits.max_messages_per_second:g} messages per second")
            raise _Stop(CLOSE_POLICY, "message rate")
        data = message.get("bytes")
        if data is not None:
            if len(data) > limits.max_frame_bytes:
                await error("frame_too_large", f"a frame of {len(data)} bytes; the limit is {limits.max_frame_bytes}")
                raise _Stop(CLOSE_TOO_BIG, "frame too large")
            before = decoder.seconds
            for session, samples in zip(sessions, decoder(data)):
                events = worker.push(session, samples)
                if events:
                    await deliver(session, events)
            clock.arrived(decoder.seconds)
            if metrics is not None:
                metrics.received((decoder.seconds - before) * channels)
            if decoder.seconds > limits.max_session_seconds:
                await error("session_too_long", f"more than {limits.max_session_seconds:g} s of audio in one session")
                raise _Stop(CLOSE_POLICY, "session too long")
            return
        text = message.get("text")
        try:
            control = json.loads(text) if text else None
            kind = control.get("type") if isinstance(control, dict) else None
        except ValueError:
            kind = None
        if kind == "KeepAlive":
            return
        if kind == "Finalize":
            with worker.engine.lock:
                for session in sessions:
                    session.finalize()
            await flush()
            return
        if kind == "CloseStream":
            raise _Stop(CLOSE_NORMAL, "")
        await error("bad_message", "text messages must be JSON with type KeepAlive, Finalize or CloseStream; "
                    f"got {str(text)[:80]!r}")  # fmt: skip

    def gone(message: Mapping[str, Any]) -> bool:
        return message.get("type") == "websocket.disconnect"

    forwarder = asyncio.create_task(forward())
    shutdown = asyncio.ensure_future(stopping.wait()) if stopping is not None else None
    close_code, close_reason = CLOSE_NORMAL, ""
    try:
        while True:
            receive = asyncio.ensure_future(websocket.receive())
            if shutdown is not None:
                await asyncio.wait({receive, shutdown}, return_when=asyncio.FIRST_COMPLETED)
                if not receive.done():
                    # the server is stopping: what already reached it is still taken, then the end
                    receive.cancel()
                    close_code, close_reason = CLOSE_GOING_AWAY, "server shutting down"
                    while True:
                        try:
                            message = await asyncio.wait_for(websocket.receive(), timeout=0.05)
                        except (asyncio.TimeoutError, WebSocketDisconnect):
                            break
                        if gone(message):
                            break
                        await handle(message)
                    break
            try:
                message = await receive
            except WebSocketDisconnect:
                break
            if gone(message):
                break
            await handle(message)
    except _Stop as stop:
        close_code, close_reason = stop.code, stop.reason
    finally:
        if shutdown is not None:
            shutdown.cancel()
        # the end of the stream, however it came: decode everything that was sent, then report
        tail = decoder(b"", last=True)
        with worker.engine.lock:
            for session, samples in zip(sessions, tail):
                if len(samples):
                    session.push(samples)
                session.close()
        try:
            await flush()
            queue.put_nowait(None)
            await forwarder
            await send({"type": "Metadata", "transaction_key": "deprecated", "request_id": request_id,
                        "created": created, "duration": round(decoder.seconds, 3), "channels": params.channels,
                        "models": [model_info.get("name")], "model_info": dict(model_info)})  # fmt: skip
            await websocket.close(code=close_code, reason=close_reason)
        except (WebSocketDisconnect, RuntimeError):
            forwarder.cancel()  # the client is gone: nobody to send to
        finally:
            for session in sessions:
                worker.forget(session)
