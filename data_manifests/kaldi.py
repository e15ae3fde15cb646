"""A Kaldi data directory (e.g. MGB-5 Moroccan Arabic), in Kaldi's own layout.

Files (one entry per line, the key first, then whitespace, then the value)::

    wav.scp       <recording-id> <path>        or   <recording-id> <command> ... |
    text          <utterance-id> <transcript ...>      (the transcript may be empty)
    utt2spk       <utterance-id> <speaker-id>          (optional here)
    segments      <utterance-id> <recording-id> <start> <end>   (optional; seconds,
                                                        end -1 = to the end of the file)
    spk2gender    <speaker-id> <m|f>                   (optional)

Without ``segments`` every ``wav.scp`` entry is one utterance (utterance id = recording id).
A ``wav.scp`` value ending in ``|`` is a shell command whose standard output is the audio
(``sph2pipe -f wav -p -c 1 a.sph |``, ``sox a.flac -t wav - |``): it is run through
``bash -c`` (with ``pipefail``) once per recording, and its output decoded and written to
``<audio_dir>/<recording-id>.wav`` (16-bit PCM at the original rate), because a manifest needs
a file. An existing file there is reused (delete ``audio_dir`` to run the commands again).
Relative paths (and the commands' working directory) follow Kaldi: relative to the recipe
folder, ``base_dir``; when it is not given, a relative path is looked up in the current
directory, then the data directory, then two levels above it (``<recipe>/data/<set>``), and
commands run in the current directory.

Nothing is dropped: an utterance in ``wav.scp``/``segments`` without a transcript in ``text``
is yielded with text ``""``, a transcript without audio is yielded with audio ``""``, a failed
command yields its utterances with the cache path (not written); each carries the reason in
``extra["_problem"]`` (:data:`awal.data.base.PROBLEM`) for the pipeline's report.
A malformed line (a ``segments`` line without four fields, times that are not numbers, a key
listed twice) is an :class:`~awal.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.table import canonical_split, safe_id
from awal.errors import InputError

if TYPE_CHECKING:
    from awal.data.prepare import PrepareReport

__all__ = ["COMMAND_TIMEOUT_S", "prepare_kaldi", "read_kaldi"]

StrPath = str | os.PathLike[str]

#: Seconds a ``wav.scp`` command may run before it counts as failed.
COMMAND_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class _Entry:
    value: str
    line: int


def _read_map(path: Path, *, min_fields: int = 2, max_fields: int | None = None) -> dict[str, _Entry]:
    """``key -> value`` of a Kaldi table file (value = the rest of the line, stripped).

    A repeated key, or a line with fewer than ``min_fields`` (more than ``max_fields``)
    whitespace-separated fields, is an :class:`InputError` with the file and line."""
    entries: dict[str, _Entry] = {}
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(f"{path}:{number}: not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None
            line = line.strip()
            if not line:
                continue
            parts = line.split(maxsplit=1)
            fields = len(line.split())
            if fields < min_fields or (max_fields is not None and fields > max_fields):
                expected = str(min_fields) if max_fields == min_fields else f"at least {min_fields}"
                raise InputError(f"{path}:{number}: expected {expected} fields, got {fields}: {line[:80]!r}")
            key = parts[0]
            if key in entries:
                raise InputError(f"{path}:{number}: {key!r} is listed twice (first on line {entries[key].line})")
            entries[key] = _Entry(parts[1] if len(parts) > 1 else "", number)
    return entries


@dataclass(frozen=True)
class _Segment:
    recording: str
    start: float
    end: float  # -1: to the end of the file
    line: int


def _read_segments(path: Path) -> dict[str, _Segment]:
    segments: dict[str, _Segment] = {}
    for key, entry in _read_map(path, min_fields=4, max_fields=5).items():
        recording, start_text, end_text, *_ = entry.value.split()
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            raise InputError(
                f"{path}:{entry.line}: start and end must be numbers of seconds, got {start_text!r} {end_text!r}"
            ) from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0:
            raise InputError(f"{path}:{entry.line}: bad times {start_text} {end_text}")
        segments[key] = _Segment(recording, start, end, entry.line)
    return segments


def read_kaldi(
    data_dir: StrPath,
    *,
    split: str | None = None,
    audio_dir: StrPath | None = None,
    base_dir: StrPath | None = None,
    run_commands: bool = True,
) -> Iterator[Utterance]:
    """Yield the utterances of a Kaldi data directory as :class:`Utterance` candidates.

    Args:
        data_dir: the folder with ``wav.scp`` and ``text`` (and optionally ``utt2spk``,
            ``segments``, ``spk2gender``).
        split: the split every utterance gets (``train``/``dev``/``test``), e.g. ``test`` for
            ``data/test``; ``None`` lets the pipeline split by speaker.
        audio_dir: where the output of ``wav.scp`` commands is written (required only when
            ``wav.scp`` has commands).
        base_dir: the folder relative paths and commands are relative to (Kaldi: the recipe
            folder); see the module doc for the default.
        run_commands: ``False`` refuses to run ``wav.scp`` commands (their utterances are
            yielded with a problem instead). Commands come from the data directory: run
            only data directories you trust.

    Utterances come in ``segments`` order (else ``wav.scp`` order), then transcripts that have
    no audio entry; each recording's command runs once, when its first utterance is reached.

    Raises:
        InputError: at the call, for a missing folder, ``wav.scp`` or ``text``, a malformed
            line in any of the files, or commands in ``wav.scp`` without ``audio_dir``.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder (expected a Kaldi data directory with wav.scp and text)")
    chosen_split = canonical_split(split)
    if chosen_split not in (None, "train", "dev", "test"):
        raise InputError(f"unknown split {split!r}: use train, dev or test (or none, to let the pipeline split)")
    for name in ("wav.scp", "text"):
        if not (folder / name).is_file():
            raise InputError(f"{folder / name}: no such file (a Kaldi data directory needs wav.scp and text)")
    wavs = _read_map(folder / "wav.scp")
    texts = _read_map(folder / "text", min_fields=1)
    utt2spk = _read_map(folder / "utt2spk", min_fields=2, max_fields=2) if (folder / "utt2spk").is_file() else {}
    spk2gender = (
        _read_map(folder / "spk2gender", min_fields=2, max_fields=2) if (folder / "spk2gender").is_file() else {}
    )
    segments = _read_segments(folder / "segments") if (folder / "segments").is_file() else None
    commands = [key for key, entry in wavs.items() if entry.value.endswith("|")]
    if commands and run_commands and audio_dir is None:
        first = wavs[commands[0]]
        raise InputError(
            f"{folder / 'wav.scp'}:{first.line}: {commands[0]!r} is a command ({len(commands)} in all); "
            "give audio_dir, the folder where their audio is written"
        )
    return _utterances(
        folder,
        wavs,
        texts,
        utt2spk,
        spk2gender,
        segments,
        split=chosen_split,
        audio_dir=Path(audio_dir) if audio_dir is not None else None,
        base_dir=Path(base_dir) if base_dir is not None else None,
        run_commands=run_commands,
    )


class _Recordings:
    """Resolves a ``wav.scp`` entry to a file, running its command at most once."""

    def __init__(
        self, folder: Path, wavs: dict[str, _Entry], audio_dir: Path | None, base_dir: Path | None, run: bool
    ) -> None:
        self.folder = folder
        self.wavs = wavs
        self.audio_dir = audio_dir
        self.base_dir = base_dir
        self.run = run
        self.done: dict[str, tuple[str, str | None]] = {}

    def resolve(self, recording: str) -> tuple[str, str | None]:
        """``(audio path, problem or None)``."""
        if recording not in self.done:
            self.done[recording] = self._resolve(recording)
        return self.done[recording]

    def _path(self, value: str) -> str:
        path = Path(os.path.expanduser(value))
        if path.is_absolute():
            return str(path)
        if self.base_dir is not None:
            return str(self.base_dir / path)
        for base in (Path.cwd(), self.folder, self.folder.parent.parent):
            if (base / path).exists():
                return str((base / path).absolute())
        return str((Path.cwd() / path).absolute())

    def _resolve(self, recording: str) -> tuple[str, str | None]:
        entry = self.wavs[recording]
        where = f"wav.scp line {entry.line}"
        if not entry.value.endswith("|"):
            if entry.value == "-":
                return "", f"{where}: reading from standard input ('-') is not supported"
            return self._path(entry.value), None
        command = entry.value[:-1].strip()
        if self.audio_dir is None or not self.run:
            return "", f"{where}: command not run (run_commands is off): {command[:120]}"
        target = self.audio_dir / f"{safe_id(recording)}.wav"
        if target.is_file() and target.stat().st_size > 0:
            return str(target), None
        return str(target), _run_command(command, target, self.base_dir, where)


def _run_command(command: str, target: Path, cwd: Path | None, where: str) -> str | None:
    """Run a ``wav.scp`` command; write its decoded output to ``target``. The problem, or None."""
    from awal.audio import AudioError, read_audio, write_audio

    try:
        proc = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {command}"],
            cwd=cwd,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{where}: command ran over {COMMAND_TIMEOUT_S:.0f} s: {command[:120]}"
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else "no message"
        return f"{where}: command failed (exit {proc.returncode}: {reason}): {command[:120]}"
    if not proc.stdout:
        return f"{where}: command wrote no audio: {command[:120]}"
    try:
        audio = read_audio(proc.stdout, sr=None, mono=False)
    except AudioError as error:
        return f"{where}: the command's output is not audio ({error.reason}): {command[:120]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp.wav")
    try:
        write_audio(temporary, audio.samples, audio.sample_rate)
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()
    return None


def _utterances(
    folder: Path,
    wavs: dict[str, _Entry],
    texts: dict[str, _Entry],
    utt2spk: dict[str, _Entry],
    spk2gender: dict[str, _Entry],
    segments: dict[str, _Segment] | None,
    *,
    split: str | None,
    audio_dir: Path | None,
    base_dir: Path | None,
    run_commands: bool,
) -> Iterator[Utterance]:
    recordings = _Recordings(folder, wavs, audio_dir, base_dir, run_commands)
    yielded: set[str] = set()

    def make(uid: str, recording: str | None, problems: list[str], **fields: Any) -> Utterance:
        speaker_entry = utt2spk.get(uid)
        speaker = speaker_entry.value if speaker_entry else None
        extra: dict[str, Any] = {}
        if recording is not None and recording != uid:
            extra["recording"] = recording
        if speaker is not None and speaker in spk2gender:
            extra["gender"] = spk2gender[speaker].value
        text_entry = texts.get(uid)
        if text_entry is None:
            problems.append("no transcript in text")
        if problems:
            extra[PROBLEM] = "; ".join(problems)
        yielded.add(uid)
        return Utterance(
            id=uid,
            text=text_entry.value if text_entry else "",
            speaker=speaker,
            split=split,
            extra=extra,
            **fields,
        )

    if segments is None:
        for recording in wavs:
            audio, problem = recordings.resolve(recording)
            yield make(recording, recording, [problem] if problem else [], audio=audio)
    else:
        used: set[str] = set()
        for uid, segment in segments.items():
            problems: list[str] = []
            if segment.recording not in wavs:
                problems.append(f"segments line {segment.line}: recording {segment.recording!r} is not in wav.scp")
                audio = ""
            else:
                used.add(segment.recording)
                audio, problem = recordings.resolve(segment.recording)
                if problem:
                    problems.append(problem)
            duration: float | None = None
            if segment.end != -1:
                duration = segment.end - segment.start
                if duration <= 0:
                    problems.append(
                        f"segments line {segment.line}: end {segment.end} is not after start {segment.start}"
                    )
                    duration = None
            yield make(uid, segment.recording, problems, audio=audio, offset=segment.start, duration=duration)
        for recording, entry in wavs.items():
            if recording in used or recording in yielded:
                continue
            problem = f"wav.scp line {entry.line}: recording {recording!r} has no line in segments"
            path = "" if entry.value.endswith("|") else recordings._path(entry.value)
            yield make(recording, recording, [problem], audio=path)
    for uid, entry in texts.items():
        if uid in yielded:
            continue
        where = "segments" if segments is not None else "wav.scp"
        yield make(uid, None, [f"text line {entry.line}: {uid!r} has a transcript but no entry in {where}"], audio="")


def prepare_kaldi(
    data_dir: StrPath,
    out_dir: StrPath,
    options: PrepareOptions,
    *,
    split: str | None = None,
    audio_dir: StrPath | None = None,
    base_dir: StrPath | None = None,
    run_commands: bool = True,
) -> PrepareReport:
    """:func:`read_kaldi` through the shared pipeline; command output goes to ``audio_dir``
    (default ``<out_dir>/source_audio``)."""
    from awal.data.prepare import prepare

    if audio_dir is None:
        audio_dir = Path(out_dir) / "source_audio"
    utterances = read_kaldi(data_dir, split=split, audio_dir=audio_dir, base_dir=base_dir, run_commands=run_commands)
    return prepare(utterances, Path(out_dir), options, corpus="kaldi")
