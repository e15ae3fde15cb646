"""Text -> speech: ``synthesize()`` for a whole text, ``stream()`` sentence by sentence.

    from awal.tts.synthesize import SpeechOptions, stream, synthesize

    speech = synthesize("السلام عليكم، كيداير؟", "ary")                   # the default voice
    for chunk in stream(long_text, "zgh", options=SpeechOptions(rate=8000)):
        send(encode_audio(chunk.samples, "mulaw"))                        # first audio early

A text is cut into sentences (:func:`awal.tts.frontend.split_sentences`); each goes through the
front-end and the voice, then is resampled to the asked rate. :func:`stream` yields each
sentence's audio as soon as it is made, so the first audio leaves before the text is done.

Voices (:func:`load_voice`): ``"espeak"`` (:class:`awal.tts.espeak.EspeakVoice`, the baseline, always
available), a neural voice folder (:class:`awal.tts.neural.NeuralVoice`: FastPitch + HiFi-GAN in ONNX,
:mod:`awal.tts.export`), ``"awal-voice"`` for the bundled neural voice. The default voice of a language is
the backend that measures better in the round trip (:func:`default_voice`, docs/tts.md). A
voice that can vocode a sentence in pieces (``speak_chunks``) is streamed piece by piece, so the
first audio leaves after a fraction of the first sentence.

Output encodings for files and the service (:func:`encode_audio`): ``wav`` (16-bit PCM with a
header), ``pcm`` (16-bit little-endian, no header), ``mulaw`` and ``alaw`` (G.711, one byte per
sample: telephone prompts at 8 kHz).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from awal.errors import InputError

__all__ = [
    "FORMATS",
    "RATES",
    "Speech",
    "SpeechOptions",
    "Voice",
    "default_voice",
    "encode_audio",
    "load_voice",
    "stream",
    "synthesize",
    "voices",
    "wav_header",
]

#: Output encodings.
FORMATS = ("wav", "pcm", "mulaw", "alaw")
#: Output rates offered by the command line (any rate soxr takes works through the API).
RATES = (8000, 16000, 22050, 24000)
#: The pause put between two sentences of one text (seconds).
SENTENCE_PAUSE = 0.25
#: The bundled neural voice (``"awal-voice"``), when the checkout has it.
BUNDLED_VOICE = Path(__file__).resolve().parent / "bundled" / "awal-voice"


class Voice(Protocol):
    """What a backend gives: its name, its rate, and one sentence spoken."""

    name: str
    sample_rate: int

    def speak(self, sentence: str, lang: str, speed: float = 1.0) -> tuple[np.ndarray, str]:
        """(float32 samples at ``sample_rate``, the spoken text) of one sentence."""
        ...


@dataclass(frozen=True)
class SpeechOptions:
    """How to speak.

    Attributes:
        rate: output sample rate (Hz); ``None``: the voice's own.
        speed: 0.25-4.0, 1.0 the voice's normal pace.
    """

    rate: int | None = None
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not 0.25 <= self.speed <= 4.0:
            raise InputError(f"speed must be between 0.25 and 4.0, got {self.speed}")
        if self.rate is not None and not 4000 <= self.rate <= 48000:
            raise InputError(f"rate must be between 4000 and 48000 Hz, got {self.rate}")


@dataclass(frozen=True)
class Speech:
    """Audio of one sentence (from :func:`stream`) or of a whole text (:func:`synthesize`)."""

    samples: np.ndarray  # float32, mono
    sample_rate: int
    text: str  # what was said: the front-end's spoken text, sentences joined by spaces
    voice: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def voices() -> tuple[str, ...]:
    """The voice names :func:`load_voice` knows (besides voice folders)."""
    return ("espeak", BUNDLED_VOICE.name) if (BUNDLED_VOICE / "awal.json").is_file() else ("espeak",)


def load_voice(voice: str | Path | None = None, lang: str | None = None) -> Voice:
    """The voice ``voice``: ``"espeak"``, ``"awal-voice"`` (the bundled neural voice), a neural voice
    folder, or ``None`` / ``"default"``: the default voice for ``lang`` (:func:`default_voice`).

    Raises:
        InputError: an unknown voice (the message lists the known ones), or a folder that is not a
            voice (:func:`awal.tts.folder.read_voice_info`).
    """
    from awal.tts.espeak import EspeakVoice

    if voice in (None, "", "default"):
        voice = default_voice(lang)
    if voice == "espeak":
        return EspeakVoice()
    if voice == BUNDLED_VOICE.name and voice in voices():
        voice = BUNDLED_VOICE
    path = Path(str(voice))
    if path.is_dir():
        from awal.tts.neural import NeuralVoice

        return NeuralVoice(path)
    raise InputError(f"unknown voice {str(voice)!r}; voices: {', '.join(voices())}, or a voice folder")


def default_voice(lang: str | None) -> str:
    """The name of ``lang``'s default voice: the one that measures better in the round trip.

    The bundled voice's ``awal.json`` records, per language, its round-trip CER and espeak-ng's on
    the same held-out sentences with the same recognizer (``metrics.round_trip``: ``voice_cer``,
    ``espeak_cer``; its model card, docs/tts.md). ``"awal-voice"`` where it speaks ``lang``'s family
    and measured lower than espeak-ng, else ``"espeak"`` (also where nothing was measured).
    """
    if lang is None or BUNDLED_VOICE.name not in voices():
        return "espeak"
    from awal.languages import get_language
    from awal.tts.folder import read_voice_info

    family = get_language(lang).family
    info = read_voice_info(BUNDLED_VOICE)
    trip = ((info.get("metrics") or {}).get("round_trip") or {}).get(family) or {}
    ours, espeak = trip.get("voice_cer"), trip.get("espeak_cer")
    if family in info["languages"] and isinstance(ours, (int, float)) and isinstance(espeak, (int, float)):
        return BUNDLED_VOICE.name if ours < espeak else "espeak"
    return "espeak"


def stream(text: str, lang: str, voice: str | Path | Voice | None = None, options: SpeechOptions | None = None
           ) -> Iterator[Speech]:  # fmt: skip
    """The speech of ``text`` sentence by sentence, each as soon as it is made. A sentence
    after the first starts with a short pause.

    Raises:
        InputError: no speakable text, an unknown voice, a language without a front-end, or
            characters the language's symbols do not have (``UnknownCharactersError``) — raised
            before any audio of the offending sentence.
    """
    from awal.audio import resample
    from awal.tts.frontend import split_sentences, symbol_set

    options = options or SpeechOptions()
    symbol_set(lang)  # a language without a front-end fails before anything else
    sentences = split_sentences(text)
    if not sentences:
        raise InputError("nothing to say: the text is empty")
    engine = load_voice(voice, lang) if voice is None or isinstance(voice, (str, Path)) else voice
    rate = options.rate or engine.sample_rate
    spoke = False
    for sentence in sentences:
        pause = np.zeros(int(SENTENCE_PAUSE * rate) if spoke else 0, np.float32)
        pieces = getattr(engine, "speak_chunks", None)
        if pieces is None:
            samples, said = engine.speak(sentence, lang, options.speed)
            if not len(samples):
                continue
            if rate != engine.sample_rate:
                samples = resample(samples, engine.sample_rate, rate).astype(np.float32, copy=False)
            spoke = True
            yield Speech(np.concatenate([pause, samples]), rate, said, engine.name)
            continue
        first = True
        for samples, said in _resampled(pieces(sentence, lang, options.speed), engine.sample_rate, rate):
            if first:  # the pause and the sentence's text go with its first piece
                samples, first = np.concatenate([pause, samples]), False
            else:
                said = ""
            spoke = True
            yield Speech(samples, rate, said, engine.name)
    if not spoke:
        raise InputError("nothing to say: the text has no speakable characters")


def _resampled(pieces: Iterator[tuple[np.ndarray, str]], source: int, target: int
               ) -> Iterator[tuple[np.ndarray, str]]:  # fmt: skip
    """The pieces of one sentence at ``target`` Hz, resampled as one stream (no seams between pieces)."""
    if source == target:
        yield from ((p, said) for p, said in pieces if len(p))
        return
    import soxr

    resampler = soxr.ResampleStream(source, target, 1, dtype="float32", quality="HQ")
    said = ""
    for piece, said in pieces:
        out = resampler.resample_chunk(piece.astype(np.float32, copy=False))
        if len(out):
            yield out, said
    tail = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
    if len(tail):
        yield tail, said


def synthesize(text: str, lang: str, voice: str | Path | Voice | None = None, options: SpeechOptions | None = None
               ) -> Speech:  # fmt: skip
    """The speech of the whole of ``text`` (see :func:`stream` for the errors)."""
    parts = list(stream(text, lang, voice, options))
    return Speech(np.concatenate([p.samples for p in parts]), parts[0].sample_rate,
                  " ".join(p.text for p in parts if p.text), parts[0].voice)  # fmt: skip


def encode_audio(samples: np.ndarray, fmt: str) -> bytes:
    """Float samples as ``pcm`` (16-bit little-endian), ``mulaw`` or ``alaw`` bytes; ``wav`` is
    :func:`wav_header` followed by ``pcm``."""
    from awal.audio import alaw_encode, mulaw_encode, pcm16_encode

    if fmt in ("pcm", "wav"):
        return pcm16_encode(samples)
    if fmt == "mulaw":
        return mulaw_encode(samples)
    if fmt == "alaw":
        return alaw_encode(samples)
    raise InputError(f"unknown audio format {fmt!r}; formats: {', '.join(FORMATS)}")


def wav_header(rate: int, data_bytes: int | None = None) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV file. ``data_bytes=None`` (a stream whose
    length is not known yet) writes the largest size, which players read as "until the end"."""
    size = 0xFFFFFFFF - 36 if data_bytes is None else data_bytes
    return (b"RIFF" + struct.pack("<I", min(size + 36, 0xFFFFFFFF)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", size))  # fmt: skip
