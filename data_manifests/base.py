"""What every corpus reader yields, and the options every preparation shares.

A corpus module (``data_manifests/<corpus>.py``) reads a corpus in its published layout
and yields :class:`Utterance` candidates: nothing validated, nothing dropped. The shared
pipeline (:func:`awal.data.prepare.prepare`) normalizes, validates, splits and writes
them; anything it rejects goes to the report with the reason.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

__all__ = ["PROBLEM", "AudioMode", "PrepareOptions", "Utterance", "process_pool"]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that never inherit the caller's threads: they start from a fork server
    (a clean single-threaded process; ``spawn`` where there is none). Forking a process that runs
    threads (a progress bar's monitor, a model's thread pool, a web server) can copy a lock held
    by one of them into the child, which then waits forever: seen when the test suite prepared a
    corpus after loading the demo's models."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))

AudioMode = Literal["reference", "convert"]

#: ``Utterance.extra`` key of a problem the reader found with an item (a malformed row, a
#: transcript without audio). The pipeline rejects the item with reason ``source`` and
#: this text as the detail, and never writes the key to a manifest.
PROBLEM = "_problem"


@dataclass(frozen=True)
class Utterance:
    """One candidate item of a corpus, as the corpus has it.

    Attributes:
        id: unique within the corpus (``clips/common_voice_kab_123.mp3`` -> its stem).
        audio: path of the audio file (absolute, or relative to the working directory).
        text: the transcript exactly as the corpus writes it.
        speaker: the corpus's speaker id (Common Voice ``client_id``), when it has one.
        split: ``train``/``dev``/``test`` when the corpus defines the split, else None.
        offset: start of the utterance in the file, seconds (Kaldi ``segments``).
        duration: its length when the corpus says it (segments, clip_durations.tsv);
            None means "the whole file from offset" and is measured.
        extra: fields to keep in the manifest (``gender``, ``age``, ``variant``, ...).
    """

    id: str
    audio: str
    text: str
    speaker: str | None = None
    split: str | None = None
    offset: float = 0.0
    duration: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrepareOptions:
    """How to turn utterances into manifests.

    Attributes:
        lang: awal language code of the corpus (``ary``, ``zgh``, ``kab``, ...).
        script: script of the manifest text (``Arab``/``Latn``/``Tfng``); the language's
            default when None. Text in another script is transliterated.
        profile: normalization profile of the manifest ``text`` (``display`` keeps case
            and punctuation; ``scoring`` lowercases and strips punctuation).
        min_duration, max_duration: seconds; shorter or longer audio is rejected.
        min_sample_rate: Hz; audio recorded at a lower rate is rejected.
        audio_mode: ``reference`` writes the original paths (NeMo and Lhotse read wav,
            flac, ogg and mp3 through soundfile); ``convert`` writes 16 kHz mono 16-bit
            wav files under ``<out>/audio/``. Audio that exists only inside the corpus
            (Hugging Face parquet bytes, Kaldi pipe commands) is always written out.
        sample_rate: the rate of converted audio.
        split_seed: seed of the speaker-disjoint split made when the corpus has none.
        split_fractions: (dev, test) fractions of speakers (of utterances when there
            are no speakers) for that split.
        jobs: worker processes for audio validation (0: one per CPU core).
    """

    lang: str
    script: str | None = None
    profile: str = "display"
    min_duration: float = 0.2
    max_duration: float = 30.0
    min_sample_rate: int = 8000
    audio_mode: AudioMode = "reference"
    sample_rate: int = 16000
    split_seed: int = 0
    split_fractions: tuple[float, float] = (0.05, 0.05)
    jobs: int = 0

    def __post_init__(self) -> None:
        """Refuse bad options at once, before a corpus is read (errors are InputErrors)."""
        from awal.errors import InputError
        from awal.languages import get_language, normalize_script
        from awal.text.normalize import PROFILES

        get_language(self.lang)
        if self.script is not None:
            normalize_script(self.script)
        if self.profile not in PROFILES:
            raise InputError(f"unknown profile {self.profile!r}; known: {', '.join(PROFILES)}")
        if not 0 <= self.min_duration < self.max_duration:
            raise InputError(f"need 0 <= min_duration < max_duration, got {self.min_duration}, {self.max_duration}")
        dev, test = self.split_fractions
        if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
            raise InputError(f"dev and test fractions must be in [0, 1) and sum below 1, got {dev}, {test}")
        if self.audio_mode not in ("reference", "convert"):
            raise InputError(f"audio_mode must be 'reference' or 'convert', got {self.audio_mode!r}")
