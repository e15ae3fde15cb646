"""NeMo JSON-lines manifests as typed, immutable records.

A NeMo manifest holds one JSON object per line::

    {"audio_filepath": "audio/0001.wav", "duration": 2.31, "text": "ⴰⵣⵓⵍ", "lang": "zgh"}

:class:`ManifestRecord` types the fields NeMo reads (``audio_filepath``, ``duration``,
``text``, ``offset``, ``lang``, ``speaker``) and keeps every other key of the line
(``text_raw``, ``source_lang``, ``taskname``, ``answer``, ...) in ``extra``, so that a
read/write round trip loses nothing. Records are frozen values changed with
:meth:`ManifestRecord.with_`, in the spirit of Lhotse's manifests.

Relative audio paths follow NeMo's rule, :func:`resolve_audio_path` (taken from
``get_full_path`` in ``nemo/collections/common/parts/preprocessing/manifest.py`` of
nemo_toolkit 3.0.0, the version awal trains with):

1. a URL with a scheme and a host (``s3://bucket/a.wav``) is left as it is;
2. a bare file name (no ``/``) in a tarred manifest (``tarred_audio_manifest.json``, or
   ``.../sharded_manifests/manifest_<n>.json``) is left as it is: it names a tar member;
3. a relative path shorter than 255 characters is joined to the manifest's folder and,
   *only if that file exists*, replaced by the absolute form of the join;
4. otherwise the path is returned with ``~`` expanded (so a relative path whose file is
   missing stays relative, and absolute paths are untouched).

This module uses only the standard library (``soundfile`` is imported lazily, and only
by :func:`validate_manifest` with ``check_audio=True``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any, Union
from urllib.parse import urlparse

from awal.errors import InputError

__all__ = [
    "ManifestError",
    "ManifestRecord",
    "ValidationReport",
    "read_manifest",
    "resolve_audio_path",
    "total_duration",
    "validate_manifest",
    "write_manifest",
]

StrPath = Union[str, "os.PathLike[str]"]

logger = logging.getLogger(__name__)

#: Keys typed by :class:`ManifestRecord`; every other key of a line goes to ``extra``.
_CORE_FIELDS = ("audio_filepath", "duration", "text", "offset", "lang", "speaker")
_REQUIRED_FIELDS = ("audio_filepath", "duration", "text")
#: NeMo's ``audio_file_len_limit``: longer strings are never joined to the manifest folder.
_NEMO_PATH_LEN_LIMIT = 255
_SHARDED_MANIFEST = re.compile(r"^manifest_(\d+)\.json$")


class ManifestError(InputError):
    """A problem with a manifest, located by file and 1-based line number.

    ``str(error)`` reads ``"train.jsonl:7: 'duration' must be a positive number, got -1"``
    (the path as it was given); without a location it is just the reason.
    """

    def __init__(self, reason: str, path: StrPath | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path: str | None = None if path is None else os.fspath(path)
        self.line = line
        location = ""
        if self.path is not None:
            location = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        elif line is not None:
            location = f"line {line}: "
        super().__init__(location + reason)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep path/line through pickling (multiprocessing data preparation).
        return (type(self), (self.reason, self.path, self.line))


def _show(value: Any, limit: int = 60) -> str:
    """A short JSON-style rendering of a value for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite_number(value: Any) -> float | None:
    """``float(value)`` when value is a finite int/float (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _problems(data: Mapping[str, Any]) -> list[str]:
    """Every problem with the typed fields of one manifest object, in field order."""
    problems = [f"missing required field {name!r}" for name in _REQUIRED_FIELDS if name not in data]
    if "audio_filepath" in data:
        path = data["audio_filepath"]
        if not isinstance(path, str) or not path:
            problems.append(f"'audio_filepath' must be a non-empty string, got {_show(path)}")
    if "duration" in data:
        duration = _finite_number(data["duration"])
        if duration is None or duration <= 0:
            problems.append(f"'duration' must be a positive number, got {_show(data['duration'])}")
    if "text" in data and not isinstance(data["text"], str):
        problems.append(f"'text' must be a string, got {_show(data['text'])}")
    if data.get("offset") is not None:
        offset = _finite_number(data["offset"])
        if offset is None or offset < 0:
            problems.append(f"'offset' must be a non-negative number, got {_show(data['offset'])}")
    lang = data.get("lang")
    if lang is not None and not isinstance(lang, str):
        problems.append(f"'lang' must be a string or null, got {_show(lang)}")
    speaker = data.get("speaker")
    if speaker is not None and (isinstance(speaker, bool) or not isinstance(speaker, (str, int))):
        problems.append(f"'speaker' must be a string, an integer or null, got {_show(speaker)}")
    return problems


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    """One line of a NeMo manifest: an immutable value.

    Attributes:
        audio_filepath: path of the audio file, as written or as resolved on reading.
        duration: seconds of audio used from ``offset`` on (finite, > 0).
        text: the transcript.
        offset: start within the audio file in seconds (finite, >= 0).
        lang: language code (NeMo's ``lang``), if any.
        speaker: speaker name or, as NeMo TTS manifests use it, integer speaker index.
        extra: every other key of the line, in its original order, read-only.
    """

    audio_filepath: str
    duration: float
    text: str
    offset: float = 0.0
    lang: str | None = None
    speaker: str | int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        problems = _problems(
            {
                "audio_filepath": self.audio_filepath,
                "duration": self.duration,
                "text": self.text,
                "offset": self.offset,
                "lang": self.lang,
                "speaker": self.speaker,
            }
        )
        if self.offset is None:
            problems.append("'offset' must be a non-negative number, got null")
        if not isinstance(self.extra, Mapping):
            problems.append(f"'extra' must be a mapping, got {type(self.extra).__name__}")
        else:
            for key in self.extra:
                if not isinstance(key, str):
                    problems.append(f"'extra' keys must be strings, got {key!r}")
                elif key in _CORE_FIELDS:
                    problems.append(f"'extra' must not hold the typed field {key!r}")
        if problems:
            raise ManifestError("; ".join(problems))
        object.__setattr__(self, "duration", float(self.duration))
        object.__setattr__(self, "offset", float(self.offset))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def __reduce__(self) -> tuple[Any, ...]:
        # A mappingproxy does not pickle; rebuild from a plain dict instead.
        return (
            type(self),
            (self.audio_filepath, self.duration, self.text, self.offset, self.lang, self.speaker, dict(self.extra)),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestRecord:
        """Build a record from one parsed manifest line.

        Unknown keys go to ``extra``; ``"offset": null`` means 0 (as in NeMo).

        Raises:
            ManifestError: listing every problem with the typed fields (no location).
        """
        if not isinstance(data, Mapping):
            raise ManifestError(f"expected a JSON object, got {_json_kind(data)}")
        problems = _problems(data)
        if problems:
            raise ManifestError("; ".join(problems))
        offset = data.get("offset")
        return cls(
            audio_filepath=data["audio_filepath"],
            duration=data["duration"],
            text=data["text"],
            offset=0.0 if offset is None else offset,
            lang=data.get("lang"),
            speaker=data.get("speaker"),
            extra={key: value for key, value in data.items() if key not in _CORE_FIELDS},
        )

    def to_dict(self) -> dict[str, Any]:
        """The manifest object: ``audio_filepath``, ``duration``, ``text`` first, then
        ``offset`` (only when non-zero), ``lang`` and ``speaker`` (only when set), then
        ``extra`` in its original order. Nested ``extra`` values are shared, not copied."""
        data: dict[str, Any] = {"audio_filepath": self.audio_filepath, "duration": self.duration, "text": self.text}
        if self.offset:
            data["offset"] = self.offset
        if self.lang is not None:
            data["lang"] = self.lang
        if self.speaker is not None:
            data["speaker"] = self.speaker
        data.update(self.extra)
        return data

    def with_(self, **changes: Any) -> ManifestRecord:
        """A copy with some fields changed (validated like the constructor).

        ``extra`` is replaced as a whole: ``r.with_(extra={**r.extra, "split": "dev"})``.
        """
        return dataclasses.replace(self, **changes)

    @property
    def end(self) -> float:
        """End of the segment within the audio file, in seconds (``offset + duration``)."""
        return self.offset + self.duration

    def resolved_audio(self, manifest_dir: StrPath) -> Path:
        """The audio path as if the manifest lived in ``manifest_dir``, without touching the
        filesystem: ``~`` expanded, absolute paths unchanged, relative ones joined to
        ``manifest_dir``. This is what :func:`resolve_audio_path` (NeMo's rule) gives
        whenever the joined file exists. Meant for local paths, not URLs."""
        path = Path(self.audio_filepath).expanduser()
        return path if path.is_absolute() else Path(manifest_dir) / path


def _json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _is_url(path: str) -> bool:
    """NeMo's ``is_datastore_path``: a scheme and a host (``s3://bucket/key``, ``ais://...``)."""
    parsed = urlparse(path)
    return bool(parsed.scheme) and bool(parsed.netloc)


def _is_tarred_member(audio_filepath: str, manifest_path: str) -> bool:
    """NeMo's ``is_tarred_dataset`` heuristic: a bare member name in a tarred manifest."""
    if "/" in audio_filepath:
        return False
    name = os.path.basename(manifest_path)
    if name == "tarred_audio_manifest.json":
        return True
    return "/sharded_manifests/" in manifest_path and _SHARDED_MANIFEST.match(name) is not None


def resolve_audio_path(audio_filepath: str, manifest_path: StrPath) -> str:
    """Resolve ``audio_filepath`` from the manifest at ``manifest_path`` as NeMo does.

    The rule of ``get_full_path`` in nemo_toolkit 3.0.0
    (``nemo/collections/common/parts/preprocessing/manifest.py``), which both NeMo's
    classic and Lhotse data loaders apply:

    * URLs (scheme and host) and bare names in tarred manifests are returned as they are;
    * a relative path shorter than 255 characters is joined to the manifest's folder and
      the absolute join is returned **if that file exists**;
    * anything else is returned with ``~`` expanded: absolute paths are untouched and a
      relative path whose joined file does not exist stays relative.

    ``manifest_path`` is used as given (relative or absolute), as NeMo does.
    """
    manifest = os.fspath(manifest_path)
    if _is_url(audio_filepath) or _is_tarred_member(audio_filepath, manifest):
        return audio_filepath
    if len(audio_filepath) < _NEMO_PATH_LEN_LIMIT and not os.path.isabs(audio_filepath):
        joined = os.path.join(os.path.dirname(manifest), audio_filepath)
        if os.path.isfile(joined):
            return os.path.abspath(joined)
    return os.path.expanduser(audio_filepath)


def _parse_lines(path: StrPath, *, resolve_paths: bool) -> Iterator[tuple[int, ManifestRecord | None, list[str]]]:
    """Yield ``(line_number, record, [])`` or ``(line_number, None, problems)`` for each
    non-blank line. Lines are split on ``\\n`` only and decoded one by one, so that a
    bad byte is reported on its own line and U+2028/U+0085 inside text are kept."""
    manifest = os.fspath(path)
    with open(manifest, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as error:
                yield number, None, [f"invalid UTF-8: byte 0x{raw[error.start]:02x} at column {error.start + 1}"]
                continue
            if not line:
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, [f"invalid JSON: {error.msg} (column {error.colno})"]
                continue
            if not isinstance(data, dict):
                yield number, None, [f"expected a JSON object, got {_json_kind(data)}"]
                continue
            problems = _problems(data)
            if problems:
                yield number, None, problems
                continue
            if resolve_paths:
                data["audio_filepath"] = resolve_audio_path(data["audio_filepath"], manifest)
            yield number, ManifestRecord.from_dict(data), []


def read_manifest(path: StrPath, *, resolve_paths: bool = True, strict: bool = True) -> Iterator[ManifestRecord]:
    """Read a NeMo manifest lazily, one :class:`ManifestRecord` per non-blank line.

    Args:
        path: the JSON-lines manifest (UTF-8).
        resolve_paths: apply NeMo's path rule (:func:`resolve_audio_path`) to
            ``audio_filepath``; ``False`` keeps the paths exactly as written.
        strict: raise :class:`ManifestError` at the first bad line; ``False`` logs a
            warning for each bad line and skips it.

    The file is opened on the first ``next()``; ``OSError`` from opening surfaces there.
    """
    manifest = os.fspath(path)
    for number, record, problems in _parse_lines(manifest, resolve_paths=resolve_paths):
        if record is not None:
            yield record
            continue
        error = ManifestError("; ".join(problems), manifest, number)
        if strict:
            raise error
        logger.warning("skipping %s", error)


def _portable_relpath(path: str, start: str) -> str:
    """``os.path.relpath`` with ``/`` separators, so manifests travel between systems."""
    return PurePath(os.path.relpath(path, start)).as_posix()


def _relativize(audio_filepath: str, manifest_dir: str, root: str) -> str:
    """Rewrite an absolute path inside ``root`` relative to ``manifest_dir``."""
    if _is_url(audio_filepath) or not os.path.isabs(audio_filepath):
        return audio_filepath
    absolute = os.path.normpath(audio_filepath)
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # different drives on Windows
        return audio_filepath
    return _portable_relpath(absolute, manifest_dir) if inside else audio_filepath


def write_manifest(path: StrPath, records: Iterable[ManifestRecord], *, relative_to: StrPath | None = None) -> int:
    """Write records as a UTF-8 NeMo manifest, atomically; return the number of lines.

    Each record is one ``json.dumps(record.to_dict(), ensure_ascii=False)`` line (NeMo's
    default separators), so Arabic and Tifinagh stay readable. The lines go to a
    temporary file in the same folder, which then replaces ``path``: readers never see a
    half-written manifest, a failure leaves the old file intact, and ``records`` may be
    a generator reading ``path`` itself. The folder must exist.

    Args:
        relative_to: a folder (often the manifest's own). Absolute audio paths inside it
            are written relative to the manifest's folder (with ``..`` where needed), which
            NeMo resolves back (:func:`resolve_audio_path`) as long as that tree moves as
            one. Paths outside it, relative paths and URLs are written unchanged.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    root = None if relative_to is None else os.path.normpath(os.path.abspath(relative_to))
    temporary = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as a plain open() would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    count = 0
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            for record in records:
                if not isinstance(record, ManifestRecord):
                    raise TypeError(f"write_manifest expects ManifestRecord values, got {type(record).__name__}")
                data = record.to_dict()
                if root is not None:
                    data["audio_filepath"] = _relativize(record.audio_filepath, folder, root)
                stream.write(json.dumps(data, ensure_ascii=False))
                stream.write("\n")
                count += 1
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return count


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate_manifest` found.

    Attributes:
        path: the manifest, as given.
        records: number of lines that hold a valid record.
        duration: total seconds of those records.
        errors: every problem found, in line order, each a located :class:`ManifestError`.
    """

    path: str
    records: int
    duration: float
    errors: tuple[ManifestError, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.errors

    @property
    def hours(self) -> float:
        """Total duration of the valid records, in hours."""
        return self.duration / 3600.0

    def __str__(self) -> str:
        head = f"{self.path}: {self.records} records, {self.hours:.2f} h, {len(self.errors)} problem(s)"
        return "\n".join([head, *(str(error) for error in self.errors)])


def _audio_length_reader() -> Callable[[str], float] | None:
    """``soundfile``'s length-in-seconds reader, or ``None`` when soundfile is unavailable."""
    try:
        import soundfile
    except (ImportError, OSError):  # OSError: the libsndfile library itself is missing
        return None

    def length(audio_path: str) -> float:
        info = soundfile.info(audio_path)
        return info.frames / info.samplerate

    return length


def validate_manifest(path: StrPath, *, check_audio: bool = False, tolerance: float = 0.05) -> ValidationReport:
    """Check a whole manifest and report every problem with its line number.

    Unlike :func:`read_manifest` this does not stop at the first bad line. With
    ``check_audio=True`` each record's audio file (resolved by NeMo's rule) must exist
    and, when ``soundfile`` can be imported, ``offset + duration`` must not exceed the
    file's length by more than ``tolerance`` seconds (files are read once each, header
    only). URLs are not checked.
    """
    manifest = os.fspath(path)
    errors: list[ManifestError] = []
    durations: list[float] = []
    length_of = _audio_length_reader() if check_audio else None
    lengths: dict[str, float | str] = {}  # audio path -> seconds, or why it could not be read
    for number, record, problems in _parse_lines(manifest, resolve_paths=True):
        errors.extend(ManifestError(problem, manifest, number) for problem in problems)
        if record is None:
            continue
        durations.append(record.duration)
        if not check_audio or _is_url(record.audio_filepath):
            continue
        audio = record.audio_filepath
        if not os.path.isfile(audio):
            where = "" if os.path.isabs(audio) else f" (nor {os.path.join(os.path.dirname(manifest), audio)})"
            errors.append(ManifestError(f"audio file not found: {audio}{where}", manifest, number))
            continue
        if length_of is None:
            continue
        if audio not in lengths:
            try:
                lengths[audio] = length_of(audio)
            except (RuntimeError, OSError) as error:  # soundfile.LibsndfileError is a RuntimeError
                lengths[audio] = str(error)
        length = lengths[audio]
        if isinstance(length, str):
            errors.append(ManifestError(f"cannot read audio file {audio}: {length}", manifest, number))
        elif record.end > length + tolerance:
            errors.append(
                ManifestError(
                    f"offset+duration = {record.end:.3f} s exceeds the length of {audio} ({length:.3f} s)",
                    manifest,
                    number,
                )
            )
    return ValidationReport(
        path=manifest,
        records=len(durations),
        duration=_sum(durations),
        errors=tuple(errors),
    )


def _sum(values: Iterable[float]) -> float:
    """Exactly rounded sum of finite floats; ``inf`` when it exceeds the float range."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def total_duration(records: Iterable[ManifestRecord]) -> float:
    """Total seconds of audio in ``records`` (exactly rounded sum)."""
    return _sum(record.duration for record in records)
