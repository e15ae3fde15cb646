"""A synthetic speech corpus: real Darija, Tamazight or Kabyle text spoken by espeak-ng.

``awal prepare synthetic --lang ary|zgh|kab --text FILE --out DIR --hours H [--seed N]
[--telephone]`` is :func:`prepare_synthetic`:

1. :func:`read_sentences` reads the text (one sentence per line, or a DODa CSV) and
   drops empty lines and duplicates;
2. :func:`split_sentences` holds out a seeded share of the distinct sentences for
   ``test`` (and another for ``dev``): those are spoken once each and never appear in
   ``train``; the training sentences are spoken again, with other voices, until the
   budget is reached;
3. :func:`plan` draws, for each utterance, a speaker (espeak voice variant, pitch,
   rate) and an augmentation (speed, level, leading silence, white/pink/babble noise at
   an SNR, the telephone channel), all from ``(seed, utterance index)``;
4. :func:`render` speaks and augments one planned utterance (a pure function of it);
   :func:`synthesize_corpus` renders the plan on every core, writes
   ``<out>/audio/<id>.wav`` in order and stops at ``--hours``;
5. :func:`awal.data.prepare.prepare` normalizes the text to the language's default
   script, validates everything and writes the manifests and the report.

How each language is voiced is :mod:`awal.text.voicing`: every sentence goes through
:func:`~awal.text.voicing.espeak_request`, the dispatch the espeak-ng TTS voice uses too,
so the corpus says what that voice says. Both are documented, with their limits, in
docs/data.md ("Synthetic speech").

Deterministic: the same text, options and seed give byte-identical audio and manifests,
whatever the number of worker processes (espeak-ng is deterministic, and every random
draw comes from a generator seeded with ``(seed, utterance index)``).
"""

from __future__ import annotations

import collections
import csv
import json
import logging
import math
import os
import random
import re
import unicodedata
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from awal.data.base import PrepareOptions, Utterance, process_pool
from awal.data.channels import (
    Channel,
    ChannelOptions,
    Room,
    apply_channel,
    draw_channel,
    draw_far_field_room,
    far_field,
)
from awal.data.voices import (
    FAMILIES,
    NEURAL_FAMILIES,
    NeuralVoice,
    check_family,
    check_speaker,
    neural_speakers,
    phonemes_for,
    speak_neural,
)
from awal.errors import InputError
from awal.espeak import ESPEAK_RATE, EspeakNotFoundError, darija_letters, espeak_version, find_espeak, ipa, speak
from awal.languages import get_language
from awal.text.normalize import normalize
from awal.text.voicing import DARIJA_LETTERS, espeak_request, espeak_voice

if TYPE_CHECKING:
    from awal.data.prepare import PrepareReport
    from awal.text.arabizi import Lexicon

__all__ = [
    "DEFAULT_VOICES",
    "DEFAULT_NOISE",
    "NOISE_KINDS",
    "EspeakNotFoundError",
    "SyntheticOptions",
    "UtteranceSpec",
    "Voice",
    "add_noise",
    "excluded_sentences",
    "band_limit",
    "find_espeak",
    "pink_noise",
    "plan",
    "prepare_synthetic",
    "read_sentences",
    "render",
    "speed_perturb",
    "split_sentences",
    "synthesize_corpus",
    "telephone_channel",
    "white_noise",
    "with_noise",
]

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]

#: espeak-ng voice variants (``-v ar+<variant>``): its male and female variants and two
#: variants of its Klatt synthesizer. Every one gives different audio.
DEFAULT_VOICES: tuple[str, ...] = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
)  # fmt: skip
#: Background noises: none, white, pink (1/f power), babble (other sentences, other voices),
#: overlap (one other talker, far from the microphone in a room, partly over the speech).
NOISE_KINDS: tuple[str, ...] = ("none", "white", "pink", "babble", "overlap")
#: The noises drawn from by default (``overlap`` is asked for: ``--noise ...,overlap``).
DEFAULT_NOISE: tuple[str, ...] = ("none", "white", "pink", "babble")
#: The G.711 telephone rate and the band kept by :func:`telephone_channel`.
TELEPHONE_RATE = 8000
TELEPHONE_BAND = (300.0, 3400.0)
#: Peak the mix is scaled down to when it would go above (no clipping).
PEAK_LIMIT = 0.95

# --- options -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: an espeak-ng variant with a pitch (``-p``, 0-99) and a rate
    (``-s``, words per minute)."""

    variant: str
    pitch: int
    rate: int

    @property
    def id(self) -> str:
        """The speaker id written in the manifest: ``espeak-m3-p50-s160``."""
        return f"espeak-{self.variant}-p{self.pitch}-s{self.rate}"

    @property
    def espeak_name(self) -> str:
        """The ``-v`` argument: ``ar+m3`` (:func:`~awal.text.voicing.espeak_voice`)."""
        return espeak_voice(self.variant)


@dataclass(frozen=True)
class SyntheticOptions:
    """How to synthesize a corpus.

    Attributes:
        lang: ``ary``, ``zgh`` (or ``shi``/``tzm``/``rif``) or ``kab``.
        hours: the total duration to synthesize (all splits together).
        seed: every random choice (split, speakers, augmentation) derives from it.
        telephone: pass every utterance through the telephone channel: 8 kHz, 300-3400
            Hz band, G.711 mu-law round trip (:func:`telephone_channel`).
        telephone_rate: the rate telephone audio is written at: 16000 (resampled back, what
            NeMo recipes read) or 8000 (the mu-law samples themselves).
        heldout_fraction: share of the distinct sentences held out for ``test``.
        dev_fraction: share of the distinct sentences kept for ``dev``.
        snr_db: (low, high) signal-to-noise ratio in dB, drawn uniformly per utterance.
        noise: the noise kinds drawn from, uniformly (:data:`NOISE_KINDS`; default
            :data:`DEFAULT_NOISE`).
        spelling: ``as-written`` (the transcript is the spoken text in the language's script)
            or ``ordinary`` (Darija: sentences read from their Arabizi, transcribed in ordinary
            Arabic-script spelling: a hand-written ``ordinary`` column where the table has one,
            else :func:`awal.text.orthography.ordinary_spelling` with ``dictionary``; a sentence
            whose transcript would keep a digit or a Latin word is skipped).
        dictionary: DODa word lists (files or folders) for ordinary spelling.
        channel: rooms, clipping and codecs drawn per utterance
            (:class:`awal.data.channels.ChannelOptions`); None: none.
        speed: (low, high) speed factor, drawn uniformly (resampling: tempo and pitch).
        voices: espeak-ng variants (:data:`DEFAULT_VOICES`).
        pitches: espeak ``-p`` values; rates: espeak ``-s`` values (words per minute).
            Every (variant, pitch, rate) is one speaker.
        level_db: (low, high) RMS level of the speech in dBFS.
        lead_silence: (low, high) seconds of silence before the speech (espeak leaves
            about 0.3 s after it).
        sample_rate: the rate of the written audio (telephone audio: ``telephone_rate``).
        babble_talkers: how many other utterances make babble noise.
        jobs: worker processes (0: one per CPU core).
        profile: normalization profile of the manifest text (see ``PrepareOptions``).
        lexicon: Darija lexicon files (TSV or DODa CSV) for Arabizi input.
        exclude: sentences never to voice (matched after ``scoring`` normalization): another
            corpus's held-out test and dev sentences, so that a bigger training corpus made
            later never contains them (:func:`excluded_sentences` reads them).
        families: the voice families drawn from, uniformly (:data:`awal.data.voices.FAMILIES`):
            ``espeak``, ``kokoro``, ``piper``.
        speakers: neural speakers to use (ids: ``kokoro-jf_nezumi``, ``kokoro-af_heart+hm_omega@0.40``,
            ``piper-en_US-joe-medium``); empty: every speaker of the family that may train (or,
            with ``evaluation``, every reserved one).
        kokoro_voices: a folder of extra Kokoro style vectors (``*.bin``: scripts/kokoro-voices.sh).
        piper_voices: a folder of extra Piper voices (``*.onnx`` with ``*.onnx.json``).
        kokoro_blends: how many blends of two Kokoro styles join its speakers.
        tempo: (low, high) pace of the neural voices (Kokoro's speed, Piper's 1/length scale).
        evaluation: a test-only corpus: every sentence once, all in ``test``, and reserved
            speakers allowed (:data:`awal.data.voices.RESERVED`); without it a reserved speaker
            is refused.
        progress: show a progress bar on stderr.
    """

    lang: str
    hours: float
    seed: int = 0
    telephone: bool = False
    telephone_rate: int = 16000
    heldout_fraction: float = 0.1
    dev_fraction: float = 0.05
    snr_db: tuple[float, float] = (10.0, 40.0)
    noise: tuple[str, ...] = DEFAULT_NOISE
    speed: tuple[float, float] = (0.9, 1.1)
    voices: tuple[str, ...] = DEFAULT_VOICES
    pitches: tuple[int, ...] = (30, 40, 50, 60, 70)
    rates: tuple[int, ...] = (135, 155, 175, 195)
    level_db: tuple[float, float] = (-32.0, -20.0)
    lead_silence: tuple[float, float] = (0.05, 0.25)
    sample_rate: int = 16000
    babble_talkers: int = 3
    jobs: int = 0
    profile: str = "display"
    lexicon: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    spelling: str = "as-written"
    dictionary: tuple[str, ...] = ()
    channel: ChannelOptions | None = None
    families: tuple[str, ...] = ("espeak",)
    speakers: tuple[str, ...] = ()
    kokoro_voices: str | None = None
    piper_voices: str | None = None
    kokoro_blends: int = 0
    tempo: tuple[float, float] = (0.9, 1.1)
    evaluation: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        get_language(self.lang)  # UnknownLanguageError lists the known codes
        problems: list[str] = []
        if not (isinstance(self.hours, (int, float)) and math.isfinite(self.hours) and self.hours > 0):
            problems.append(f"hours must be a positive number, got {self.hours!r}")
        for name in ("heldout_fraction", "dev_fraction"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                problems.append(f"{name} must be in [0, 1), got {value}")
        if self.heldout_fraction + self.dev_fraction >= 1:
            problems.append("heldout_fraction + dev_fraction must leave sentences for training")
        for name in ("snr_db", "speed", "level_db", "lead_silence"):
            low, high = getattr(self, name)
            if low > high:
                problems.append(f"{name}: low {low} > high {high}")
        if self.speed[0] <= 0:
            problems.append(f"speed must be positive, got {self.speed}")
        if self.level_db[1] > 0:
            problems.append(f"level_db must be at most 0 dBFS, got {self.level_db}")
        if self.lead_silence[0] < 0:
            problems.append(f"lead_silence must be non-negative, got {self.lead_silence}")
        unknown = [kind for kind in self.noise if kind not in NOISE_KINDS]
        if unknown or not self.noise:
            problems.append(f"noise kinds must be among {', '.join(NOISE_KINDS)}, got {self.noise}")
        if not self.voices or not self.pitches or not self.rates:
            problems.append("voices, pitches and rates must not be empty")
        if any(not re.fullmatch(r"[A-Za-z0-9_-]+", v) for v in self.voices):
            problems.append(f"voice variants are espeak-ng variant names (m1, f3, klatt), got {self.voices}")
        if any(not 0 <= p <= 99 for p in self.pitches):
            problems.append(f"pitches are espeak-ng -p values 0-99, got {self.pitches}")
        if any(not 80 <= r <= 450 for r in self.rates):
            problems.append(f"rates are espeak-ng -s values 80-450 (words per minute), got {self.rates}")
        if self.telephone_rate not in (8000, 16000):
            problems.append(f"telephone_rate must be 8000 or 16000, got {self.telephone_rate}")
        if self.sample_rate < 8000:
            problems.append(f"sample_rate must be at least 8000, got {self.sample_rate}")
        if self.babble_talkers < 1:
            problems.append(f"babble_talkers must be at least 1, got {self.babble_talkers}")
        if self.jobs < 0:
            problems.append(f"jobs must be >= 0, got {self.jobs}")
        if not self.families or len(set(self.families)) != len(self.families):
            problems.append(f"families must be distinct names among {', '.join(FAMILIES)}, got {self.families}")
        if self.tempo[0] > self.tempo[1] or self.tempo[0] <= 0:
            problems.append(f"tempo must be a positive (low, high), got {self.tempo}")
        if self.spelling not in SPELLINGS:
            problems.append(f"spelling must be one of {', '.join(SPELLINGS)}, got {self.spelling!r}")
        elif self.spelling == "ordinary" and get_language(self.lang).family != "ary":
            problems.append("spelling='ordinary' is for Darija (ary)")
        if self.kokoro_blends < 0:
            problems.append(f"kokoro_blends must be >= 0, got {self.kokoro_blends}")
        if problems:
            raise InputError("synthetic options: " + "; ".join(problems))
        for family in self.families:
            check_family(family)  # an unknown family or a missing package: before any audio
        self.neural_speakers()  # a reserved or unknown speaker: before any audio

    @property
    def output_rate(self) -> int:
        """The sample rate of the written files."""
        return self.telephone_rate if self.telephone else self.sample_rate

    def espeak_speakers(self) -> tuple[Voice, ...]:
        """Every espeak-ng (variant, pitch, rate) combination, in a fixed order."""
        return tuple(Voice(v, p, r) for v in self.voices for p in self.pitches for r in self.rates)

    def neural_speakers(self) -> dict[str, tuple[NeuralVoice, ...]]:
        """The speakers of each neural family drawn from, in a fixed order.

        Raises:
            InputError: a named speaker is unknown, belongs to no chosen family, or is reserved
                for evaluation in a training corpus; or a family is left with no speaker.
        """
        pools: dict[str, tuple[NeuralVoice, ...]] = {}
        named = set(self.speakers)
        for family in (f for f in self.families if f in NEURAL_FAMILIES):
            known = neural_speakers(
                family,
                kokoro_voices=self.kokoro_voices,
                piper_voices=self.piper_voices,
                blends=self.kokoro_blends,
                seed=self.seed,
            )
            mine = [s for s in self.speakers if s.startswith(f"{family}-")]
            if mine:
                by_id = {s.id: s for s in known}
                pool = tuple(by_id.get(s) or NeuralVoice(family, s.removeprefix(f"{family}-")) for s in mine)
                for voice in pool:
                    check_speaker(voice, kokoro_voices=self.kokoro_voices, piper_voices=self.piper_voices)
            elif self.evaluation:
                pool = tuple(s for s in known if s.reserved)
            else:
                pool = tuple(s for s in known if not s.reserved)
            if not self.evaluation:
                reserved = [s.id for s in pool if s.reserved]
                if reserved:
                    raise InputError(
                        f"{', '.join(reserved)}: reserved for evaluation, never in training data "
                        "(make a test-only corpus with --evaluation)"
                    )
            if not pool:
                what = "reserved (evaluation)" if self.evaluation else "training"
                raise InputError(f"the {family} family has no {what} speaker; known: {', '.join(s.id for s in known)}")
            pools[family] = pool
            named -= {s.id for s in pool}
        if named:
            chosen = ", ".join(self.families)
            raise InputError(f"speakers {', '.join(sorted(named))} belong to no chosen family ({chosen})")
        return pools


def _espeak(exe: str, text: str, voice: Voice) -> np.ndarray:
    """espeak-ng's float32 samples (``ESPEAK_RATE``) for ``text`` spoken by ``voice``."""
    return speak(exe, text, voice.espeak_name, pitch=voice.pitch, rate=voice.rate)


# --- reading text --------------------------------------------------------------------------

#: CSV columns read, in order of preference: DODa's Arabic-script column first for Darija,
#: then its Arabizi column (written in Arabic script by the voicing), then generic names.
_COLUMNS = {"ary": ("darija_ar", "darija_Arab_new", "darija", "darija_Latn", "sentence", "text")}
#: With ``spelling="ordinary"`` Darija is read from its Arabizi (how it is said); a column
#: ``ordinary`` beside it holds the transcript as written (:func:`read_transcripts`).
_ORDINARY_COLUMNS = ("arabizi", "darija", "darija_Latn", "sentence", "text")
SPELLINGS: tuple[str, ...] = ("as-written", "ordinary")
_GENERIC_COLUMNS = ("sentence", "text")
_TEXT_SUFFIXES = (".txt", ".csv", ".tsv")


def _wanted(lang: str, spelling: str) -> tuple[str, ...]:
    family = get_language(lang).family
    if spelling == "ordinary" and family == "ary":
        return _ORDINARY_COLUMNS
    return _COLUMNS.get(family, _GENERIC_COLUMNS)


def _table_lines(path: Path, lang: str, *, strict: bool, spelling: str = "as-written") -> list[str] | None:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream, delimiter=delimiter)
        fields = reader.fieldnames or []
        wanted = _wanted(lang, spelling)
        column = next((c for c in wanted if c in fields), None)
        if column is None:
            if strict:
                raise InputError(f"{path}: no text column (looked for {', '.join(wanted)}; found {', '.join(fields)})")
            logger.info("skipping %s: no text column among %s", path, ", ".join(fields))
            return None
        return [row.get(column) or "" for row in reader]


def _files(path: Path) -> list[tuple[Path, bool]]:
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _TEXT_SUFFIXES)
        if not found:
            raise InputError(f"{path}: no .txt, .csv or .tsv file inside")
        return [(p, False) for p in found]
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return [(path, True)]


def _clean(line: str) -> str:
    return " ".join(unicodedata.normalize("NFC", line).split())


def read_column_pairs(path: StrPath | Sequence[StrPath], keys: Sequence[str], value: str) -> dict[str, str]:
    """``{key: value}`` from every CSV/TSV among ``path`` (files or folders) that has ``value`` and
    one of ``keys`` (the first present), both sides NFC with whitespace collapsed; the first pair
    of a key wins, rows with an empty side are skipped."""
    out: dict[str, str] = {}
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    for item in paths:
        for file, _ in _files(Path(item)):
            if file.suffix.lower() not in (".csv", ".tsv"):
                continue
            delimiter = "\t" if file.suffix.lower() == ".tsv" else ","
            with file.open(encoding="utf-8-sig", newline="") as stream:
                reader = csv.DictReader(stream, delimiter=delimiter)
                fields = reader.fieldnames or []
                key = next((c for c in keys if c in fields), None)
                if key is None or value not in fields:
                    continue
                for row in reader:
                    k, v = _clean(row.get(key) or ""), _clean(row.get(value) or "")
                    if k and v:
                        out.setdefault(k, v)
    return out


def read_transcripts(path: StrPath | Sequence[StrPath], lang: str) -> dict[str, str]:
    """``{sentence: transcript}`` from the tables among ``path`` with an ``ordinary`` column:
    hand-written ordinary-spelling transcripts of the Arabizi sentences beside them
    (``samples/text/ary-ordinary-heldout.tsv``)."""
    return read_column_pairs(path, _wanted(lang, "ordinary"), "ordinary")


def read_sentences(path: StrPath | Sequence[StrPath], lang: str, spelling: str = "as-written") -> list[str]:
    """The distinct sentences of a text file, a CSV/TSV, or every such file in a folder.

    * ``.txt`` (or any other name): one sentence per line;
    * ``.csv`` / ``.tsv`` with a header: for Darija the column ``darija_ar`` (DODa's
      Arabic-script column), else ``darija`` (Arabizi, written in Arabic script when
      voiced), else ``sentence`` or ``text``; for the other languages ``sentence`` or
      ``text``. In a folder, tables without such a column are skipped. With
      ``spelling="ordinary"``, Darija tables are read from their Arabizi: ``arabizi``, else
      ``darija`` (DODa's sentence lists), else ``sentence`` or ``text``.

    Lines are NFC-normalized with whitespace collapsed; empty ones are skipped, and so are
    duplicates: two lines are the same sentence when their ``scoring`` normalizations are
    equal (so a held-out sentence cannot come back in training with other punctuation).
    The first spelling is kept, in file order.
    """
    language = get_language(lang)
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    sentences: list[str] = []
    seen: set[str] = set()
    for item in paths:
        for file, strict in _files(Path(item)):
            lines: list[str] | None
            if file.suffix.lower() in (".csv", ".tsv"):
                lines = _table_lines(file, language.code, strict=strict, spelling=spelling)
            else:
                lines = file.read_text(encoding="utf-8-sig").splitlines()
            for line in lines or ():
                sentence = _clean(line)
                if not sentence:
                    continue
                key = normalize(sentence, language, "scoring")
                if not key or key in seen:
                    continue
                seen.add(key)
                sentences.append(sentence)
    return sentences


# --- split and plan ------------------------------------------------------------------------


def _share(n: int, fraction: float) -> int:
    """``round(n * fraction)``, and at least one when the fraction is positive and n >= 3."""
    if fraction <= 0:
        return 0
    return max(round(n * fraction), 1 if n >= 3 else 0)


def split_sentences(sentences: Sequence[str], options: SyntheticOptions) -> dict[str, tuple[str, ...]]:
    """``{"train": ..., "dev": ..., "test": ...}``: distinct sentences dealt by the seed.

    A test-only corpus (``evaluation``) has them all in ``test``. Otherwise ``test`` gets
    ``round(n * heldout_fraction)`` sentences (at least one when n >= 3),
    ``dev`` ``round(n * dev_fraction)``, ``train`` the rest (at least one). Each split
    keeps the input order.
    """
    if options.evaluation:
        return {"train": (), "dev": (), "test": tuple(sentences)}
    n = len(sentences)
    order = list(range(n))
    random.Random(f"awal-synthetic-split/{options.seed}").shuffle(order)
    n_test = min(_share(n, options.heldout_fraction), max(n - 1, 0))
    n_dev = min(_share(n, options.dev_fraction), max(n - 1 - n_test, 0))
    test, dev = set(order[:n_test]), set(order[n_test : n_test + n_dev])
    return {
        "train": tuple(s for k, s in enumerate(sentences) if k not in test and k not in dev),
        "dev": tuple(s for k, s in enumerate(sentences) if k in dev),
        "test": tuple(s for k, s in enumerate(sentences) if k in test),
    }


@dataclass(frozen=True)
class UtteranceSpec:
    """Everything :func:`render` needs to make one utterance: a plan item.

    ``text`` is the spoken text (the manifest's), ``sentence`` the line as read,
    ``espeak_input`` what espeak-ng reads (and, for a neural ``voice``, what espeak-ng gives the
    phonemes of). ``babble`` holds the espeak inputs and voices of the background talkers when
    ``noise == "babble"``. ``tempo`` is a neural voice's pace.
    """

    index: int
    id: str
    lang: str
    split: str
    sentence: str
    text: str
    espeak_input: str
    voice: Voice | NeuralVoice
    speed: float
    level_db: float
    lead_s: float
    noise: str
    snr_db: float | None
    babble: tuple[tuple[str, Voice], ...]
    telephone: bool
    telephone_rate: int
    sample_rate: int
    seed: int
    espeak: str = "espeak-ng"
    tempo: float = 1.0
    kokoro_voices: str | None = None
    piper_voices: str | None = None
    channel: Channel | None = None
    overlap_room: Room | None = None
    overlap_offset: float = 0.0

    @property
    def output_rate(self) -> int:
        return self.telephone_rate if self.telephone else self.sample_rate

    def augmentation(self) -> dict[str, Any]:
        """What was done to this utterance, for the manifest's extra fields."""
        extra: dict[str, Any]
        if isinstance(self.voice, NeuralVoice):
            extra = {"synthesizer": self.voice.family, "voice": self.voice.name, "tempo": self.tempo}
        else:
            extra = {
                "synthesizer": "espeak-ng",
                "espeak_voice": self.voice.espeak_name,
                "pitch": self.voice.pitch,
                "rate": self.voice.rate,
            }
        extra |= {
            "speed": self.speed,
            "level_db": self.level_db,
            "lead_s": self.lead_s,
            "noise": self.noise,
            "snr_db": self.snr_db,
            "telephone": self.telephone,
        }
        if self.channel is not None:
            extra |= self.channel.as_dict()
        if self.overlap_room is not None:
            extra["overlap_room"] = self.overlap_room.kind
            extra["overlap_offset"] = self.overlap_offset
        if self.telephone:
            extra["telephone_codec"] = "mulaw"
            extra["telephone_rate"] = self.telephone_rate
        extra["espeak_input"] = self.espeak_input
        if self.sentence != self.text:
            extra["text_source"] = self.sentence
        return extra


@dataclass
class _Voicing:
    """Per-sentence voicing, computed once and cached."""

    lang: str
    letters: Mapping[str, str]
    lexicon: Lexicon | None
    ordinary: Callable[[str], str] | None = None
    cache: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __call__(self, sentence: str) -> tuple[str, str]:
        """``(transcript, espeak input)``; the input is empty when nothing can be said. The
        transcript is the spoken text, or its ordinary spelling (``ordinary``)."""
        if sentence not in self.cache:
            request = espeak_request(sentence, self.lang, letters=self.letters, lexicon=self.lexicon)
            text, said = request.text, request.espeak_input
            if self.ordinary is not None:
                text = self.ordinary(sentence)
                if re.search(r"[0-9A-Za-z]", text):
                    said = ""  # a number or a Latin word the ordinary spelling cannot write as said
            self.cache[sentence] = (text, said)
        return self.cache[sentence]


def _ordinary_speller(options: SyntheticOptions, transcripts: Mapping[str, str]) -> Callable[[str], str] | None:
    """The transcript of a sentence in ordinary spelling: hand-written, else from the dictionary."""
    if options.spelling != "ordinary":
        return None
    from awal.text.orthography import load_dictionary, ordinary_spelling

    try:
        dictionary = load_dictionary(*options.dictionary)
    except ValueError as exc:
        raise InputError(f"--dictionary: {exc}") from None
    if not len(dictionary) and not transcripts:
        logger.warning("ordinary spelling without a dictionary: every word is spelled by the rules")

    def spell(sentence: str) -> str:
        return transcripts.get(sentence) or ordinary_spelling(sentence, dictionary)

    return spell


def plan(
    sentences: Sequence[str],
    options: SyntheticOptions,
    *,
    espeak: str = "espeak-ng",
    letters: Mapping[str, str] = DARIJA_LETTERS,
    transcripts: Mapping[str, str] | None = None,
) -> Iterator[UtteranceSpec]:
    """The utterances to synthesize, in order; endless while there are training sentences.

    The first pass speaks every sentence once (train, dev and test, shuffled together);
    the following passes speak the training sentences again (reshuffled each pass), so
    that a budget larger than the text is filled with new voices on the same training
    sentences, and dev/test sentences are never repeated. Sentences with nothing to say
    (only symbols) are skipped. Utterance ``i`` draws its speaker and augmentation from
    ``random.Random(f"awal-synthetic/{seed}/{i}")``.
    """
    from awal.text.arabizi import load_lexicon

    lexicon = load_lexicon(*options.lexicon) if options.lexicon else None
    voicing = _Voicing(options.lang, letters, lexicon, _ordinary_speller(options, transcripts or {}))
    splits = split_sentences(sentences, options)
    split_of = {s: name for name, group in splits.items() for s in group}
    speakers = options.espeak_speakers()
    neural = options.neural_speakers()
    families = options.families
    train = splits["train"]
    index = 0
    for pass_number in range(1_000_000_000):
        pool = list(sentences) if pass_number == 0 else list(train)
        random.Random(f"awal-synthetic-pass/{options.seed}/{pass_number}").shuffle(pool)
        spoken = 0
        for sentence in pool:
            text, said = voicing(sentence)
            if not said:
                if pass_number == 0:
                    logger.info("nothing to say in %r: skipped", sentence)
                continue
            rng = random.Random(f"awal-synthetic/{options.seed}/{index}")
            family = families[0] if len(families) == 1 else rng.choice(families)
            voice: Voice | NeuralVoice = rng.choice(neural[family]) if family in neural else rng.choice(speakers)
            tempo = round(rng.uniform(*options.tempo), 3) if family in neural else 1.0
            speed = round(rng.uniform(*options.speed), 3)
            level = round(rng.uniform(*options.level_db), 2)
            lead = round(rng.uniform(*options.lead_silence), 3)
            noise = rng.choice(options.noise)
            snr = round(rng.uniform(*options.snr_db), 2) if noise != "none" else None
            babble: list[tuple[str, Voice]] = []
            talkers = options.babble_talkers if noise == "babble" else 1
            if noise in ("babble", "overlap"):
                # Background talkers say training sentences only, so that no held-out
                # sentence is heard in training audio.
                candidates = train or tuple(sentences)
                for _ in range(20 * talkers):
                    if len(babble) == talkers:
                        break
                    other = voicing(rng.choice(candidates))[1]
                    if other:
                        babble.append((other, rng.choice(speakers)))
                if not babble:
                    noise, snr = "none", None
            # The channel and the overlapping talker's room draw from generators of their own, so
            # that the draws above are the same with or without them.
            extra_rng = random.Random(f"awal-synthetic-channel/{options.seed}/{index}")
            channel = draw_channel(extra_rng, options.channel) if options.channel is not None else None
            overlap_room, overlap_offset = None, 0.0
            if noise == "overlap":
                kinds = ("office", "living_room", "classroom", "hall")
                overlap_room = draw_far_field_room(extra_rng, (0.3, 0.9), kinds)
                overlap_offset = round(extra_rng.uniform(-0.5, 0.8), 3)
            yield UtteranceSpec(
                index=index,
                id=f"synthetic-{options.lang}-{index:06d}",
                lang=options.lang,
                split=split_of[sentence],
                sentence=sentence,
                text=text,
                espeak_input=said,
                voice=voice,
                speed=speed,
                level_db=level,
                lead_s=lead,
                noise=noise,
                snr_db=snr,
                babble=tuple(babble),
                telephone=options.telephone,
                telephone_rate=options.telephone_rate,
                sample_rate=options.sample_rate,
                seed=options.seed,
                espeak=espeak,
                tempo=tempo,
                kokoro_voices=options.kokoro_voices,
                piper_voices=options.piper_voices,
                channel=channel,
                overlap_room=overlap_room,
                overlap_offset=overlap_offset,
            )
            index += 1
            spoken += 1
        if not train or spoken == 0:
            return


# --- augmentation (pure numpy) -------------------------------------------------------------


def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian white noise, unit variance."""
    return rng.standard_normal(n).astype(np.float32)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f power) noise, unit variance: white noise shaped by 1/sqrt(f) in the FFT."""
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    spectrum /= np.sqrt(freqs)
    spectrum[0] = 0.0  # no DC
    pink = np.fft.irfft(spectrum, n)
    std = float(np.std(pink))
    return (pink / std if std > 0 else pink).astype(np.float32)


def _power(x: np.ndarray) -> float:
    return float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0


def add_noise(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech + g * noise`` with ``g`` such that ``10 log10(P(speech) / P(g noise)) = snr_db``,
    powers being mean squares over the whole utterance (silences included)."""
    speech = np.asarray(speech, dtype=np.float32)
    if noise.shape != speech.shape:
        raise ValueError(f"noise shape {noise.shape} != speech shape {speech.shape}")
    p_speech, p_noise = _power(speech), _power(noise)
    if p_speech == 0 or p_noise == 0:
        return speech.copy()
    gain = math.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return (speech + gain * noise).astype(np.float32)


def speed_perturb(samples: np.ndarray, sr: int, factor: float, out_sr: int | None = None) -> np.ndarray:
    """Play ``samples`` ``factor`` times faster (tempo and pitch, as Kaldi/Lhotse's speed
    perturbation): read them as if recorded at ``sr * factor`` and resample to ``out_sr``
    (default ``sr``). The result is ``1/factor`` times as long."""
    from awal.audio import resample

    return resample(samples, max(1, round(sr * factor)), out_sr or sr)


def band_limit(samples: np.ndarray, sr: int, low: float, high: float, transition: float = 100.0) -> np.ndarray:
    """Keep the band ``[low, high]`` Hz (FFT mask with raised-cosine edges ``transition`` Hz
    wide outside the band); zero-phase."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return x.astype(np.float32)
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1.0 / sr)
    gain = np.zeros_like(freqs)
    gain[(freqs >= low) & (freqs <= high)] = 1.0
    rising = (freqs > low - transition) & (freqs < low)
    gain[rising] = 0.5 - 0.5 * np.cos(np.pi * (freqs[rising] - (low - transition)) / transition)
    falling = (freqs > high) & (freqs < high + transition)
    gain[falling] = 0.5 + 0.5 * np.cos(np.pi * (freqs[falling] - high) / transition)
    return np.fft.irfft(spectrum * gain, x.size).astype(np.float32)


def _limit(x: np.ndarray, peak: float = PEAK_LIMIT) -> np.ndarray:
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (peak / top)).astype(np.float32) if top > peak else x.astype(np.float32, copy=False)


def telephone_channel(samples: np.ndarray, sr: int, out_sr: int = TELEPHONE_RATE) -> np.ndarray:
    """A G.711 telephone line: resample to 8 kHz, keep 300-3400 Hz, mu-law encode and
    decode, and (when ``out_sr`` is not 8000) resample to ``out_sr``. At 8 kHz every output
    sample is a G.711 mu-law output value."""
    from awal.audio import mulaw_decode, mulaw_encode, resample

    narrow = resample(samples, sr, TELEPHONE_RATE)
    narrow = _limit(band_limit(narrow, TELEPHONE_RATE, *TELEPHONE_BAND))
    coded = mulaw_decode(mulaw_encode(narrow))
    return coded if out_sr == TELEPHONE_RATE else resample(coded, TELEPHONE_RATE, out_sr)


def _babble(spec: UtteranceSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    from awal.audio import resample

    total = np.zeros(n, dtype=np.float64)
    for text, voice in spec.babble:
        talker = resample(_espeak(spec.espeak, text, voice), ESPEAK_RATE, spec.sample_rate)
        power = _power(talker)
        if power == 0 or n == 0:
            continue
        talker = np.resize(talker / math.sqrt(power), n)  # repeated when shorter
        total += np.roll(talker, int(rng.integers(n)))
    return total.astype(np.float32)


def _speech(spec: UtteranceSpec) -> tuple[np.ndarray, int]:
    """``(samples, rate)`` of the voice alone: espeak-ng, or a neural voice given espeak-ng's
    IPA for the same input mapped to its phonemes (:func:`awal.data.voices.phonemes_for`)."""
    if not isinstance(spec.voice, NeuralVoice):
        return _espeak(spec.espeak, spec.espeak_input, spec.voice), ESPEAK_RATE
    kokoro, piper = spec.kokoro_voices, spec.piper_voices
    said, _ = phonemes_for(spec.voice, ipa(spec.espeak, spec.espeak_input), kokoro_voices=kokoro, piper_voices=piper)
    # one onnxruntime thread: the same audio whatever the number of workers
    return speak_neural(spec.voice, said, tempo=spec.tempo, kokoro_voices=kokoro, piper_voices=piper)


def _overlap(spec: UtteranceSpec, n: int) -> np.ndarray:
    """The overlapping talker: another training sentence, far from the microphone in
    ``spec.overlap_room`` (:func:`awal.data.channels.far_field`), starting ``overlap_offset`` of
    the utterance's length after it (negative: already talking), cut to the utterance."""
    from awal.audio import resample

    text, voice = spec.babble[0]
    talker = resample(_espeak(spec.espeak, text, voice), ESPEAK_RATE, spec.sample_rate)
    if spec.overlap_room is not None:
        talker = far_field(talker, spec.sample_rate, spec.overlap_room)
    out = np.zeros(n, dtype=np.float32)
    start = round(spec.overlap_offset * n)
    a, b = max(start, 0), min(start + talker.size, n)
    if b > a:
        out[a:b] = talker[a - start : b - start]
    return out


def render(spec: UtteranceSpec) -> np.ndarray:
    """The audio of one planned utterance at ``spec.output_rate``, float32 in [-1, 1].

    ``spec.voice`` speaks ``spec.espeak_input`` (:func:`_speech`); then, in order: speed
    perturbation and resampling to ``sample_rate`` (one resampling), leading silence, the
    channel's room (reverberation), level (RMS ``level_db`` dBFS), noise at ``snr_db``, a peak
    limit at 0.95 (the whole mix scaled, the SNR unchanged), the channel's clipping and codec,
    and the telephone line. The noise generator is
    ``numpy.random.default_rng([seed, index])``. A pure function of ``spec``.
    """
    rng = np.random.default_rng([spec.seed, spec.index])
    voiced, rate = _speech(spec)
    speech = speed_perturb(voiced, rate, spec.speed, spec.sample_rate)
    speech = np.concatenate([np.zeros(round(spec.lead_s * spec.sample_rate), dtype=np.float32), speech])
    if spec.channel is not None and spec.channel.room is not None:
        speech = apply_channel(speech, spec.sample_rate, Channel(room=spec.channel.room))
    power = _power(speech)
    if power > 0:
        speech = speech * np.float32(10 ** (spec.level_db / 20) / math.sqrt(power))
    if spec.noise != "none" and spec.snr_db is not None:
        if spec.noise == "white":
            noise = white_noise(speech.size, rng)
        elif spec.noise == "pink":
            noise = pink_noise(speech.size, rng)
        elif spec.noise == "overlap":
            noise = _overlap(spec, speech.size)
        else:
            noise = _babble(spec, speech.size, rng)
        speech = add_noise(speech, noise, spec.snr_db)
    speech = _limit(speech)
    if spec.channel is not None and (spec.channel.clip_db is not None or spec.channel.codec is not None):
        speech = apply_channel(speech, spec.sample_rate, replace(spec.channel, room=None))
    if spec.telephone:
        speech = telephone_channel(speech, spec.sample_rate, spec.telephone_rate)
    return np.clip(speech, -1.0, 1.0).astype(np.float32)


def _render_job(spec: UtteranceSpec) -> tuple[UtteranceSpec, np.ndarray]:
    return spec, render(spec)


def _render_all(
    specs: Iterator[UtteranceSpec], workers: int
) -> Generator[tuple[UtteranceSpec, np.ndarray], None, None]:
    """Render in order; with several workers, a bounded window of jobs runs ahead."""
    if workers <= 1:
        for spec in specs:
            yield _render_job(spec)
        return
    window: collections.deque[Future[tuple[UtteranceSpec, np.ndarray]]] = collections.deque()
    pool = process_pool(workers)
    try:
        for spec in specs:
            window.append(pool.submit(_render_job, spec))
            if len(window) >= 4 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _closer_to_stop(total: float, duration: float, budget: float) -> bool:
    """True when stopping before this utterance lands nearer the budget than taking it."""
    return total >= budget or (total > 0 and total + duration - budget > budget - total)


def synthesize_corpus(
    sentences: Sequence[str],
    out_dir: StrPath,
    options: SyntheticOptions,
    transcripts: Mapping[str, str] | None = None,
) -> Iterator[Utterance]:
    """Speak ``sentences`` until ``options.hours``; write ``<out_dir>/audio/<id>.wav`` (16-bit
    PCM, mono, ``options.output_rate``) and yield one :class:`Utterance` per file, in order.

    ``Utterance.split`` is ``test`` for held-out sentences, ``dev``/``train`` for the
    others; ``speaker`` is the synthetic voice (:attr:`Voice.id`); ``text`` the spoken
    text (numbers in words; Arabizi Darija in Arabic script), the line as read in
    ``extra["text_source"]`` when different; ``extra`` also records the voice and every
    augmentation. The total duration stops at the budget: the utterance that crosses it
    is kept only if that lands nearer the budget. Audio files of an earlier run
    (``synthetic-<lang>-*.wav``) are removed first.

    Raises:
        EspeakNotFoundError: espeak-ng or its Arabic voice is missing.
        InputError: no sentence to speak.
    """
    from tqdm import tqdm

    from awal.audio import write_audio

    exe = find_espeak()
    if not sentences:
        raise InputError("no sentences to synthesize")
    letters = darija_letters(exe)
    version = espeak_version(exe)
    audio_dir = Path(out_dir) / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for stale in audio_dir.glob(f"synthetic-{options.lang}-*.wav"):
        stale.unlink()
    budget = options.hours * 3600.0
    workers = options.jobs or os.cpu_count() or 1
    specs = plan(sentences, options, espeak=exe, letters=letters, transcripts=transcripts)
    rendered = _render_all(specs, workers)
    progress = None
    total = 0.0
    try:
        for spec, samples in rendered:
            if progress is None:  # created once the first utterance is back
                desc = f"synthetic {options.lang}"
                progress = tqdm(total=round(budget, 1), unit="s", desc=desc, disable=not options.progress or None)
            assert progress is not None
            rate = spec.output_rate
            duration = samples.size / rate
            if _closer_to_stop(total, duration, budget):
                break
            path = audio_dir / f"{spec.id}.wav"
            write_audio(path, samples, rate)
            total += duration
            progress.update(round(duration, 3))
            yield Utterance(
                id=spec.id,
                audio=str(path),
                text=spec.text,
                speaker=spec.voice.id,
                split=spec.split,
                duration=duration,
                extra={**spec.augmentation(), "espeak_version": version},
            )
        else:
            if not options.evaluation:  # a test-only corpus speaks every sentence once: the text is the budget
                logger.warning("the text ran out at %.1f s of the %.1f s budget", total, budget)
    finally:
        rendered.close()
        if progress is not None:
            progress.close()


# --- the whole job -------------------------------------------------------------------------


def prepare_synthetic(
    text_file: StrPath | Sequence[StrPath], out_dir: StrPath, options: SyntheticOptions
) -> PrepareReport:
    """``awal prepare synthetic``: read, split, synthesize, then :func:`~awal.data.prepare.prepare`.

    Writes, under ``out_dir``: ``audio/*.wav``, the manifests ``train.jsonl``,
    ``dev.jsonl``, ``test.jsonl`` (text in the language's default script, normalized with
    ``options.profile``), ``rejected.jsonl``, ``stats.json``, ``stats.png``, and
    ``synthetic.json`` (the options, the espeak-ng version, the sentence counts per split,
    the speakers of each split and the held-out sentences).
    """
    from awal.data.prepare import prepare

    sentences = read_sentences(text_file, options.lang, options.spelling)
    transcripts = read_transcripts(text_file, options.lang) if options.spelling == "ordinary" else {}
    if options.exclude:
        language = get_language(options.lang)
        banned = {normalize(x, language, "scoring") for x in options.exclude}
        kept = [x for x in sentences if normalize(x, language, "scoring") not in banned]
        logger.info("%d of %d sentences left out (--exclude)", len(sentences) - len(kept), len(sentences))
        sentences = kept
    if not sentences:
        raise InputError(f"{text_file}: no sentences")
    out = Path(out_dir)
    speakers: dict[str, set[str]] = {"train": set(), "dev": set(), "test": set()}

    def recorded(items: Iterator[Utterance]) -> Iterator[Utterance]:
        for item in items:
            speakers[item.split or "train"].add(item.speaker or "")
            yield item

    utterances = recorded(synthesize_corpus(sentences, out, options, transcripts))
    prepare_options = PrepareOptions(
        lang=options.lang,
        profile=options.profile,
        audio_mode="reference",
        sample_rate=options.output_rate,
        min_sample_rate=TELEPHONE_RATE,
        split_seed=options.seed,
        jobs=options.jobs,
    )
    report = prepare(utterances, out, prepare_options, corpus="synthetic")
    splits = split_sentences(sentences, options)
    summary = {
        "text": [Path(p).name for p in ([text_file] if isinstance(text_file, (str, os.PathLike)) else text_file)],
        "espeak_version": espeak_version(find_espeak()),
        "options": asdict(options),
        "sentences": {name: len(group) for name, group in splits.items()},
        # who spoke in each split: the record of which speakers trained (issue 18)
        "speakers": {name: sorted(group) for name, group in speakers.items()},
        "heldout_sentences": list(splits["test"]),
        "dev_sentences": list(splits["dev"]),
    }
    (out / "synthetic.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


def excluded_sentences(paths: Sequence[StrPath]) -> tuple[str, ...]:
    """Sentences to leave out: a synthetic corpus's ``synthetic.json`` (its held-out test and dev
    sentences) or a text file (one per line)."""
    out: list[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.suffix == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                out += list(data["heldout_sentences"]) + list(data.get("dev_sentences", []))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"{path}: not a synthetic.json with heldout_sentences ({exc})") from None
        else:
            out += [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return tuple(out)


def with_noise(spec: UtteranceSpec, noise: str, snr_db: float | None = None) -> UtteranceSpec:
    """``spec`` with another noise (``"none"`` for the clean utterance): the speech is the
    same, since the noise has its own random generator."""
    return replace(spec, noise=noise, snr_db=snr_db if noise != "none" else None)
