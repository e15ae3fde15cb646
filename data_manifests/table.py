r"""Any CSV/TSV table of audio paths and transcripts, and the table helpers the corpus readers share.

``read_table`` reads a delimited file with a header row, takes the audio path and the
transcript (and optionally the speaker, the split and an id) from named columns, and yields
one :class:`~awal.data.base.Utterance` per row::

    path,text,speaker
    clips/a.wav,ⴰⵣⵓⵍ,spk1

Relative audio paths are resolved against ``base_dir`` (default: the table's folder). Every
other non-empty column is kept in ``Utterance.extra`` (so it reaches the manifest).

Nothing is validated here and nothing is dropped: a row whose audio is missing, whose text is
empty or whose field count is wrong is still yielded, and the pipeline
(:func:`awal.data.prepare.prepare`) rejects it with a reason. Problems only the reader can
see (a row with too few fields, bytes that are not UTF-8, a split name it does not know) are
put in ``extra[PROBLEM]`` (:data:`awal.data.base.PROBLEM`, ``"_problem"``): the pipeline
rejects such an item with reason ``source`` and that detail, and never writes the key to a
manifest. A missing file or a missing column is an :class:`~awal.errors.InputError` naming the
file (and the line).

The helpers below (:func:`iter_rows`, :func:`sniff_delimiter`, :func:`canonical_split`,
:func:`safe_id`, :func:`extra_fields`) are shared by the other corpus modules.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.errors import InputError

if TYPE_CHECKING:  # the pipeline imports this package's modules lazily
    from awal.data.prepare import PrepareReport

__all__ = [
    "RESERVED_FIELDS",
    "Row",
    "canonical_split",
    "extra_fields",
    "iter_rows",
    "prepare_table",
    "read_table",
    "safe_id",
    "sniff_delimiter",
]

StrPath = str | os.PathLike[str]

#: Manifest fields the pipeline writes itself: a corpus column with one of these names is
#: kept in ``extra`` as ``source_<name>`` so that it cannot clash.
RESERVED_FIELDS = frozenset(
    {
        "audio_filepath",
        "duration",
        "text",
        "text_raw",
        "offset",
        "lang",
        "speaker",
        "split",
        "id",
        "corpus",
        "script",
        "sampling_rate",
    }
)

# Split names corpora use -> awal's (train/dev/test).
_SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "dev": "dev",
    "development": "dev",
    "validation": "dev",
    "valid": "dev",
    "val": "dev",
    "test": "test",
    "testing": "test",
    "eval": "test",
}

_UNSAFE_ID = re.compile(r"[^0-9A-Za-z._-]+")


def canonical_split(name: str | None) -> str | None:
    """``validation``/``valid``/``val`` -> ``dev`` (and other common names); ``None`` or an
    empty name -> ``None``; an unknown name is returned as it is (lowercased)."""
    if name is None:
        return None
    key = name.strip().lower()
    if not key:
        return None
    return _SPLIT_ALIASES.get(key, key)


def safe_id(text: str) -> str:
    """An id usable as a file name: runs of characters outside ``[0-9A-Za-z._-]`` become ``_``.

    >>> safe_id("clips/a b.wav")
    'clips_a_b.wav'
    """
    cleaned = _UNSAFE_ID.sub("_", text).strip("._")
    return cleaned or "_"


def extra_fields(row: Mapping[str, Any], exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The non-empty values of ``row`` minus ``exclude``; reserved names get ``source_``."""
    skip = set(exclude)
    extra: dict[str, Any] = {}
    for key, value in row.items():
        if key in skip or key is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        extra[f"source_{key}" if key in RESERVED_FIELDS else key] = value
    return extra


# --- delimited files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of a delimited file.

    ``values`` maps header names to fields (missing trailing fields are absent); ``line`` is
    the 1-based line where the row starts; ``problem`` says what is wrong with the row's
    shape or bytes (``None`` when nothing is).
    """

    values: Mapping[str, str]
    line: int
    problem: str | None = None


def _decoded_lines(path: Path, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    """The file's lines, decoded one by one; a line that is not valid ``encoding`` is decoded
    with replacement characters and its number added to ``bad_lines``."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                line = raw.decode(encoding, errors="replace")
                bad_lines.add(number)
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield line


def sniff_delimiter(path: Path, sample_bytes: int = 65536) -> str:
    """Tab for ``.tsv``/``.tab``; otherwise the delimiter :class:`csv.Sniffer` finds among
    ``, ; \\t |`` in the first lines, falling back to the one most frequent in the header."""
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    with open(path, "rb") as stream:
        sample = stream.read(sample_bytes).decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = sample.splitlines()
    if len(sample) == sample_bytes and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    candidates = ",;\t|"
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=candidates).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in candidates}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def iter_rows(
    path: StrPath,
    *,
    delimiter: str,
    quoting: int = csv.QUOTE_MINIMAL,
    required: Sequence[str] = (),
    encoding: str = "utf-8",
) -> tuple[list[str], Iterator[Row]]:
    """Open a delimited file with a header row: ``(header, rows)``.

    The header is read at once; a missing file, an empty file, or a ``required`` column
    missing from the header raises :class:`InputError` naming the file (and line 1). The
    rows are read lazily; blank lines are skipped. A row with fewer or more fields than the
    header, or with bytes that are not valid ``encoding``, is still returned, with
    :attr:`Row.problem` set.

    ``quoting=csv.QUOTE_NONE`` reads fields exactly as written (Common Voice, DVoice): a
    quote character is an ordinary character.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such file" + (" (it is a folder)" if file.is_dir() else ""))
    bad_lines: set[int] = set()
    lines = _decoded_lines(file, encoding, bad_lines)
    kwargs: dict[str, Any] = {"delimiter": delimiter, "quoting": quoting}
    if quoting == csv.QUOTE_NONE:
        kwargs["quotechar"] = None
    reader = csv.reader(lines, strict=False, **kwargs)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{file}: the file is empty (expected a header line)") from None
    except csv.Error as error:
        raise InputError(f"{file}:1: cannot read the header: {error}") from None
    header = [name.strip() for name in header]
    if 1 in bad_lines:
        raise InputError(f"{file}:1: the header is not valid {encoding}")
    missing = [name for name in required if name not in header]
    if missing:
        shown = ", ".join(repr(name) for name in header) or "(none)"
        names = ", ".join(repr(name) for name in missing)
        delim = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}.get(delimiter, repr(delimiter))
        raise InputError(f"{file}:1: missing required column(s) {names}; the header ({delim}-separated) has {shown}")
    return header, _rows(file, reader, header, bad_lines)


def _rows(file: Path, reader: Any, header: list[str], bad_lines: set[int]) -> Iterator[Row]:
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a NUL byte; strict=False tolerates the rest
            raise InputError(f"{file}:{reader.line_num}: {error}") from None
        start, end = previous_end + 1, reader.line_num
        previous_end = end
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        problems = []
        if len(fields) != len(header):
            problems.append(f"line {start} of {file.name} has {len(fields)} field(s), the header has {len(header)}")
        if any(start <= n <= end for n in bad_lines):
            problems.append(f"line {start} of {file.name} is not valid UTF-8")
        values = {name: value for name, value in zip(header, fields)}
        yield Row(values=values, line=start, problem="; ".join(problems) or None)


# --- the table reader ----------------------------------------------------------------------------


def read_table(
    path: StrPath,
    *,
    path_column: str,
    text_column: str,
    speaker_column: str | None = None,
    split_column: str | None = None,
    id_column: str | None = None,
    delimiter: str | None = None,
    base_dir: StrPath | None = None,
    encoding: str = "utf-8",
) -> Iterator[Utterance]:
    """Yield one :class:`Utterance` per data row of a CSV/TSV table with a header.

    Args:
        path: the table. Quoting follows the CSV convention (``"a, b"``; ``""`` for a quote).
        path_column: the column with the audio path (absolute, or relative to ``base_dir``).
        text_column: the column with the transcript.
        speaker_column: the column with a speaker id, if any.
        split_column: the column with the split; ``validation``/``valid``/``val`` mean
            ``dev``; an empty value means "let the pipeline split". Another name is kept and
            flagged as a problem.
        id_column: the column with a unique id; default: the audio file's stem (with
            ``-<line>`` appended when two rows share a stem).
        delimiter: the field separator; default: tab for ``.tsv``, else sniffed among
            ``, ; \\t |``.
        base_dir: folder that relative audio paths are resolved against (default: the
            table's folder).
        encoding: the table's text encoding (a leading BOM is ignored).

    Raises:
        InputError: at the call, for a missing table or a named column that is not in its
            header (the message lists the header).
    """
    file = Path(path)
    if delimiter is None and file.is_file():
        delimiter = sniff_delimiter(file)
    required = [c for c in (path_column, text_column, speaker_column, split_column, id_column) if c]
    header, rows = iter_rows(file, delimiter=delimiter or ",", required=required, encoding=encoding)
    base = Path(base_dir) if base_dir is not None else file.parent
    used = set(required)
    return _table_utterances(file, rows, base, path_column, text_column, speaker_column, split_column, id_column, used)


def _table_utterances(
    file: Path,
    rows: Iterator[Row],
    base: Path,
    path_column: str,
    text_column: str,
    speaker_column: str | None,
    split_column: str | None,
    id_column: str | None,
    used: set[str],
) -> Iterator[Utterance]:
    seen: set[str] = set()
    for row in rows:
        values = row.values
        audio_value = values.get(path_column, "").strip()
        problems = [row.problem] if row.problem else []
        if audio_value:
            audio_path = Path(os.path.expanduser(audio_value))
            audio = str(audio_path if audio_path.is_absolute() else base / audio_path)
        else:
            audio = ""
            problems.append(f"line {row.line} of {file.name} has no audio path in column {path_column!r}")
        if id_column:
            uid = values.get(id_column, "").strip() or f"{file.stem}-{row.line}"
        else:
            uid = safe_id(Path(audio_value).stem) if audio_value else f"{file.stem}-{row.line}"
        if uid in seen:
            if id_column:
                problems.append(f"id {uid!r} on line {row.line} of {file.name} is used by an earlier row")
            uid = f"{uid}-{row.line}"
        seen.add(uid)
        split = None
        if split_column:
            raw_split = values.get(split_column, "")
            split = canonical_split(raw_split)
            if split not in (None, "train", "dev", "test"):
                problems.append(f"unknown split {raw_split!r} on line {row.line} of {file.name}")
        speaker = (values.get(speaker_column, "").strip() or None) if speaker_column else None
        extra = extra_fields(values, used)
        if problems:
            extra[PROBLEM] = "; ".join(problems)
        yield Utterance(
            id=uid,
            audio=audio,
            text=values.get(text_column, ""),
            speaker=speaker,
            split=split,
            extra=extra,
        )


def prepare_table(
    path: StrPath,
    out_dir: StrPath,
    options: PrepareOptions,
    **table_options: Any,
) -> PrepareReport:
    """:func:`read_table` (``table_options`` are its keyword arguments) through the pipeline."""
    from awal.data.prepare import prepare

    return prepare(read_table(path, **table_options), Path(out_dir), options, corpus="table")
