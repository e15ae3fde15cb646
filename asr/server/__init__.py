"""The ASR routes of ``awal serve`` (a FastAPI router): ``WS /v1/listen``, health and readiness.

:func:`asr_router` builds the router around a :class:`ServerState` (the engine, its worker
thread, the API keys, the limits). The app factory (:mod:`awal.service`) mounts it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from asr.server.listen import (
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    EngineWorker,
    ListenLimits,
    serve_listen,
)

__all__ = ["ServerState", "asr_router", "key_from"]

log = logging.getLogger(__name__)


@dataclass
class ServerState:
    """What the routes share: the worker (and its engine), keys, limits, counters."""

    worker: EngineWorker
    api_keys: frozenset[str] = frozenset()
    limits: ListenLimits = field(default_factory=ListenLimits)
    active: int = 0
    rejected: int = 0
    ready: bool = True
    model_info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return not self.api_keys


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
    if state.open:
        return True
    return key is not None and any(hmac.compare_digest(key, k) for k in state.api_keys)


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
                "capacity": state.limits.max_sessions}  # fmt: skip

    @router.websocket("/v1/listen")
    async def listen(websocket: WebSocket) -> None:
        key = key_from(websocket.headers, websocket.query_params)
        if not authorized(state, key):
            # before the handshake completes: the client sees the refusal as such (HTTP 403)
            await websocket.close(code=CLOSE_POLICY, reason="missing or wrong API key")
            return
        await websocket.accept()
        if state.active >= state.limits.max_sessions or not state.ready:
            state.rejected += 1
            reason = "at capacity" if state.ready else "shutting down"
            await websocket.send_json({"type": "Error", "variant": "unavailable",
                                       "description": f"the server is {reason}: try again later"})  # fmt: skip
            await websocket.close(code=CLOSE_TRY_LATER, reason=reason)
            return
        state.active += 1
        try:
            await serve_listen(websocket, state.worker, state.limits, state.model_info)
        finally:
            state.active -= 1

    return router


def parse_keys(values: Iterable[str]) -> frozenset[str]:
    """Keys from ``--api-key`` values and ``AWAL_API_KEYS`` (comma-separated)."""
    keys = {k.strip() for v in values for k in v.split(",")}
    return frozenset(k for k in keys if k)
