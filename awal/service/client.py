"""The reference client of ``WS /v1/listen``: ``awal stream FILE --url URL [--realtime] [--api-key K]``.

    client = ListenClient(StreamRequest("ws://127.0.0.1:8000", api_key="...", realtime=True))
    async for message in client.messages("call.wav"):     # the server's JSON messages, as they come
        print(format_message(message))
    client.close_code                                      # 1000 after CloseStream

It sends the file as ``linear16`` at the file's own rate and channel count (a stereo call becomes
``channels=2&multichannel=true``: one transcript per channel), in ``chunk_ms`` frames: paced in
real time with ``realtime`` (as a telephony gateway would), else as fast as the server's
message-rate limit allows (100 frames/s). After the last frame it sends ``CloseStream`` and
reads until the server closes (final results, then ``Metadata``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np

from awal.errors import InputError

__all__ = ["ListenClient", "StreamRequest", "format_message", "listen_url", "read_pcm16"]

#: Frames per second the client sends at most when not in real time (the server allows 200).
MAX_FRAMES_PER_SECOND = 100.0


@dataclass(frozen=True)
class StreamRequest:
    """Where and how to stream (the ``/v1/listen`` query parameters it sets)."""

    url: str
    api_key: str | None = None
    language: str = "ary"
    script: str | None = None
    interim_results: bool = True
    endpointing_ms: int | None = None
    vad_events: bool = False
    realtime: bool = False
    chunk_ms: int | None = None  # default: 20 in real time, else 100

    def __post_init__(self) -> None:
        if self.chunk_ms is not None and not 10 <= self.chunk_ms <= 1000:
            raise InputError(f"chunk_ms must be 10-1000, got {self.chunk_ms}")

    @property
    def frame_ms(self) -> int:
        return self.chunk_ms or (20 if self.realtime else 100)


def listen_url(base: str, params: Mapping[str, Any]) -> str:
    """``base`` (``ws://host:port``, ``http://...`` or a full ``.../v1/listen`` URL) with the
    query parameters added; ``http(s)`` becomes ``ws(s)``."""
    parts = urlsplit(base if "://" in base else f"ws://{base}")
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise InputError(f"--url must be ws://, wss://, http:// or https://, got {base!r}")
    path = parts.path if parts.path not in ("", "/") else "/v1/listen"
    query = "&".join(q for q in (parts.query, urlencode({k: v for k, v in params.items() if v is not None})) if q)
    return urlunsplit((scheme, parts.netloc, path, query, ""))


def read_pcm16(path: str | Path) -> tuple[np.ndarray, int]:
    """(int16 samples of shape (frames, channels), sample rate): the file as it is, channels kept."""
    import soundfile as sf

    try:
        samples, rate = sf.read(str(path), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        # formats libsndfile does not read: decoded to 16 kHz mono by awal's loader
        from awal.audio import AudioError, load_audio

        try:
            mono = load_audio(path, sr=16000)
        except AudioError:
            raise InputError(f"{path}: cannot read audio ({exc})") from None
        return (np.clip(mono, -1, 1) * 32767).astype(np.int16)[:, None], 16000
    if samples.shape[1] > 8:
        raise InputError(f"{path}: {samples.shape[1]} channels; /v1/listen takes 1-8")
    return samples, int(rate)


class ListenClient:
    """One streaming connection (see the module docstring); ``close_code`` and ``close_reason``
    are set when :meth:`messages` ends."""

    def __init__(self, request: StreamRequest) -> None:
        self.request = request
        self.close_code: int | None = None
        self.close_reason = ""
        self.sent_seconds = 0.0

    def url(self, rate: int, channels: int) -> str:
        r = self.request
        params = {
            "encoding": "linear16", "sample_rate": rate, "channels": channels,
            "multichannel": "true" if channels > 1 else None, "language": r.language, "script": r.script,
            "interim_results": str(r.interim_results).lower(), "endpointing": r.endpointing_ms,
            "vad_events": "true" if r.vad_events else None,
        }  # fmt: skip
        return listen_url(r.url, params)

    async def _send(self, ws: Any, samples: np.ndarray, rate: int) -> None:
        frame = max(1, rate * self.request.frame_ms // 1000)
        step = frame / rate if self.request.realtime else 1.0 / MAX_FRAMES_PER_SECOND
        began = time.monotonic()
        for i, at in enumerate(range(0, len(samples), frame)):
            delay = began + i * step - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            chunk = samples[at : at + frame]
            await ws.send(np.ascontiguousarray(chunk).tobytes())
            self.sent_seconds = (at + len(chunk)) / rate
        await ws.send(json.dumps({"type": "CloseStream"}))

    async def messages(self, path: str | Path) -> AsyncIterator[dict[str, Any]]:
        """Stream ``path``; yield every message the server sends until it closes."""
        import websockets

        samples, rate = read_pcm16(path)
        headers = {"Authorization": f"Token {self.request.api_key}"} if self.request.api_key else {}
        # no ping timeout: a client sending faster than real time is held back by the server (it
        # stops reading, TCP stops the sender), and a ping waits behind the audio sent before it
        # until the server has decoded that audio; the server's idle timeout watches the stream
        async with websockets.connect(self.url(rate, samples.shape[1]), additional_headers=headers,
                                      max_size=None, ping_timeout=None) as ws:  # fmt: skip
            sender = asyncio.create_task(self._send(ws, samples, rate))
            try:
                async for raw in ws:
                    yield json.loads(raw)
            except websockets.exceptions.ConnectionClosedError:
                pass  # closed with an error code: reported below
            finally:
                sender.cancel()
                try:
                    await sender
                except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
                    pass
            self.close_code, self.close_reason = ws.close_code, ws.close_reason or ""


def format_message(message: Mapping[str, Any]) -> str | None:
    """One line for a server message (None for those with nothing to show): results read
    ``ch<channel> <start>-<end> <state> <language> <transcript>``, where the state is ``partial``
    (interim), ``final`` (these words will not change) or ``final/end`` (``speech_final``: the
    utterance ended)."""
    kind = message.get("type")
    if kind == "Results":
        alt = message["channel"]["alternatives"][0]
        if not alt["transcript"]:
            return None
        start, end = message["start"], message["start"] + message["duration"]
        state = "partial" if not message["is_final"] else "final/end" if message.get("speech_final") else "final"
        channel = message["channel_index"][0]
        return f"ch{channel} {start:7.2f}-{end:7.2f}  {state:<9} {message.get('language', ''):<4} {alt['transcript']}"
    if kind == "SpeechStarted":
        return f"ch{message['channel'][0]} {message['timestamp']:7.2f}          speech started"
    if kind == "UtteranceEnd":
        return f"ch{message['channel'][0]} {message['last_word_end']:7.2f}          utterance end"
    if kind == "Metadata":
        seconds, channels = message["duration"], message["channels"]
        return f"metadata: {seconds:.2f} s, {channels} channel(s), request {message['request_id']}"
    if kind == "Error":
        return f"error ({message.get('variant', '')}): {message.get('description', '')}"
    return None
