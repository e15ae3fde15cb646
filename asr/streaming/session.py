"""One live audio stream: VAD gating, a bounded buffer, agreement, endpointing, guards.

A :class:`StreamSession` is fed 16 kHz mono audio as it arrives (:meth:`~StreamSession.push`) and
says when it wants decoding (:meth:`~StreamSession.pending`): after ``step_s`` of new speech
(an interim pass), or at an endpoint (``endpointing_ms`` of silence after speech), a ``Finalize``
or the end of the stream (a final pass). The engine decodes the session's window
(:meth:`~StreamSession.window`, at most ``max_window_s``) together with other sessions' windows
and hands back the hypothesis (:meth:`~StreamSession.apply`), which returns the events to send:

- :class:`Result` with ``is_final=False``: the words of the current utterance so far (committed
  ones, then tentative ones), when ``interim_results``;
- :class:`Result` with ``is_final=True``: words that will not change any more (two passes agreed
  on them, or a final pass); ``speech_final=True`` on the one that closes an utterance at an
  endpoint;
- :class:`SpeechStarted` (``vad_events``) and :class:`UtteranceEnd` (``utterance_end_ms``).

Endpoints without waiting: ``settle_ms`` (96 ms) into a pause, the session asks for a pass at once
(a *settle pass*). If the speaker stays quiet until the endpoint, that pass has already heard the
whole utterance, and the endpoint closes it with those words inside :meth:`~StreamSession.push`:
the ``speech_final`` result goes out the moment the endpointing silence is over, with no decoding
after it. If the speaker goes on, the pass was an ordinary interim one.

Guards against Whisper's failure modes: audio the VAD does not call speech is never decoded
(silence, hold music and DTMF tones emit nothing); a hypothesis with a high no-speech
probability and a low log-probability, or a compression ratio above the threshold (a repetition
loop), is dropped; a word repeated more than ``max_repeats`` times in a row ends the hypothesis
there. The buffer is cut at the end of the last committed word, and when it reaches
``max_window_s`` with nothing agreed the hypothesis is committed as it is: it never grows
without bound. Audio that was pushed is always decoded before the session closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from awal.asr.decoder import DecodeRequest, Hypothesis
from awal.asr.streaming.agreement import Agreement, TimedWord, word_key
from awal.asr.streaming.vad import SpeechGate, StreamingVad
from awal.errors import InputError

__all__ = ["Result", "SessionLanguage", "SpeechStarted", "StreamOptions", "StreamSession", "UtteranceEnd"]

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class StreamOptions:
    """How one stream is recognized (the ``/v1/listen`` query parameters map onto it)."""

    language: str = "ary"
    script: str | None = None
    interim_results: bool = True
    endpointing_ms: int = 500
    utterance_end_ms: int | None = None
    vad_events: bool = False
    step_s: float = 1.0
    max_window_s: float = 20.0
    vad_threshold: float = 0.5
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    max_repeats: int = 4
    padding_s: float = 0.3  # audio kept before detected speech (the VAD starts late)
    settle_ms: int = 96  # quiet inside speech after which a pass runs at once (0: off); see apply

    def __post_init__(self) -> None:
        if not 10 <= self.endpointing_ms <= 10_000:
            raise InputError(f"endpointing must be 10-10000 ms, got {self.endpointing_ms}")
        if self.utterance_end_ms is not None and not 1000 <= self.utterance_end_ms <= 10_000:
            raise InputError(f"utterance_end_ms must be 1000-10000 ms, got {self.utterance_end_ms}")
        if not 0.2 <= self.step_s <= 10 or not 5 <= self.max_window_s <= 30:
            raise InputError("step_s must be 0.2-10 s and max_window_s 5-30 s")


@dataclass(frozen=True)
class SessionLanguage:
    """A language a session may hear: its awal code, the Whisper token the model uses for it, and
    the conversion from the model's training script to the output script (None: none needed)."""

    code: str
    whisper_token: str
    convert: Callable[[str], str] | None = None


@dataclass(frozen=True)
class SpeechStarted:
    timestamp: float


@dataclass(frozen=True)
class UtteranceEnd:
    last_word_end: float


@dataclass(frozen=True)
class Result:
    """A transcript of ``[start, start + duration)`` of the stream (Deepgram's ``Results``)."""

    start: float
    duration: float
    is_final: bool
    speech_final: bool
    words: tuple[TimedWord, ...]
    language: str
    from_finalize: bool = False

    @property
    def transcript(self) -> str:
        return " ".join(w.word.strip() for w in self.words).strip()

    @property
    def confidence(self) -> float:
        return round(float(np.mean([w.probability for w in self.words])), 4) if self.words else 0.0


Event = SpeechStarted | UtteranceEnd | Result


@dataclass
class _State:
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    buffer_start: float = 0.0  # stream time of buffer[0]
    decoded_until: float = 0.0  # stream time of the end of the last decoded window
    utterance_start: float | None = None
    final_due: bool = False
    speech_final_due: bool = False
    from_finalize: bool = False
    # stream times of the last endpoint, Finalize/close and end of speech: a final pass serves a
    # request only when its window reached that time (it may have been asked for mid-pass)
    endpoint_at: float = -1.0
    finalize_at: float = -1.0
    speech_end_at: float = -1.0
    # the settle pass: asked for once per quiet run; the last interim pass's window
    settle_asked: bool = False
    last_pass_start: float = -1.0
    last_pass_end: float = -1.0
    last_word_end: float | None = None
    utterance_end_sent: bool = True


class StreamSession:
    """One stream's recognition state; the engine drives it (see the module docstring)."""

    def __init__(self, options: StreamOptions, languages: Sequence[SessionLanguage], channel: int = 0) -> None:
        """``languages``: one (the stream's language), or several for ``language=auto``: each
        utterance's language is then detected on its windows (among these only) until words
        of it are committed, and stays fixed to the end of the utterance."""
        if not languages:
            raise InputError("a stream needs at least one language")
        self.options = options
        self.languages = {lang.whisper_token: lang for lang in languages}
        self.auto = len(self.languages) > 1
        self.current: SessionLanguage | None = None if self.auto else languages[0]
        self._language_fixed = not self.auto
        self.channel = channel
        self.vad = StreamingVad()
        self.gate = SpeechGate(options.vad_threshold, min_silence_ms=options.endpointing_ms)
        self.agreement = Agreement()
        self.received = 0  # samples pushed
        self.closed = False
        self._outstanding = 0  # windows taken by the engine and not applied yet
        self._s = _State()
        self._emitted_final = 0  # committed words already sent in is_final results

    # --- audio in --------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.received / SAMPLE_RATE

    def push(self, samples: np.ndarray) -> list[Event]:
        """Take audio; return the VAD-driven events (speech started, utterance end)."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        s = self._s
        events: list[Event] = []
        before = self.now
        self.received += len(samples)
        s.buffer = np.concatenate([s.buffer, samples])
        for event in self.gate.update(self.vad.feed(samples)):
            if event.kind == "start":
                if s.utterance_start is None:
                    s.utterance_start = max(event.time - self.options.padding_s, s.buffer_start)
                if self.options.vad_events:
                    events.append(SpeechStarted(round(event.time, 3)))
            else:  # an endpoint: the utterance is over
                s.final_due = True
                s.speech_final_due = True
                s.endpoint_at = self.now
                s.speech_end_at = event.time
                if self._settled(event.time):
                    events.extend(self._finish(s.last_pass_start, s.last_pass_end, at_endpoint=True))
        if not self.gate.quiet_ms:
            s.settle_asked = False  # speech goes on (or is over): the next quiet run gets its pass
        if s.utterance_start is None:
            # no speech: keep only the padding, so that nothing silent is ever decoded
            keep = int(self.options.padding_s * SAMPLE_RATE)
            if len(s.buffer) > keep:
                s.buffer_start += (len(s.buffer) - keep) / SAMPLE_RATE
                s.buffer = s.buffer[-keep:]
        events.extend(self._utterance_end(before))
        return events

    def _utterance_end(self, before: float) -> list[Event]:
        gap = self.options.utterance_end_ms
        s = self._s
        if gap is None or s.utterance_end_sent or s.last_word_end is None or self.gate.in_speech:
            return []
        if self.now - s.last_word_end >= gap / 1000 > before - s.last_word_end:
            s.utterance_end_sent = True
            return [UtteranceEnd(round(s.last_word_end, 3))]
        return []

    def finalize(self) -> None:
        """Deepgram's ``Finalize``: decode what was sent so far as final, without closing."""
        if self._s.utterance_start is not None:
            self._s.final_due = True
            self._s.from_finalize = True
            self._s.finalize_at = self.now

    def close(self) -> None:
        """The end of the stream: what is left is decoded as final."""
        self.closed = True
        self.finalize()

    # --- decoding ----------------------------------------------------------------------------

    def pending(self) -> str | None:
        """``"final"``, ``"interim"``, ``"settle"`` (an interim pass that only saves time at the
        coming endpoint: the engine runs it when it has nothing more urgent) or ``None``."""
        s = self._s
        if s.utterance_start is None:
            return None
        if s.final_due:
            return "final"
        window = self.now - max(s.utterance_start, s.buffer_start)
        if window >= self.options.max_window_s:
            return "final"  # nothing agreed for too long: commit and cut
        if self.now - s.decoded_until >= self.options.step_s:
            return "interim"
        if self._settle_due():
            return "settle"  # the speaker paused: decode now, so the endpoint needs no pass of its own
        return None

    @property
    def settle_budget_s(self) -> float:
        """The time a settle pass has before the endpoint: it is useless if it takes longer."""
        return max(self.options.endpointing_ms - self.options.settle_ms, 0) / 1000

    def _settle_due(self) -> bool:
        s = self._s
        settle = self.options.settle_ms
        return bool(settle) and not s.settle_asked and self.gate.quiet_ms >= settle and s.decoded_until < self.now

    def _settled(self, speech_end: float) -> bool:
        """Whether the last pass already heard the whole utterance that just ended: then the
        endpoint closes it with that pass's words, with no decoding after the endpoint."""
        s = self._s
        return (
            self._outstanding == 0
            and s.utterance_start is not None
            and not s.from_finalize
            and s.last_pass_end > s.utterance_start
            and s.last_pass_end >= speech_end + 0.05
        )

    def window(self) -> tuple[DecodeRequest, float]:
        """(the audio to decode, its stream start time)."""
        s = self._s
        start = max(s.utterance_start or s.buffer_start, s.buffer_start)
        begin = int(round((start - s.buffer_start) * SAMPLE_RATE))
        audio = s.buffer[begin:]
        limit = int(self.options.max_window_s * SAMPLE_RATE)
        if len(audio) > limit:  # only when a final pass is already due
            audio = audio[:limit]
        self._outstanding += 1
        if self._settle_due():
            s.settle_asked = True
        token = self.current.whisper_token if self.current is not None and self._language_fixed else None
        return DecodeRequest(audio, token, tuple(self.languages)), start

    def _guarded(self, hyp: Hypothesis) -> list[TimedWord]:
        o = self.options
        if hyp.no_speech_prob > o.no_speech_threshold and hyp.avg_logprob < o.logprob_threshold:
            return []
        if hyp.compression_ratio > o.compression_ratio_threshold:
            return []
        words: list[TimedWord] = []
        run = 0
        for w in hyp.words:
            run = run + 1 if words and word_key(words[-1].word) == word_key(w.word) else 1
            if run > o.max_repeats:
                break  # a repetition loop: keep what came before it
            words.append(w)
        return words

    def apply(self, hyp: Hypothesis, request: DecodeRequest, window_start: float, kind: str) -> list[Event]:
        """Take the hypothesis of ``request`` (taken at ``window_start``, decoded as ``kind``);
        return the results to send. Audio pushed while it was decoding stays in the buffer."""
        s = self._s
        self._outstanding = max(self._outstanding - 1, 0)
        request_end = window_start + len(request.audio) / SAMPLE_RATE
        s.decoded_until = max(s.decoded_until, request_end)
        if kind != "final":
            s.last_pass_start, s.last_pass_end = window_start, request_end
        if not self._language_fixed:  # language=auto: what this pass heard (its results say so)
            self.current = self.languages.get(hyp.language, self.current or next(iter(self.languages.values())))
        words = [self._script(w.shifted(window_start)) for w in self._guarded(hyp)]
        self.agreement.insert(words)
        if kind == "final":
            return self._finish(window_start, request_end)
        events: list[Event] = []
        fresh = self._take_committed()
        if fresh:
            end = fresh[-1].end
            events.append(Result(round(fresh[0].start, 3), round(end - fresh[0].start, 3), True, False, fresh,
                                 self.language))  # fmt: skip
            if request_end - window_start > self.options.max_window_s / 2:
                self._cut(end)
        tentative = self.agreement.tentative()
        if self.options.interim_results and tentative:
            first = tentative[0].start
            events.append(Result(round(first, 3), round(tentative[-1].end - first, 3), False, False,
                                 tuple(tentative), self.language))  # fmt: skip
        return events

    def _take_committed(self) -> tuple[TimedWord, ...]:
        """The committed words not sent yet in a final result (now counted as sent)."""
        s = self._s
        fresh = tuple(self.agreement.committed[self._emitted_final :])
        self._emitted_final = len(self.agreement.committed)
        if fresh:
            s.last_word_end = fresh[-1].end
            s.utterance_end_sent = False
            self._language_fixed = True  # the utterance's language, once words of it are final
        return fresh

    def _finish(self, window_start: float, window_end: float, at_endpoint: bool = False) -> list[Event]:
        """The final result of ``[window_start, window_end)``: after a final pass over it, or
        (``at_endpoint``) at the endpoint being pushed, when the last pass already heard the whole
        utterance (:meth:`_settled`): that endpoint is then served, and the utterance over."""
        s = self._s
        self.agreement.flush()
        fresh = self._take_committed()
        # what was asked for after the window was taken is still due (an endpoint or a
        # Finalize/close that came while this pass ran): its audio gets a final pass too
        served = self.now if at_endpoint else window_end
        later_endpoint = s.endpoint_at > served + 1e-6
        later_finalize = s.from_finalize and s.finalize_at > served + 1e-6
        start = window_start if not fresh else min(window_start, fresh[0].start)
        result = Result(round(start, 3), round(max(window_end - start, 0.0), 3), True, s.speech_final_due, fresh,
                        self.language, s.from_finalize and not later_finalize)  # fmt: skip
        self._cut(window_end)
        # (at an endpoint, speech that starts later in the same chunk comes with its own event)
        more_speech = not at_endpoint and (self.gate.in_speech or s.speech_end_at > window_end + 1e-6)
        s.utterance_start = window_end if more_speech else None
        s.speech_final_due = later_endpoint and more_speech
        s.from_finalize = later_finalize and more_speech
        s.final_due = s.speech_final_due or s.from_finalize
        if self.auto:  # the next utterance may be in another language
            self._language_fixed = False
        return [result]

    def _script(self, word: TimedWord) -> TimedWord:
        """The word in the output script (the model writes its training script)."""
        convert = self.current.convert if self.current is not None else None
        if convert is None or not word.word.strip():
            return word
        lead = word.word[: len(word.word) - len(word.word.lstrip())]
        return replace(word, word=lead + convert(word.word.strip()))

    @property
    def language(self) -> str:
        """The awal code of what the session hears now ("" before ``auto`` has heard anything)."""
        return self.current.code if self.current is not None else ""

    def _cut(self, at: float) -> None:
        """Drop the buffered audio before stream time ``at``."""
        s = self._s
        drop = int(round((at - s.buffer_start) * SAMPLE_RATE))
        drop = min(max(drop, 0), len(s.buffer))
        s.buffer = s.buffer[drop:]
        s.buffer_start += drop / SAMPLE_RATE
        if s.utterance_start is not None and s.utterance_start < s.buffer_start:
            s.utterance_start = s.buffer_start

    @property
    def buffered_seconds(self) -> float:
        return len(self._s.buffer) / SAMPLE_RATE
