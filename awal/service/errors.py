"""Error responses of the OpenAI-compatible endpoints (transcriptions, speech).

What a client reads of an error is :func:`public_message` of it: no server file path (a model
folder, the cache, a temporary file: each is replaced by its last part, the name the client knows
it by) and at most :data:`MAX_MESSAGE` characters, so that a value echoed back cannot make the
response as large as the request. The full message is logged on the server when it was changed.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["MAX_MESSAGE", "openai_error", "public_message"]

log = logging.getLogger("awal.service")

#: The longest error message a client is sent (characters); longer ones are cut, marked with "...".
MAX_MESSAGE = 400

# An absolute path of two parts or more (``/work/x/model``, ``/tmp/awal-audio-1-ab/input``), or a
# Windows one (``C:\\x\\y``); a lone ``/`` (``tokens/s``, ``a/b``) is not a path.
_PATH = re.compile(r"(?<![\w.:/~-])(?:[A-Za-z]:\\|~?/)(?:[^\s'\"/\\:,;()]+[/\\])+([^\s'\"/\\:,;()]*)")


def public_message(message: str) -> str:
    """``message`` fit for a client: server paths replaced by their last part, cut to :data:`MAX_MESSAGE`."""
    text = _PATH.sub(lambda m: m.group(1) or "<path>", message)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    return text


def openai_error(message: str, param: str | None = None, status: int = 400, code: str | None = None) -> Any:
    """An error response shaped as OpenAI's API shapes them (``{"error": {message, type, param,
    code}}``), its message made :func:`public_message`."""
    from fastapi.responses import JSONResponse

    public = public_message(message)
    if public != message:
        log.info("error sent as %r; in full: %s", public[:80], message[:4000])
    body = {"error": {"message": public, "type": "invalid_request_error", "param": param, "code": code}}
    return JSONResponse(body, status_code=status)
