"""The ASR routes of ``awal serve`` (a FastAPI router): ``WS /v1/listen``, health, readiness, metrics.

:func:`asr_router` builds the router around a :class:`ServerState` (the engine, its worker
thread, the API keys, the limits, the metrics). The app factory (:mod:`awal.service`) mounts it;
its server calls :meth:`ServerState.drain` before it closes connections (graceful shutdown).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse, Response

from awal.asr.streaming.worker import EngineWorker
from awal.errors import InputError
from awal.service.listen import (
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    ListenConnection,
    ListenLimits,
    parse_params,
    refuse_bad_request,
)
from awal.service.metrics import ServiceMetrics

__all__ = ["ServerState", "asr_router", "key_from"]

log = logging.getLogger(__name__)


@dataclass
class ServerState:
    """What the routes share: the worker (and its engine), keys, limits, metrics."""

    worker: EngineWorker
    api_keys: frozenset[str] = frozenset()
    limits: ListenLimits = field(default_factory=ListenLimits)
    active: int = 0  # open connections
    streams: int = 0  # the streams they decode (what limits.max_sessions counts)
    ready: bool = True
    model_info: Mapping[str, Any] = field(default_factory=dict)
    metrics: ServiceMetrics = field(init=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.metrics = ServiceMetrics.create(active=lambda: self.active, queued=self.worker.engine.queued,
                                             streams=lambda: self.streams,
                                             buffered=self.worker.engine.buffered_seconds)  # fmt: skip
        self.worker.metrics = self.metrics

    @property
    def open(self) -> bool:
        return not self.api_keys

    async def drain(self, timeout: float = 30.0) -> int:
        """Graceful shutdown: refuse new streams, have every open one decode all the audio it
        received and send its final results; wait for them (at most ``timeout`` s). Returns how
        many were still open at the deadline."""
        self.ready = False
        self.stopping.set()
        deadline = time.monotonic() + timeout
        if self.active:
            log.info("shutting down: finishing %d open stream(s)", self.active)
        while self.active and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.active:
            log.warning("shutting down: %d stream(s) still open after %.0f s", self.active, timeout)
        return self.active


def key_from(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The API key a request carries: ``Authorization: Bearer KEY`` (OpenAI), ``Authorization:
    Token KEY`` (Deepgram), or the ``token`` query parameter (browsers cannot set headers on a
    WebSocket)."""
    auth = headers.get("authorization", "")
    for scheme in ("bearer ", "token "):
        if auth.lower().startswith(scheme):
            return auth[len(scheme) :].strip() or None
    return query.get("token") or None


def authorized(state: ServerState, key: str | None) -> bool:
    """Whether ``key`` is one of the server's keys (any key when none is configured). Compared as
    UTF-8 bytes, in constant time: ``hmac.compare_digest`` refuses a ``str`` that is not ASCII, and a
    client's key can be anything (``?token=%C3%A9``)."""
    if state.open:
        return True
    if key is None:
        return False
    given = key.encode("utf-8", "surrogatepass")
    return any(hmac.compare_digest(given, k.encode("utf-8", "surrogatepass")) for k in state.api_keys)


def asr_router(state: ServerState) -> APIRouter:
    # (FastAPI reads the handlers' annotations: WebSocket must be importable from this module)
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Any:
        if not state.ready:
            return JSONResponse({"status": "not ready"}, status_code=503)
        return {"status": "ready", "model": state.model_info.get("name"), "sessions": state.active,
                "streams": state.streams, "capacity": state.limits.max_sessions}  # fmt: skip

    @router.get("/metrics")
    async def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.websocket("/v1/listen")
    async def listen(websocket: WebSocket) -> None:
        key = key_from(websocket.headers, websocket.query_params)
        if not authorized(state, key):
            state.metrics.rejected.labels("auth").inc()
            # before the handshake completes: the client sees the refusal as such (HTTP 403)
            await websocket.close(code=CLOSE_POLICY, reason="missing or wrong API key")
            return
        await websocket.accept()
        try:
            params = parse_params(dict(websocket.query_params))
        except InputError as exc:
            await refuse_bad_request(websocket, exc)
            return
        # capacity counts streams decoded, not connections: a stereo multichannel call takes 2
        capacity = state.limits.max_sessions
        if params.streams > capacity:
            await refuse_bad_request(websocket, InputError(
                f"{params.streams} channels decoded apart (multichannel=true); this server decodes at most "
                f"{capacity} streams at once: send fewer channels, or multichannel=false"))  # fmt: skip
            return
        if state.streams + params.streams > capacity or not state.ready:
            state.metrics.rejected.labels("capacity" if state.ready else "shutdown").inc()
            reason = "at capacity" if state.ready else "shutting down"
            await websocket.send_json({"type": "Error", "variant": "unavailable",
                                       "description": f"the server is {reason}: try again later"})  # fmt: skip
            await websocket.close(code=CLOSE_TRY_LATER, reason=reason)
            return
        state.active += 1
        state.streams += params.streams
        try:
            connection = await ListenConnection.open(websocket, state.worker, state.limits, state.model_info,
                                                     state.metrics, state.stopping, params)  # fmt: skip
            if connection is not None:
                await connection.serve()
        finally:
            state.active -= 1
            state.streams -= params.streams

    return router


def parse_keys(values: Iterable[str]) -> frozenset[str]:
    """Keys from ``--api-key`` values and ``AWAL_API_KEYS`` (comma-separated)."""
    keys = {k.strip() for v in values for k in v.split(",")}
    return frozenset(k for k in keys if k)
