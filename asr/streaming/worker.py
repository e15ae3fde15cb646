"""The one driver of a :class:`~awal.asr.streaming.engine.StreamingEngine`: a thread that steps it
and hands each session's events to that session's consumer.

The engine's contract is one stepping thread, and sessions touched only under its lock: two
steps at once would decode (and finish) the same window twice. :class:`EngineWorker` is that
thread; everything else goes through it::

    worker = EngineWorker(engine); worker.start()
    session = engine.open(StreamOptions(language="ary"))
    inbox = queue.Queue(); worker.register(session, inbox)     # or an asyncio.Queue, from its loop
    events = worker.push(session, chunk)                        # the VAD's events, at once
    ...                                                         # decoded ones arrive in inbox
    worker.close(session); worker.wait([session])               # every final result is in inbox
    worker.forget(session)

A consumer receives ``(session, events)`` items, or an :class:`Exception` when a decoding step
failed (the worker goes on). The service (awal.service.listen) consumes on an asyncio queue; the
demo (awal.demo.core), whose handlers are threads, on a :class:`queue.Queue`.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from awal.asr.streaming.engine import StreamingEngine
from awal.asr.streaming.session import Event, StreamSession

__all__ = ["Delivery", "EngineWorker", "StepMetrics"]

#: What a consumer receives: a session's new events, or the exception a decoding step raised.
Delivery = tuple[StreamSession, list[Event]] | Exception


class StepMetrics(Protocol):
    """Told about each decoding step (the service's metrics; called on the worker thread)."""

    def decoded(self, seconds: float, windows: int) -> None: ...


class EngineWorker:
    """Steps ``engine`` in one thread and hands each session's events to its consumer."""

    def __init__(self, engine: StreamingEngine, metrics: StepMetrics | None = None) -> None:
        self.engine = engine
        self.metrics = metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._consumers: dict[StreamSession, Callable[[Delivery], None]] = {}
        self._thread = threading.Thread(target=self._run, name="awal-engine", daemon=True)
        # steps begun (counted under the engine's lock, before the step takes windows) and steps
        # whose events are handed over: see busy()
        self._begun = 0
        self._handed = 0
        self._handed_over = threading.Condition()

    # --- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # --- consumers -----------------------------------------------------------------------------

    def register(self, session: StreamSession, consumer: asyncio.Queue | queue.Queue) -> None:
        """Hand ``session``'s events to ``consumer``: an :class:`asyncio.Queue` (register from
        inside its event loop; items are put there thread-safely) or a :class:`queue.Queue`."""
        if isinstance(consumer, asyncio.Queue):
            loop, inbox = asyncio.get_running_loop(), consumer

            def deliver(item: Delivery) -> None:
                loop.call_soon_threadsafe(inbox.put_nowait, item)

            self._consumers[session] = deliver
        else:
            self._consumers[session] = consumer.put_nowait

    def forget(self, session: StreamSession) -> None:
        """Stop handing ``session``'s events over and drop it from the engine, decoded or not."""
        self._consumers.pop(session, None)
        self.engine.discard(session)

    # --- audio and control, under the engine's lock ------------------------------------------

    def push(self, session: StreamSession, samples: np.ndarray) -> list[Event]:
        """Give ``session`` audio; the events its VAD raised at once (the caller delivers them)."""
        with self.engine.lock:
            events = session.push(samples)
        self._wake.set()
        return events

    def finalize(self, sessions: Iterable[StreamSession]) -> None:
        """``Finalize``: what the sessions were given is decoded as final, and they stay open."""
        with self.engine.lock:
            for session in sessions:
                session.finalize()
        self._wake.set()

    def close(self, session: StreamSession, tail: np.ndarray | None = None) -> None:
        """The end of ``session``'s stream (after its last audio, ``tail``): the rest is decoded
        as final; :meth:`wait` then says when its results are handed over."""
        with self.engine.lock:
            if tail is not None and len(tail):
                session.push(tail)
            session.close()
        self._wake.set()

    def backlog(self, sessions: Iterable[StreamSession]) -> float:
        """The most audio (seconds) any of ``sessions`` holds without having decoded it."""
        with self.engine.lock:
            return max((s.backlog_seconds for s in sessions), default=0.0)

    def notify(self) -> None:
        """Wake the thread now (rather than at its next poll)."""
        self._wake.set()

    # --- waiting for results -------------------------------------------------------------------

    def busy(self, sessions: Iterable[StreamSession]) -> bool:
        """Whether any of ``sessions`` still has audio to decode, or results of a step not yet
        handed over. A session's last window may be applied by a step that began before it
        stopped wanting decoding; that step's events are handed over once ``_handed`` reaches it."""
        with self.engine.lock:
            if any(s.pending() is not None for s in sessions):
                return True
            begun = self._begun
        return self._handed < begun

    def wait(self, sessions: Iterable[StreamSession], timeout: float | None = None) -> bool:
        """Block until :meth:`busy` is over for ``sessions`` (from a thread, never the worker's);
        False if ``timeout`` s passed first."""
        sessions = list(sessions)
        deadline = None if timeout is None else time.monotonic() + timeout
        self._wake.set()
        with self._handed_over:
            while self.busy(sessions):
                if not self.running:
                    return False  # nobody will decode them
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._handed_over.wait(0.05 if left is None else min(left, 0.05))
        return True

    # --- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            produced = self._step()
            self._hand_over(produced)
            if produced and not isinstance(produced, Exception):
                continue  # more may be waiting: step again at once
            self._wake.wait(0.05)
            self._wake.clear()

    def _step(self) -> dict[StreamSession, list[Event]] | Exception:
        """One engine step (counted as begun before it takes any window); a failure is returned,
        not raised: a failed batch must not kill the worker."""
        with self.engine.lock:
            self._begun += 1
        try:
            produced = self.engine.step()
        except Exception as exc:  # noqa: BLE001 - handed to every consumer instead
            return exc
        if self.metrics is not None and self.engine.last_batch:
            self.metrics.decoded(self.engine.last_seconds, self.engine.last_batch)
        return produced

    def _hand_over(self, produced: dict[StreamSession, list[Event]] | Exception) -> None:
        """Each session's events to its consumer (a failure to every consumer); then the step
        counts as handed over, and waiters look again."""
        if isinstance(produced, Exception):
            for deliver in list(self._consumers.values()):
                deliver(produced)
        else:
            for session, events in produced.items():
                consumer = self._consumers.get(session)
                if consumer is not None and events:
                    consumer((session, events))
        with self._handed_over:
            self._handed += 1
            self._handed_over.notify_all()
