#!/usr/bin/env python
"""Lines per second of awal's text normalization and transliteration on real corpora.

    python bench/text.py DATA_DIR [--repeat N] [--out DIR]

DATA_DIR is laid out like the shared data folder beside the checkout
(``make bench`` passes ``../shared/data``):

* ``text/zgh_tifinagh_cv.txt``: Standard Moroccan Tamazight sentences in Tifinagh;
* ``text/kab_latin_cv.txt``: Kabyle sentences in Latin script;
* ``doda/ongoing__*.csv``: Darija Open Dataset sentence pairs, columns ``darija``
  (Arabizi) and ``darija_ar`` (Arabic script); the other ``doda/*.csv`` (word lists)
  make the Arabizi -> Arabic lexicon, so it holds no test sentence whole.

Every task runs over the whole list of lines, timed with ``time.perf_counter`` with the
garbage collector off (as ``timeit`` does). Tasks run in ``--repeat`` rounds (every task
once per round), and the best run of each is reported.
Each corpus that is normalized also gets a ``baseline`` row: a minimal ``re``-based
normalizer (punctuation to spaces, whitespace collapsed) timed in the same run, and
every normalization row prints its speed as a ratio to that baseline. Quality figures
come from the same run: CER/WER of the transliterations against DODa's other column
(``awal.scoring.score``, profile ``scoring``), and the Tifinagh -> Latin -> Tifinagh
round trip on the Tamazight corpus.

Writes ``text.json`` and ``text.png`` (lines/s per task; needs matplotlib, skipped with
a note when it is not installed) to ``--out`` (default ``docs/bench`` in the checkout).
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import gc
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # measure this checkout's awal, wherever it is run from

from awal import __version__ as awal_version  # noqa: E402
from awal.paths import configure_caches  # noqa: E402

ZGH_FILE = "text/zgh_tifinagh_cv.txt"
KAB_FILE = "text/kab_latin_cv.txt"
DODA_SENTENCES = "doda/ongoing__*.csv"
DEFAULT_OUT = ROOT / "docs" / "bench"


class DataError(Exception):
    """The data folder lacks a file or column the benchmark needs."""


# --- the reference row -------------------------------------------------------------------

_BASE_PUNCT = re.compile(r"[^\w\s]+")
_BASE_SPACE = re.compile(r"\s+")


def baseline(text: str) -> str:
    """The simplest useful normalizer: punctuation (anything not a word character or
    space) to a space, whitespace collapsed, ends stripped. Two ``re`` passes."""
    return _BASE_SPACE.sub(" ", _BASE_PUNCT.sub(" ", text)).strip()


# --- data ----------------------------------------------------------------------------------


@dataclass
class Corpora:
    zgh: list[str]
    kab: list[str]
    ary_arabizi: list[str]  # DODa ``darija``, aligned with ary_arabic
    ary_arabic: list[str]  # DODa ``darija_ar``
    sentence_files: list[Path]
    lexicon_files: list[Path]
    skipped_pairs: int  # sentence rows with one side empty


def _read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_corpora(data_dir: Path) -> Corpora:
    """Read the corpora, or raise :class:`DataError` naming everything that is missing."""
    if not data_dir.is_dir():
        raise DataError(f"{data_dir} is not a folder")
    missing = [name for name in (ZGH_FILE, KAB_FILE) if not (data_dir / name).is_file()]
    doda = data_dir / "doda"
    sentence_files = sorted(doda.glob("ongoing__*.csv")) if doda.is_dir() else []
    lexicon_files = sorted(p for p in doda.glob("*.csv") if not p.name.startswith("ongoing__")) if doda.is_dir() else []
    if not sentence_files:
        missing.append(f"{DODA_SENTENCES} (DODa sentence files)")
    if not lexicon_files:
        missing.append("doda/*.csv other than ongoing__*.csv (DODa word lists, for the lexicon)")
    if missing:
        raise DataError(f"{data_dir} lacks: " + "; ".join(missing))

    arabizi: list[str] = []
    arabic: list[str] = []
    skipped = 0
    for path in sentence_files:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            columns = set(reader.fieldnames or ())
            if not {"darija", "darija_ar"} <= columns:
                raise DataError(
                    f"{path} has no 'darija' and 'darija_ar' columns (it has: {', '.join(sorted(columns))})"
                )
            for row in reader:
                lat, ar = (row["darija"] or "").strip(), (row["darija_ar"] or "").strip()
                if lat and ar:
                    arabizi.append(lat)
                    arabic.append(ar)
                else:
                    skipped += 1
    corpora = Corpora(
        zgh=_read_lines(data_dir / ZGH_FILE),
        kab=_read_lines(data_dir / KAB_FILE),
        ary_arabizi=arabizi,
        ary_arabic=arabic,
        sentence_files=sentence_files,
        lexicon_files=lexicon_files,
        skipped_pairs=skipped,
    )
    for name in ("zgh", "kab", "ary_arabizi"):
        if not getattr(corpora, name):
            raise DataError(f"{data_dir}: the {name} corpus is empty")
    return corpora


# --- tasks and timing ----------------------------------------------------------------------


@dataclass
class Task:
    name: str
    group: str  # baseline | normalize | translit
    corpus: str
    fn: Callable[[str], str]
    lines: Sequence[str]
    runs: list[float] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(map(len, self.lines))

    @property
    def seconds(self) -> float:
        return min(self.runs)

    @property
    def lines_per_s(self) -> float:
        return len(self.lines) / self.seconds

    @property
    def chars_per_s(self) -> float:
        return self.chars / self.seconds


def time_once(task: Task) -> None:
    """Run ``task.fn`` over every line once; keep the time and the output."""
    fn, lines = task.fn, task.lines
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        out = [fn(line) for line in lines]
        task.runs.append(time.perf_counter() - start)
    finally:
        if was_enabled:
            gc.enable()
    task.output = out


def build_tasks(c: Corpora, lexicon) -> list[Task]:
    from awal.text import normalize, transliterator
    from awal.text.arabizi import arabizi_to_arabic

    def norm(lang: str, profile: str) -> Callable[[str], str]:
        return partial(normalize, lang=lang, profile=profile)

    tasks: list[Task] = []
    normalized = [
        ("ary-Arabic", "ary", c.ary_arabic, ("scoring", "scoring-leaderboard", "tts", "display")),
        ("ary-Arabizi", "ary", c.ary_arabizi, ("scoring", "tts", "display")),
        ("zgh-Tifinagh", "zgh", c.zgh, ("scoring", "tts", "display")),
        ("kab-Latin", "kab", c.kab, ("scoring", "tts", "display")),
    ]
    for corpus, lang, lines, profiles in normalized:
        tasks.append(Task(f"baseline (re) {corpus}", "baseline", corpus, baseline, lines))
        for profile in profiles:
            tasks.append(Task(f"normalize {corpus} {profile}", "normalize", corpus, norm(lang, profile), lines))

    zgh_latin = [transliterator("zgh", "latn")(line) for line in c.zgh]  # the input of latn->tfng
    tasks += [
        Task("translit zgh tfng->latn", "translit", "zgh-Tifinagh", transliterator("zgh", "latn"), c.zgh),
        Task("translit zgh latn->tfng", "translit", "zgh-Latin (converted)", transliterator("zgh", "tfng"), zgh_latin),
        Task("translit kab latn->tfng", "translit", "kab-Latin", transliterator("kab", "tfng"), c.kab),
        Task("translit ary arabizi->arab", "translit", "ary-Arabizi", transliterator("ary", "arab"), c.ary_arabizi),
        Task(
            "translit ary arabizi->arab +lexicon",
            "translit",
            "ary-Arabizi",
            partial(arabizi_to_arabic, lexicon=lexicon),
            c.ary_arabizi,
        ),
        Task("translit ary arab->arabizi", "translit", "ary-Arabic", transliterator("ary", "latn"), c.ary_arabic),
    ]
    return tasks


def ratios(tasks: list[Task]) -> dict[str, float]:
    """Each baseline and normalization row's speed / the baseline's speed on its corpus."""
    base = {t.corpus: t.lines_per_s for t in tasks if t.group == "baseline"}
    return {t.name: t.lines_per_s / base[t.corpus] for t in tasks if t.group in ("baseline", "normalize")}


# --- quality -------------------------------------------------------------------------------


def _tifinagh_only(line: str) -> bool:
    """True when every letter of ``line`` is Tifinagh (no Latin or other-script letter)."""
    from awal.text.scripts import COMMON, TFNG, char_script

    return all(char_script(ch) in (TFNG, COMMON) for ch in line)


def lexicon_coverage(arabizi_lines: Sequence[str], lexicon) -> float:
    """Share of Arabizi word tokens (punctuation stripped) that the lexicon knows."""
    words = [w for line in arabizi_lines for w in re.findall(r"[A-Za-z0-9'\-]*[A-Za-z][A-Za-z0-9'\-]*", line)]
    return sum(1 for w in words if lexicon.arabic_for(w)) / len(words) if words else 0.0


def quality(tasks: list[Task], c: Corpora, progress) -> dict:
    from awal.scoring import score

    by_name = {t.name: t for t in tasks}

    def cer(name: str, refs: Sequence[str], what: str) -> dict:
        report = score(refs, by_name[name].output, "ary", "scoring")
        progress.update(1)
        s = report.summary()
        return {"what": what, "task": name, "cer": s["cer"], "wer": s["wer"], "ref_chars": s["ref_chars"],
                "ref_words": s["ref_words"], "utterances": s["utterances"], "profile": s["profile"]}  # fmt: skip

    rows = [
        cer("translit ary arabizi->arab", c.ary_arabic, "Arabizi -> Arabic (rules) vs DODa darija_ar"),
        cer(
            "translit ary arabizi->arab +lexicon", c.ary_arabic, "Arabizi -> Arabic (rules + lexicon) vs DODa darija_ar"
        ),
        cer("translit ary arab->arabizi", c.ary_arabizi, "Arabic -> Arabizi (rules) vs DODa darija"),
    ]
    back = by_name["translit zgh latn->tfng"].output  # Tifinagh -> Latin -> Tifinagh
    pure = [i for i, line in enumerate(c.zgh) if _tifinagh_only(line)]
    same_all = sum(a == b for a, b in zip(c.zgh, back))
    same_pure = sum(c.zgh[i] == back[i] for i in pure)
    differing = [{"line": c.zgh[i], "round_trip": back[i]} for i in range(len(c.zgh)) if c.zgh[i] != back[i]]
    progress.update(1)
    return {
        "cer": rows,
        "round_trip_zgh": {
            "what": "Tifinagh -> Latin -> Tifinagh (transliterator defaults), line identical to the original",
            "all_lines": len(c.zgh),
            "all_identical": same_all,
            "all_fraction": same_all / len(c.zgh),
            "tifinagh_only_lines": len(pure),
            "tifinagh_only_identical": same_pure,
            "tifinagh_only_fraction": same_pure / len(pure) if pure else None,
            "differing": differing[:20],
        },
    }


def ordinary_quality(data_dir: Path, lexicon) -> list[dict]:
    """Ordinary Arabic-script spelling (``awal.text.orthography``, DODa's word lists as its
    dictionary) and the letter-mirroring converter, each against the hand-written ordinary column
    of ``samples/text/ary-ordinary-heldout.tsv`` (140 sentences, none from DODa)."""
    from awal.data.synthetic import read_transcripts
    from awal.scoring import score
    from awal.text.arabizi import arabizi_to_arabic
    from awal.text.orthography import load_dictionary, ordinary_spelling

    table = ROOT / "samples" / "text" / "ary-ordinary-heldout.tsv"
    pairs = list(read_transcripts(table, "ary").items())
    dictionary = load_dictionary(data_dir / "doda")
    refs = [ordinary for _, ordinary in pairs]
    rows = []
    for what, spell in (
        ("Arabizi -> ordinary spelling (awal.text.orthography, DODa dictionary)",
         lambda t: ordinary_spelling(t, dictionary)),
        ("Arabizi -> Arabic (rules + lexicon: DODa's letter mirroring)", partial(arabizi_to_arabic, lexicon=lexicon)),
    ):  # fmt: skip
        s = score(refs, [spell(a) for a, _ in pairs], "ary", "scoring").summary()
        rows.append({"what": f"{what} vs {table.name}", "task": None, "cer": s["cer"], "wer": s["wer"],
                     "ref_chars": s["ref_chars"], "ref_words": s["ref_words"], "utterances": s["utterances"],
                     "profile": s["profile"]})  # fmt: skip
    return rows


# --- report --------------------------------------------------------------------------------


def machine() -> dict:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return {"cpus": cpus, "cpu_model": model or platform.processor() or None, "platform": platform.platform(),
            "python": platform.python_version()}  # fmt: skip


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def table(tasks: list[Task], ratio: dict[str, float]) -> str:
    header = ("task", "lines", "chars", "seconds", "lines/s", "chars/s", "x baseline")
    rows = [
        (t.name, f"{len(t.lines):,}", f"{t.chars:,}", f"{t.seconds:.4f}", _fmt_rate(t.lines_per_s),
         _fmt_rate(t.chars_per_s), f"{ratio[t.name]:.2f}" if t.name in ratio else "")
        for t in tasks
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def quality_text(q: dict, lex: dict) -> str:
    out = [
        f"lexicon: {lex['entries']:,} Arabizi words from {lex['files']} DODa word-list files, built in "
        f"{lex['build_seconds']:.2f} s; it knows {lex['coverage']:.1%} of the test sentences' Arabizi words"
    ]
    for r in q["cer"]:
        out.append(f"{r['what']}: CER {r['cer']:.2%}  WER {r['wer']:.2%}  ({r['utterances']:,} lines, "
                   f"{r['ref_chars']:,} ref chars, profile {r['profile']})")  # fmt: skip
    rt = q["round_trip_zgh"]
    out.append(f"zgh Tifinagh -> Latin -> Tifinagh identical: all lines {rt['all_identical']:,}/{rt['all_lines']:,} "
               f"({rt['all_fraction']:.2%}); Tifinagh-only lines {rt['tifinagh_only_identical']:,}/"
               f"{rt['tifinagh_only_lines']:,} ({rt['tifinagh_only_fraction']:.2%})")  # fmt: skip
    return "\n".join(out)


def plot(tasks: list[Task], ratio: dict[str, float], path: Path, subtitle: str) -> str | None:
    """A horizontal bar chart of lines/s per task (log scale). Returns why not, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib, or `make setup-dev`); no plot written"
    colors = {"baseline": "#9e9e9e", "normalize": "#1f77b4", "translit": "#ff7f0e"}
    names = [t.name for t in tasks][::-1]
    values = [t.lines_per_s for t in tasks][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(tasks) + 1.4))
    bars = ax.barh(names, values, color=[colors[t.group] for t in tasks][::-1])
    for bar, t in zip(bars, tasks[::-1]):
        label = _fmt_rate(t.lines_per_s) + (f"  ({ratio[t.name]:.2f}x)" if t.group == "normalize" else "")
        ax.text(bar.get_width() * 1.05, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_xlim(right=max(values) * 4)
    ax.set_xlabel("lines per second (log scale; best of runs)   (x) = speed / re baseline on the same corpus")
    ax.set_title(f"awal text: normalization and transliteration\n{subtitle}", fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
    ax.legend(handles, list(colors), loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# --- main ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/text.py",
        description="Lines per second of awal's text normalization and transliteration over real corpora.",
    )
    parser.add_argument("data_dir", metavar="DATA_DIR", type=Path,
                        help=f"folder with {ZGH_FILE}, {KAB_FILE} and doda/*.csv (e.g. ../shared/data)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="runs per task; the best is reported (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for text.json and text.png (default: docs/bench in the checkout)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    configure_caches()  # matplotlib's MPLCONFIGDIR into awal's cache folder unless already set
    from tqdm import tqdm

    from awal.text.arabizi import load_lexicon

    try:
        corpora = load_corpora(args.data_dir)
    except DataError as e:
        print(f"bench/text.py: {e}", file=sys.stderr)
        return 2

    start = time.perf_counter()
    lexicon = load_lexicon(*corpora.lexicon_files)
    lex_info = {
        "files": len(corpora.lexicon_files),
        "entries": len(lexicon),
        "build_seconds": time.perf_counter() - start,
        "coverage": lexicon_coverage(corpora.ary_arabizi, lexicon),
    }
    tasks = build_tasks(corpora, lexicon)
    # Rounds: every task once per round, so a burst of load on a shared machine spreads
    # over all tasks instead of spoiling every run of one task (and its ratio).
    with tqdm(total=args.repeat * len(tasks) + 4, desc="bench", unit="task", file=sys.stderr) as progress:
        for round_ in range(args.repeat):
            for task in tasks:
                progress.set_postfix_str(f"run {round_ + 1}/{args.repeat}: {task.name}")
                time_once(task)
                progress.update(1)
        progress.set_postfix_str("quality")
        q = quality(tasks, corpora, progress)
        q["cer"] += ordinary_quality(args.data_dir, lexicon)
    ratio = ratios(tasks)

    info = machine()
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    subtitle = (
        f"{info['cpus']} CPU ({info['cpu_model']}), Python {info['python']}, best of {args.repeat}, {now:%Y-%m-%d}"
    )
    print(f"awal {awal_version} ({git_commit() or 'no git'}), {subtitle}")
    print(f"data: {args.data_dir}")
    print()
    print(table(tasks, ratio))
    print()
    print(quality_text(q, lex_info))

    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "bench/text.py",
        "command": " ".join(["python", "bench/text.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": now.isoformat(),
        "awal_version": awal_version,
        "git_commit": git_commit(),
        "machine": info,
        "repeat": args.repeat,
        "timer": "time.perf_counter, whole list per run, gc disabled, tasks interleaved in rounds, best run reported",
        "data": {
            "dir": str(args.data_dir),
            "zgh_lines": len(corpora.zgh),
            "kab_lines": len(corpora.kab),
            "doda_sentence_pairs": len(corpora.ary_arabizi),
            "doda_rows_skipped_one_side_empty": corpora.skipped_pairs,
            "doda_sentence_files": [p.name for p in corpora.sentence_files],
            "doda_lexicon_files": [p.name for p in corpora.lexicon_files],
        },
        "lexicon": lex_info,
        "baseline": "re: [^\\w\\s]+ -> ' ', \\s+ -> ' ', strip",
        "rows": [
            {
                "task": t.name,
                "group": t.group,
                "corpus": t.corpus,
                "lines": len(t.lines),
                "chars": t.chars,
                "seconds": t.seconds,
                "runs": t.runs,
                "lines_per_s": t.lines_per_s,
                "chars_per_s": t.chars_per_s,
                "x_baseline": ratio.get(t.name),
            }
            for t in tasks
        ],
        "quality": q,
    }
    json_path = args.out / "text.json"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    png_path = args.out / "text.png"
    why_not = plot(tasks, ratio, png_path, subtitle)
    print()
    print(f"wrote {json_path}")
    print(f"bench/text.py: {why_not}" if why_not else f"wrote {png_path}", file=sys.stderr if why_not else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
