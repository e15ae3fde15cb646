"""``WS /v1/listen``: live recognition, compatible with Deepgram's streaming protocol.

A client connects with query parameters (``encoding=linear16|mulaw|alaw``, ``sample_rate``,
``channels``, ``multichannel``, ``language``, ``interim_results``, ``endpointing``,
``utterance_end_ms``, ``vad_events``, and ours: ``script``), sends binary audio frames
(interleaved when stereo) and the text control messages ``KeepAlive``, ``Finalize`` and
``CloseStream``; the server sends ``Results``, ``SpeechStarted``, ``UtteranceEnd`` and, at the
end, ``Metadata``. Each channel of a ``multichannel`` call is an independent stream (agent and
customer); otherwise channels are mixed down. docs/streaming.md has the messages in full.

The engine's decoding runs in one worker thread (:class:`~awal.asr.streaming.worker.EngineWorker`,
shared with the demo) that batches every session's pending work; a :class:`ListenConnection`
only decodes audio, pushes it, and sends what comes back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import numpy as np

from awal.asr.streaming.session import Event, Result, SpeechStarted, StreamOptions, StreamSession, UtteranceEnd
from awal.asr.streaming.worker import Delivery, EngineWorker
from awal.errors import InputError
from awal.service.errors import public_message
from awal.service.metrics import ArrivalClock, ServiceMetrics

__all__ = ["ListenConnection", "ListenLimits", "ListenParams", "parse_params", "refuse_bad_request", "result_message"]

log = logging.getLogger("awal.service")

SAMPLE_RATE = 16000
ENCODINGS = ("linear16", "mulaw", "alaw")
#: Close codes (RFC 6455 and Deepgram's usage).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # the server shuts down (after sending every final result)
CLOSE_POLICY = 1008  # a wrong or missing API key
CLOSE_TOO_BIG = 1009
CLOSE_ERROR = 1011  # as Deepgram: also an idle stream (NET-0001)
CLOSE_TRY_LATER = 1013  # at capacity: try again later

_Default = TypeVar("_Default", int, None)


@dataclass(frozen=True)
class ListenLimits:
    """What one connection may do; each limit has its own clear error (docs/streaming.md)."""

    max_frame_bytes: int = 256 * 1024
    max_messages_per_second: float = 200.0
    max_session_seconds: float = 4 * 3600.0  # of audio
    #: streams decoded at once, server-wide: a ``multichannel`` call takes one per channel
    max_sessions: int = 64
    #: neither audio nor KeepAlive for this long: ``Error`` (``idle_timeout``, NET-0001), close 1011
    idle_timeout_s: float = 10.0
    #: no audio for this long, KeepAlive or not: the same
    keepalive_timeout_s: float = 60.0
    #: a stream's audio not decoded yet above which the connection stops reading (backpressure)
    max_backlog_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise InputError(f"max_sessions (--max-sessions) must be at least 1, got {self.max_sessions}")
        if not 0 < self.idle_timeout_s <= self.keepalive_timeout_s:
            raise InputError(f"idle_timeout (--idle-timeout) must be above 0 and at most keepalive_timeout "
                             f"(--keepalive-timeout), got {self.idle_timeout_s:g} s and "
                             f"{self.keepalive_timeout_s:g} s")  # fmt: skip
        if self.max_backlog_s < 2:
            raise InputError(f"max_backlog (--max-backlog) must be at least 2 s, got {self.max_backlog_s:g}")


@dataclass(frozen=True)
class ListenParams:
    encoding: str
    sample_rate: int
    channels: int
    multichannel: bool
    options: StreamOptions

    @property
    def streams(self) -> int:
        """Streams decoded: one per channel of a ``multichannel`` call, else one (mixed down)."""
        return self.channels if self.multichannel else 1


def _bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise InputError(f"{name} must be true or false, got {value!r}")


def _int(params: Mapping[str, str], name: str, default: _Default) -> int | _Default:
    """The integer parameter ``name``; ``default`` when it is absent or empty. 0 is a value like any
    other (checked by the caller), never taken for "absent"."""
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
    rate = _int(params, "sample_rate", default_rate)
    if not 8000 <= rate <= 48000:
        raise InputError(f"sample_rate must be 8000-48000, got {rate}")
    channels = _int(params, "channels", 1)
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


async def refuse_bad_request(websocket: Any, exc: InputError) -> None:
    """Tell the client what is wrong with its request: an ``Error`` (``bad_request``), close 1008."""
    await websocket.send_text(json.dumps({"type": "Error", "description": str(exc), "variant": "bad_request"}))
    await websocket.close(code=CLOSE_POLICY, reason="bad request")


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _gone(message: Mapping[str, Any]) -> bool:
    return message.get("type") == "websocket.disconnect"


class _Stop(Exception):
    """Ends a connection's read loop: (close code, reason)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass
class _MessageRate:
    """Messages counted per one-second window (the ``max_messages_per_second`` limit)."""

    began: float = field(default_factory=time.monotonic)
    count: int = 0
    exempt_until: float = 0.0

    def resumed(self) -> None:
        """The connection read nothing for a while (backpressure): what the client sent meanwhile
        waits in the socket and is read at once. The messages of the next second are not counted."""
        self.exempt_until = time.monotonic() + 1.0

    def over(self, limit: float) -> bool:
        """Count one message; whether the current window has more than ``limit``."""
        if time.monotonic() < self.exempt_until:
            self.began, self.count = time.monotonic(), 0
            return False
        self.count += 1
        if time.monotonic() - self.began >= 1.0:
            self.began, self.count = time.monotonic(), 1
            return False
        return self.count > limit


#: What the connection's outbox holds: a session's events (from the worker, or from a push), a
#: decoding failure, a ready message (an Error), or None (nothing more: the end).
_Outgoing = Delivery | dict | None


class ListenConnection:
    """One ``/v1/listen`` connection, already accepted, authorized and admitted by the caller.

    :meth:`open` parses the request and opens one engine session per stream; :meth:`serve` runs
    the connection to its end. One method per concern:

    - :meth:`audio`: a binary frame, decoded and pushed into each channel's session;
    - :meth:`control`: the text messages ``KeepAlive``, ``Finalize`` and ``CloseStream`` (anything
      else gets an ``Error`` message, and the connection goes on);
    - :meth:`forward`: the one place messages leave while the connection runs (``Results``,
      ``SpeechStarted``, ``UtteranceEnd``, ``Error``), in the order they were queued, and the
      latency metrics of each result sent;
    - :meth:`finish`: the end, however it came: the sessions are closed and everything they were
      sent is decoded, the last results go out, then ``Metadata`` and the close code.

    When ``stopping`` is set (the server shuts down), the connection stops reading, decodes
    everything it received, sends the final results and ``Metadata``, and closes with 1001.

    Two limits act on the read loop itself: a stream that sends neither audio nor ``KeepAlive``
    for ``idle_timeout_s`` (or no audio for ``keepalive_timeout_s``, KeepAlive or not) gets an
    ``Error`` (``idle_timeout``, NET-0001, as Deepgram's) and is finished like any other end (its
    audio decoded, its finals sent), then closed with 1011; and while a stream holds more than
    ``max_backlog_s`` of audio not decoded yet (a client sending faster than real time), the
    connection stops reading, so that TCP holds the client back until the engine catches up.
    """

    def __init__(self, websocket: Any, worker: EngineWorker, params: ListenParams, limits: ListenLimits,
                 model_info: Mapping[str, Any], metrics: ServiceMetrics | None = None,
                 stopping: asyncio.Event | None = None) -> None:  # fmt: skip
        """Open the sessions (an :class:`InputError` if the engine cannot serve ``params``)."""
        self.websocket = websocket
        self.worker = worker
        self.params = params
        self.limits = limits
        self.model_info = model_info
        self.metrics = metrics
        self.stopping = stopping
        self.request_id = str(uuid.uuid4())
        self.created = _now()
        self.decoder = _Decoder(params)
        self.sessions = [worker.engine.open(params.options, channel=c) for c in range(self.decoder.streams)]
        self.outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        for session in self.sessions:
            worker.register(session, self.outbox)
        self.clock = ArrivalClock()
        self.rate = _MessageRate()
        self.close_code, self.close_reason = CLOSE_NORMAL, ""
        self._new_utterance = {session: True for session in self.sessions}
        self.last_audio = self.last_keepalive = time.monotonic()  # the idle timeouts count from these

    @classmethod
    async def open(cls, websocket: Any, worker: EngineWorker, limits: ListenLimits, model_info: Mapping[str, Any],
                   metrics: ServiceMetrics | None = None, stopping: asyncio.Event | None = None,
                   params: ListenParams | None = None) -> ListenConnection | None:  # fmt: skip
        """The connection of ``websocket`` (``params``: its query parameters, already parsed);
        None after telling the client what is wrong with its request (:func:`refuse_bad_request`)."""
        try:
            if params is None:
                params = parse_params(dict(websocket.query_params))
            return cls(websocket, worker, params, limits, model_info, metrics, stopping)
        except InputError as exc:
            await refuse_bad_request(websocket, exc)
            return None

    @property
    def channels(self) -> int:
        return self.decoder.streams

    # --- the read loop ---------------------------------------------------------------------------

    async def serve(self) -> None:
        """Read the client's messages until it ends the stream, leaves, breaks a limit or the
        server stops; then :meth:`finish`."""
        forwarder = asyncio.create_task(self.forward())
        shutdown = asyncio.ensure_future(self.stopping.wait()) if self.stopping is not None else None
        try:
            await self._read(shutdown)
        except _Stop as stop:
            self.close_code, self.close_reason = stop.code, stop.reason
        finally:
            if shutdown is not None:
                shutdown.cancel()
            await self.finish(forwarder)

    async def _read(self, shutdown: asyncio.Future | None) -> None:
        from starlette.websockets import WebSocketDisconnect

        while True:
            await self._backpressure(shutdown)
            receive = asyncio.ensure_future(self.websocket.receive())
            waiting = {receive} if shutdown is None else {receive, shutdown}
            await asyncio.wait(waiting, timeout=self._idle_left(), return_when=asyncio.FIRST_COMPLETED)
            if not receive.done():
                receive.cancel()
                if shutdown is None or not shutdown.done():
                    self._idle()  # raises _Stop
                self.close_code, self.close_reason = CLOSE_GOING_AWAY, "server shutting down"
                await self._read_what_came()
                return
            try:
                message = await receive
            except WebSocketDisconnect:
                return
            if _gone(message):
                return
            await self.handle(message)

    async def _read_what_came(self) -> None:
        """The server is stopping: what already reached it is still taken, then the end."""
        from starlette.websockets import WebSocketDisconnect

        while True:
            try:
                message = await asyncio.wait_for(self.websocket.receive(), timeout=0.05)
            except (asyncio.TimeoutError, WebSocketDisconnect):
                return
            if _gone(message):
                return
            await self.handle(message)

    # --- idle streams and backpressure -----------------------------------------------------------

    def _idle_left(self) -> float:
        """Seconds until the stream is idle: neither audio nor KeepAlive for ``idle_timeout_s``,
        or no audio for ``keepalive_timeout_s``."""
        limits = self.limits
        deadline = min(max(self.last_audio, self.last_keepalive) + limits.idle_timeout_s,
                       self.last_audio + limits.keepalive_timeout_s)  # fmt: skip
        return max(deadline - time.monotonic(), 0.0)

    def _idle(self) -> None:
        """The stream is idle: an ``Error`` (NET-0001, as Deepgram's), then its end (what it sent
        is decoded and its final results go out before the close, 1011)."""
        limits = self.limits
        if time.monotonic() - self.last_keepalive >= limits.idle_timeout_s:
            what = f"neither audio nor KeepAlive for {limits.idle_timeout_s:g} s"
        else:
            what = f"no audio for {limits.keepalive_timeout_s:g} s (KeepAlive keeps a stream open that long at most)"
        self.error("idle_timeout", f"NET-0001: the stream received {what}; closing it")
        raise _Stop(CLOSE_ERROR, "NET-0001 idle timeout")

    def backlog(self) -> float:
        """The most audio (seconds) any of the connection's streams holds without having decoded it."""
        return self.worker.backlog(self.sessions)

    async def _backpressure(self, shutdown: asyncio.Future | None) -> None:
        """While a stream holds more than ``max_backlog_s`` of audio it has not decoded, read
        nothing: the client's frames wait in the socket, and TCP stops the client (the server
        shutting down ends the wait)."""
        if self.backlog() <= self.limits.max_backlog_s:
            return
        self.worker.notify()
        paused = time.monotonic()
        while self.backlog() > self.limits.max_backlog_s and not (shutdown is not None and shutdown.done()):
            await asyncio.sleep(0.02)
        # the client was held back, not idle; what it sent meanwhile comes in a burst
        self._not_listening(paused)
        self.rate.resumed()

    def _not_listening(self, since: float) -> None:
        """The connection read nothing from ``since`` to now (backpressure, a ``Finalize`` being
        decoded): that time does not count towards the idle timeouts."""
        held = time.monotonic() - since
        self.last_audio += held
        self.last_keepalive += held

    async def handle(self, message: Mapping[str, Any]) -> None:
        """One client message (after the rate limit); raises :class:`_Stop` when the connection
        should end."""
        if self.rate.over(self.limits.max_messages_per_second):
            self.error("rate_limit", f"more than {self.limits.max_messages_per_second:g} messages per second")
            raise _Stop(CLOSE_POLICY, "message rate")
        data = message.get("bytes")
        if data is not None:
            if data:
                self.last_audio = time.monotonic()
            await self.audio(data)
        else:
            await self.control(message.get("text"))

    # --- audio ---------------------------------------------------------------------------------

    async def audio(self, data: bytes) -> None:
        """A binary frame: decoded, pushed into each channel's session (the VAD's events go out
        at once), counted against the frame and session limits."""
        limits = self.limits
        if len(data) > limits.max_frame_bytes:
            self.error("frame_too_large", f"a frame of {len(data)} bytes; the limit is {limits.max_frame_bytes}")
            raise _Stop(CLOSE_TOO_BIG, "frame too large")
        before = self.decoder.seconds
        for session, samples in zip(self.sessions, self.decoder(data)):
            events = self.worker.push(session, samples)
            if events:
                self.outbox.put_nowait((session, events))
        self.clock.arrived(self.decoder.seconds)
        if self.metrics is not None:
            self.metrics.received((self.decoder.seconds - before) * self.channels)
        if self.decoder.seconds > limits.max_session_seconds:
            self.error("session_too_long", f"more than {limits.max_session_seconds:g} s of audio in one session")
            raise _Stop(CLOSE_POLICY, "session too long")

    # --- control messages ------------------------------------------------------------------------

    async def control(self, text: str | None) -> None:
        """``KeepAlive`` (nothing to do), ``Finalize`` (decode what was sent as final, and wait
        for it), ``CloseStream`` (the end); anything else: an ``Error`` message. JSON nested deeper
        than the parser's recursion limit is malformed too (RecursionError), not the end of the
        connection."""
        try:
            control = json.loads(text) if text else None
            kind = control.get("type") if isinstance(control, dict) else None
        except (ValueError, RecursionError):
            kind = None
        if kind == "KeepAlive":
            self.last_keepalive = time.monotonic()
            return
        if kind == "Finalize":
            began = time.monotonic()
            self.worker.finalize(self.sessions)
            await self._flush()
            self._not_listening(began)
            return
        if kind == "CloseStream":
            raise _Stop(CLOSE_NORMAL, "")
        self.error("bad_message", "text messages must be JSON with type KeepAlive, Finalize or CloseStream; "
                   f"got {str(text)[:80]!r}")  # fmt: skip

    # --- results ---------------------------------------------------------------------------------

    def error(self, variant: str, description: str) -> None:
        """An ``Error`` message, sent after what is already queued."""
        self.outbox.put_nowait({"type": "Error", "variant": variant, "description": description})

    async def forward(self) -> None:
        """Send what the outbox holds, in order, until its end (None)."""
        while True:
            item = await self.outbox.get()
            if item is None:
                return
            if isinstance(item, Exception):  # in full in the log; the client's copy names no server path
                log.error("decoding failed: %r", item)
                await self._send({"type": "Error", "variant": "internal",
                                  "description": f"decoding failed: {public_message(str(item))}"})  # fmt: skip
            elif isinstance(item, dict):
                await self._send(item)
            else:
                await self._deliver(*item)

    async def _deliver(self, session: StreamSession, events: list[Event]) -> None:
        for event in events:
            message = self._message(session, event)
            if message is not None:
                await self._send(message)
                if self.metrics is not None and isinstance(event, Result):
                    self._measure(session, event)

    def _message(self, session: StreamSession, event: Event) -> dict | None:
        channel = [session.channel, self.channels]
        if isinstance(event, Result):
            return result_message(event, session.channel, self.channels, self.request_id, self.model_info)
        if isinstance(event, SpeechStarted):
            return {"type": "SpeechStarted", "channel": channel, "timestamp": event.timestamp}
        if isinstance(event, UtteranceEnd):
            return {"type": "UtteranceEnd", "channel": channel, "last_word_end": event.last_word_end}
        return None

    async def _send(self, message: dict) -> None:
        await self.websocket.send_text(json.dumps(message, ensure_ascii=False))

    def _measure(self, session: StreamSession, result: Result) -> None:
        """Latencies of a result just sent (see awal.service.metrics)."""
        assert self.metrics is not None
        now = time.monotonic()
        if result.words and self._new_utterance[session]:
            self._new_utterance[session] = False
            began = self.clock.when(result.words[0].start)
            if began is not None:
                self.metrics.first_partial.observe(now - began)
        if result.is_final and result.words:
            trigger = "endpoint" if result.speech_final else "finalize" if result.from_finalize else "commit"
            ended = self.clock.when(result.words[-1].end)
            if ended is not None:
                self.metrics.final.labels(trigger).observe(now - ended)
        if result.is_final and (result.speech_final or result.from_finalize):
            self._new_utterance[session] = True

    # --- the end ---------------------------------------------------------------------------------

    async def _flush(self) -> None:
        """Wait until every session has decoded all the audio it was given, and the worker has
        handed the results over."""
        self.worker.notify()
        while self.worker.busy(self.sessions):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.01)  # let the worker's hand-over callbacks run

    async def finish(self, forwarder: asyncio.Task) -> None:
        """The end of the stream, however it came: decode everything that was sent, send the
        last results and ``Metadata``, close with :attr:`close_code`; the sessions are forgotten."""
        from starlette.websockets import WebSocketDisconnect

        tail = self.decoder(b"", last=True)
        with self.worker.engine.lock:  # every channel at once: their last windows share a batch
            for session, samples in zip(self.sessions, tail):
                self.worker.close(session, samples)
        try:
            await self._flush()
            self.outbox.put_nowait(None)
            await forwarder
            await self._send({"type": "Metadata", "transaction_key": "deprecated", "request_id": self.request_id,
                              "created": self.created, "duration": round(self.decoder.seconds, 3),
                              "channels": self.params.channels, "models": [self.model_info.get("name")],
                              "model_info": dict(self.model_info)})  # fmt: skip
            await self.websocket.close(code=self.close_code, reason=self.close_reason)
        except (WebSocketDisconnect, RuntimeError):
            forwarder.cancel()  # the client is gone: nobody to send to
        finally:
            for session in self.sessions:
                self.worker.forget(session)
