"""What the demo does, without Gradio: transcribe a file, transcribe a live microphone through
the streaming engine, synthesize, and the round trip. The Gradio app (:mod:`awal.demo.app`) is a thin
layer over :class:`Demo`; the tests drive both.

Every user mistake (no audio, an empty or silent recording, a file that is not audio, text with
nothing to say, anything over the :class:`DemoLimits`) raises :class:`~awal.errors.InputError` with a
message written for the visitor. The models load on first use and are shared by every visitor of one
:class:`Demo`. Its files live in one temporary folder, ``awal-demo-<pid>-*``: removed when the demo
closes or its process exits, and at the start of another demo once that process is gone.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from awal.errors import InputError

if TYPE_CHECKING:
    from awal.asr.streaming.engine import StreamingEngine
    from awal.asr.streaming.session import Event, StreamOptions, StreamSession
    from awal.asr.streaming.worker import Delivery, EngineWorker
    from awal.asr.transcribe import Segment, Transcriber
    from awal.tts.synthesize import Speech, Voice

__all__ = [
    "LANGUAGES",
    "SCRIPTS",
    "SPEECH_LANGUAGES",
    "Demo",
    "DemoConfig",
    "DemoLimits",
    "LiveTranscript",
    "RoundTrip",
    "TranscriptView",
    "audio_length",
    "remove_stale_folders",
    "span",
    "srt",
    "word_rows",
]

#: (label, value) for the recognition language: the bundled model's languages, Kabyle, auto.
LANGUAGES = (("Darija", "ary"), ("Tamazight", "zgh"), ("Kabyle", "kab"), ("Detect (auto)", "auto"))
#: (label, value) for the output script; ``default``: the language's usual one.
SCRIPTS = (("The language's usual script", "default"), ("Arabic", "arab"), ("Latin", "latn"), ("Tifinagh", "tfng"))
#: (label, value) for synthesis.
SPEECH_LANGUAGES = (("Darija", "ary"), ("Tamazight", "zgh"), ("Kabyle", "kab"))
#: Example sentences: (text, language), each language in each script people write it in.
EXAMPLES = (
    ("مرحبا بيكم فالخدمة ديالنا", "ary"),
    ("Salam, kif dayr? Ana mzyan, lhamdullah.", "ary"),
    ("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ. ⵎⴰⵏⵣⴰⴽⵉⵏ?", "zgh"),
    ("Azul fllawn. Manzakin?", "zgh"),
    ("Azul fell-awen, amek tellam?", "kab"),
)
MIN_SECONDS = 0.2  # shorter than this is not a recording
SILENCE = 1e-4  # peak amplitude under which a recording holds nothing
KEEP_S = 3600  # how long an answer's files (speech, transcripts) stay to be downloaded
STOP_WAIT_S = 120  # the longest a stopped microphone waits for its last results
MAX_RATE_CHANNELS = 48000 * 2  # decoded samples per second of audio a file may hold: 48 kHz stereo
FOLDER_PREFIX = "awal-demo-"  # the demo's temporary folder: awal-demo-<pid>-<random>

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoLimits:
    """What one visitor may ask, and how much runs at once: a public demo must not be made to
    decode hours of audio, speak a book or queue without end. The defaults suit a 2-core machine
    (docs/demo.md says why); ``awal demo`` has an option for each.

    ``max_file_mb``: the largest upload (MiB; Gradio refuses more while it arrives).
    ``max_audio_s``: the longest file transcribed, read from its header before decoding.
    ``max_stream_s``: the longest microphone recording (seconds of audio received).
    ``max_text_chars``: the longest text synthesized (and spoken in the round trip).
    ``concurrency``: jobs (transcribe, synthesize, round trip) run at once, all together.
    ``queue_size``: jobs waiting at most; more visitors are told the queue is full.
    ``max_streams``: microphone streams served at once.
    """

    max_file_mb: float = 64
    max_audio_s: float = 300
    max_stream_s: float = 300
    max_text_chars: int = 300
    concurrency: int = 2
    queue_size: int = 16
    max_streams: int = 4

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"DemoLimits.{name} must be positive, got {value!r}")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)


@dataclass(frozen=True)
class DemoConfig:
    """Which models the demo serves: ``asr_model`` a model folder or name (``None``: the bundled
    ``whisper-base-awal``); ``tts_voice`` a voice folder or name made the default voice of the
    languages it speaks (``None``: each language's default). ``limits``: see :class:`DemoLimits`.
    ``auth``: ``(user, password)`` logins the page asks for (none: it is open), kept out of the repr."""

    asr_model: str | None = None
    tts_voice: str | None = None
    threads: int = 0
    limits: DemoLimits = field(default_factory=DemoLimits)
    auth: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class TranscriptView:
    """A transcript as the page shows it: the text, one row per word, SRT, and the language."""

    text: str
    words: list[list[Any]]
    srt: str
    language: str
    duration: float


@dataclass
class LiveTranscript:
    """One microphone stream: its engine session, the finished utterances and the words so far
    of the current one (interim, they may still change)."""

    session: StreamSession | None = None
    finals: list[str] = field(default_factory=list)
    interim: str = ""
    language: str = ""
    received_s: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(t for t in [*self.finals, self.interim] if t)

    def take(self, events: Iterable[Event]) -> None:
        """Apply the stream's events: a final result's words join the finished ones (and end
        the interim words), an interim result replaces them; other events change nothing."""
        from awal.asr.streaming.session import Result

        for event in events:
            if not isinstance(event, Result):
                continue
            self.language = event.language
            if event.is_final:
                if event.transcript:
                    self.finals.append(event.transcript)
                self.interim = ""
            else:
                self.interim = event.transcript


@dataclass(frozen=True)
class RoundTrip:
    speech: Speech
    heard: TranscriptView
    cer: float
    wer: float


def _clock(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def srt(segments: Sequence[Segment]) -> str:
    """SubRip subtitles, one cue per segment with text."""
    cues = [s for s in segments if s.text.strip()]
    return "".join(f"{i}\n{_clock(s.start)} --> {_clock(s.end)}\n{s.text.strip()}\n\n" for i, s in enumerate(cues, 1))


def word_rows(segments: Iterable[Segment]) -> list[list[Any]]:
    """``[word, start, end, probability]`` per word (times in seconds, rounded for the page)."""
    return [[w.word.strip(), round(w.start, 2), round(w.end, 2), round(w.probability, 2)]
            for s in segments for w in s.words if w.word.strip()]  # fmt: skip


def _script(value: str | None) -> str | None:
    return None if value in (None, "", "default") else value


def _raise(failure: Exception | None) -> None:
    """A decoding failure the engine's worker reported, raised for the page (which logs it)."""
    if failure is not None:
        raise RuntimeError(f"decoding failed: {failure}") from failure


def span(seconds: float) -> str:
    """``5:00``, ``3:00:00``: a length as the visitor reads it."""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def audio_length(path: str | os.PathLike[str]) -> tuple[float, int, int]:
    """``(seconds, rate, channels)`` of an audio file from its header, never decoding it:
    libsndfile's (wav, flac, ogg, mp3, ...), else ffprobe's (m4a, webm, ...). So that a long file is
    refused before its samples fill the memory (3 hours of silence are a 546 KB FLAC, and GBs
    decoded). A header without a length is refused: counting the samples would mean decoding them.
    Raises :class:`~awal.audio.AudioError` for what is not audio, :class:`InputError` else."""
    # the header alone (audio_info would decode a file whose header has no length)
    from awal.audio import probe_audio

    header = probe_audio(path)
    if header.duration is None:
        raise InputError(f"The length of this file ({Path(path).name}) is not in its header (a recording "
                         "still being written?): convert it to WAV, FLAC or MP3 and upload that.")  # fmt: skip
    return header.duration, header.sample_rate, header.channels


def remove_stale_folders(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the folders (``awal-demo-<pid>-*`` in ``root``, default the temporary directory)
    of demos whose process is gone: killed, they could not remove their own. A live demo's folder
    stays, and so does one whose owner cannot be told (no pid in its name: an older demo's).
    A pid reused since by another process keeps its folder until that process ends too."""
    from awal.audio import remove_dead_process_folders

    return remove_dead_process_folders(FOLDER_PREFIX, root)


def _check_samples(samples: np.ndarray, sr: int) -> None:
    if samples.size < MIN_SECONDS * sr:
        raise InputError("The recording is empty: record (or upload) some speech first.")
    if float(np.max(np.abs(samples))) < SILENCE:
        raise InputError("The recording is silent: check the microphone and try again.")


def mic_samples(chunk: tuple[int, np.ndarray]) -> np.ndarray:
    """A browser microphone chunk (rate, int16 or float samples, mono or ``(n, channels)``) as
    16 kHz mono float32."""
    from awal.audio import resample, to_mono

    sr, data = chunk
    x = np.asarray(data)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
    x = to_mono(x.T)  # the browser's (n, channels)
    return resample(x, int(sr), 16000) if int(sr) != 16000 else x


class Demo:
    """The models and the work behind the page (see the module docstring)."""

    def __init__(self, config: DemoConfig | None = None) -> None:
        self.config = config or DemoConfig()
        self._lock = threading.Lock()
        self._transcriber: Transcriber | None = None
        self._engine: StreamingEngine | None = None
        self._worker: EngineWorker | None = None
        self._inbox: dict[StreamSession, queue.Queue[Delivery]] = {}
        self._voices: dict[str, Voice] = {}
        for gone in remove_stale_folders():
            log.info("demo: removed %s, left by a demo that is gone", gone)
        self.out_dir = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        # removed by close(), else when this Demo is collected or at the interpreter's exit
        self._remove_files = weakref.finalize(self, shutil.rmtree, self.out_dir, ignore_errors=True)

    @property
    def limits(self) -> DemoLimits:
        return self.config.limits

    # --- models ------------------------------------------------------------------------------

    def transcriber(self) -> Transcriber:
        """Files are transcribed with the streaming engine's model (one copy in memory, as the
        service shares it)."""
        engine = self.engine()
        with self._lock:
            if self._transcriber is None:
                from awal.asr.transcribe import Transcriber

                self._transcriber = Transcriber.loaded(engine.path, engine.info, engine.model)
            return self._transcriber

    def engine(self) -> StreamingEngine:
        with self._lock:
            if self._engine is None:
                from awal.asr.streaming.engine import StreamingEngine

                self._engine = StreamingEngine(self.config.asr_model, cpu_threads=self.config.threads)
            return self._engine

    def worker(self) -> EngineWorker:
        """The one thread that steps the engine (its contract: one driver), started on first use;
        every visitor's microphone goes through it, as the service's connections do."""
        engine = self.engine()
        with self._lock:
            if self._worker is None:
                from awal.asr.streaming.worker import EngineWorker

                self._worker = EngineWorker(engine)
                self._worker.start()
            return self._worker

    def close(self) -> None:
        """The end of the demo: stop the engine's worker thread (open microphone streams are
        dropped) and remove its folder, with the files of every answer."""
        with self._lock:
            worker, self._worker = self._worker, None
            self._inbox.clear()
        if worker is not None:
            worker.stop()
        self._remove_files()

    def model_languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.engine().info.languages))

    # --- files -------------------------------------------------------------------------------

    def transcribe_file(self, path: str | os.PathLike[str] | None, language: str = "auto",
                        script: str | None = None) -> TranscriptView:  # fmt: skip
        """Transcribe an uploaded or recorded file, with word times. Its length is checked from
        its header first (:func:`audio_length`): a file over ``max_audio_s`` is never decoded."""
        from awal.audio import AudioError, load_audio

        if not path:
            raise InputError("No audio: upload a file or record one first.")
        try:
            seconds, rate, channels = audio_length(path)
            self._check_length(seconds, rate, channels)
            samples = load_audio(path, sr=16000, duration=self.limits.max_audio_s + 1)  # a header may lie
        except AudioError as exc:
            raise InputError(f"This file could not be read as audio ({Path(path).name}): {exc}") from None
        return self.transcribe_samples(samples, language, script)

    def _check_length(self, seconds: float, rate: int, channels: int) -> None:
        most = self.limits.max_audio_s
        if seconds > most:
            raise InputError(f"This file is too long ({span(seconds)}): the demo transcribes up to {span(most)} "
                             "of audio. Upload a shorter piece.")  # fmt: skip
        if seconds * rate * channels > most * MAX_RATE_CHANNELS:
            raise InputError(f"This file has too many samples to decode ({channels} channels at {rate} Hz): the "
                             f"demo takes up to {span(most)} of 48 kHz stereo. Mix it down to mono first.")

    def transcribe_samples(self, samples: np.ndarray, language: str = "auto", script: str | None = None
                           ) -> TranscriptView:  # fmt: skip
        from awal.asr.transcribe import TranscribeOptions

        _check_samples(samples, 16000)
        self._check_language(language)
        options = TranscribeOptions(language=language, script=_script(script), word_timestamps=True)
        segments, lang, _ = self.transcriber().segments(np.asarray(samples, dtype=np.float32), options)
        done = list(segments)
        text = " ".join(s.text.strip() for s in done if s.text.strip())
        return TranscriptView(text, word_rows(done), srt(done), lang, round(len(samples) / 16000, 2))

    def _check_language(self, language: str) -> None:
        if language != "auto" and language not in self.model_languages():
            from awal.languages import get_language

            family = get_language(language).family
            if family not in self.model_languages():
                names = ", ".join(self.model_languages())
                raise InputError(f"The recognition model does not know {language!r}; it knows {names} "
                                 "(start the demo with --asr-model for another model).")  # fmt: skip

    def _new_folder(self) -> Path:
        """A fresh folder for one answer's files; those of answers older than ``KEEP_S`` go."""
        now = time.time()
        for old in self.out_dir.iterdir():
            if old.is_dir() and now - old.stat().st_mtime > KEEP_S:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=self.out_dir))

    def save_transcript(self, view: TranscriptView, stem: str = "transcript") -> tuple[Path, Path]:
        """The transcript as ``.txt`` and ``.srt`` files to download."""
        folder = self._new_folder()
        txt, sub = folder / f"{stem}.txt", folder / f"{stem}.srt"
        txt.write_text(view.text + "\n", encoding="utf-8")
        sub.write_text(view.srt, encoding="utf-8")
        return txt, sub

    # --- the microphone, through the streaming engine ----------------------------------------

    def live_push(self, live: LiveTranscript | None, chunk: tuple[int, np.ndarray] | None, language: str = "ary",
                  script: str | None = None) -> LiveTranscript:  # fmt: skip
        """Feed one microphone chunk; the transcript so far (finished utterances and the
        current one's interim words). The chunk goes to the engine's worker thread, which decodes
        every visitor's stream in batches (as the service's does): this returns at once, with
        what was decoded up to now."""
        from awal.asr.streaming.session import StreamOptions

        live = live if live is not None else LiveTranscript()
        if chunk is None:
            return live
        if live.session is None:
            self._check_language(language)
            live.session = self._open(StreamOptions(language=language, script=_script(script)))
        samples = mic_samples(chunk)
        most = self.limits.max_stream_s
        if live.received_s + len(samples) / 16000 > most:
            self.live_forget(live)
            raise InputError(f"The recording reached the demo's limit of {span(most)} and was stopped: "
                             "press Record again to go on.")  # fmt: skip
        live.received_s += len(samples) / 16000
        events = self.worker().push(live.session, samples)
        failure = self._receive(live)  # decoded before this chunk came
        live.take(events)  # an endpoint in this chunk may close an utterance at once
        failure = self._receive(live) or failure
        _raise(failure)
        return live

    def live_stop(self, live: LiveTranscript | None) -> LiveTranscript:
        """The end of the recording: what is left is decoded as final; this waits until the
        worker has handed over every result of the stream (each exactly once)."""
        if live is None or live.session is None:
            return live or LiveTranscript()
        worker = self.worker()
        worker.close(live.session)
        if not worker.wait([live.session], timeout=STOP_WAIT_S):
            log.warning("demo: a stopped stream was not decoded in %d s; its last words are lost", STOP_WAIT_S)
        failure = self._receive(live)
        self._drop(live)
        _raise(failure)
        return live

    def live_forget(self, live: LiveTranscript | None) -> None:
        """A visitor left mid-recording (the page closed): drop its stream and undelivered
        results, so that nothing of it stays in the engine."""
        if live is None or live.session is None:
            return
        self._drop(live)

    def _open(self, options: StreamOptions) -> StreamSession:
        """A new engine session whose events the worker puts in its own inbox."""
        worker = self.worker()
        session = worker.engine.open(options)
        inbox: queue.Queue[Delivery] = queue.Queue()
        with self._lock:
            self._inbox[session] = inbox
        worker.register(session, inbox)
        return session

    def _drop(self, live: LiveTranscript) -> None:
        """Forget ``live``'s session: in the worker, the engine and the inboxes."""
        session, live.session = live.session, None
        if session is None:
            return
        with self._lock:
            self._inbox.pop(session, None)
        self.worker().forget(session)

    def _receive(self, live: LiveTranscript) -> Exception | None:
        """Apply what the worker handed over for ``live``'s stream, oldest first; a decoding
        failure it reported is returned (the events around it are applied all the same)."""
        with self._lock:
            inbox = self._inbox.get(live.session) if live.session is not None else None
        failure = None
        while inbox is not None:
            try:
                item = inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Exception):
                failure = item
            else:
                live.take(item[1])
        return failure

    # --- speech ------------------------------------------------------------------------------

    def voice_for(self, voice: str | None, language: str) -> str:
        """The voice to use: the visitor's choice, else the demo's ``tts_voice`` where it speaks
        the language, else the language's default."""
        from awal.tts.synthesize import default_voice

        if voice and voice != "default":
            return voice
        if self.config.tts_voice:
            from awal.tts.folder import read_voice_info

            if language in read_voice_info(self.config.tts_voice)["languages"]:
                return self.config.tts_voice
        return default_voice(language)

    def _voice(self, voice: str | None, language: str) -> Voice:
        """The loaded voice (each is loaded once and shared: its ONNX sessions, its front-end)."""
        from awal.tts.synthesize import load_voice

        name = self.voice_for(voice, language)
        with self._lock:
            if name not in self._voices:
                self._voices[name] = load_voice(name, language)
            return self._voices[name]

    def synthesize(self, text: str | None, language: str, voice: str | None = None) -> Speech:
        from awal.tts.synthesize import synthesize

        if not text or not text.strip():
            raise InputError("Type some text to speak first.")
        most = self.limits.max_text_chars
        if len(text) > most:
            raise InputError(f"The text is too long ({len(text)} characters): the demo speaks up to {most} "
                             "characters at a time. Shorten it and try again.")  # fmt: skip
        try:
            return synthesize(text, language, self._voice(voice, language))
        except InputError as exc:
            raise InputError(f"Nothing could be spoken: {exc}") from None

    def save_speech(self, speech: Speech, stem: str = "speech") -> Path:
        from awal.audio import write_audio

        path = self._new_folder() / f"{stem}.wav"
        write_audio(path, speech.samples, speech.sample_rate)
        return path

    def round_trip(self, text: str | None, language: str, voice: str | None = None) -> RoundTrip:
        """Speak ``text``, transcribe the speech, score it against ``text`` (CER, WER)."""
        from awal.audio import resample
        from awal.scoring import score_utterance

        speech = self.synthesize(text, language, voice)
        samples = resample(speech.samples, speech.sample_rate, 16000)
        heard = self.transcribe_samples(samples, language)
        scored = score_utterance(str(text), heard.text, language)
        return RoundTrip(speech, heard, scored.cer, scored.wer)
