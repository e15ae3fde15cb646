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
``AWAL_MAX_SESSIONS``, ``AWAL_DEVICE``, ``AWAL_COMPUTE_TYPE``, ``AWAL_THREADS``, ``AWAL_TTS_VOICE``
(a neural voice folder: served by its name, and the default voice of its languages).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["create_app", "serve"]

log = logging.getLogger("awal.service")


def create_app(
    model: str | None = None,
    *,
    api_keys: Iterable[str] = (),
    max_sessions: int | None = None,
    device: str | None = None,
    compute_type: str | None = None,
    threads: int | None = None,
    tts_voice: str | None = None,
) -> Any:
    """The FastAPI app: the engine is loaded here; its worker thread runs while the app does."""
    from fastapi import FastAPI

    from awal.asr.streaming.engine import StreamingEngine
    from awal.asr.streaming.worker import EngineWorker
    from awal.service.listen import ListenLimits
    from awal.service.routes import ServerState, asr_router, parse_keys

    env = os.environ
    keys = parse_keys([*api_keys, env.get("AWAL_API_KEYS", "")])
    engine = StreamingEngine(
        model or env.get("AWAL_MODEL") or None,
        device=device or env.get("AWAL_DEVICE", "cpu"),
        compute_type=compute_type or env.get("AWAL_COMPUTE_TYPE", "int8"),
        cpu_threads=threads if threads is not None else int(env.get("AWAL_THREADS", "0")),
    )
    limits = ListenLimits(max_sessions=max_sessions or int(env.get("AWAL_MAX_SESSIONS", "64")))
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

    from awal.asr.transcribe import Transcriber
    from awal.service.routes import authorized, key_from
    from awal.service.transcriptions import transcriptions_router

    def request_authorized(request: Any) -> bool:
        return authorized(state, key_from(request.headers, request.query_params))

    app = FastAPI(title="awal", lifespan=lifespan)
    app.state.awal = state
    app.include_router(asr_router(state))
    transcriber = Transcriber.loaded(engine.path, engine.info, engine.model)
    app.include_router(transcriptions_router(transcriber, request_authorized))
    from awal.service.speech import speech_router

    app.include_router(speech_router(request_authorized, tts_voice or env.get("AWAL_TTS_VOICE") or None))
    return app


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000, *, drain_timeout: float = 30.0,
          **uvicorn_options: Any) -> None:  # fmt: skip
    """Run ``app`` (from :func:`create_app`) under uvicorn until SIGTERM/SIGINT, then shut down
    gracefully: streams are drained (at most ``drain_timeout`` s) before connections close."""
    import uvicorn

    class DrainingServer(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            await app.state.awal.drain(drain_timeout)
            await super().shutdown(sockets=sockets)

    DrainingServer(uvicorn.Config(app, host=host, port=port, **uvicorn_options)).run()
