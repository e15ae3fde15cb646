"""Batch transcription: files, folders and manifests -> segments with words, in the script asked for.

    from awal.asr.transcribe import TranscribeOptions, transcribe, transcribe_files

    for segment in transcribe("call.wav", options=TranscribeOptions(language="ary")):
        print(segment.start, segment.end, segment.text)

    for result in transcribe_files(["calls/", "test.jsonl"], options=TranscribeOptions(script="latn")):
        print(result.path, result.error or result.text)

The engine is faster-whisper (CTranslate2) with the model's own Whisper token per language (its
``awal.json``; :func:`awal.asr.folder.read_awal_json`). A model writes each language in the script
it was trained in (the bundled model: Darija in Arabic script, Tamazight in IRCAM Latin); the
output is converted to ``options.script``, by default the language's usual script (Tamazight:
Tifinagh), through :mod:`awal.text.translit`. ``language="auto"`` lets Whisper choose among the
languages the model was trained for only.

Results are small frozen dataclasses (:class:`Word`, :class:`Segment`, :class:`Transcript`), and
both functions are generators: segments come out as they are decoded. An input that cannot be read
or decoded gives a :class:`Transcript` with its ``error`` and the run goes on. Every segment lies
within its input and every word within its segment. A file longer than 30 s is never held whole:
it is read, resampled, run through the VAD and cut into speech windows block by block
(:meth:`Transcriber.stream_segments`), so memory does not grow with its length.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from awal.errors import InputError
from awal.languages import get_language, normalize_script
from awal.text.translit import converter

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

    from awal.asr.decoder import BatchDecoder, Hypothesis
    from awal.asr.folder import ModelInfo
    from awal.asr.windows import SpeechWindow

__all__ = [
    "AUDIO_EXTENSIONS",
    "FORMATS",
    "Segment",
    "TranscribeOptions",
    "Transcript",
    "Word",
    "Transcriber",
    "find_inputs",
    "output_path",
    "render",
    "transcribe",
    "transcribe_files",
]

SAMPLE_RATE = 16000
#: What a folder is searched for (lower case).
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".wma", ".au", ".aiff"}
)
_MANIFEST_EXTENSIONS = frozenset({".jsonl", ".json"})


@dataclass(frozen=True)
class Word:
    """One word with its times (seconds from the start of the input) and Whisper's probability."""

    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """One decoded segment. ``text`` and ``words`` are in ``script``; ``language`` is the awal code."""

    id: int
    start: float
    end: float
    text: str
    language: str
    script: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("id", "start", "end", "text", "language", "script")}
        out["words"] = [_word_dict(w) for w in self.words]
        out.update(avg_logprob=self.avg_logprob, no_speech_prob=self.no_speech_prob)
        return out


def _word_dict(word: Word) -> dict[str, Any]:
    return {"word": word.word, "start": word.start, "end": word.end, "probability": word.probability}


@dataclass(frozen=True)
class Transcript:
    """The result for one input (a file, or one manifest record)."""

    path: str
    segments: tuple[Segment, ...] = ()
    language: str | None = None
    language_probability: float | None = None
    duration: float | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "language": self.language,
            "language_probability": self.language_probability,
            "duration": self.duration,
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "error": self.error,
        }


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe.

    Attributes:
        language: an awal code (``ary``, ``zgh``, ``shi``, ``kab`` ...) or ``auto`` (Whisper picks
            among the model's own languages).
        script: ``arab``, ``latn`` or ``tfng`` for the output; ``None``: the language's usual script.
        word_timestamps: words with times (cross-attention alignment).
        vad: skip non-speech with Silero VAD (shipped with faster-whisper; offline).
        batch_size: > 1 decodes that many inputs of at most 30 s together (one encoder call,
            :class:`awal.asr.decoder.BatchDecoder`, the decoder ``awal eval asr`` measures and
            the streaming engine serves with; the temperature ladder only for an input whose
            result looks degenerate), and that many speech windows of a longer file together
            (its VAD speech, pauses left out, :mod:`awal.asr.windows`; without ``vad`` a long
            file is decoded sequentially). 1: every input through faster-whisper's sequential
            ``transcribe``.
        window_s: the most speech (seconds) one window of a long file holds.
        join_spans: whether a window of a long file holds several speech turns (up to
            ``window_s``) or one. ``None``: the model's choice: one turn per window for a model
            with short encoder contexts (a window then costs only its length, and it decodes
            what such a model was trained on), joined for one without (every window costs 30 s).
        beam_size: 1 is greedy (fast on a CPU); 5 is Whisper's usual beam.
        temperatures: the fallback ladder: a segment whose output looks degenerate (compression
            ratio above ``compression_ratio_threshold``, low log-probability) is decoded again hotter.
    """

    language: str = "auto"
    script: str | None = None
    word_timestamps: bool = False
    vad: bool = True
    batch_size: int = 8
    window_s: float = 30.0
    join_spans: bool | None = None
    beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6

    def __post_init__(self) -> None:
        if self.language != "auto":
            get_language(self.language)  # UnknownLanguageError lists the codes
        if self.script is not None:
            normalize_script(self.script)  # UnknownScriptError lists the scripts
        if self.batch_size < 1 or self.beam_size < 1:
            raise InputError("batch_size and beam_size must be at least 1")
        if not 0 < self.window_s <= 30:
            raise InputError(f"window_s must be more than 0 and at most 30 s, got {self.window_s}")



class Transcriber:
    """A loaded model and what it knows about its languages; reusable across inputs."""

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu",
                 compute_type: str = "int8", cpu_threads: int = 0) -> None:  # fmt: skip
        from awal.asr.folder import read_awal_json
        from awal.asr.model import DEFAULT_MODEL, load_whisper, resolve_model

        name = os.fspath(model) if model is not None else DEFAULT_MODEL
        self.path = resolve_model(name)
        self.info: ModelInfo = read_awal_json(self.path)
        self.model: WhisperModel = load_whisper(self.path, device=device, compute_type=compute_type,
                                                cpu_threads=cpu_threads)  # fmt: skip
        self._decoder: BatchDecoder | None = None

    @classmethod
    def loaded(cls, path: str, info: ModelInfo, model: WhisperModel,
               decoder: BatchDecoder | None = None) -> Transcriber:  # fmt: skip
        """A transcriber over a model already loaded (the server shares the streaming engine's).
        ``decoder``: the :class:`~awal.asr.decoder.BatchDecoder` to decode with (evaluation gives
        one with the encoder context it measures); default: one with the model's own context."""
        self = cls.__new__(cls)
        self.path, self.info, self.model, self._decoder = path, info, model, decoder
        return self

    # --- languages --------------------------------------------------------------------------

    def _codes_by_token(self) -> dict[str, str]:
        """Whisper token -> awal code, for the model's languages (one code per token: the first)."""
        by_token: dict[str, str] = {}
        for code, entry in sorted(self.info.languages.items()):
            by_token.setdefault(entry.whisper_token, code)
        return by_token

    def _detect(self, audio: np.ndarray) -> tuple[str, float]:
        """(awal code, probability) among the model's languages."""
        by_token = self._codes_by_token()
        _, _, probs = self.model.detect_language(audio=audio)
        scored = [(p, by_token[tok]) for tok, p in probs if tok in by_token]
        if not scored:
            raise InputError(f"model {self.path}: none of its languages is among Whisper's tokens")
        total = sum(p for p, _ in scored) or 1.0
        p, code = max(scored)
        return code, p / total

    def _output_script(self, lang: str, script: str | None) -> str:
        return normalize_script(script) if script else get_language(lang).default_script

    def _converted(self, text: str, lang: str, target: str) -> str:
        from awal.text.scripts import dominant_script

        if not text or dominant_script(text) in (target, "Zyyy"):
            return text
        convert = converter(get_language(lang).code, target)
        return convert(text) if convert else text

    # --- decoding ---------------------------------------------------------------------------

    def _language(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[str, float]:
        """(awal code, probability): the one asked for, or detected (Whisper looks at the first 30 s)."""
        if options.language == "auto":
            return self._detect(audio)
        return get_language(options.language).code, 1.0

    def segments(self, audio: np.ndarray, options: TranscribeOptions) -> tuple[Iterator[Segment], str, float]:
        """(segments as decoded, awal language, its probability) of 16 kHz mono ``audio``. Every
        segment lies within the audio and every word within its segment (:func:`_clamped`)."""
        lang, prob = self._language(audio, options)
        if options.batch_size > 1 and options.vad:
            decoded = self.window_hypotheses(audio, lang, options)
            return self._windowed(decoded, options, lang, len(audio) / SAMPLE_RATE), lang, prob
        token = self.info.whisper_token(lang)
        target = self._output_script(lang, options.script)
        decoder = self.batch_decoder()  # its script-safe suppression and guard (awal.asr.decoder)
        common: dict[str, Any] = dict(
            language=token,
            task="transcribe",
            suppress_tokens=decoder.suppressed(token),
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad,
            temperature=list(options.temperatures),
            compression_ratio_threshold=options.compression_ratio_threshold,
            log_prob_threshold=options.log_prob_threshold,
            no_speech_threshold=options.no_speech_threshold,
            condition_on_previous_text=False,  # a hallucination must not feed the next window
        )
        raw, _ = self.model.transcribe(audio, **common)  # sequential: batch_size 1, or no VAD to cut windows

        length = round(len(audio) / SAMPLE_RATE, 3)

        def t(value: float) -> float:
            """A time inside the audio: Whisper's timestamps can run past its end."""
            return round(min(max(float(value), 0.0), length), 3)

        def convert() -> Iterator[Segment]:
            for i, seg in enumerate(raw):
                text, acted = decoder.guard(seg.text.strip(), token)
                kept = []
                for w in seg.words or ():
                    word, word_acted = decoder.guard(w.word.strip(), token)
                    acted = acted or word_acted
                    if word:
                        kept.append(Word(t(w.start), t(w.end), self._converted(word, lang, target),
                                         round(float(w.probability), 4)))  # fmt: skip
                decoder.guard_acted += acted
                words = tuple(kept)
                segment = Segment(
                    id=i,
                    start=t(seg.start),
                    end=t(seg.end),
                    text=self._converted(text, lang, target),
                    language=lang,
                    script=target,
                    words=words,
                    avg_logprob=round(float(seg.avg_logprob), 4),
                    no_speech_prob=round(float(seg.no_speech_prob), 4),
                    compression_ratio=round(float(seg.compression_ratio), 3),
                )
                yield _clamped(segment, length)  # faster-whisper can move a word's start before its segment's

        return convert(), lang, prob

    def batch_decoder(self) -> BatchDecoder:
        """The :class:`~awal.asr.decoder.BatchDecoder` every batched path decodes with (made once)."""
        from awal.asr.decoder import BatchDecoder

        if self._decoder is None:
            self._decoder = BatchDecoder(self.model, context_bucket_s=self.info.context_bucket_s,
                                         scripts=self.info.output_scripts())
        return self._decoder

    def window_hypotheses(
        self, audio: np.ndarray, lang: str, options: TranscribeOptions
    ) -> Iterator[tuple[SpeechWindow, np.ndarray, Hypothesis]]:
        """``(window, its audio, its hypothesis)`` for each speech window of a long input
        (:mod:`awal.asr.windows`: Silero VAD's speech, pauses left out), in order, ``batch_size``
        windows per decoder call, with ``beam_size``; nothing skipped, nothing decoded again.
        ``lang`` is an awal code. What ``awal transcribe`` and ``awal eval asr`` decode a long
        input with (a file too long to hold: :meth:`stream_segments`, the same windows)."""
        from faster_whisper.vad import get_speech_timestamps

        from awal.asr.windows import spans_of

        windows = self._windows(spans_of(get_speech_timestamps(audio, _vad_options(options))), options)
        yield from self._decoded(windows, (w.audio(audio) for w in windows), lang, options)

    def _windows(self, spans: list[tuple[int, int]], options: TranscribeOptions) -> list[SpeechWindow]:
        """The speech windows of VAD ``spans`` (joined or one per turn, :class:`TranscribeOptions`)."""
        from awal.asr.windows import speech_windows

        join = options.join_spans if options.join_spans is not None else not self.batch_decoder().context_bucket_s
        return speech_windows(spans, options.window_s, SAMPLE_RATE, join=join)

    def _decoded(self, windows: list[SpeechWindow], clips: Iterable[np.ndarray], lang: str,
                 options: TranscribeOptions) -> Iterator[tuple[SpeechWindow, np.ndarray, Hypothesis]]:  # fmt: skip
        """``(window, its audio, its hypothesis)``, ``batch_size`` windows per decoder call; ``clips``
        gives each window's audio in order, and only a batch of them is held at a time."""
        from awal.asr.decoder import DecodeRequest

        decoder = self.batch_decoder()
        token = self.info.whisper_token(lang)
        clips = iter(clips)
        for at in range(0, len(windows), options.batch_size):
            group = windows[at : at + options.batch_size]
            audio = [next(clips) for _ in group]
            requests = [DecodeRequest(clip, token, (token,)) for clip in audio]
            hyps = decoder.decode(requests, word_times=options.word_timestamps, beam_size=options.beam_size)
            yield from zip(group, audio, hyps)

    def stream_segments(self, blocks: Iterable[np.ndarray], reread: Callable[[], Iterable[np.ndarray]],
                        options: TranscribeOptions) -> tuple[Iterator[Segment], str, float, float]:  # fmt: skip
        """:meth:`segments` of an input given as a stream of 16 kHz mono ``blocks``
        (:func:`awal.audio.stream_audio`), without holding it whole where the speech windows cut
        the decoding (``batch_size`` > 1 with ``vad``): ``blocks`` is read once for Silero VAD
        (frame by frame, :class:`~awal.asr.streaming.vad.StreamingVad`), the input's length and its
        first 30 s (language detection); ``reread()`` streams it again as the windows are decoded
        (:func:`~awal.asr.windows.window_audio`). Memory: a block, a batch of windows and a float
        per 32 ms of audio, whatever the length; the segments are those :meth:`segments` gives of
        the whole array (tested). Otherwise (faster-whisper's sequential transcribe) the blocks are
        joined. Returns (segments as decoded, awal language, its probability, duration in seconds)."""
        from awal.asr.windows import speech_spans, window_audio

        if not (options.batch_size > 1 and options.vad):
            audio = _joined(list(blocks))
            segments, lang, prob = self.segments(audio, options)
            return segments, lang, prob, len(audio) / SAMPLE_RATE
        probs, length, head = _scan(blocks, 30 * SAMPLE_RATE)
        lang, prob = self._language(head, options)
        windows = self._windows(speech_spans(probs, length, SAMPLE_RATE, **vars(_vad_options(options))), options)
        decoded = self._decoded(windows, window_audio(reread(), windows), lang, options)
        return self._windowed(decoded, options, lang, length / SAMPLE_RATE), lang, prob, length / SAMPLE_RATE

    def _windowed(self, decoded: Iterable[tuple[SpeechWindow, np.ndarray, Hypothesis]], options: TranscribeOptions,
                  lang: str, length: float) -> Iterator[Segment]:  # fmt: skip
        """Segments of a long input of ``length`` seconds from its decoded speech windows
        (:meth:`window_hypotheses`); a window the decoder heard only silence in is left out, and
        one whose result looks degenerate is decoded again alone with the temperature ladder. One
        segment per window, or with ``word_timestamps`` one per speech piece that has words; times
        are the input's, words within their segment (:func:`_clamped`)."""
        target = self._output_script(lang, options.script)
        ladder = replace(options, vad=False, batch_size=1, language=lang)
        count = 0
        for window, clip, hyp in decoded:
            silent, degenerate = _verdict(hyp, options)
            if degenerate and len(options.temperatures) > 1:
                retried, _, _ = self.segments(clip, ladder)
                for seg in retried:
                    yield _clamped(replace(seg, id=count, start=window.original_time(seg.start),
                                           end=window.original_time(seg.end, is_end=True),
                                           words=tuple(replace(w, start=window.original_time(w.start),
                                                               end=window.original_time(w.end, is_end=True))
                                                       for w in seg.words)), length)  # fmt: skip
                    count += 1
                continue
            if silent or not hyp.text.strip():
                continue
            for seg in self._window_segments(window, hyp, lang, target, options.word_timestamps):
                yield _clamped(replace(seg, id=count), length)
                count += 1

    def _window_segments(self, window: Any, hyp: Any, lang: str, target: str, timed: bool) -> list[Segment]:
        common: dict[str, Any] = dict(
            language=lang,
            script=target,
            avg_logprob=round(hyp.avg_logprob, 4),
            no_speech_prob=round(hyp.no_speech_prob, 4),
            compression_ratio=round(hyp.compression_ratio, 3),
        )
        if not (timed and hyp.words):
            return [Segment(0, round(window.start, 3), round(window.end, 3),
                            self._converted(hyp.text.strip(), lang, target), **common)]  # fmt: skip
        pieces: dict[int, list[Word]] = {}
        for w in hyp.words:
            word = Word(window.original_time(w.start), window.original_time(w.end, is_end=True),
                        self._converted(w.word.strip(), lang, target), w.probability)  # fmt: skip
            pieces.setdefault(window.piece_of(w.start), []).append(word)
        out = []
        for _, words in sorted(pieces.items()):
            text = self._converted(" ".join(w.word for w in words), lang, target)
            out.append(Segment(0, words[0].start, max(w.end for w in words), text, words=tuple(words), **common))
        return out

    def short_batch(self, batch: list[tuple[_Input, np.ndarray]], options: TranscribeOptions) -> list[Transcript]:
        """Inputs of at most 30 s decoded together (:meth:`batch_decoder`, the streaming engine's
        and evaluation's decoder: one encoder call for all, language detection on its output for
        ``auto``, greedy unless ``beam_size`` > 1). An
        input whose result looks degenerate (compression ratio, log-probability) is decoded again
        alone with the temperature ladder; one the VAD finds no speech in has no segments."""
        from awal.asr.decoder import DecodeRequest

        by_token = self._codes_by_token()
        todo: list[tuple[int, _Input, np.ndarray, str | None]] = []
        out: dict[int, Transcript] = {}
        for index, (item, audio) in enumerate(batch):
            lang = item.language if options.language == "auto" and item.language else options.language
            code = None if lang == "auto" else get_language(lang).code
            if options.vad and not _has_speech(audio):
                out[index] = Transcript(item.path, (), code or "", 0.0, round(len(audio) / SAMPLE_RATE, 3))
                continue
            todo.append((index, item, audio, code))
        requests = [DecodeRequest(audio, self.info.whisper_token(code) if code else None, tuple(by_token))
                    for _, _, audio, code in todo]  # fmt: skip
        decoder = self.batch_decoder()
        hyps = decoder.decode(requests, word_times=options.word_timestamps, beam_size=options.beam_size)
        for (index, item, audio, code), hyp in zip(todo, hyps):
            silent, degenerate = _verdict(hyp, options)
            if degenerate and len(options.temperatures) > 1:
                out[index] = _one(self, item, replace(options, language=code or options.language, batch_size=1), audio)
                continue
            lang = code or by_token[hyp.language]
            out[index] = self._short_transcript(item.path, audio, hyp, lang, options, silent)
        return [out[i] for i in range(len(batch))]

    def _short_transcript(self, path: str, audio: np.ndarray, hyp: Any, lang: str, options: TranscribeOptions,
                          silent: bool) -> Transcript:  # fmt: skip
        duration = round(len(audio) / SAMPLE_RATE, 3)
        if silent or not hyp.text.strip():
            return Transcript(path, (), lang, hyp.language_probability, duration)
        target = self._output_script(lang, options.script)
        words = tuple(Word(w.start, w.end, self._converted(w.word.strip(), lang, target), w.probability)
                      for w in hyp.words)  # fmt: skip
        segment = Segment(
            id=0,
            start=min(w.start for w in words) if words else 0.0,
            end=max(w.end for w in words) if words else duration,
            text=self._converted(hyp.text.strip(), lang, target),
            language=lang,
            script=target,
            words=words,
            avg_logprob=round(hyp.avg_logprob, 4),
            no_speech_prob=round(hyp.no_speech_prob, 4),
            compression_ratio=round(hyp.compression_ratio, 3),
        )
        return Transcript(path, (_clamped(segment, duration),), lang, hyp.language_probability, duration)


def _verdict(hyp: Any, options: TranscribeOptions) -> tuple[bool, bool]:
    """(silent, degenerate) for a greedy hypothesis, by faster-whisper's own gates: silent when the
    no-speech probability is high and the text unlikely; degenerate (worth the temperature ladder)
    when it repeats itself (compression ratio) or is unlikely without being silence."""
    silent = hyp.no_speech_prob > options.no_speech_threshold and hyp.avg_logprob < options.log_prob_threshold
    degenerate = hyp.compression_ratio > options.compression_ratio_threshold or (
        hyp.avg_logprob < options.log_prob_threshold and not silent
    )
    return silent, degenerate


def _has_speech(audio: np.ndarray) -> bool:
    """Whether Silero VAD (faster-whisper's, its default options) finds any speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return bool(get_speech_timestamps(audio, VadOptions()))


def _clamped(segment: Segment, length: float) -> Segment:
    """``segment`` inside ``[0, length]`` (seconds) and each of its words inside the segment, every
    start at or before its end. Whisper's times can overrun the audio, faster-whisper moves a
    first word that looks too long to start before its segment, and a word on the boundary of two
    speech pieces of a window maps back to a start after its end: every path that makes segments
    ends here, so a subtitle's words never fall outside its cue."""
    start = _within(segment.start, 0.0, length)
    end = _within(segment.end, start, length)
    words = []
    for w in segment.words:
        word_start = _within(w.start, start, end)
        words.append(replace(w, start=word_start, end=_within(w.end, word_start, end)))
    return replace(segment, start=start, end=end, words=tuple(words))


def _within(value: float, low: float, high: float) -> float:
    return round(min(max(float(value), low), high), 3)


def _vad_options(options: TranscribeOptions) -> Any:
    """Silero VAD's options for the speech windows: no turn longer than a window."""
    from faster_whisper.vad import VadOptions

    return VadOptions(max_speech_duration_s=options.window_s)


def _scan(blocks: Iterable[np.ndarray], keep: int) -> tuple[np.ndarray, int, np.ndarray]:
    """One pass over a stream of 16 kHz blocks: Silero VAD's probability of each frame (what
    faster-whisper computes over the whole array), the stream's length (samples) and its first
    ``keep`` samples. Holds a block and a float per 32 ms, never the stream."""
    from awal.asr.streaming.vad import StreamingVad

    vad = StreamingVad()
    probs: list[np.ndarray] = []
    head: list[np.ndarray] = []
    length = 0
    for block in blocks:
        if length < keep:
            head.append(np.array(block[: keep - length], dtype=np.float32))
        length += len(block)
        probs.append(vad.feed(block))
    probs.append(vad.finish())
    return np.concatenate(probs), length, _joined(head)


def _joined(blocks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(blocks).astype(np.float32, copy=False) if blocks else np.zeros(0, dtype=np.float32)


def _load(path: str, offset: float = 0.0, duration: float | None = None) -> np.ndarray:
    from awal.audio import load_audio

    return load_audio(path, sr=SAMPLE_RATE, mono=True, offset=offset, duration=duration)


def _stream(path: str, offset: float = 0.0, duration: float | None = None) -> Iterator[np.ndarray]:
    """The 16 kHz mono samples :func:`_load` gives, as a stream of blocks (nothing held whole)."""
    from awal.audio import stream_audio

    return stream_audio(path, SAMPLE_RATE, offset=offset, duration=duration)


def _head(blocks: Iterator[np.ndarray], size: int) -> tuple[list[np.ndarray], bool]:
    """The first blocks of a stream, up to more than ``size`` samples or its end, and whether the
    stream is longer than ``size`` (then the rest is still in ``blocks``)."""
    head: list[np.ndarray] = []
    total = 0
    for block in blocks:
        head.append(block)
        total += len(block)
        if total > size:
            return head, True
    return head, False


def transcribe(audio: str | os.PathLike[str] | np.ndarray, model: str | os.PathLike[str] | Transcriber | None = None,
               options: TranscribeOptions | None = None) -> Iterator[Segment]:  # fmt: skip
    """Segments of one input (a file, or 16 kHz mono float samples), as they are decoded. A file is
    read as a stream (:meth:`Transcriber.stream_segments`): its length does not set the memory."""
    options = options or TranscribeOptions()
    engine = model if isinstance(model, Transcriber) else Transcriber(model)
    if isinstance(audio, np.ndarray):
        segments, _, _ = engine.segments(np.asarray(audio, dtype=np.float32), options)
    else:
        path = os.fspath(audio)
        segments, _, _, _ = engine.stream_segments(_stream(path), lambda: _stream(path), options)
    yield from segments


@dataclass(frozen=True)
class _Input:
    path: str  # what the transcript is named by (a file, or manifest#line)
    audio: str
    offset: float = 0.0
    duration: float | None = None
    language: str | None = None


def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> Iterator[_Input]:
    """Files as given; folders searched (sorted) for :data:`AUDIO_EXTENSIONS`; ``.jsonl``/``.json``
    NeMo manifests read record by record (``offset``, ``duration`` and ``lang`` honoured).

    Raises:
        InputError: a path that does not exist (before anything is decoded).
    """
    from awal.manifest import read_manifest

    given = [Path(p) for p in paths]
    missing = [str(p) for p in given if not p.exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)}")
    for path in given:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in AUDIO_EXTENSIONS:
                    yield _Input(str(child), str(child))
        elif path.suffix.lower() in _MANIFEST_EXTENSIONS:
            for i, record in enumerate(read_manifest(path), start=1):
                name = f"{path}#{i}"
                yield _Input(name, record.audio_filepath, record.offset, record.duration, record.lang)
        else:
            yield _Input(str(path), str(path))


def transcribe_files(
    paths: Iterable[str | os.PathLike[str]],
    model: str | os.PathLike[str] | Transcriber | None = None,
    options: TranscribeOptions | None = None,
    *,
    skip: Callable[[str], bool] | None = None,
    progress: bool = False,
) -> Iterator[Transcript]:
    """One :class:`Transcript` per input (see :func:`find_inputs`), in order. An input that
    cannot be decoded is reported in its transcript's ``error``; the others go on. ``skip(path)``
    true leaves an input out (a re-run over a folder skips what is done)."""
    options = options or TranscribeOptions()
    inputs = [item for item in find_inputs(paths) if not (skip and skip(item.path))]
    engine = model if isinstance(model, Transcriber) else Transcriber(model)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(inputs), unit="file", desc="transcribing", leave=False)
    batching = options.batch_size > 1
    short: list[tuple[_Input, np.ndarray]] = []  # inputs of at most 30 s waiting for a batch

    def flush() -> Iterator[Transcript]:
        if not short:
            return
        try:
            done = engine.short_batch(short, options)
        except (RuntimeError, ValueError):  # the batch failed: each input on its own, reported
            done = [_one(engine, item, options, audio) for item, audio in short]
        short.clear()
        for transcript in done:
            yield transcript
            if bar is not None:
                bar.update(1)

    try:
        for item in inputs:
            audio = None
            unreadable = None
            longer: Iterable[np.ndarray] | None = None  # an input of more than 30 s, as a stream
            if batching:
                blocks = _stream(item.audio, item.offset, item.duration)
                try:
                    head, more = _head(blocks, 30 * SAMPLE_RATE)
                except InputError as exc:
                    unreadable = Transcript(item.path, error=str(exc))  # reported in its place
                else:
                    longer, audio = (itertools.chain(head, blocks), None) if more else (None, _joined(head))
                if audio is not None and 0 < len(audio):
                    short.append((item, audio))
                    if len(short) >= options.batch_size:
                        yield from flush()
                    continue
            yield from flush()  # what came before, in order
            if longer is not None:
                yield _one_stream(engine, item, options, longer)
            else:
                yield unreadable or _one(engine, item, options, audio)
            if bar is not None:
                bar.update(1)
        yield from flush()
    finally:
        if bar is not None:
            bar.close()


def _one(engine: Transcriber, item: _Input, options: TranscribeOptions, audio: np.ndarray | None = None) -> Transcript:
    if audio is None:
        try:
            audio = _load(item.audio, item.offset, item.duration)
        except InputError as exc:
            return Transcript(item.path, error=str(exc))
    duration = round(len(audio) / SAMPLE_RATE, 3)
    if len(audio) == 0:
        return Transcript(item.path, duration=duration, error=f"{item.audio}: no audio")
    opts = options if not item.language or options.language != "auto" else replace(options, language=item.language)
    try:
        segments, lang, prob = engine.segments(audio, opts)
        return Transcript(item.path, tuple(segments), lang, round(prob, 4), duration)
    except InputError as exc:
        return Transcript(item.path, duration=duration, error=str(exc))
    except (RuntimeError, ValueError) as exc:  # the engine failed on this input: report it, go on
        return Transcript(item.path, duration=duration, error=f"decoding failed: {type(exc).__name__}: {exc}")


def _one_stream(engine: Transcriber, item: _Input, options: TranscribeOptions,
                blocks: Iterable[np.ndarray]) -> Transcript:  # fmt: skip
    """:func:`_one` of an input of more than 30 s given as a stream of ``blocks`` (its start
    already read): :meth:`Transcriber.stream_segments`, which reads the file a second time as it
    decodes, so the input is never held whole."""
    opts = options if not item.language or options.language != "auto" else replace(options, language=item.language)
    duration = None
    try:
        again = lambda: _stream(item.audio, item.offset, item.duration)  # noqa: E731
        segments, lang, prob, seconds = engine.stream_segments(blocks, again, opts)
        duration = round(seconds, 3)
        return Transcript(item.path, tuple(segments), lang, round(prob, 4), duration)
    except InputError as exc:  # unreadable further on (the reading is lazy)
        return Transcript(item.path, duration=duration, error=str(exc))
    except (RuntimeError, ValueError) as exc:  # the engine failed on this input: report it, go on
        return Transcript(item.path, duration=duration, error=f"decoding failed: {type(exc).__name__}: {exc}")


# --- output formats ---------------------------------------------------------------------------

FORMATS = ("txt", "json", "jsonl", "srt", "vtt")


def _timestamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(transcript: Transcript, fmt: str) -> str:
    """``transcript`` as ``txt``, ``json``, ``jsonl`` (one line), ``srt`` or ``vtt``."""
    import json

    if fmt == "txt":
        return "\n".join(s.text for s in transcript.segments) + "\n"
    if fmt in ("json", "jsonl"):
        indent = 2 if fmt == "json" else None
        return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=indent) + "\n"
    if fmt == "srt":
        blocks = [
            f"{i}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n{s.text}\n"
            for i, s in enumerate(transcript.segments, start=1)
        ]
        return "\n".join(blocks)
    if fmt == "vtt":
        cues = [f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n{s.text}\n" for s in transcript.segments]
        return "WEBVTT\n\n" + "\n".join(cues)
    raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def output_path(transcript_path: str, out_dir: Path, fmt: str) -> Path:
    """Where ``--output-dir`` writes one input's transcript (manifest records: ``<stem>-<line>``)."""
    name, _, line = transcript_path.partition("#")
    stem = Path(name).stem + (f"-{line}" if line else "")
    return out_dir / f"{stem}.{fmt}"
