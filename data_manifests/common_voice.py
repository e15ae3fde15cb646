"""Mozilla Common Voice, any locale (``kab``, ``zgh``, ``ar``, ...), in its published layout.

A release unpacks to ``cv-corpus-<version>-<date>/<locale>/``::

    clips/common_voice_kab_123.mp3 ...
    train.tsv dev.tsv test.tsv validated.tsv (other.tsv invalidated.tsv reported.tsv ...)
    clip_durations.tsv                       clip <TAB> duration[ms]

Each split file is tab-separated with a header; recent releases have the columns
``client_id path sentence_id sentence sentence_domain up_votes down_votes age gender accents
variant locale segment`` (older ones lack ``sentence_id``, ``sentence_domain`` and
``variant``, and call ``accents`` ``accent``). The files use no quoting: a ``"`` inside a
sentence is an ordinary character, so they are read with ``csv.QUOTE_NONE``.

:func:`read_common_voice` yields one :class:`~awal.data.base.Utterance` per row: id = the
clip's stem, speaker = ``client_id``, split = the file's name (``validated`` -> ``None`` so that
the pipeline makes a speaker-disjoint split), duration from ``clip_durations.tsv`` when it
lists the clip, and ``gender``, ``age``, ``accents``, ``variant``, ``locale``, ``sentence_id``,
``sentence_domain``, ``up_votes``, ``down_votes``, ``segment`` (when not empty) in ``extra``.
``variant=`` keeps the rows of one variant (Tamazight ``zgh`` rows name theirs).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.table import iter_rows
from awal.errors import InputError

if TYPE_CHECKING:
    from awal.data.prepare import PrepareReport

__all__ = ["SPLIT_FILES", "prepare_common_voice", "read_common_voice"]

StrPath = str | os.PathLike[str]

#: Split file stem -> the split its rows get (``None``: the pipeline splits by speaker).
SPLIT_FILES: dict[str, str | None] = {"train": "train", "dev": "dev", "test": "test", "validated": None}

#: Columns copied to ``Utterance.extra`` when present and not empty (``accent`` is the older name).
EXTRA_COLUMNS = (
    "gender",
    "age",
    "accents",
    "accent",
    "variant",
    "locale",
    "sentence_id",
    "sentence_domain",
    "up_votes",
    "down_votes",
    "segment",
)
_INT_COLUMNS = ("up_votes", "down_votes")


def _locale_dir(root: Path) -> Path:
    """``root`` itself when it holds the split files; else its only locale sub-folder."""
    if not root.is_dir():
        raise InputError(f"{root}: no such folder (expected a Common Voice locale folder with validated.tsv)")
    if any((root / f"{name}.tsv").is_file() for name in SPLIT_FILES):
        return root
    inside = sorted(p.parent for p in root.glob("*/validated.tsv"))
    if len(inside) == 1:
        return inside[0]
    if len(inside) > 1:
        names = ", ".join(p.name for p in inside)
        raise InputError(f"{root}: holds several locales ({names}); give the locale folder itself")
    raise InputError(f"{root}: not a Common Voice locale folder (no train.tsv, dev.tsv, test.tsv or validated.tsv)")


def _normalize_splits(splits: str | Sequence[str]) -> tuple[str, ...]:
    names = (splits,) if isinstance(splits, str) else tuple(splits)
    if not names:
        raise InputError("no Common Voice split chosen (use train, dev, test or validated)")
    unknown = [name for name in names if name not in SPLIT_FILES]
    if unknown:
        raise InputError(
            f"unknown Common Voice split(s) {', '.join(map(repr, unknown))}; use train, dev, test or validated"
        )
    if "validated" in names and len(set(names)) > 1:
        raise InputError(
            "'validated' already holds train, dev and test (and more): choose either validated or train/dev/test"
        )
    return tuple(dict.fromkeys(names))


def _clip_durations(path: Path, wanted: set[str]) -> dict[str, float]:
    """``clip -> seconds`` for the clips in ``wanted`` (the file lists every clip of the
    locale; keeping only the needed ones bounds memory on large locales)."""
    durations: dict[str, float] = {}
    if not path.is_file():
        return durations
    header, rows = iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
    if len(header) < 2 or header[0] != "clip":
        raise InputError(f"{path}:1: expected the header 'clip<TAB>duration[ms]', got {header!r}")
    unit_ms = not header[1].strip().lower().endswith("[s]")  # published: duration[ms]
    for row in rows:
        clip = row.values.get("clip", "")
        if clip not in wanted:
            continue
        try:
            value = float(row.values.get(header[1], ""))
        except ValueError:
            continue  # the clip is measured instead
        seconds = value / 1000.0 if unit_ms else value
        if seconds > 0:
            durations[clip] = seconds
    return durations


def read_common_voice(
    root: StrPath,
    *,
    splits: str | Sequence[str] = ("train", "dev", "test"),
    variant: str | None = None,
) -> Iterator[Utterance]:
    """Yield the rows of a Common Voice locale folder as :class:`Utterance` candidates.

    Args:
        root: the locale folder (``.../cv-corpus-22.0-2025-06-20/kab``), or a release folder
            that holds exactly one locale.
        splits: ``("train", "dev", "test")`` (the release's own speaker-disjoint split, which
            holds only part of the validated clips) or ``"validated"`` (every validated clip;
            the pipeline then makes a speaker-disjoint split with its seed).
        variant: keep only rows whose ``variant`` column equals this (case-insensitive), e.g.
            a Tamazight variant. A release without that column, or with no row of that
            variant, is an error that lists the variants present.

    Rows are yielded as they are read; nothing is dropped. A row whose clip is missing or
    corrupt, or whose sentence is empty, is yielded like any other (the pipeline rejects it
    with the reason); a row with the wrong number of fields carries ``extra["_problem"]``.

    Raises:
        InputError: at the call, for a folder that is not a locale folder, a missing split
            file, or a split file without ``path``/``sentence`` columns (file and line named).
    """
    folder = _locale_dir(Path(root))
    names = _normalize_splits(splits)
    tables = []
    for name in names:
        path = folder / f"{name}.tsv"
        if not path.is_file():
            present = sorted(p.name for p in folder.glob("*.tsv"))
            raise InputError(f"{path}: no such file (the folder has {', '.join(present) or 'no .tsv file'})")
        header, _ = iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE, required=("path", "sentence"))
        if variant is not None and "variant" not in header:
            raise InputError(
                f"{path}:1: this release has no 'variant' column, so variant={variant!r} cannot be "
                f"selected (columns: {', '.join(header)})"
            )
        tables.append((name, path))
    if not (folder / "clips").is_dir():
        raise InputError(f"{folder / 'clips'}: no such folder (Common Voice keeps its mp3 files there)")
    return _utterances(folder, tables, variant)


def _utterances(folder: Path, tables: list[tuple[str, Path]], variant: str | None) -> Iterator[Utterance]:
    # Pass 1: the clip names the chosen splits need, so that clip_durations.tsv (every clip
    # of the locale) is read into memory only for those.
    wanted: set[str] = set()
    for _, path in tables:
        _, rows = iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
        wanted.update(row.values.get("path", "").strip() for row in rows)
    durations = _clip_durations(folder / "clip_durations.tsv", wanted)
    del wanted
    clips = folder / "clips"
    wanted_variant = variant.strip().casefold() if variant is not None else None
    variants_seen: dict[str, int] = {}
    matched = 0
    for name, path in tables:
        _, rows = iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in rows:
            values = row.values
            if wanted_variant is not None:
                row_variant = values.get("variant", "").strip()
                variants_seen[row_variant] = variants_seen.get(row_variant, 0) + 1
                if row_variant.casefold() != wanted_variant:
                    continue
            matched += 1
            clip = values.get("path", "").strip()
            extra: dict[str, Any] = {}
            for column in EXTRA_COLUMNS:
                value = values.get(column, "").strip()
                if not value:
                    continue
                key = "accents" if column == "accent" else column
                if column in _INT_COLUMNS:
                    try:
                        extra[key] = int(value)
                        continue
                    except ValueError:
                        pass
                extra[key] = value
            problems = [row.problem] if row.problem else []
            if not clip:
                problems.append(f"line {row.line} of {path.name} has no clip in its 'path' column")
            if problems:
                extra[PROBLEM] = "; ".join(problems)
            yield Utterance(
                id=Path(clip).stem if clip else f"{name}-{row.line}",
                audio=str(clips / clip) if clip else "",
                text=values.get("sentence", ""),
                speaker=values.get("client_id", "").strip() or None,
                split=SPLIT_FILES[name],
                duration=durations.get(clip),
                extra=extra,
            )
    if wanted_variant is not None and matched == 0:
        present = ", ".join(f"{v or '(empty)'!r}: {n}" for v, n in sorted(variants_seen.items())) or "no rows"
        files = ", ".join(p.name for _, p in tables)
        raise InputError(f"no row of {files} has variant {variant!r}; variants present (rows): {present}")


def prepare_common_voice(
    root: StrPath,
    out_dir: StrPath,
    options: PrepareOptions,
    *,
    splits: str | Sequence[str] = ("train", "dev", "test"),
    variant: str | None = None,
) -> PrepareReport:
    """:func:`read_common_voice` through the shared pipeline (:func:`awal.data.prepare.prepare`)."""
    from awal.data.prepare import prepare

    return prepare(
        read_common_voice(root, splits=splits, variant=variant), Path(out_dir), options, corpus="common-voice"
    )
