"""A Hugging Face audio dataset saved on disk (parquet or ``save_to_disk`` arrow), read with pyarrow.

Two layouts are read, with no ``datasets`` import:

* **parquet**, as a dataset repository on the Hub holds it: ``data/<split>-00000-of-00001.parquet``
  (one folder per subset in some datasets, e.g. Casablanca's ``Morocco/validation-00000-of-00002.parquet``),
  or the Hub's converted branch ``<subset>/<split>/0000.parquet``; any ``*.parquet`` under
  ``root`` is read, its split taken from the file name (``<split>-NNNNN-of-NNNNN``), else from
  its folder, else unknown (``None``: the pipeline splits);
* **arrow**, as ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` write it:
  ``[<split>/]data-00000-of-00001.arrow`` with ``dataset_info.json`` and ``state.json``
  (and ``dataset_dict.json`` for a dict). The files are Arrow IPC *streams*
  (``pyarrow.ipc.open_stream``); the random-access file format is tried as a fallback.

The audio column is the ``Audio`` feature as stored: a struct ``{bytes: binary, path: string}``
(exports made after decoding may hold ``{array, sampling_rate, path}`` instead); a plain
binary column or a plain path column is read too. Each row's audio is decoded
(:func:`awal.audio.read_audio`: libsndfile, ffmpeg as a fallback) and written to
``<audio_dir>/<id>.wav``, 16-bit PCM at its original rate and channel count. Split names
follow awal: ``validation`` -> ``dev``.

Rows are streamed in record batches (a dataset never sits whole in memory). A row whose
bytes do not decode is still yielded: its raw bytes are written to ``<audio_dir>/<id><ext>``
and ``extra["_problem"]`` says why, so the pipeline reports it. A missing file or column is
an :class:`~awal.errors.InputError` naming the file.

:data:`PRESETS` describe two real datasets (columns, script of each text column, splits,
license): DODa-audio and Casablanca (its Moroccan subset).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.table import canonical_split, extra_fields, safe_id
from awal.errors import InputError

if TYPE_CHECKING:
    from awal.data.prepare import PrepareReport

__all__ = ["PRESETS", "HfPreset", "prepare_hf_audio", "read_hf_audio"]

StrPath = str | os.PathLike[str]

#: Rows per record batch read from parquet (audio bytes make rows large).
BATCH_ROWS = 32


@dataclass(frozen=True)
class HfPreset:
    """What awal knows about one published Hugging Face audio dataset.

    Attributes:
        name: the preset's name (``--preset``).
        hub_id: the dataset's id on the Hub.
        lang: the awal language of its speech.
        text_columns: each transcript column -> its script (ISO 15924).
        default_text_column: the column used when none is chosen.
        splits: the splits the dataset publishes (Hugging Face names).
        subset: the folder of the subset awal reads (``None``: the whole dataset).
        id_column: a column with a unique id per row (``None``: ``<split>-<row>``).
        speaker_column: a column with a speaker id, if the dataset has one.
        license: the dataset's license, as its card states it.
        notes: what a user should know (speakers, translations, ...).
    """

    name: str
    hub_id: str
    lang: str
    text_columns: Mapping[str, str]
    default_text_column: str
    splits: tuple[str, ...]
    subset: str | None = None
    id_column: str | None = None
    speaker_column: str | None = None
    license: str = ""
    notes: str = ""


#: Presets for the published datasets awal has been checked against (columns as on the Hub).
PRESETS: Mapping[str, HfPreset] = {
    "doda-audio": HfPreset(
        name="doda-audio",
        hub_id="atlasia/DODa-audio-dataset",
        lang="ary",
        text_columns={
            "darija_Arab_new": "Arab",  # the Arabic-script transcript, corrected by the publishers
            "darija_Arab_old": "Arab",  # DODa's original Arabic-script spelling
            "darija_Latn": "Latn",  # DODa's Latin-script (Arabizi) spelling
            "english": "Latn",  # an English translation, not a transcript
        },
        default_text_column="darija_Arab_new",
        splits=("train",),
        license="card: MIT; its sentences come from DODa, whose repository is now CC BY-NC 4.0",
        notes="12,743 sentences read by 7 speakers (4 female, 3 male), 16 kHz; no speaker column.",
    ),
    "casablanca": HfPreset(
        name="casablanca",
        hub_id="UBC-NLP/Casablanca",
        lang="ary",
        text_columns={"transcription": "Arab"},
        default_text_column="transcription",
        splits=("validation", "test"),
        subset="Morocco",
        id_column="seg_id",
        license="CC BY-NC-ND 4.0",
        notes="Eight Arabic dialects, one folder each; validation and test only (an evaluation set).",
    ),
}

_SHARD = re.compile(r"^(?P<split>[A-Za-z0-9_.]+?)-\d{5}-of-\d{5}(?:-[0-9a-f]+)?\.(?:parquet|arrow)$")
_KNOWN_SPLITS = {"train", "training", "dev", "validation", "valid", "val", "test", "testing", "eval"}


@dataclass(frozen=True)
class _Source:
    path: Path
    kind: str  # "parquet" | "arrow"
    split: str | None  # the Hugging Face name, as found


def _parquet_split(path: Path) -> str | None:
    match = _SHARD.match(path.name)
    if match:
        return match.group("split")
    if path.stem.lower() in _KNOWN_SPLITS:
        return path.stem
    if path.parent.name.lower() in _KNOWN_SPLITS:
        return path.parent.name
    return None


def _arrow_files(folder: Path) -> list[Path]:
    """The ``.arrow`` files of one saved split, in ``state.json`` order when it lists them."""
    state = folder / "state.json"
    if state.is_file():
        try:
            files = [folder / f["filename"] for f in json.loads(state.read_text("utf-8")).get("_data_files", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InputError(f"{state}: not a datasets state file ({error})") from None
        if files:
            return files
    return sorted(folder.glob("data-*.arrow")) or sorted(folder.glob("*.arrow"))


def _find_sources(root: Path, subset: str | None) -> list[_Source]:
    if root.is_file():
        kind = "arrow" if root.suffix == ".arrow" else "parquet"
        return [_Source(root, kind, _parquet_split(root))]
    if not root.is_dir():
        raise InputError(f"{root}: no such folder (expected a Hugging Face dataset: parquet files or save_to_disk)")
    if (root / "dataset_dict.json").is_file():
        try:
            names = json.loads((root / "dataset_dict.json").read_text("utf-8"))["splits"]
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f'{root / "dataset_dict.json"}: expected {{"splits": [...]}} ({error})') from None
        sources = [_Source(f, "arrow", name) for name in names for f in _arrow_files(root / name)]
    elif (root / "state.json").is_file():
        try:
            split = json.loads((root / "state.json").read_text("utf-8")).get("_split")
        except ValueError as error:
            raise InputError(f"{root / 'state.json'}: not JSON ({error})") from None
        sources = [_Source(f, "arrow", split) for f in _arrow_files(root)]
    else:
        files = sorted(root.rglob("*.parquet"))
        if subset:
            inside = [f for f in files if subset in f.relative_to(root).parts[:-1]]
            if not inside and root.name != subset:
                folders = sorted({f.relative_to(root).parts[0] for f in files if len(f.relative_to(root).parts) > 1})
                raise InputError(
                    f"{root}: no folder named {subset!r} holds parquet files (folders: {', '.join(folders) or 'none'})"
                )
            files = inside or files
        sources = [_Source(f, "parquet", _parquet_split(f)) for f in files]
    missing = [s.path for s in sources if not s.path.is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file (listed by the dataset's state.json)")
    if not sources:
        raise InputError(f"{root}: no parquet files and no save_to_disk dataset (dataset_dict.json or state.json)")
    return sources


def _schema_names(source: _Source) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if source.kind == "parquet":
            return list(pq.read_schema(source.path).names)
        with pa.memory_map(str(source.path)) as stream:
            try:
                return list(pa.ipc.open_stream(stream).schema.names)
            except pa.ArrowInvalid:
                stream.seek(0)
                return list(pa.ipc.open_file(stream).schema.names)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{source.path}: cannot read it as {source.kind} ({error})") from None


def _batches(source: _Source) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if source.kind == "parquet":
        yield from pq.ParquetFile(source.path).iter_batches(batch_size=BATCH_ROWS)
        return
    with pa.memory_map(str(source.path)) as stream:
        try:
            reader = pa.ipc.open_stream(stream)
        except pa.ArrowInvalid:
            stream.seek(0)
            file_reader = pa.ipc.open_file(stream)
            for index in range(file_reader.num_record_batches):
                yield file_reader.get_batch(index)
            return
        yield from reader


def read_hf_audio(
    root: StrPath,
    *,
    audio_dir: StrPath,
    text_column: str | None = None,
    audio_column: str = "audio",
    split: str | Sequence[str] | None = None,
    preset: str | None = None,
    id_column: str | None = None,
    speaker_column: str | None = None,
    subset: str | None = None,
    keep_train: bool = False,
) -> Iterator[Utterance]:
    """Yield the rows of a Hugging Face audio dataset on disk as :class:`Utterance` candidates.

    Args:
        root: the dataset folder (a Hub snapshot with parquet files, or a ``save_to_disk``
            folder), or one ``.parquet``/``.arrow`` file.
        audio_dir: where each row's audio is written as ``<id>.wav``.
        text_column: the transcript column (default: the preset's).
        audio_column: the audio column.
        split: the split(s) to read, in Hugging Face or awal names (``validation`` = ``dev``);
            default: every split found.
        preset: a key of :data:`PRESETS`; it supplies the defaults of the other options.
        id_column: a column with unique ids (default: the preset's, else ``<split>-<row>``).
        speaker_column: a column with speaker ids.
        subset: for parquet, only files under a folder of this name (Casablanca's
            ``Morocco``); default: the preset's. ``""`` reads every folder.
        keep_train: when the dataset's only split is ``train`` (DODa-audio publishes all its
            rows so), its rows get split ``None`` so that the pipeline holds out dev and test
            with its seed; ``True`` keeps them all in ``train``.

    The utterance's split is the file's (``validation`` -> ``dev``; ``None`` when unknown,
    and see ``keep_train``), its duration the decoded audio's; every other scalar column goes to ``extra``
    (a column named like a manifest field gets ``source_``).

    Raises:
        InputError: at the call, for an unknown preset, a missing folder, no dataset files,
            a split not found, or a text/audio/id/speaker column missing from a file.
    """
    chosen: HfPreset | None = None
    if preset is not None:
        if preset not in PRESETS:
            raise InputError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        chosen = PRESETS[preset]
        text_column = text_column or chosen.default_text_column
        id_column = id_column if id_column is not None else chosen.id_column
        speaker_column = speaker_column if speaker_column is not None else chosen.speaker_column
        subset = subset if subset is not None else chosen.subset
    if not text_column:
        raise InputError("choose the transcript column (text_column), or a preset: " + ", ".join(sorted(PRESETS)))
    sources = _find_sources(Path(root), subset or None)
    resplit = not keep_train and {canonical_split(s.split) for s in sources} == {"train"}
    if split is not None:
        wanted = {canonical_split(s) for s in ((split,) if isinstance(split, str) else split)}
        found = sorted({str(s.split) for s in sources})
        sources = [s for s in sources if canonical_split(s.split) in wanted]
        if not sources:
            raise InputError(f"{root}: no split {sorted(map(str, wanted))} (splits found: {', '.join(found)})")
    required = [c for c in (audio_column, text_column, id_column, speaker_column) if c]
    for source in sources:
        names = _schema_names(source)
        missing = [c for c in required if c not in names]
        if missing:
            hint = ""
            if chosen is not None and text_column in missing:
                hint = f" (preset {chosen.name} has the text columns {', '.join(chosen.text_columns)})"
            raise InputError(
                f"{source.path}: missing column(s) {', '.join(map(repr, missing))}; it has {', '.join(names)}{hint}"
            )
    return _utterances(
        sources, Path(audio_dir), text_column, audio_column, id_column, speaker_column, set(required), resplit
    )


def _audio_parts(value: Any) -> tuple[bytes | None, Any, int | None, str | None]:
    """``(bytes, array, sampling_rate, path)`` of one audio cell, whatever its shape."""
    if value is None:
        return None, None, None, None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), None, None, None
    if isinstance(value, str):
        return None, None, None, value
    if isinstance(value, Mapping):
        data = value.get("bytes")
        return (
            bytes(data) if data else None,
            value.get("array"),
            value.get("sampling_rate"),
            value.get("path") or None,
        )
    return None, None, None, None


def _write_row_audio(value: Any, source: _Source, row: int, target: Path) -> tuple[str, float | None, str | None]:
    """Decode one row's audio and write it to ``target``: ``(audio path, duration, problem)``."""
    import numpy as np

    from awal.audio import AudioError, read_audio, write_audio

    data, array, rate, path = _audio_parts(value)
    where = f"row {row} of {source.path.name}"
    try:
        if data is not None:
            audio = read_audio(data, sr=None, mono=False)
            samples, rate = audio.samples, audio.sample_rate
        elif array is not None and rate:
            samples = np.asarray(array, dtype=np.float32)
            rate = int(rate)
        elif path is not None:
            file = Path(path)
            if not file.is_absolute():
                near = source.path.parent / file
                file = near if near.exists() else file
            if not file.is_file():
                return str(file), None, f"{where}: no audio bytes, and its path {path!r} is not a file"
            audio = read_audio(file, sr=None, mono=False)
            samples, rate = audio.samples, audio.sample_rate
        else:
            return "", None, f"{where}: its audio cell holds no bytes, array or path"
    except AudioError as error:
        if data is None:
            return str(path or ""), None, f"{where}: cannot decode its audio ({error.reason})"
        suffix = Path(path).suffix if path and Path(path).suffix else ".bin"
        raw = target.with_name(f"{target.stem}.undecodable{suffix}")
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(data)
        return str(raw), None, f"{where}: cannot decode its audio bytes ({error.reason})"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_audio(target, samples, int(rate))
    except (AudioError, ValueError) as error:
        return "", None, f"{where}: cannot write its audio ({error})"
    frames = samples.shape[-1]
    return str(target), (frames / int(rate) if frames else None), None


def _scalar(value: Any) -> bool:
    """A value a manifest line can hold (NaN and infinities are not valid JSON)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int, bool))


def _utterances(
    sources: list[_Source],
    audio_dir: Path,
    text_column: str,
    audio_column: str,
    id_column: str | None,
    speaker_column: str | None,
    used: set[str],
    resplit: bool,
) -> Iterator[Utterance]:
    seen: set[str] = set()
    rows_in_split: dict[str, int] = {}
    for source in sources:
        split = canonical_split(source.split)
        label = split or "all"
        if resplit:
            split = None
        row_in_file = -1
        for batch in _batches(source):
            for record in batch.to_pylist():
                row_in_file += 1
                index = rows_in_split.get(label, 0)  # ids count rows across a split's shards
                rows_in_split[label] = index + 1
                if id_column and record.get(id_column) not in (None, ""):
                    uid = safe_id(str(record[id_column]))
                    if uid in seen:
                        uid = f"{label}-{uid}"
                    if uid in seen:
                        uid = f"{uid}-{index}"
                else:
                    uid = f"{label}-{index:06d}"
                seen.add(uid)
                audio, duration, problem = _write_row_audio(
                    record.get(audio_column), source, row_in_file, audio_dir / f"{uid}.wav"
                )
                text = record.get(text_column)
                speaker = record.get(speaker_column) if speaker_column else None
                extra = extra_fields({k: v for k, v in record.items() if _scalar(v)}, used)
                if problem:
                    extra[PROBLEM] = problem
                yield Utterance(
                    id=uid,
                    audio=audio,
                    text="" if text is None else str(text),
                    speaker=None if speaker in (None, "") else str(speaker),
                    split=split,
                    duration=duration,
                    extra=extra,
                )


def prepare_hf_audio(
    root: StrPath,
    out_dir: StrPath,
    options: PrepareOptions,
    *,
    audio_dir: StrPath | None = None,
    **hf_options: Any,
) -> PrepareReport:
    """:func:`read_hf_audio` through the shared pipeline; audio goes to ``audio_dir``
    (default ``<out_dir>/source_audio``). ``hf_options`` are :func:`read_hf_audio`'s."""
    from awal.data.prepare import prepare

    if audio_dir is None:
        audio_dir = Path(out_dir) / "source_audio"
    corpus = hf_options.get("preset") or "hf-audio"
    return prepare(read_hf_audio(root, audio_dir=audio_dir, **hf_options), Path(out_dir), options, corpus=corpus)
