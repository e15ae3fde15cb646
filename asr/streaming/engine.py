"""The streaming engine: many sessions, one model, decoding batched across sessions.

    engine = StreamingEngine()                                  # the default model, loaded once
    session = engine.open(StreamOptions(language="ary"))
    for chunk in chunks:                                        # 16 kHz mono float32, any size
        events = session.push(chunk) + engine.step()[session]   # or run engine.step() elsewhere
    session.close(); events = engine.drain()[session]           # everything sent is decoded

:meth:`StreamingEngine.step` takes every open session that wants decoding (interim passes after
``step_s`` of new speech, final passes at endpoints, ``Finalize`` and close), final passes first,
up to ``max_batch`` windows (settle passes only when nothing else waits), decodes them in one
:class:`~awal.asr.decoder.BatchDecoder`
call per language and applies each hypothesis to its session. The server calls it from one
worker thread; sessions are touched only under the engine's lock.
"""

from __future__ import annotations

import os
import threading
import time

from awal.asr.decoder import BatchDecoder
from awal.asr.streaming.session import Event, SessionLanguage, StreamOptions, StreamSession
from awal.languages import get_language, normalize_script
from awal.text.translit import converter

__all__ = ["StreamingEngine"]



class StreamingEngine:
    """Sessions sharing one faster-whisper model (see the module docstring)."""

    def __init__(self, model: str | os.PathLike[str] | None = None, *, max_batch: int = 8, device: str = "cpu",
                 compute_type: str = "int8", cpu_threads: int = 0) -> None:  # fmt: skip
        from awal.asr.folder import read_awal_json
        from awal.asr.model import DEFAULT_MODEL, load_whisper, resolve_model

        self.path = resolve_model(os.fspath(model) if model is not None else DEFAULT_MODEL)
        self.info = read_awal_json(self.path)
        self.model = load_whisper(self.path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
        self.decoder = BatchDecoder(self.model, context_bucket_s=self.info.context_bucket_s,
                                    scripts=self.info.output_scripts())
        self.max_batch = max_batch
        self.sessions: list[StreamSession] = []
        self.lock = threading.RLock()
        self.last_batch = 0  # windows decoded by the last step
        self.last_seconds = 0.0  # and how long their decoding took
        self.pass_seconds = 0.0  # how long a decoding step takes (moving average)

    def queued(self) -> int:
        """How many sessions want a decoding pass now (the backlog)."""
        with self.lock:
            return sum(1 for s in self.sessions if s.pending() is not None)

    def buffered_seconds(self) -> float:
        """Audio the open sessions hold, all together (seconds)."""
        with self.lock:
            return sum(s.buffered_seconds for s in self.sessions)

    def open(self, options: StreamOptions, channel: int = 0) -> StreamSession:
        """A new session for one stream (one channel of a call); ``language="auto"``: any of the
        model's languages, detected per utterance."""
        if options.language == "auto":
            codes = sorted(self.info.languages)
        else:
            codes = [get_language(options.language).code]
        languages: dict[str, SessionLanguage] = {}
        for code in codes:
            entry = self.info.language(code)  # ModelInfoError names the model's languages
            target = normalize_script(options.script) if options.script else get_language(code).default_script
            convert = None
            if entry.default_script and target != entry.default_script:
                convert = converter(code, target)
            languages.setdefault(entry.whisper_token, SessionLanguage(code, entry.whisper_token, convert))
        session = StreamSession(options, list(languages.values()), channel)
        with self.lock:
            self.sessions.append(session)
        return session

    def step(self) -> dict[StreamSession, list[Event]]:
        """One batched decoding pass over the sessions that want one; their new events."""
        with self.lock:
            wanted = [(s, s.pending()) for s in self.sessions]
            jobs = [(s, kind) for s, kind in wanted if kind is not None]
            # settle passes only save time at a coming endpoint: never ahead of other work, and only
            # when a pass ends before the endpoint would (else it delays the final)
            urgent = any(kind != "settle" for _, kind in jobs)
            jobs = [(s, kind) for s, kind in jobs
                    if kind != "settle" or (not urgent and self.pass_seconds < s.settle_budget_s)]  # fmt: skip
            jobs.sort(key=lambda job: job[1] != "final")  # endpoints before interim passes
            jobs = jobs[: self.max_batch]
            windows = [(s, kind, *s.window()) for s, kind in jobs]
        self.last_batch = len(windows)
        out: dict[StreamSession, list[Event]] = {}
        if not windows:
            return out
        began = time.perf_counter()
        hyps = self.decoder.decode([request for _, _, request, _ in windows])
        self.last_seconds = elapsed = time.perf_counter() - began
        self.pass_seconds = elapsed if not self.pass_seconds else 0.7 * self.pass_seconds + 0.3 * elapsed
        with self.lock:
            for (session, kind, request, start), hyp in zip(windows, hyps):
                kind = "interim" if kind == "settle" else kind
                out.setdefault(session, []).extend(session.apply(hyp, request, start, kind))
            self.sessions = [s for s in self.sessions if not (s.closed and s.pending() is None)]
        return out

    def drain(self) -> dict[StreamSession, list[Event]]:
        """Step until no session wants decoding (graceful shutdown; tests)."""
        out: dict[StreamSession, list[Event]] = {}
        while True:
            events = self.step()
            if not events:
                return out
            for session, evs in events.items():
                out.setdefault(session, []).extend(evs)

    def discard(self, session: StreamSession) -> None:
        """Forget a session without decoding what it has left (its client is gone)."""
        with self.lock:
            self.sessions = [s for s in self.sessions if s is not session]
