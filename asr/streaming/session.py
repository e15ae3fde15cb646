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
``max_window_s`` with nothing agreed, the words that end ``CUT_TAIL_S`` before the window's end
are committed and the buffer cut after them (the rest is decoded again with what follows).
Audio that was pushed is always decoded before the session closes.

Audio pushed faster than real time (a backlog: a recording replayed, a client catching up)
gives the words real time gives: every endpoint the VAD finds is queued with where the next
utterance starts, and each utterance gets a final pass of its own whose window ends where the
next one starts, as in real time; never one window across utterances, cut wherever 20 s fall.
:attr:`~StreamSession.backlog_seconds` says how much audio waits undecoded (the service stops
reading a client above a bound: backpressure).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from awal.asr.decoder import DecodeRequest, Hypothesis
from awal.asr.streaming.agreement import Agreement, TimedWord, word_key
from awal.asr.streaming.vad import FRAME, SpeechGate, StreamingVad
from awal.errors import InputError

__all__ = ["Result", "SessionLanguage", "SpeechStarted", "StreamOptions", "StreamSession", "UtteranceEnd"]

SAMPLE_RATE = 16000
#: A window cut at ``max_window_s`` in the middle of speech: its words that end less than this
#: before the cut are not final yet (the cut may split one); they are decoded again with what follows.
CUT_TAIL_S = 1.0


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
class _Endpoint:
    """An endpoint not served by a final pass yet: where the speech ended, the stream time the
    endpoint was reached (``endpointing_ms`` later: a final pass serves it once its window
    reaches there), and where the next utterance starts when it started before this endpoint was
    served (the final pass's window ends there: it never runs into the next utterance)."""

    speech_end: float
    reached: float
    next_start: float | None = None


@dataclass
class _State:
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    buffer_start: float = 0.0  # stream time of buffer[0]
    decoded_until: float = 0.0  # stream time of the end of the last decoded window
    utterance_start: float | None = None
    # endpoints waiting for their final pass, in order: one in real time, several when audio came
    # faster than it is decoded (each utterance of the backlog then gets a pass of its own)
    ends: list[_Endpoint] = field(default_factory=list)
    # the stream time of a Finalize/close not served yet: a final pass serves it only when its
    # window reached that time (it may have been asked for mid-pass)
    finalize_at: float | None = None
    # the settle pass: asked for once per quiet run; the last interim pass's window
    settle_asked: bool = False
    last_pass_start: float = -1.0
    last_pass_end: float = -1.0
    # the end of the last final result's span: the next one never starts before it (an utterance's
    # window keeps its lead-in, which may reach back into the previous window's trailing silence)
    final_end: float = 0.0
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
                start = max(event.time - self.options.padding_s, s.buffer_start)
                if s.utterance_start is None:
                    s.utterance_start = start
                elif s.ends and s.ends[-1].next_start is None:  # the last utterance waits for its pass
                    s.ends[-1].next_start = max(start, s.ends[-1].reached)
                if self.options.vad_events:
                    events.append(SpeechStarted(round(event.time, 3)))
            else:  # an endpoint: the utterance is over (reached min_silence frames after its end)
                reached = min(event.time + self.gate.min_silence * FRAME / SAMPLE_RATE, self.now)
                s.ends.append(_Endpoint(event.time, reached))
                if len(s.ends) == 1 and self._settled(event.time):
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
        if s.ends or s.finalize_at is not None:
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
            and s.finalize_at is None
            and s.last_pass_end > s.utterance_start
            and s.last_pass_end >= speech_end + 0.05
        )

    def window(self) -> tuple[DecodeRequest, float]:
        """(the audio to decode, its stream start time)."""
        s = self._s
        start = max(s.utterance_start if s.utterance_start is not None else s.buffer_start, s.buffer_start)
        begin = int(round((start - s.buffer_start) * SAMPLE_RATE))
        end = len(s.buffer)
        if s.ends and s.ends[0].next_start is not None:
            # a final pass for the first waiting utterance only: up to where the next one starts
            end = min(end, max(int(round((s.ends[0].next_start - s.buffer_start) * SAMPLE_RATE)), begin + 1))
        end = min(end, begin + int(self.options.max_window_s * SAMPLE_RATE))  # only when a final pass is due
        audio = s.buffer[begin:end]
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
            start, end = max(fresh[0].start, s.final_end), fresh[-1].end
            events.append(Result(round(start, 3), round(max(end - start, 0.0), 3), True, False, fresh,
                                 self.language))  # fmt: skip
            s.final_end = max(end, start)
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
        utterance (:meth:`_settled`): that endpoint is then served, and the utterance over.

        A final pass serves the first waiting endpoint when its window reached it, and a
        Finalize/close when its window reached the time it came at; what was asked for later (an
        endpoint or a Finalize/close that came while the pass ran, or the next utterances of a
        backlog) stays due, and its audio gets a final pass of its own. A pass that serves neither
        was cut at ``max_window_s`` in the middle of speech: the words that end more than
        ``CUT_TAIL_S`` before the cut are final, the buffer is cut after the last of them, and the
        rest (a word the cut may have split, and everything after) is decoded again with what follows.
        """
        s = self._s
        served = self.now if at_endpoint else window_end
        endpoint = s.ends[0] if s.ends and s.ends[0].reached <= served + 1e-6 else None
        finalized = s.finalize_at is not None and s.finalize_at <= served + 1e-6
        cut_at = window_end
        if endpoint is not None or finalized:
            self.agreement.flush()
        else:  # cut at max_window_s: keep the tail for the next window
            self.agreement.flush(until=window_end - CUT_TAIL_S)
            end = self.agreement.committed_end
            cut_at = end if end > window_start + self.options.max_window_s / 2 else window_end - CUT_TAIL_S
        fresh = self._take_committed()
        start = max(window_start if not fresh else min(window_start, fresh[0].start), s.final_end)
        s.final_end = max(cut_at, start)
        result = Result(round(start, 3), round(max(cut_at - start, 0.0), 3), True, endpoint is not None, fresh,
                        self.language, finalized)  # fmt: skip
        keep = cut_at
        if endpoint is not None:
            # the next utterance's padding (the VAD starts late) stays, even when this window
            # reached into it: the next utterance may have started while the pass ran, or not yet
            if endpoint.next_start is not None:
                keep = min(cut_at, endpoint.next_start)
            else:
                keep = max(cut_at - self.options.padding_s, endpoint.speech_end)
        self._cut(keep)
        if finalized:
            s.finalize_at = None
        if endpoint is not None:
            s.ends.pop(0)
            # (at an endpoint, speech that starts later in the same chunk comes with its own event)
            s.utterance_start = endpoint.next_start
        elif at_endpoint or not (s.ends or self.gate.in_speech):
            s.utterance_start = None
        else:
            s.utterance_start = cut_at  # the utterance goes on
        if s.utterance_start is None:
            s.finalize_at = None  # nothing left to finalize
        else:
            s.utterance_start = max(s.utterance_start, s.buffer_start)
        if self.auto and (endpoint is not None or finalized):  # the next utterance may be in another language
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

    @property
    def backlog_seconds(self) -> float:
        """Audio held that no pass has decoded yet: a step's worth in real time; more when audio
        comes faster than it is decoded (the server stops reading above a bound: backpressure)."""
        s = self._s
        return max(self.now - max(s.decoded_until, s.buffer_start), 0.0)
