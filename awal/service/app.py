"""The app behind ``awal serve``: one process, the ASR routes and the speech route (TTS).

    awal serve --port 8000                              # serve(create_app(...)): graceful shutdown
    uvicorn awal.service:create_app --factory          # settings from the environment

On SIGTERM or Ctrl-C, :func:`serve` first drains the streams (every open ``/v1/listen``
connection decodes all the audio it received, sends its final results and ``Metadata``, and
closes with 1001; new ones are refused with 1013 and ``/readyz`` says 503), then lets uvicorn
close the rest. Plain ``uvicorn`` closes WebSockets at once (1012) without that drain.

This is the top floor: it reaches up into ``asr`` lazily, inside :func:`create_app`, so that
importing ``awal`` never imports FastAPI, faster-whisper or numpy; likewise into ``tts``.

Settings (arguments, else environment): ``AWAL_MODEL`` (default: the bundled model),
``AWAL_API_KEYS`` (comma-separated; none configured: the service is open, and says so loudly),
``AWAL_MAX_SESSIONS`` (streams decoded at once: a stereo ``multichannel`` call takes 2),
``AWAL_IDLE_TIMEOUT``, ``AWAL_KEEPALIVE_TIMEOUT``, ``AWAL_MAX_BACKLOG`` (:class:`~awal.service.listen.ListenLimits`),
``AWAL_DEVICE``, ``AWAL_COMPUTE_TYPE``, ``AWAL_THREADS``, ``AWAL_TTS_VOICE``
(a neural voice folder: served by its name, and the default voice of its languages),
``AWAL_MAX_UPLOAD_MB`` and ``AWAL_MAX_AUDIO_S`` (the batch transcription limits:
:class:`~awal.service.transcriptions.TranscriptionLimits`), ``AWAL_DOCS=1`` (serve ``/docs``,
``/redoc`` and ``/openapi.json``: off by default, they are open to anyone, key or not).

The ``token`` query parameter (an API key) is written ``token=***`` in uvicorn's logs
(:func:`redact_tokens`, installed by :func:`create_app`, so also under plain uvicorn).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["create_app", "redact_tokens", "serve"]

log = logging.getLogger("awal.service")

_TOKEN = re.compile(r"((?:^|[?&])token=)[^&\s\"]*")


class _TokenRedactor(logging.Filter):
    """Writes ``token=***`` for the API key in a logged path (uvicorn's access log, and its
    ``WebSocket /v1/listen?token=...`` lines); the rest of the record as it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "token=" in a for a in record.args):
            record.args = tuple(_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN.sub(r"\1***", record.msg)
        return True


def redact_tokens() -> None:
    """Install the :class:`_TokenRedactor` on uvicorn's loggers (once: calling again changes nothing)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _TokenRedactor) for f in logger.filters):
            logger.addFilter(_TokenRedactor())


def create_app(
    model: str | None = None,
    *,
    api_keys: Iterable[str] = (),
    max_sessions: int | None = None,
    idle_timeout: float | None = None,
    keepalive_timeout: float | None = None,
    max_backlog: float | None = None,
    device: str | None = None,
    compute_type: str | None = None,
    threads: int | None = None,
    tts_voice: str | None = None,
    max_upload_mb: float | None = None,
    max_audio_s: float | None = None,
    docs: bool | None = None,
) -> Any:
    """The FastAPI app: the engine is loaded here; its worker thread runs while the app does.
    ``max_upload_mb``/``max_audio_s``: :class:`~awal.service.transcriptions.TranscriptionLimits`
    (defaults 100 MB, 3 h); ``docs``: serve the API's pages (default off)."""
    from fastapi import FastAPI

    from awal.asr.streaming.engine import StreamingEngine
    from awal.asr.streaming.worker import EngineWorker
    from awal.audio import remove_own_audio_folders, remove_stale_audio_folders
    from awal.service.listen import ListenLimits
    from awal.service.routes import ServerState, asr_router, parse_keys
    from awal.service.transcriptions import TranscriptionLimits

    env = os.environ
    redact_tokens()
    for gone in remove_stale_audio_folders():  # left by a server that was killed
        log.info("removed %s, left by a process that is gone", gone)
    keys = parse_keys([*api_keys, env.get("AWAL_API_KEYS", "")])
    # every limit is checked before the model loads: a wrong one is said at once
    defaults = TranscriptionLimits()
    batch_limits = TranscriptionLimits(
        max_upload_mb=_setting(max_upload_mb, "AWAL_MAX_UPLOAD_MB", defaults.max_upload_mb),
        max_audio_s=_setting(max_audio_s, "AWAL_MAX_AUDIO_S", defaults.max_audio_s),
    )
    if docs is None:
        docs = env.get("AWAL_DOCS", "").strip().lower() in ("1", "true", "yes", "on")
    stream_defaults = ListenLimits()
    limits = ListenLimits(
        max_sessions=int(_setting(max_sessions, "AWAL_MAX_SESSIONS", stream_defaults.max_sessions)),
        idle_timeout_s=_setting(idle_timeout, "AWAL_IDLE_TIMEOUT", stream_defaults.idle_timeout_s),
        keepalive_timeout_s=_setting(keepalive_timeout, "AWAL_KEEPALIVE_TIMEOUT", stream_defaults.keepalive_timeout_s),
        max_backlog_s=_setting(max_backlog, "AWAL_MAX_BACKLOG", stream_defaults.max_backlog_s),
    )
    engine = StreamingEngine(
        model or env.get("AWAL_MODEL") or None,
        device=device or env.get("AWAL_DEVICE", "cpu"),
        compute_type=compute_type or env.get("AWAL_COMPUTE_TYPE", "int8"),
        cpu_threads=threads if threads is not None else int(env.get("AWAL_THREADS", "0")),
    )
    worker = EngineWorker(engine)
    name = os.path.basename(os.path.normpath(engine.path))
    state = ServerState(worker, keys, limits, model_info={"name": name, "version": engine.info.awal_version,
                                                          "arch": "whisper", "uuid": name})  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: Any):
        if state.open:
            log.warning("NO API KEY IS CONFIGURED: this service is OPEN to anyone who can reach it "
                        "(give --api-key or set AWAL_API_KEYS)")  # fmt: skip
        worker.start()
        try:
            yield
        finally:
            state.ready = False
            worker.stop()
            remove_own_audio_folders()  # a transcription cut short by the shutdown

    from awal.asr.transcribe import Transcriber
    from awal.service.routes import authorized, key_from
    from awal.service.transcriptions import transcriptions_router

    def request_authorized(request: Any) -> bool:
        return authorized(state, key_from(request.headers, request.query_params))

    pages: dict[str, Any] = {} if docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title="awal", lifespan=lifespan, **pages)
    app.state.awal = state
    app.include_router(asr_router(state))
    transcriber = Transcriber.loaded(engine.path, engine.info, engine.model)
    app.include_router(transcriptions_router(transcriber, request_authorized, batch_limits))
    from awal.service.speech import speech_router

    app.include_router(speech_router(request_authorized, tts_voice or env.get("AWAL_TTS_VOICE") or None))
    return app


def _setting(value: float | None, name: str, default: float) -> float:
    """``value`` when given (0 included: the limits refuse it, it never means "the default"),
    else the environment's ``name``, else ``default``."""
    if value is not None:
        return value
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        from awal.errors import InputError

        raise InputError(f"{name} must be a number, got {text!r}") from None


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000, *, drain_timeout: float = 30.0,
          **uvicorn_options: Any) -> None:  # fmt: skip
    """Run ``app`` (from :func:`create_app`) under uvicorn until SIGTERM/SIGINT, then shut down
    gracefully: streams are drained (at most ``drain_timeout`` s) before connections close."""
    import uvicorn

    class DrainingServer(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            await app.state.awal.drain(drain_timeout)
            await super().shutdown(sockets=sockets)

    # WebSocket pings without a timeout: a stream held back by backpressure (listen.py) is not
    # read, so the client's pong waits behind its audio; the streams' idle timeouts watch them
    uvicorn_options.setdefault("ws_ping_timeout", None)
    config = uvicorn.Config(app, host=host, port=port, **uvicorn_options)  # (configures logging)
    redact_tokens()
    DrainingServer(config).run()
