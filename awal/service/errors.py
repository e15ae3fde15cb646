"""Error responses of the OpenAI-compatible endpoints (transcriptions, speech)."""

from __future__ import annotations

from typing import Any

__all__ = ["openai_error"]


def openai_error(message: str, param: str | None = None, status: int = 400, code: str | None = None) -> Any:
    """An error response shaped as OpenAI's API shapes them (``{"error": {message, type, param,
    code}}``)."""
    from fastapi.responses import JSONResponse

    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return JSONResponse(body, status_code=status)
