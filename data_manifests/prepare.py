"""The shared preparation pipeline: utterances in, NeMo manifests and a report out.

Every corpus reader yields :class:`~awal.data.base.Utterance` candidates;
:func:`prepare` then

1. writes the text in the chosen script (transliterating what can be) and normalizes it
   with the chosen profile, keeping the corpus's own text as ``text_raw``;
2. validates the text: empty, wrong script, letters outside the language's inventory,
   the same audio listed twice;
3. validates the audio in parallel: missing, undecodable, sample rate, duration bounds,
   silence; in ``convert`` mode it writes 16 kHz mono wav files;
4. keeps the corpus's split, or makes a speaker-disjoint train/dev/test split from a seed;
5. writes ``<split>.jsonl`` manifests, ``rejected.jsonl`` (every rejected item with its
   reason: nothing is dropped silently), ``stats.json`` and ``stats.png``.
"""

from __future__ import annotations

import json
import math
import os
import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from awal.data.base import PROBLEM, PrepareOptions, Utterance, process_pool
from awal.errors import InputError
from awal.languages import get_language, normalize_script
from awal.manifest import ManifestRecord, write_manifest
from awal.text.inventory import unknown_characters
from awal.text.normalize import normalize
from awal.text.scripts import COMMON, token_script
from awal.text.translit import UnsupportedConversionError, transliterator

__all__ = ["REASONS", "PrepareReport", "Rejection", "prepare", "speaker_disjoint_split"]

#: Why an utterance can be rejected (the ``reason`` field of ``rejected.jsonl``).
REASONS: Mapping[str, str] = {
    "source": "the corpus itself is wrong about this item (malformed row, missing transcript)",
    "empty_text": "no letters left after normalization",
    "wrong_script": "the text is not in the manifest's script and cannot be transliterated",
    "unknown_characters": "letters outside the language's inventory",
    "duplicate": "the same audio (file and offset) is listed twice",
    "missing_audio": "the audio file does not exist",
    "undecodable_audio": "the audio cannot be decoded",
    "low_sample_rate": "recorded below the minimum sample rate",
    "too_short": "shorter than the minimum duration",
    "too_long": "longer than the maximum duration",
    "silent": "the audio is silence only",
    "offset_beyond_end": "the segment starts after the end of the file",
}

SPLITS = ("train", "dev", "test")
# A peak below -50 dBFS over the whole utterance: nothing but silence (or a dead line).
SILENCE_PEAK = 10 ** (-50 / 20)


@dataclass(frozen=True)
class Rejection:
    """One rejected utterance: which, why (a key of :data:`REASONS`), and the details."""

    id: str
    audio: str
    reason: str
    detail: str
    text: str


@dataclass(frozen=True)
class PrepareReport:
    """What :func:`prepare` wrote."""

    out_dir: Path
    manifests: Mapping[str, Path]
    accepted: int
    rejections: tuple[Rejection, ...]
    stats: Mapping[str, Any] = field(repr=False)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def hours(self) -> float:
        return sum(s["hours"] for s in self.stats["splits"].values())


# --- text ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str
    problem: tuple[str, str] | None  # (reason, detail)


def _text_processor(options: PrepareOptions):
    language = get_language(options.lang)
    script = normalize_script(options.script or language.default_script)
    try:
        convert = transliterator(language.code, script)
    except UnsupportedConversionError:
        convert = None  # text must already be in the script

    def process(raw: str) -> _Text:
        text = unicodedata.normalize("NFC", raw)
        if convert is not None:
            text = convert(text)
        text = normalize(text, language, options.profile)
        found = token_script(text)
        if found == COMMON:
            return _Text(text, ("empty_text", "no letters"))
        if found != script:
            return _Text(text, ("wrong_script", f"written in {found}, expected {script}"))
        unknown = unknown_characters(text, language.code, script)
        if unknown:
            shown = " ".join(f"{ch} U+{ord(ch):04X}" for ch in unknown)
            return _Text(text, ("unknown_characters", shown))
        return _Text(text, None)

    return process, script


# --- audio (runs in worker processes) ------------------------------------------------------


@dataclass(frozen=True)
class _AudioJob:
    index: int
    audio: str
    offset: float
    duration: float | None
    convert_to: str | None  # wav path to write, in convert mode
    sample_rate: int
    min_sample_rate: int
    min_duration: float
    max_duration: float


@dataclass(frozen=True)
class _AudioResult:
    index: int
    duration: float
    sample_rate: int
    audio: str  # the path to write in the manifest
    problem: tuple[str, str] | None


def _check_audio(job: _AudioJob) -> _AudioResult:
    import numpy as np

    from awal.audio import AudioError, read_audio, resample, write_audio

    def fail(reason: str, detail: str, duration: float = 0.0, rate: int = 0) -> _AudioResult:
        return _AudioResult(job.index, duration, rate, job.audio, (reason, detail))

    if not os.path.exists(job.audio):
        return fail("missing_audio", f"no such file: {job.audio}")
    try:
        audio = read_audio(job.audio, sr=None, mono=True, offset=job.offset, duration=job.duration)
    except AudioError as err:
        return fail("undecodable_audio", str(err))
    rate = audio.sample_rate
    samples = audio.samples
    duration = samples.shape[-1] / rate
    if job.offset > 0 and samples.size == 0:
        return fail("offset_beyond_end", f"offset {job.offset:.2f}s is past the end of the file", 0.0, rate)
    if rate < job.min_sample_rate:
        return fail("low_sample_rate", f"{rate} Hz < {job.min_sample_rate} Hz", duration, rate)
    if duration < job.min_duration:
        return fail("too_short", f"{duration:.2f}s < {job.min_duration}s", duration, rate)
    if duration > job.max_duration:
        return fail("too_long", f"{duration:.2f}s > {job.max_duration}s", duration, rate)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < SILENCE_PEAK:
        return fail("silent", f"peak {20 * math.log10(max(peak, 1e-12)):.1f} dBFS", duration, rate)
    path = job.audio
    if job.convert_to:
        write_audio(job.convert_to, resample(samples, rate, job.sample_rate), job.sample_rate)
        path, rate = job.convert_to, job.sample_rate
    return _AudioResult(job.index, round(duration, 4), rate, path, None)


def _run_audio_jobs(jobs: Sequence[_AudioJob], workers: int) -> Iterator[_AudioResult]:
    from tqdm import tqdm

    progress = tqdm(total=len(jobs), desc="audio", unit="utt", disable=None)
    try:
        if workers <= 1 or len(jobs) < 8:
            for job in jobs:
                yield _check_audio(job)
                progress.update()
        else:
            with process_pool(workers) as pool:
                chunk = max(1, min(64, len(jobs) // (workers * 8)))
                for result in pool.map(_check_audio, jobs, chunksize=chunk):
                    yield result
                    progress.update()
    finally:
        progress.close()


# --- split ---------------------------------------------------------------------------------


def speaker_disjoint_split(
    items: Sequence[tuple[str, str | None]], fractions: tuple[float, float], seed: int
) -> dict[str, str]:
    """Assign ``train``/``dev``/``test`` so that no speaker is in two splits.

    Args:
        items: ``(id, speaker)`` pairs; an item with no speaker is its own speaker.
        fractions: the share of items wanted in dev and in test.
        seed: the shuffle seed (the same seed gives the same split).

    Speakers are shuffled and dealt to test, then dev, until each holds its share of the
    items; with three speakers or more, dev and test get at least one each.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for item_id, speaker in items:
        groups[speaker if speaker is not None else f"\0{item_id}"].append(item_id)
    speakers = sorted(groups)
    random.Random(seed).shuffle(speakers)
    total = len(items)
    wanted = {"test": fractions[1] * total, "dev": fractions[0] * total}
    assignment: dict[str, str] = {}
    queue = list(speakers)
    for split in ("test", "dev"):
        taken = 0
        while queue and (taken < wanted[split] or (taken == 0 and len(speakers) >= 3)) and len(queue) > 1:
            speaker = queue.pop()
            for item_id in groups[speaker]:
                assignment[item_id] = split
            taken += len(groups[speaker])
    for speaker in queue:
        for item_id in groups[speaker]:
            assignment[item_id] = "train"
    return assignment


# --- the pipeline --------------------------------------------------------------------------


def prepare(
    utterances: Iterable[Utterance], out_dir: str | Path, options: PrepareOptions, *, corpus: str
) -> PrepareReport:
    """Validate, split and write ``utterances`` as NeMo manifests under ``out_dir``.

    Raises:
        InputError: unknown language, script or profile; ``out_dir`` not writable.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out}: {err.strerror}") from None
    process_text, script = _text_processor(options)
    language = get_language(options.lang)

    rejections: list[Rejection] = []
    kept: list[tuple[Utterance, str]] = []
    seen_audio: dict[tuple[str, float], str] = {}
    seen_ids: set[str] = set()
    for utt in utterances:
        if utt.extra.get(PROBLEM):
            rejections.append(_reject(utt, ("source", str(utt.extra[PROBLEM]))))
            continue
        result = process_text(utt.text)
        key = (os.path.abspath(utt.audio) if utt.audio else f"\0{utt.id}", round(utt.offset, 3))
        if result.problem:
            rejections.append(_reject(utt, result.problem))
        elif key in seen_audio:
            rejections.append(_reject(utt, ("duplicate", f"same audio as {seen_audio[key]}")))
        elif utt.id in seen_ids:
            rejections.append(_reject(utt, ("duplicate", f"the id {utt.id} is listed twice")))
        else:
            seen_audio[key] = utt.id
            seen_ids.add(utt.id)
            kept.append((utt, result.text))

    audio_dir = out / "audio"
    converted_names: list[str | None] = [None] * len(kept)
    if options.audio_mode == "convert" and kept:
        audio_dir.mkdir(exist_ok=True)
        converted_names = _file_names([utt.id for utt, _ in kept])
    jobs = [
        _AudioJob(
            index=i,
            audio=utt.audio,
            offset=utt.offset,
            duration=utt.duration,
            convert_to=str(audio_dir / name) if (name := converted_names[i]) else None,
            sample_rate=options.sample_rate,
            min_sample_rate=options.min_sample_rate,
            min_duration=options.min_duration,
            max_duration=options.max_duration,
        )
        for i, (utt, _) in enumerate(kept)
    ]
    workers = options.jobs or os.cpu_count() or 1
    results = {r.index: r for r in _run_audio_jobs(jobs, workers)}

    accepted: list[tuple[Utterance, str, _AudioResult]] = []
    for i, (utt, text) in enumerate(kept):
        res = results[i]
        if res.problem:
            rejections.append(_reject(utt, res.problem))
        else:
            accepted.append((utt, text, res))

    if accepted and all(utt.split is None for utt, _, _ in accepted):
        split_of = speaker_disjoint_split(
            [(utt.id, utt.speaker) for utt, _, _ in accepted], options.split_fractions, options.split_seed
        )
        split_made = True
    else:
        split_of = {utt.id: utt.split or "train" for utt, _, _ in accepted}
        split_made = False

    by_split: dict[str, list[ManifestRecord]] = defaultdict(list)
    for utt, text, res in accepted:
        offset = 0.0 if options.audio_mode == "convert" else utt.offset
        # NeMo 3.0's Lhotse adapter sizes the recording from "duration" alone when a
        # manifest line has "sampling_rate", which cuts a segment with an offset short;
        # without it, it reads the length from the file. So segments go without it.
        rate_field = {"sampling_rate": res.sample_rate} if offset == 0 else {}
        record = ManifestRecord(
            audio_filepath=os.path.abspath(res.audio),  # written relative when inside out_dir
            duration=res.duration,
            text=text,
            offset=offset,
            lang=language.code,
            speaker=utt.speaker,
            extra=_extra_fields(
                utt, {"id": utt.id, "text_raw": utt.text, "script": script, "corpus": corpus, **rate_field}
            ),
        )
        by_split[split_of[utt.id]].append(record)

    for stale in SPLITS:  # a split of an earlier run into this folder that this run lacks
        (out / f"{stale}.jsonl").unlink(missing_ok=True)
    manifests: dict[str, Path] = {}
    for split in sorted(by_split, key=lambda s: (SPLITS.index(s) if s in SPLITS else len(SPLITS), s)):
        path = out / f"{split}.jsonl"
        # Audio under out_dir (converted, synthesized, extracted) is written relative to
        # the manifest, as NeMo resolves it, so the folder can move; other audio stays absolute.
        write_manifest(path, by_split[split], relative_to=out)
        manifests[split] = path
    with open(out / "rejected.jsonl", "w", encoding="utf-8") as f:
        for rej in rejections:
            f.write(json.dumps(asdict(rej), ensure_ascii=False) + "\n")

    stats = _stats(corpus, options, script, by_split, rejections, split_made)
    stats["plot"] = _plot(stats, by_split, out / "stats.png")
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return PrepareReport(out, manifests, len(accepted), tuple(rejections), stats)


_OWN_FIELDS = frozenset(["audio_filepath", "duration", "offset", "text", "lang", "speaker"])


def _extra_fields(utt: Utterance, own: Mapping[str, Any]) -> dict[str, Any]:
    """The corpus's extra fields, then the pipeline's; a corpus field named like one of
    ours is kept as ``source_<name>`` instead of overwriting it."""
    taken = _OWN_FIELDS | own.keys()
    corpus_fields = {(f"source_{k}" if k in taken else k): v for k, v in utt.extra.items() if k != PROBLEM}
    return {**corpus_fields, **own}


def _reject(utt: Utterance, problem: tuple[str, str]) -> Rejection:
    reason, detail = problem
    return Rejection(utt.id, utt.audio, reason, detail, utt.text)


def _file_names(ids: Sequence[str]) -> list[str | None]:
    """A wav file name per id: the id with unsafe characters replaced (``tel/1`` ->
    ``tel_1.wav``), and a number added when two ids would give the same name."""
    names: list[str | None] = []
    used: set[str] = set()
    for utt_id in ids:
        stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in utt_id)
        name, n = f"{stem}.wav", 1
        while name in used:
            n += 1
            name = f"{stem}-{n}.wav"
        used.add(name)
        names.append(name)
    return names


def _stats(
    corpus: str,
    options: PrepareOptions,
    script: str,
    by_split: Mapping[str, list[ManifestRecord]],
    rejections: Sequence[Rejection],
    split_made: bool,
) -> dict[str, Any]:
    splits: dict[str, Any] = {}
    speakers_of: dict[str, set[str]] = {}
    chars: Counter[str] = Counter()
    for split, records in by_split.items():
        durations = [r.duration for r in records]
        speakers_of[split] = {str(r.speaker) for r in records if r.speaker is not None}
        for r in records:
            chars.update(ch for ch in r.text if not ch.isspace())
        splits[split] = {
            "utterances": len(records),
            "hours": round(sum(durations) / 3600, 6),
            "speakers": len(speakers_of[split]),
            "duration_min": round(min(durations), 3),
            "duration_mean": round(sum(durations) / len(durations), 3),
            "duration_max": round(max(durations), 3),
            "sentences": len({r.text for r in records}),
        }
    names = sorted(speakers_of)
    overlap = {f"{a}/{b}": len(speakers_of[a] & speakers_of[b]) for i, a in enumerate(names) for b in names[i + 1 :]}
    return {
        "corpus": corpus,
        "lang": options.lang,
        "script": script,
        "profile": options.profile,
        "audio_mode": options.audio_mode,
        "split": "speaker-disjoint, made with seed %d" % options.split_seed if split_made else "from the corpus",
        "splits": splits,
        "speaker_overlap": overlap,
        "rejected": dict(Counter(r.reason for r in rejections)),
        "characters": dict(chars.most_common()),
        "options": {k: v for k, v in asdict(options).items()},
    }


def _plot(stats: Mapping[str, Any], by_split: Mapping[str, list[ManifestRecord]], path: Path) -> str | None:
    """Hours per split, durations, utterances per speaker, character inventory."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    splits = list(stats["splits"])
    axes[0, 0].bar(splits, [stats["splits"][s]["hours"] for s in splits], color="tab:blue")
    axes[0, 0].set_title("hours per split")
    for split in splits:
        axes[0, 1].hist([r.duration for r in by_split[split]], bins=30, alpha=0.6, label=split)
    axes[0, 1].set_title("utterance duration (s)")
    axes[0, 1].legend()
    per_speaker = Counter(str(r.speaker) for records in by_split.values() for r in records if r.speaker is not None)
    if per_speaker:
        axes[1, 0].hist(list(per_speaker.values()), bins=30, color="tab:green")
    axes[1, 0].set_title(f"utterances per speaker ({len(per_speaker)} speakers)")
    top = list(stats["characters"].items())[:40]
    axes[1, 1].bar(range(len(top)), [n for _, n in top], color="tab:orange")
    axes[1, 1].set_xticks(range(len(top)), [c for c, _ in top], fontsize=7)
    axes[1, 1].set_title(f"characters ({len(stats['characters'])} distinct)")
    fig.suptitle(f"{stats['corpus']} ({stats['lang']}, {stats['script']})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name
