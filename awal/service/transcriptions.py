"""``POST /v1/audio/transcriptions``: batch transcription, compatible with OpenAI's API.

Multipart form fields: ``file`` (any audio format awal decodes), ``model`` (accepted and echoed:
the server has one model), ``language`` (an awal code such as ``ary``/``zgh``, or an ISO-639-1
code the model was trained with, such as ``ar``; absent: detected among the model's languages),
``response_format`` (``json`` default, ``text``, ``srt``, ``vtt``, ``verbose_json``),
``timestamp_granularities[]`` (``segment``, ``word``: words with times in ``verbose_json``), and
our ``script`` (``arab``/``latn``/``tfng``). Errors use OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}`` with status 400 (bad input) or 413.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from awal.asr.transcribe import TranscribeOptions, Transcriber, Transcript, render
from awal.errors import InputError
from awal.service.errors import openai_error as _error

__all__ = ["transcriptions_router"]

FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
MAX_UPLOAD = 200 * 1024 * 1024


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


def transcriptions_router(transcriber: Transcriber, authorized: Any) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/audio/transcriptions", response_model=None)
    async def transcriptions(request: Request) -> Any:
        if not authorized(request):
            return _error("missing or wrong API key", status=401, code="invalid_api_key")
        try:
            form = await request.form(max_part_size=MAX_UPLOAD)
        except Exception as exc:  # noqa: BLE001 - a malformed body is the client's error
            return _error(f"could not read the form: {exc}")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error("the form has no file field", "file")
        data = await upload.read()
        if not data:
            return _error("the file is empty", "file")
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

        def work() -> Transcript:
            from awal.audio import load_audio

            audio = load_audio(io.BytesIO(data), sr=16000)
            if len(audio) == 0:
                raise InputError("the file has no audio")
            segments, lang, prob = transcriber.segments(audio, options)
            return Transcript(upload.filename or "upload", tuple(segments), lang, round(prob, 4),
                              round(len(audio) / 16000, 3))  # fmt: skip

        try:
            result = await run_in_threadpool(work)
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
