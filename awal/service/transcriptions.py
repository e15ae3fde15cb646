"""``POST /v1/audio/transcriptions``: batch transcription, compatible with OpenAI's API.

Multipart form fields: ``file`` (any audio format awal decodes), ``model`` (accepted and echoed:
the server has one model), ``language`` (an awal code such as ``ary``/``zgh``, or an ISO-639-1
code the model was trained with, such as ``ar``; absent: detected among the model's languages),
``response_format`` (``json`` default, ``text``, ``srt``, ``vtt``, ``verbose_json``),
``timestamp_granularities[]`` (``segment``, ``word``: words with times in ``verbose_json``), and
our ``script`` (``arab``/``latn``/``tfng``). Errors use OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}`` with status 400 (bad input) or 413.

Bounded work (:class:`TranscriptionLimits`, ``awal serve --max-upload-mb/--max-audio-s``): the body
is counted as it arrives and refused with 413 once it passes the upload limit (at once when its
``Content-Length`` says so), before the rest is read; the form's other fields are capped (64 KiB
each); the file is spooled to disk, its header read (:func:`awal.audio.probe_audio`) and a rate,
channel count or length out of bounds refused before a sample is decoded (the length is counted
again while decoding: a header can lie); then it is decoded block by block
(:func:`awal.audio.stream_audio`) and a long input's speech windows are decoded as they come
(:meth:`~awal.asr.transcribe.Transcriber.stream_segments`). When the client disconnects, the work
stops at its next block or batch of windows (logged: ``transcription ... stopped``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from awal.asr.transcribe import TranscribeOptions, Transcriber, Transcript, render
from awal.errors import InputError
from awal.service.errors import openai_error as _error

__all__ = ["TranscriptionLimits", "transcriptions_router"]

log = logging.getLogger("awal.service")

FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
RATE = 16000  # what the model hears
_BLOCK_BYTES = 32_000_000  # the most one decoded block holds (float32, all channels)


@dataclass(frozen=True)
class TranscriptionLimits:
    """What one ``POST /v1/audio/transcriptions`` may cost.

    Attributes:
        max_upload_mb: the largest body (MB, 10**6 bytes); larger is refused with 413 before it is
            read. 100: OpenAI's own limit is 25 MB, and 100 MB holds 50 min of 16 kHz WAV or hours
            of compressed audio.
        max_audio_s: the longest audio (seconds) transcribed, from the header and counted again
            while decoding; longer is refused with 413. 10800 (3 h): a long meeting or lecture,
            about 15-30 min of CPU on a small server; split longer recordings.
        max_field_kb: the largest other form field (KiB): a language or format is a few bytes.
        min_rate, max_rate: the sample rates (Hz) accepted: a header claiming 1 Hz makes a small
            file hours long; 384 kHz is the highest rate studio converters use.
        max_channels: channels decoded (each is decoded before the downmix).
    """

    max_upload_mb: float = 100.0
    max_audio_s: float = 10800.0
    max_field_kb: int = 64
    min_rate: int = 4000
    max_rate: int = 384000
    max_channels: int = 64

    def __post_init__(self) -> None:
        if not self.max_upload_mb > 0 or not self.max_audio_s > 0 or self.max_field_kb < 1:
            raise InputError(f"the transcription limits must be positive (got --max-upload-mb {self.max_upload_mb}, "
                             f"--max-audio-s {self.max_audio_s})")  # fmt: skip
        if not 0 < self.min_rate <= self.max_rate or self.max_channels < 1:
            raise InputError("min_rate must be positive and at most max_rate, max_channels at least 1")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


class _Refused(Exception):
    """What the work found wrong with the input: the response's message, field and status."""

    def __init__(self, message: str, status: int = 400, param: str | None = "file") -> None:
        super().__init__(message)
        self.status = status
        self.param = param


class _Cancelled(Exception):
    """The client left: the work stops."""


class _TooLarge(Exception):
    """The body passed the upload limit while it was being read."""


def _span(seconds: float) -> str:
    """``3:00:00``, ``5:00``: a length as people read it."""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _language(transcriber: Transcriber, value: str | None) -> str:
    """An awal code the model serves, or a Whisper code of the model (``ar`` -> ``ary``), or ``auto``;
    a language the model was not exported for is the ``language`` field's error, not the file's."""
    if not value:
        return "auto"
    from awal.languages import get_language

    for code, entry in transcriber.info.languages.items():
        if entry.whisper_token == value.lower():
            return code
    code = get_language(value).code  # UnknownLanguageError (an InputError) names the known codes
    transcriber.info.language(code)  # ModelInfoError (an InputError) names the model's languages
    return code


def _verbose(result: Transcript, words: bool) -> dict[str, Any]:
    segments = [
        {"id": s.id, "seek": 0, "start": s.start, "end": s.end, "text": s.text, "tokens": [], "temperature": 0.0,
         "avg_logprob": s.avg_logprob, "compression_ratio": s.compression_ratio, "no_speech_prob": s.no_speech_prob}
        for s in result.segments
    ]  # fmt: skip
    out: dict[str, Any] = {"task": "transcribe", "language": result.language, "duration": result.duration,
                           "text": result.text, "segments": segments}  # fmt: skip
    if words:
        out["words"] = [{"word": w.word, "start": w.start, "end": w.end} for s in result.segments for w in s.words]
    return out


def _audio(path: str, filename: str, limits: TranscriptionLimits, cancel: threading.Event,
           first: bool = True) -> Iterator[np.ndarray]:  # fmt: skip
    """16 kHz mono blocks of the spooled upload, after its header is checked; refused (413) once more
    than ``max_audio_s`` is decoded (a header can lie), stopped (:class:`_Cancelled`) once ``cancel``
    is set."""
    from awal.audio import AudioError, probe_audio, stream_audio

    try:
        header = probe_audio(path)
    except AudioError as exc:
        raise _Refused(f"cannot decode {filename!r}: {exc.reason}") from None
    if not limits.min_rate <= header.sample_rate <= limits.max_rate:
        raise _Refused(f"the file's sample rate is {header.sample_rate} Hz; this server accepts "
                       f"{limits.min_rate} to {limits.max_rate} Hz")  # fmt: skip
    if header.channels > limits.max_channels:
        raise _Refused(f"the file has {header.channels} channels; this server decodes at most {limits.max_channels}")
    if header.duration is not None and header.duration > limits.max_audio_s:
        raise _Refused(f"the audio is {_span(header.duration)} long; this server transcribes at most "
                       f"{_span(limits.max_audio_s)} (max_audio_s {limits.max_audio_s:g})", 413)  # fmt: skip
    if first:  # (the second reading of a long input, by its speech windows, is not news)
        log.info("transcribing %r: %s, %d Hz, %d channel(s)", filename,
                 "length unknown" if header.duration is None else _span(header.duration), header.sample_rate,
                 header.channels)  # fmt: skip
    block_s = min(10.0, max(0.05, _BLOCK_BYTES / (4 * header.sample_rate * header.channels)))
    most = int(limits.max_audio_s * RATE) + RATE  # a second of slack: a header's length can be rounded
    seen = 0
    try:
        for block in stream_audio(path, RATE, block_s=block_s):
            if cancel.is_set():
                raise _Cancelled
            seen += len(block)
            if seen > most:
                raise _Refused(f"the audio is longer than its header says, and longer than this server "
                               f"transcribes: at most {_span(limits.max_audio_s)} "
                               f"(max_audio_s {limits.max_audio_s:g})", 413)  # fmt: skip
            yield block
    except AudioError as exc:
        raise _Refused(f"cannot decode {filename!r}: {exc.reason}") from None


def _transcribe(upload: IO[bytes], filename: str, transcriber: Transcriber, options: TranscribeOptions,
                limits: TranscriptionLimits, cancel: threading.Event) -> Transcript:  # fmt: skip
    """The work of one request, in a thread: the upload spooled to a file of its own
    (``awal-audio-<pid>-*``, removed after), checked, decoded and transcribed block by block."""
    from awal.audio import TEMP_PREFIX

    suffix = os.path.splitext(filename)[1].lower()
    suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ""
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as folder:
        path = os.path.join(folder, "input" + suffix)
        with open(path, "wb") as out:
            shutil.copyfileobj(upload, out, 1 << 20)
        if os.path.getsize(path) == 0:
            raise _Refused("the file is empty")
        blocks = _audio(path, filename, limits, cancel)
        head: list[np.ndarray] = []
        size = 0
        for block in blocks:  # the first 30 s: a short input is transcribed whole, as awal transcribe does
            head.append(block)
            size += len(block)
            if size > 30 * RATE:
                break
        if size == 0:
            raise _Refused("the file has no audio")
        if size <= 30 * RATE:
            audio = np.concatenate(head)
            segments, lang, prob = transcriber.segments(audio, options)
            seconds = size / RATE
        else:
            again = lambda: _audio(path, filename, limits, cancel, first=False)  # noqa: E731
            segments, lang, prob, seconds = transcriber.stream_segments(itertools.chain(head, blocks), again, options)
        done = []
        for segment in segments:  # decoded lazily: a batch of windows at a time
            if cancel.is_set():
                raise _Cancelled
            done.append(segment)
    return Transcript(filename, tuple(done), lang, round(prob, 4), round(seconds, 3))


async def _read_form(request: Request, limits: TranscriptionLimits) -> Any:
    """The multipart form, its body counted as it arrives (:class:`_TooLarge` past the limit: the
    rest is never read); the file is spooled to disk by the parser, other fields are capped."""
    from starlette.requests import Request as StarletteRequest

    received = 0
    receive = request.receive

    async def counted() -> Any:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limits.max_upload_bytes:
                raise _TooLarge
        return message

    bounded = StarletteRequest(request.scope, counted)
    return await bounded.form(max_files=1, max_fields=32, max_part_size=limits.max_field_kb * 1024)


def transcriptions_router(transcriber: Transcriber, authorized: Any,
                          limits: TranscriptionLimits | None = None) -> APIRouter:  # fmt: skip
    limits = limits or TranscriptionLimits()
    router = APIRouter()

    @router.post("/v1/audio/transcriptions", response_model=None)
    async def transcriptions(request: Request) -> Any:
        from starlette.exceptions import HTTPException

        if not authorized(request):
            return _error("missing or wrong API key", status=401, code="invalid_api_key")
        too_large = (f"the upload is larger than this server accepts: at most {limits.max_upload_mb:g} MB "
                     "(max_upload_mb)")  # fmt: skip
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_upload_bytes:
            return _error(too_large, "file", status=413, code="file_too_large")
        try:
            form = await _read_form(request, limits)
        except _TooLarge:
            return _error(too_large, "file", status=413, code="file_too_large")
        except HTTPException as exc:  # starlette's MultiPartException, as the app gets it
            detail = str(exc.detail)
            if "exceeded maximum size" in detail:
                return _error(f"a form field other than file is longer than {limits.max_field_kb} KiB", status=413)
            return _error(f"could not read the form: {detail}")
        except Exception as exc:  # noqa: BLE001 - a malformed body is the client's error
            return _error(f"could not read the form: {exc}")
        try:
            return await _answer(request, form)
        finally:
            await form.close()

    async def _answer(request: Request, form: Any) -> Any:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error("the form has no file field", "file")
        fmt = str(form.get("response_format") or "json")
        if fmt not in FORMATS:
            return _error(f"response_format must be one of {', '.join(FORMATS)}", "response_format")
        granularities = {str(g) for g in form.getlist("timestamp_granularities[]")}
        granularities |= {str(g) for g in form.getlist("timestamp_granularities")}
        try:
            language = _language(transcriber, str(form.get("language") or "") or None)
        except InputError as exc:
            return _error(str(exc), "language")
        try:  # the language is known good by now: what is left to be wrong is the script
            options = TranscribeOptions(language=language, script=str(form.get("script") or "") or None,
                                        word_timestamps="word" in granularities)  # fmt: skip
        except InputError as exc:
            return _error(str(exc), "script")
        filename = upload.filename or "upload"
        cancel = threading.Event()
        started = time.monotonic()
        work = asyncio.ensure_future(run_in_threadpool(_transcribe, upload.file, filename, transcriber, options,
                                                       limits, cancel))  # fmt: skip
        while not (await asyncio.wait({work}, timeout=0.25))[0]:
            if await request.is_disconnected():
                cancel.set()  # the thread stops at its next block or batch of windows
                await asyncio.wait({work})
                work.exception()  # retrieved: the work ended with _Cancelled, or finished anyway
                log.info("transcription of %r stopped after %.1f s: the client disconnected", filename,
                         time.monotonic() - started)  # fmt: skip
                return _error("the client disconnected", status=499)
        try:
            result = work.result()
        except _Refused as exc:
            return _error(str(exc), exc.param, status=exc.status)
        except InputError as exc:
            return _error(str(exc), "file")
        if fmt == "json":
            return {"text": result.text}
        if fmt == "text":
            return PlainTextResponse(result.text + "\n")
        if fmt in ("srt", "vtt"):
            return PlainTextResponse(render(result, fmt), media_type="text/plain; charset=utf-8")
        return _verbose(result, "word" in granularities)

    return router
