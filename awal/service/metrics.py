"""What ``GET /metrics`` reports (Prometheus text format), and the clock latencies are read from.

One registry per app (no process-wide state: two apps in one process, as in tests, count apart).

- ``awal_stream_first_partial_latency_seconds`` (histogram): from the moment the audio where an
  utterance's first word starts reached the server to the moment the first result with words
  for that utterance was sent (interim or final: what a caller watching the screen waits for);
- ``awal_stream_final_latency_seconds{trigger}`` (histogram): from the moment the audio where a
  final result's last word ends reached the server to the moment the result was sent.
  ``trigger`` says what made it final: ``endpoint`` (``speech_final``: the silence after the
  utterance, so at least ``endpointing`` ms), ``finalize`` (``Finalize`` or the end of the
  stream) or ``agreement`` (two passes agreed while the speaker went on);
- ``awal_decode_seconds_total`` and ``awal_stream_audio_seconds_total`` (counters): time the
  engine spent decoding, and audio received from streams; ``awal_real_time_factor`` (gauge) is
  their ratio since start (below 1: faster than real time; use the counters' ``rate()`` for a
  window);
- ``awal_active_sessions``, ``awal_active_streams``, ``awal_queued_windows`` (gauges): open
  connections, the streams they decode (one per channel of a ``multichannel`` call: what
  ``--max-sessions`` counts), and streams waiting for a decoding pass right now (the engine's backlog);
- ``awal_buffered_audio_seconds`` (gauge): audio the streams hold, all together (bounded:
  ``max_backlog_s`` of backpressure per stream, plus its window);
- ``awal_rejected_sessions_total{reason}`` (counter): ``capacity`` (close code 1013), ``shutdown``
  and ``auth``;
- ``awal_decode_batch_windows`` (histogram): windows decoded together in one engine step.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ArrivalClock", "ServiceMetrics"]

#: Buckets for latencies in seconds: tens of milliseconds to tens of seconds.
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)


@dataclass
class ServiceMetrics:
    """The service's instruments, registered in their own :class:`CollectorRegistry`."""

    registry: CollectorRegistry
    first_partial: Histogram
    final: Histogram
    decode_seconds: Counter
    audio_seconds: Counter
    rejected: Counter
    batch_windows: Histogram
    decoded_s: float = 0.0  # the counters' totals, for the real-time factor (one writer each)
    received_s: float = 0.0

    @classmethod
    def create(cls, active: Callable[[], float], queued: Callable[[], float],
               streams: Callable[[], float] | None = None, buffered: Callable[[], float] | None = None
               ) -> ServiceMetrics:  # fmt: skip
        """``active``, ``queued``, ``streams`` and ``buffered`` are read at each scrape."""
        registry = CollectorRegistry(auto_describe=True)
        metrics = cls(
            registry=registry,
            first_partial=Histogram(
                "awal_stream_first_partial_latency_seconds",
                "Arrival of an utterance's first word to the first result for it",
                buckets=LATENCY_BUCKETS, registry=registry,
            ),
            final=Histogram(
                "awal_stream_final_latency_seconds",
                "Arrival of a final result's last word to the result, by what made it final",
                ["trigger"], buckets=LATENCY_BUCKETS, registry=registry,
            ),
            decode_seconds=Counter(
                "awal_decode_seconds", "Time the streaming engine spent decoding", registry=registry
            ),
            audio_seconds=Counter(
                "awal_stream_audio_seconds", "Audio received from streams, per channel", registry=registry
            ),
            rejected=Counter(
                "awal_rejected_sessions", "Streams refused, by reason", ["reason"], registry=registry
            ),
            batch_windows=Histogram(
                "awal_decode_batch_windows", "Windows decoded together in one engine step",
                buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32), registry=registry,
            ),
        )  # fmt: skip
        for reason in ("capacity", "shutdown", "auth"):
            metrics.rejected.labels(reason)  # present (at 0) before the first refusal
        for trigger in ("endpoint", "finalize", "commit"):
            metrics.final.labels(trigger)
        Gauge("awal_active_sessions", "Open /v1/listen connections", registry=registry).set_function(active)
        Gauge("awal_queued_windows", "Streams waiting for a decoding pass", registry=registry).set_function(queued)
        if streams is not None:
            Gauge("awal_active_streams", "Streams decoded (channels of the open connections)",
                  registry=registry).set_function(streams)  # fmt: skip
        if buffered is not None:
            Gauge("awal_buffered_audio_seconds", "Audio the open streams hold, all together",
                  registry=registry).set_function(buffered)  # fmt: skip
        Gauge(
            "awal_real_time_factor", "Decoding time over stream audio time, since start", registry=registry
        ).set_function(metrics.real_time_factor)
        return metrics

    def decoded(self, seconds: float, windows: int) -> None:
        """One engine step: its duration and how many windows it decoded (the worker thread)."""
        self.decoded_s += seconds
        self.decode_seconds.inc(seconds)
        self.batch_windows.observe(windows)

    def received(self, seconds: float) -> None:
        """Audio from a stream, per channel (the event loop)."""
        self.received_s += seconds
        self.audio_seconds.inc(seconds)

    def real_time_factor(self) -> float:
        return self.decoded_s / self.received_s if self.received_s > 0 else 0.0


class ArrivalClock:
    """When each stretch of a stream's audio reached the server: stream time -> monotonic time.

    :meth:`arrived` records, after each frame, how many seconds of audio the stream has had;
    :meth:`when` answers for a stream time the moment the frame that completed it arrived.
    Only the last ``keep_s`` seconds of audio are remembered (results are never older: the
    engine's window is at most 30 s), so a session of hours holds a few thousand entries at most.
    """

    def __init__(self, keep_s: float = 120.0) -> None:
        self.keep_s = keep_s
        self._ends: list[float] = []
        self._times: list[float] = []
        self._forgotten = 0.0  # stream time up to which arrivals were dropped

    def arrived(self, stream_seconds: float, at: float | None = None) -> None:
        self._ends.append(stream_seconds)
        self._times.append(time.monotonic() if at is None else at)
        if len(self._ends) > 64 and self._ends[0] < stream_seconds - self.keep_s:
            cut = bisect.bisect_left(self._ends, stream_seconds - self.keep_s)
            self._forgotten = self._ends[cut - 1]
            del self._ends[:cut], self._times[:cut]

    def when(self, stream_time: float) -> float | None:
        """The arrival of the audio at ``stream_time``; None when it is unknown (too old, or
        later than anything received, as with audio flushed at the end)."""
        i = bisect.bisect_left(self._ends, stream_time - 1e-6)
        if i == len(self._ends) or stream_time < self._forgotten:
            return None
        return self._times[i]
