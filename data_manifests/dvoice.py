"""DVoice Darija (Moroccan Arabic speech, Arabic script), in its published layout.

The Darija folder of a DVoice release (Zenodo; also ``DVOICE/darija/`` inside the
multilingual archive) holds::

    texts/train.csv texts/dev.csv texts/test.csv     tab-separated, header: wav words duration
    wavs/<uuid>.wav ...

``wav`` is a file name inside ``wavs/``, ``words`` the Arabic-script transcript, ``duration``
the length in seconds. Despite the ``.csv`` name the files are tab-separated and read with no
quoting (as SpeechBrain's ``dvoice_prepare.py`` splits each line on tabs). DVoice has no
speaker ids.

:func:`read_dvoice` yields one :class:`~awal.data.base.Utterance` per row: id = the wav's
stem, split from the file name, duration from the ``duration`` column (when it is a positive
number; the pipeline measures it otherwise), speaker ``None``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.table import extra_fields, iter_rows
from awal.errors import InputError

if TYPE_CHECKING:
    from awal.data.prepare import PrepareReport

__all__ = ["SPLITS", "prepare_dvoice", "read_dvoice"]

StrPath = str | os.PathLike[str]

#: The split files of a release, in the order they are read.
SPLITS = ("train", "dev", "test")


def _darija_dir(root: Path) -> Path:
    """``root`` when it holds ``texts/``; else ``root/darija`` or ``root/DVOICE/darija``."""
    if not root.is_dir():
        raise InputError(f"{root}: no such folder (expected a DVoice folder with texts/ and wavs/)")
    for candidate in (root, root / "darija", root / "DVOICE" / "darija"):
        if (candidate / "texts").is_dir():
            return candidate
    raise InputError(f"{root}: not a DVoice folder (no texts/ folder with train.csv, dev.csv, test.csv)")


def read_dvoice(root: StrPath, *, splits: Sequence[str] = SPLITS) -> Iterator[Utterance]:
    """Yield the rows of ``texts/{train,dev,test}.csv`` as :class:`Utterance` candidates.

    Args:
        root: the DVoice Darija folder (the one holding ``texts/`` and ``wavs/``), or a folder
            above it holding ``darija/`` or ``DVOICE/darija/``.
        splits: which split files to read (each must exist).

    A row whose wav is missing or whose transcript is empty is yielded (the pipeline rejects
    it with the reason); a row with the wrong number of fields carries ``extra["_problem"]``.

    Raises:
        InputError: at the call, for a missing folder or split file, or a split file whose
            header lacks ``wav`` or ``words`` (file and line named).
    """
    folder = _darija_dir(Path(root))
    chosen = (splits,) if isinstance(splits, str) else tuple(splits)
    unknown = [s for s in chosen if s not in SPLITS]
    if unknown or not chosen:
        raise InputError(f"unknown DVoice split(s) {unknown or chosen!r}; use train, dev and/or test")
    tables = []
    for split in chosen:
        path = folder / "texts" / f"{split}.csv"
        if not path.is_file():
            raise InputError(f"{path}: no such file (DVoice has texts/train.csv, texts/dev.csv, texts/test.csv)")
        iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE, required=("wav", "words"))  # checks the header
        tables.append((split, path))
    if not (folder / "wavs").is_dir():
        raise InputError(f"{folder / 'wavs'}: no such folder (DVoice keeps its audio there)")
    return _utterances(folder, tables)


def _utterances(folder: Path, tables: list[tuple[str, Path]]) -> Iterator[Utterance]:
    wavs = folder / "wavs"
    for split, path in tables:
        _, rows = iter_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in rows:
            values = row.values
            wav = values.get("wav", "").strip()
            problems = [row.problem] if row.problem else []
            duration = None
            raw_duration = values.get("duration", "").strip()
            if raw_duration:
                try:
                    duration = float(raw_duration)
                except ValueError:
                    problems.append(f"line {row.line} of {path.name}: duration {raw_duration!r} is not a number")
                else:
                    if not duration > 0:  # also NaN
                        duration = None
            if not wav:
                problems.append(f"line {row.line} of {path.name} has no file name in its 'wav' column")
            extra = extra_fields(values, ("wav", "words", "duration"))
            if problems:
                extra[PROBLEM] = "; ".join(problems)
            yield Utterance(
                id=Path(wav).stem if wav else f"{split}-{row.line}",
                audio=str(wavs / wav) if wav else "",
                text=values.get("words", ""),
                split=split,
                duration=duration,
                extra=extra,
            )


def prepare_dvoice(
    root: StrPath, out_dir: StrPath, options: PrepareOptions, *, splits: Sequence[str] = SPLITS
) -> PrepareReport:
    """:func:`read_dvoice` through the shared pipeline (:func:`awal.data.prepare.prepare`)."""
    from awal.data.prepare import prepare

    return prepare(read_dvoice(root, splits=splits), Path(out_dir), options, corpus="dvoice")
