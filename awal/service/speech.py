"""``POST /v1/audio/speech``: synthesis, compatible with OpenAI's API, streamed sentence by sentence.

JSON body: ``model`` (accepted and echoed in the ``X-Awal-Model`` header, percent-encoded but for
visible ASCII, at most 256 characters: the server's voices are named by ``voice``), ``input``
(the text, at most 4,096 characters), ``voice`` (``espeak``, ``awal-voice``: the bundled neural
voice, the name of the voice given to ``awal serve --tts-voice``, or one of OpenAI's names such
as ``alloy``, which mean the default voice, so that existing clients work unchanged),
``response_format`` (``wav`` default here, ``pcm``: 16-bit little-endian without a header, and
our ``mulaw`` / ``alaw`` for telephony), ``speed`` (0.25-4.0); our additions: ``language``
(``ary``, ``zgh``, ``kab`` ...; absent: Tifinagh text is ``zgh``, Arabic-script text ``ary``,
Latin text must say), ``sample_rate`` (default 24,000 Hz for ``pcm`` as OpenAI sends it, 8,000
for ``mulaw``/``alaw``, the voice's own for ``wav``). A field that is absent or ``null`` takes
its default; any other value is checked (``speed: 0`` or ``sample_rate: 0`` is a 400, as are
``Infinity`` and ``NaN``, which Python's JSON parser accepts).

The response is chunked: each sentence's audio is sent as soon as it is made (a ``wav`` starts
with a header whose length says "until the end"). The whole text goes through the front-end
first, so that a character no voice can say is a 400 before any audio is sent. Errors use
OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from awal.errors import InputError
from awal.service.errors import openai_error as _error

if TYPE_CHECKING:
    from awal.tts.synthesize import SpeechOptions

__all__ = ["speech_router"]

MAX_INPUT = 4096
FORMATS = {"wav": "audio/wav", "pcm": "audio/pcm", "mulaw": "audio/basic", "alaw": "audio/x-alaw-basic"}
#: OpenAI's voice names: clients send one; each means the default voice here.
OPENAI_VOICES = frozenset({"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
                           "verse", "marin", "cedar"})  # fmt: skip
#: The most characters of ``model`` echoed in ``X-Awal-Model``.
MAX_ECHO = 256
#: Visible ASCII but ``%``: what an echoed header value keeps as it is (the rest, spaces too, is
#: percent-encoded: an HTTP implementation may refuse a value that starts or ends with a space).
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


class _FieldError(InputError):
    """A bad value of one field of the body: ``param`` names it in the error response."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def _number(body: Mapping[str, Any], name: str) -> float | None:
    """The number field ``name`` of the body; None when absent or ``null`` (0 is a value like any
    other). A boolean, a list or an object, a string that is no number, ``Infinity`` and ``NaN`` are
    errors of that field."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _FieldError(name, f"{name} must be a number, got {value!r:.80}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf  # an integer too large for a float
    except ValueError:
        raise _FieldError(name, f"{name} must be a number, got {value!r:.80}") from None
    if not math.isfinite(number):
        raise _FieldError(name, f"{name} must be a finite number, got {value!r:.80}")
    return number


def _options(body: Mapping[str, Any], default_rate: int) -> tuple[int, SpeechOptions]:
    """(the sample rate, the options) of the body's ``sample_rate`` (whole Hz; absent:
    ``default_rate``) and ``speed`` (absent: 1.0)."""
    from awal.tts.synthesize import SpeechOptions

    requested = _number(body, "sample_rate")
    if requested is not None and not requested.is_integer():
        raise _FieldError("sample_rate", f"sample_rate must be a whole number of Hz, got {requested:g}")
    rate = default_rate if requested is None else int(requested)
    try:
        SpeechOptions(rate=rate)
    except InputError as exc:
        raise _FieldError("sample_rate", f"sample_rate: {exc}") from None
    speed = _number(body, "speed")
    try:
        return rate, SpeechOptions(rate=rate, speed=1.0 if speed is None else speed)
    except InputError as exc:
        raise _FieldError("speed", str(exc)) from None


def _echoed(value: Any) -> str:
    """``value`` made fit for a response header: its first :data:`MAX_ECHO` characters, percent-encoded
    (UTF-8) but for visible ASCII, so that a plain name (``tts-1``) is echoed as it is and CR/LF or
    non-Latin-1 text can neither break the response nor add a header."""
    return quote(str(value)[:MAX_ECHO], safe=_HEADER_SAFE, errors="surrogatepass")


def _language(value: Any, text: str) -> str:
    from awal.languages import get_language
    from awal.text.scripts import dominant_script

    if value:
        return get_language(str(value)).code
    script = dominant_script(text)
    if script == "Tfng":
        return "zgh"
    if script == "Arab":
        return "ary"
    raise InputError("say which language the text is in: language=ary, zgh or kab (Latin text could be any)")


def speech_router(authorized: Callable[[Any], bool], voice: str | None = None) -> APIRouter:
    """The route; ``voice``: a neural voice folder served by its name and as the default voice of the
    languages it speaks (``awal serve --tts-voice``); it is loaded now, so a bad folder stops the start."""
    from awal.tts.synthesize import Voice, default_voice, load_voice, voices

    served: dict[str, Voice] = {}  # voices loaded once, by name (a neural voice's sessions are costly)
    extra: Any = None
    if voice:
        from awal.tts.neural import NeuralVoice

        extra = NeuralVoice(voice)
        served[extra.name] = extra

    def pick(name: str | None, lang: str) -> Voice:
        from awal.languages import get_language

        if name is None:
            family = get_language(lang).family
            speaks = extra is not None and (lang in extra.languages or family in extra.languages)
            name = extra.name if speaks else default_voice(lang)
        if name not in served:
            if name not in voices():
                known = sorted({*voices(), *served})
                raise InputError(f"unknown voice {name!r}; voices: {', '.join(known)}")
            served[name] = load_voice(name, lang)
        engine = served[name]
        spoken = getattr(engine, "languages", None)  # a neural voice speaks the languages it was trained on
        if spoken is not None and lang not in spoken and get_language(lang).family not in spoken:
            raise InputError(f"voice {name!r} does not speak {lang!r}; it speaks {', '.join(spoken)}")
        return engine

    router = APIRouter()

    @router.post("/v1/audio/speech", response_model=None)
    async def speech(request: Request) -> Any:
        from awal.tts.frontend import encode, split_sentences
        from awal.tts.synthesize import encode_audio, stream, wav_header

        if not authorized(request):
            return _error("missing or wrong API key", status=401, code="invalid_api_key")
        try:
            body = await request.json()
        except ValueError as exc:
            return _error(f"the body is not JSON: {exc}")
        except RecursionError:  # nested deeper than the parser's recursion limit
            return _error("the body is not JSON this server reads: it is nested too deeply")
        if not isinstance(body, dict):
            return _error("the body must be a JSON object")
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            return _error("input must be a non-empty string", "input")
        if len(text) > MAX_INPUT:
            return _error(f"input is {len(text)} characters; at most {MAX_INPUT}", "input")
        fmt = "wav" if body.get("response_format") is None else str(body["response_format"])
        if fmt not in FORMATS:
            return _error(f"response_format {fmt!r} is not supported; supported: {', '.join(FORMATS)}",
                          "response_format", code="unsupported_format")  # fmt: skip
        name = body.get("voice")
        name = None if name is None or str(name).lower() in OPENAI_VOICES else str(name)
        try:
            lang = _language(body.get("language"), text)
        except InputError as exc:
            return _error(str(exc), "language")
        try:
            engine = await run_in_threadpool(pick, name, lang)
        except InputError as exc:
            return _error(str(exc), "voice")
        default_rate = {"pcm": 24000, "mulaw": 8000, "alaw": 8000}.get(fmt, engine.sample_rate)
        try:
            rate, options = _options(body, default_rate)
        except _FieldError as exc:
            return _error(str(exc), exc.param)
        sentences = split_sentences(text)
        try:
            spoken = [encode(s, lang) for s in sentences]  # unknown characters: a 400 now, not mid-stream
        except InputError as exc:
            return _error(str(exc), "input")
        if not any(e.symbols for e in spoken):
            return _error("the input has no speakable characters", "input")

        async def audio() -> AsyncIterator[bytes]:
            if fmt == "wav":
                yield wav_header(rate)
            chunks = stream(text, lang, engine, options)
            while True:
                chunk = await run_in_threadpool(next, chunks, None)
                if chunk is None:
                    return
                yield encode_audio(chunk.samples, fmt)

        headers = {"X-Awal-Voice": engine.name, "X-Awal-Language": lang, "X-Awal-Sample-Rate": str(rate),
                   "X-Awal-Model": _echoed(body.get("model") or "")}  # fmt: skip
        return StreamingResponse(audio(), media_type=FORMATS[fmt], headers=headers)

    return router
