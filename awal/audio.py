r"""Audio I/O, resampling, channels and the G.711 telephony codecs.

Conventions, shared by every function here:

* Samples are ``float32`` in ``[-1, 1]``. Mono audio is a 1-D array ``(samples,)``;
  multichannel audio is ``(channels, samples)`` (channel-first, as in torchaudio).
* Float <-> 16-bit PCM: ``int16 = clip(rint(x * 32768), -32768, 32767)`` after clipping
  ``x`` to ``[-1, 1]``, and ``x = int16 / 32768``. So ``+1.0`` becomes 32767, ``-1.0``
  becomes -32768, and every int16 value survives a round trip exactly. libsndfile reads
  integer PCM with the same ``/ 32768`` scale.
* Decoding goes through libsndfile (:mod:`soundfile`: wav, flac, ogg vorbis/opus, mp3,
  aiff, ...) and falls back to the ``ffmpeg`` command-line tool for what libsndfile
  cannot read (m4a/aac, wma, video containers, ...). Every failure is an
  :class:`AudioError` that names the input and the reason.
* Resampling is :mod:`soxr` (high quality).

G.711 (mu-law and A-law) is bit-exact to ITU-T G.711: the decoder tables are the
Recommendation's output values at 16-bit scale (mu-law ``0x80 -> 32124``, ``0xFF -> 0``;
A-law ``0xD5 -> 8``, ``0x55 -> -8``, ``0xAA -> 32256``) and the encoder applies G.711's
decision values, scaled to 16 bits (x4 for mu-law's 14-bit, x8 for A-law's 13-bit
uniform code), to the sample's magnitude, with the sign in bit 7. Equivalently: the
code of ``x`` is the code of ``|x|`` with its sign bit flipped, and a decision value
belongs to the interval above it. This is libsndfile's encoder, byte for byte, over all
65536 inputs. sox agrees on every input that is already on the 14-bit (mu-law) grid; it
rounds other inputs to 14/13 bits first and, for negative A-law samples, uses the
ones'-complement magnitude ``-x - 1`` of the ITU-T G.191 reference code. ffmpeg's
encoder is not G.711-exact: it puts the threshold between two segments at the midpoint
of their output values instead of at G.711's decision value, and floors negative
samples to 14 bits. tests/test_audio.py checks all of this against the tools.

>>> mulaw_encode(np.array([0.0, 0.5, -1.0], dtype=np.float32))
b'\xff\x8f\x00'
>>> (mulaw_decode(b"\x80\xff\x00") * 32768).tolist()
[32124.0, 0.0, -32124.0]
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import soundfile as sf
import soxr

from awal.errors import InputError

__all__ = [
    "SAMPLE_RATE",
    "Audio",
    "AudioError",
    "AudioHeader",
    "AudioInfo",
    "alaw_decode",
    "alaw_encode",
    "audio_info",
    "deinterleave",
    "interleave",
    "load_audio",
    "mulaw_decode",
    "mulaw_encode",
    "pcm16_decode",
    "pcm16_encode",
    "probe_audio",
    "read_audio",
    "remove_own_audio_folders",
    "remove_stale_audio_folders",
    "resample",
    "split_channels",
    "stream_audio",
    "to_mono",
    "write_audio",
]

#: The rate every model in awal consumes.
SAMPLE_RATE = 16000
#: Float <-> int16 scale: ``x = int16 / INT16_SCALE``.
INT16_SCALE = 32768

#: A path, the file's bytes, or a binary file object.
AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]

# Extension -> (libsndfile format, default subtype) for write_audio.
_WRITE_FORMATS: dict[str, tuple[str, str | None]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}

#: Temporary folders of in-memory input handed to ffmpeg: ``awal-audio-<pid>-<random>`` (the pid
#: tells :func:`remove_stale_audio_folders` whose they are).
TEMP_PREFIX = "awal-audio-"

# ffprobe's confidence (0-100) below which ffmpeg itself warns "misdetection possible";
# we refuse such guesses rather than decode noise out of a random file.
_MIN_PROBE_SCORE = 25
_FFMPEG_TIMEOUT_S = 600.0
_SF_ERRORS: tuple[type[BaseException], ...] = (
    RuntimeError,
    getattr(sf, "SoundFileError", RuntimeError),
    TypeError,
    ValueError,
)


class AudioError(InputError):
    """An input that cannot be decoded (or an output that cannot be written).

    ``str(error)`` reads ``cannot decode 'x.wav': file is empty (0 bytes)``; the parts are
    kept in :attr:`source` and :attr:`reason`.
    """

    def __init__(self, source: str, reason: str, action: str = "decode") -> None:
        super().__init__(f"cannot {action} {source!r}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded samples with their rate.

    ``samples`` is float32, ``(samples,)`` or ``(channels, samples)``;
    ``source_channels`` is the channel count of the input before any downmix.
    """

    samples: np.ndarray
    sample_rate: int
    source_channels: int = 1

    @property
    def channels(self) -> int:
        """Channels in :attr:`samples` (1 for a 1-D array)."""
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Samples per channel."""
        return int(self.samples.shape[-1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header where possible.

    ``format`` is the container (libsndfile's major format lowercased, e.g. ``"wav"``,
    ``"mp3"``, or ffprobe's ``format_name``, e.g. ``"mov,mp4,m4a,3gp,3g2,mj2"``) and
    ``codec`` the sample encoding (``"pcm_16"``, ``"vorbis"``, ``"aac"``, ...). For
    files only ffmpeg reads, ``frames`` is ``round(duration * sample_rate)`` from the
    container's duration, which may include the codec's padding.
    """

    sample_rate: int
    channels: int
    frames: int
    duration: float
    format: str
    codec: str


@dataclass(frozen=True)
class AudioHeader:
    """What a file's header says, read without decoding a sample (:func:`probe_audio`).

    ``duration`` is ``None`` where the header has no length (a recording still being written, a raw
    stream); ``format`` and ``codec`` are named as in :class:`AudioInfo`.
    """

    sample_rate: int
    channels: int
    duration: float | None
    format: str
    codec: str


# --- reading -------------------------------------------------------------------------------


def load_audio(
    source: AudioSource,
    sr: int | None = SAMPLE_RATE,
    mono: bool = True,
    *,
    offset: float = 0.0,
    duration: float | None = None,
) -> np.ndarray:
    """Decode ``source`` to float32 samples in ``[-1, 1]``.

    ``sr`` resamples to that rate (``None`` keeps the file's rate). ``mono`` averages the
    channels into a 1-D array; ``mono=False`` returns ``(channels, samples)``, also for a
    mono file. ``offset`` and ``duration`` (seconds, as in a NeMo manifest) read one
    segment; formats libsndfile reads are seeked, not decoded whole. Raises
    :class:`AudioError`.
    """
    return read_audio(source, sr=sr, mono=mono, offset=offset, duration=duration).samples


def read_audio(
    source: AudioSource,
    sr: int | None = SAMPLE_RATE,
    mono: bool = True,
    *,
    offset: float = 0.0,
    duration: float | None = None,
) -> Audio:
    """Like :func:`load_audio`, returning the rate and source channel count too."""
    if sr is not None:
        _check_rate(sr)
    if offset < 0 or (duration is not None and duration < 0):
        raise ValueError(f"offset and duration must not be negative (got {offset}, {duration})")
    with _opened(source) as (name, data):
        samples, rate = _decode(name, data, offset, duration)  # (channels, n) float32, native rate
    source_channels = samples.shape[0]
    if mono:
        samples = to_mono(samples)
    if sr is not None and sr != rate:
        samples = resample(samples, rate, sr)
        rate = sr
    np.clip(samples, -1.0, 1.0, out=samples)  # lossy codecs and resampling overshoot
    return Audio(samples=samples, sample_rate=rate, source_channels=source_channels)


def stream_audio(
    source: AudioSource,
    sr: int | None = SAMPLE_RATE,
    *,
    offset: float = 0.0,
    duration: float | None = None,
    block_s: float = 10.0,
) -> Iterator[np.ndarray]:
    """Decode ``source`` as a stream of mono float32 blocks of about ``block_s`` seconds.

    End to end the blocks are exactly ``load_audio(source, sr, mono=True, offset=offset,
    duration=duration)``, but only a block is in memory at a time, so a recording of hours costs
    what a minute does. libsndfile's formats are read block by block (seeked to ``offset``); the
    others stream through ffmpeg's output (cut by counting samples, as :func:`load_audio` cuts
    them); resampling is soxr's streaming resampler, which gives the samples resampling the whole
    gives (tested). Nothing is opened before the first block is asked for; a file that cannot be
    decoded raises :class:`AudioError` from the iteration (an ffmpeg failure once its output ends).
    """
    if sr is not None:
        _check_rate(sr)
    if offset < 0 or (duration is not None and duration < 0):
        raise ValueError(f"offset and duration must not be negative (got {offset}, {duration})")
    if block_s <= 0:
        raise ValueError(f"block_s must be positive, got {block_s}")
    return _stream(source, sr, offset, duration, block_s)


def _stream(source: AudioSource, sr: int | None, offset: float, duration: float | None,
            block_s: float) -> Iterator[np.ndarray]:  # fmt: skip
    """:func:`stream_audio`'s generator: native blocks -> mono -> resampled -> clipped."""
    with _opened(source) as (name, data), contextlib.ExitStack() as stack:
        rate, native = _native_blocks(name, data, offset, duration, block_s, stack)
        stream = None if sr is None or sr == rate else soxr.ResampleStream(rate, sr, 1, dtype="float32", quality="HQ")
        for block in native:
            mono = to_mono(block)
            yield from _clipped(stream.resample_chunk(mono) if stream is not None else mono)
        if stream is not None:
            yield from _clipped(stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))


def _clipped(samples: np.ndarray) -> Iterator[np.ndarray]:
    """``samples`` clipped to ``[-1, 1]`` in place (as :func:`read_audio` clips), unless empty."""
    if len(samples):
        yield np.clip(samples, -1.0, 1.0, out=samples)


def _native_blocks(name: str, data: Path | io.BytesIO, offset: float, duration: float | None, block_s: float,
                   stack: contextlib.ExitStack) -> tuple[int, Iterator[np.ndarray]]:  # fmt: skip
    """(native rate, ``(channels, n)`` float32 blocks from ``offset``): libsndfile, else ffmpeg
    (as :func:`_decode` chooses: a file libsndfile cannot open or seek goes to ffmpeg)."""
    try:
        if isinstance(data, io.BytesIO):
            data.seek(0)
        f = stack.enter_context(sf.SoundFile(data if isinstance(data, io.BytesIO) else str(data)))
        rate = int(f.samplerate)
        start = int(round(offset * rate))
        if start and f.frames >= 0 and start >= f.frames:
            return rate, iter(())
        if start:
            f.seek(start)
    except _SF_ERRORS as error:
        sf_error = error  # fall back outside the handler: no chained soundfile traceback
    else:
        count = -1 if duration is None else int(round(duration * rate))
        return rate, _sf_blocks(name, f, count, max(1, int(round(block_s * rate))))
    return _ffmpeg_blocks(name, data, sf_error, offset, duration, block_s, stack)


def _sf_blocks(name: str, f: sf.SoundFile, count: int, block: int) -> Iterator[np.ndarray]:
    """``count`` frames (-1: to the end) of an open file, ``block`` at a time."""
    left = count
    while left != 0:
        try:
            frames = f.read(block if left < 0 else min(block, left), dtype="float32", always_2d=True)
        except _SF_ERRORS as error:
            raise AudioError(name, _sf_reason(error)) from None
        if not len(frames):
            return
        left = left - len(frames) if left > 0 else left
        yield np.ascontiguousarray(frames.T)


def _ffmpeg_blocks(name: str, data: Path | io.BytesIO, sf_error: BaseException, offset: float,
                   duration: float | None, block_s: float,
                   stack: contextlib.ExitStack) -> tuple[int, Iterator[np.ndarray]]:  # fmt: skip
    """(native rate, blocks) of ffmpeg's decoding, read from its output as it comes: the samples
    :func:`_ffmpeg_decode` gives, cut to ``offset`` / ``duration`` the same way. The process is
    killed when the stream is closed early."""
    path = stack.enter_context(_as_file(data))
    rate, channels, cmd = _ffmpeg_command(name, path, sf_error)
    errors = stack.enter_context(tempfile.TemporaryFile())
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
    stack.callback(_reap, proc)
    start = int(round(offset * rate))
    stop = None if duration is None else start + int(round(duration * rate))
    block = max(1, int(round(block_s * rate)))
    return rate, _pcm_blocks(name, path, proc, errors, channels, block, start, stop)


def _pcm_blocks(name: str, path: str, proc: subprocess.Popen[bytes], errors: IO[bytes], channels: int, block: int,
                start: int, stop: int | None) -> Iterator[np.ndarray]:  # fmt: skip
    """Frames ``[start, stop)`` of ffmpeg's interleaved float32 output, ``block`` frames at a time."""
    assert proc.stdout is not None
    frame_bytes = 4 * channels
    position = 0  # frames read so far
    while stop is None or position < stop:
        chunk = proc.stdout.read(block * frame_bytes)
        frames = len(chunk) // frame_bytes  # an incomplete last frame is dropped, as _ffmpeg_decode drops it
        if frames:
            pcm = deinterleave(np.frombuffer(chunk[: frames * frame_bytes], dtype="<f4").astype(np.float32), channels)
            lo, hi = max(start - position, 0), frames if stop is None else min(stop - position, frames)
            if lo < hi:
                yield np.ascontiguousarray(pcm[:, lo:hi])
            position += frames
        if len(chunk) < block * frame_bytes:  # the end of ffmpeg's output
            if proc.wait() != 0:
                errors.seek(0)
                raise AudioError(name, f"ffmpeg failed: {_ffmpeg_reason(errors.read(), path)}")
            return


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Stop ffmpeg if it is still decoding (the stream was closed early) and collect it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _sf_info(data: Any) -> tuple[Any, BaseException | None]:
    """(libsndfile's header report, None), or (None, its error): the caller falls back to ffprobe
    outside the handler (no chained soundfile traceback)."""
    try:
        return sf.info(data if isinstance(data, io.BytesIO) else str(data)), None
    except _SF_ERRORS as error:
        return None, error


def audio_info(source: AudioSource) -> AudioInfo:
    """Rate, channels, length and format of ``source``, without decoding it when possible."""
    with _opened(source) as (name, data):
        info, sf_error = _sf_info(data)
        if sf_error is not None:
            return _ffprobe_info(name, data, sf_error)
    return AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        duration=info.frames / info.samplerate,
        format=str(info.format).lower(),
        codec=str(info.subtype).lower(),
    )


def probe_audio(source: AudioSource) -> AudioHeader:
    """Rate, channels and length of ``source`` from its header alone, never decoding it:
    libsndfile's report (wav, flac, ogg, mp3, ...), else ffprobe's (m4a, webm, ...). So that a long
    or odd file can be refused before its samples fill the memory (3 hours of silence are a 546 KB
    FLAC). Unlike :func:`audio_info`, a header without a length gives ``duration=None`` rather than
    a decoding to count. Raises :class:`AudioError` for what is not audio."""
    with _opened(source) as (name, data):
        info, sf_error = _sf_info(data)
        if sf_error is not None:
            with _as_file(data) as path:
                fmt, stream = _probe(name, path, sf_error)
            text = stream.get("duration") or fmt.get("duration")
            return AudioHeader(
                sample_rate=int(stream["sample_rate"]),
                channels=int(stream["channels"]),
                duration=None if text in (None, "N/A") else float(text),
                format=str(fmt.get("format_name", "unknown")),
                codec=str(stream.get("codec_name", "unknown")),
            )
    rate = int(info.samplerate)
    return AudioHeader(
        sample_rate=rate,
        channels=int(info.channels),
        duration=info.frames / rate if rate > 0 and info.frames >= 0 else None,
        format=str(info.format).lower(),
        codec=str(info.subtype).lower(),
    )


def remove_stale_audio_folders(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the temporary folders (``awal-audio-<pid>-*`` in ``root``, default the temporary
    directory) of processes that are gone: killed, they could not remove their own. A live
    process's folder stays (the calling process's too: in use, see :func:`remove_own_audio_folders`),
    and so does one whose owner cannot be told (no pid in its name). Returns the folders removed."""
    return remove_dead_process_folders(TEMP_PREFIX, root)


def remove_dead_process_folders(prefix: str, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the folders ``<prefix><pid>-*`` in ``root`` (default the temporary directory) whose
    process is gone, the calling process's and live ones' left alone (the demo's and the service's
    temporary folders). Returns the folders removed."""
    return _remove_folders(root, lambda pid: pid != os.getpid() and not _alive(pid), prefix)


def remove_own_audio_folders(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove this process's ``awal-audio-<pid>-*`` folders (at its exit: a decoding cut short)."""
    return _remove_folders(root, lambda pid: pid == os.getpid())


def _remove_folders(root: str | os.PathLike[str] | None, stale: Callable[[int], bool],
                    prefix: str = TEMP_PREFIX) -> list[Path]:  # fmt: skip
    if os.name != "posix":  # os.kill(pid, 0) is no probe on Windows
        return []
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(prefix + "*"):
        head = folder.name[len(prefix) :].split("-", 1)[0]
        pid = int(head) if head.isdigit() else 0
        if pid <= 0 or not folder.is_dir() or not stale(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie, or another user's, counts: its folder stays)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


@contextlib.contextmanager
def _opened(source: AudioSource) -> Iterator[tuple[str, Path | io.BytesIO]]:
    """Yield ``(name for messages, path or BytesIO)``, with the cheap checks done."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = str(source)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise AudioError(name, "no such file") from None
        except OSError as error:
            raise AudioError(name, error.strerror or str(error)) from None
        if path.is_dir():
            raise AudioError(name, "is a directory")
        if size == 0 and path.is_file():
            raise AudioError(name, "file is empty (0 bytes)")
        if not os.access(path, os.R_OK):
            raise AudioError(name, "permission denied")
        yield name, path
        return
    if isinstance(source, (bytes, bytearray, memoryview)):
        name, data = "<bytes>", bytes(source)
    elif hasattr(source, "read"):
        name = str(getattr(source, "name", "<file object>"))
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"{name}: expected a binary file object, got {type(data).__name__} data")
        data = bytes(data)
    else:
        raise TypeError(f"expected a path, bytes or a binary file object, got {type(source).__name__}")
    if not data:
        raise AudioError(name, "input is empty (0 bytes)")
    yield name, io.BytesIO(data)


def _decode(
    name: str, data: Path | io.BytesIO, offset: float = 0.0, duration: float | None = None
) -> tuple[np.ndarray, int]:
    """``(channels, n)`` float32 at the native rate: libsndfile (seeking to ``offset``),
    else ffmpeg (decoding the whole file, then cutting the segment)."""
    try:
        if isinstance(data, io.BytesIO):
            data.seek(0)
        with sf.SoundFile(data if isinstance(data, io.BytesIO) else str(data)) as f:
            rate = int(f.samplerate)
            start = int(round(offset * rate))
            if start:
                if f.frames >= 0 and start >= f.frames:
                    return np.zeros((f.channels, 0), dtype=np.float32), rate
                f.seek(start)
            count = -1 if duration is None else int(round(duration * rate))
            frames = f.read(count, dtype="float32", always_2d=True)
    except _SF_ERRORS as error:
        sf_error = error  # fall back outside the handler: no chained soundfile traceback
    else:
        return np.ascontiguousarray(frames.T), rate
    samples, rate = _ffmpeg_decode(name, data, sf_error)
    start = int(round(offset * rate))
    stop = samples.shape[-1] if duration is None else start + int(round(duration * rate))
    return np.ascontiguousarray(samples[:, start:stop]), rate


@contextlib.contextmanager
def _as_file(data: Path | io.BytesIO) -> Iterator[str]:
    """A path for ffmpeg; in-memory input goes to a temporary file (mp4 needs seeking)."""
    if isinstance(data, Path):
        yield str(data)
        return
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        path = os.path.join(tmp, "input")
        with open(path, "wb") as f:
            f.write(data.getbuffer())
        yield path


def _ffmpeg_tool(name: str, tool: str, sf_error: BaseException) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise AudioError(
            name,
            f"libsndfile cannot read it ({_sf_reason(sf_error)}) and {tool}, which decodes "
            f"the other formats (m4a, aac, ...), is not installed",
        )
    return exe


def _sf_reason(error: BaseException) -> str:
    message = str(error)
    # soundfile says "Error opening 'x': Format not recognised." -- keep the reason only.
    if message.startswith("Error opening") and ": " in message:
        message = message.rsplit(": ", 1)[1]
    return message.strip().rstrip(".") or type(error).__name__


def _ffmpeg_reason(stderr: bytes, path: str) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    reason = lines[-1] if lines else "no message"
    # "x.wav: Invalid data found when processing input" -- the path is in our message already.
    return reason[len(path) + 2 :] if reason.startswith(f"{path}: ") else reason


def _probe(name: str, path: str, sf_error: BaseException) -> tuple[dict, dict]:
    """ffprobe's ``(format, first audio stream)``, or AudioError for what is not audio."""
    exe = _ffmpeg_tool(name, "ffprobe", sf_error)
    cmd = [
        exe, "-v", "error", "-of", "json", "-select_streams", "a:0",
        "-show_entries", "format=format_name,probe_score,duration"
        ":stream=codec_name,sample_rate,channels,duration",
        path,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=_FFMPEG_TIMEOUT_S, check=False)
    # libsndfile's own message is often misleading here (for a text file named .mp3 it
    # says "File does not exist"), so the reason given is ffprobe's.
    not_audio = "not an audio file, or a format neither libsndfile nor ffmpeg can read"
    if proc.returncode != 0:
        raise AudioError(name, f"{not_audio} (ffprobe: {_ffmpeg_reason(proc.stderr, path)})")
    try:
        probed = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        raise AudioError(name, f"{not_audio} (ffprobe printed no report)") from None
    fmt = probed.get("format") or {}
    streams = probed.get("streams") or []
    if int(fmt.get("probe_score", 0)) < _MIN_PROBE_SCORE:
        guess, score = fmt.get("format_name", "?"), fmt.get("probe_score", 0)
        raise AudioError(name, f"{not_audio} (ffprobe could only guess {guess!r}, {score}/100)")
    if not streams:
        raise AudioError(name, f"no audio stream in this {fmt.get('format_name', '?')} file")
    stream = streams[0]
    if int(stream.get("sample_rate") or 0) <= 0 or int(stream.get("channels") or 0) <= 0:
        raise AudioError(name, "the audio stream has no sample rate or channel count")
    return fmt, stream


def _ffmpeg_command(name: str, path: str, sf_error: BaseException) -> tuple[int, int, list[str]]:
    """(native rate, channels, command) of ffmpeg decoding the first audio stream of ``path`` to
    float32 at its own rate and channel count, on stdout."""
    _, stream = _probe(name, path, sf_error)
    rate, channels = int(stream["sample_rate"]), int(stream["channels"])
    cmd = [
        _ffmpeg_tool(name, "ffmpeg", sf_error), "-nostdin", "-v", "error", "-i", path,
        "-map", "0:a:0", "-f", "f32le", "-acodec", "pcm_f32le",
        "-ac", str(channels), "-ar", str(rate), "-",
    ]  # fmt: skip
    return rate, channels, cmd


def _ffmpeg_decode(name: str, data: Path | io.BytesIO, sf_error: BaseException) -> tuple[np.ndarray, int]:
    with _as_file(data) as path:
        rate, channels, cmd = _ffmpeg_command(name, path, sf_error)
        proc = subprocess.run(cmd, capture_output=True, timeout=_FFMPEG_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise AudioError(name, f"ffmpeg failed: {_ffmpeg_reason(proc.stderr, path)}")
    pcm = np.frombuffer(proc.stdout, dtype="<f4")
    pcm = pcm[: len(pcm) - len(pcm) % channels]
    return deinterleave(pcm.astype(np.float32), channels), rate


def _ffprobe_info(name: str, data: Path | io.BytesIO, sf_error: BaseException) -> AudioInfo:
    with _as_file(data) as path:
        fmt, stream = _probe(name, path, sf_error)
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
        duration_text = stream.get("duration") or fmt.get("duration")
        if duration_text not in (None, "N/A"):
            duration = float(duration_text)
            frames = round(duration * rate)
        else:  # a stream without a duration in its header: decode to count
            frames = _ffmpeg_decode(name, Path(path), sf_error)[0].shape[1]
            duration = frames / rate
    return AudioInfo(
        sample_rate=rate,
        channels=channels,
        frames=frames,
        duration=duration,
        format=str(fmt.get("format_name", "unknown")),
        codec=str(stream.get("codec_name", "unknown")),
    )


# --- writing -------------------------------------------------------------------------------


def write_audio(path: str | os.PathLike[str], samples: np.ndarray, sr: int, *, subtype: str | None = None) -> None:
    """Write ``(n,)`` or ``(channels, n)`` samples to ``path``; the extension picks the format.

    ``.wav`` and ``.flac`` default to 16-bit PCM (written with this module's int16
    convention, so 16-bit audio round-trips exactly), ``.ogg`` to Vorbis, ``.opus`` to Opus,
    ``.mp3`` to MPEG layer III. ``subtype`` overrides (any :func:`soundfile.available_subtypes`).
    Float samples are clipped to ``[-1, 1]``. Raises :class:`AudioError`.
    """
    name = str(path)
    ext = Path(path).suffix.lower()
    if ext not in _WRITE_FORMATS:
        supported = ", ".join(sorted(_WRITE_FORMATS))
        raise AudioError(name, f"unsupported extension {ext or '(none)'!r} (supported: {supported})", "write")
    _check_rate(sr)
    fmt, default_subtype = _WRITE_FORMATS[ext]
    subtype = (subtype or default_subtype or "").upper() or None
    x = np.asarray(samples)
    if x.ndim not in (1, 2):
        raise ValueError(f"samples must be (n,) or (channels, n), got shape {x.shape}")
    if subtype == "PCM_16":
        x = _to_int16(x)
    elif np.issubdtype(x.dtype, np.floating):
        x = np.clip(x, -1.0, 1.0).astype(np.float32, copy=False)
    frames = x.T if x.ndim == 2 else x
    try:
        sf.write(name, np.ascontiguousarray(frames), sr, format=fmt, subtype=subtype)
    except _SF_ERRORS as error:
        raise AudioError(name, _sf_reason(error), "write") from None


# --- resampling and channels ---------------------------------------------------------------


def resample(samples: np.ndarray, orig_sr: int, target_sr: int, *, quality: str = "HQ") -> np.ndarray:
    """Resample ``(n,)`` or ``(channels, n)`` float audio with soxr (``quality``: soxr's
    ``"QQ" "LQ" "MQ" "HQ" "VHQ"``). Returns float32; the input itself when the rates match."""
    _check_rate(orig_sr)
    _check_rate(target_sr)
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim not in (1, 2):
        raise ValueError(f"samples must be (n,) or (channels, n), got shape {x.shape}")
    if orig_sr == target_sr:
        return x
    if x.shape[-1] == 0:
        return x.copy()
    if x.ndim == 1:
        return soxr.resample(x, orig_sr, target_sr, quality=quality).astype(np.float32, copy=False)
    out = soxr.resample(np.ascontiguousarray(x.T), orig_sr, target_sr, quality=quality)
    return np.ascontiguousarray(out.T, dtype=np.float32)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """The mean of the channels of ``(channels, n)``; a 1-D array is returned as float32."""
    x = np.asarray(samples)
    if x.ndim == 1:
        return x.astype(np.float32, copy=False)
    if x.ndim != 2:
        raise ValueError(f"samples must be (n,) or (channels, n), got shape {x.shape}")
    return x.mean(axis=0, dtype=np.float64).astype(np.float32)


def split_channels(samples: np.ndarray) -> list[np.ndarray]:
    """One 1-D array per channel, e.g. ``agent, customer = split_channels(call)``."""
    x = np.asarray(samples)
    if x.ndim == 1:
        return [x]
    if x.ndim != 2:
        raise ValueError(f"samples must be (n,) or (channels, n), got shape {x.shape}")
    return [np.ascontiguousarray(channel) for channel in x]


def interleave(channels: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """``(channels, n)`` (or a list of equal-length 1-D arrays) to frames ``L R L R ...``."""
    x = np.stack(channels) if not isinstance(channels, np.ndarray) else channels
    if x.ndim == 1:
        return x
    if x.ndim != 2:
        raise ValueError(f"channels must be (channels, n), got shape {x.shape}")
    return np.ascontiguousarray(x.T).reshape(-1)


def deinterleave(pcm: np.ndarray, channels: int) -> np.ndarray:
    """Interleaved frames ``L R L R ...`` to ``(channels, n)``."""
    x = np.asarray(pcm)
    if channels < 1:
        raise ValueError(f"channels must be >= 1, got {channels}")
    if x.ndim != 1 or x.size % channels:
        raise ValueError(f"expected a 1-D array whose length is a multiple of {channels}, got shape {x.shape}")
    return np.ascontiguousarray(x.reshape(-1, channels).T)


# --- 16-bit PCM and G.711 ------------------------------------------------------------------


def pcm16_encode(samples: np.ndarray) -> bytes:
    """Float samples (or int16 values) to little-endian 16-bit PCM bytes, C order."""
    return _to_int16(samples).astype("<i2", copy=False).tobytes()


def pcm16_decode(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Little-endian 16-bit PCM bytes to float32 (``int16 / 32768``)."""
    raw = _as_bytes(data)
    if len(raw) % 2:
        raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(raw)}")
    return (np.frombuffer(raw, dtype="<i2") / np.float32(INT16_SCALE)).astype(np.float32)


def mulaw_encode(samples: np.ndarray) -> bytes:
    """Float samples (or int16 values) to G.711 mu-law bytes, one per sample, C order."""
    return _mulaw_encode_table()[_to_int16(samples).astype(np.int32).ravel() + 32768].tobytes()


def mulaw_decode(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes (or a uint8 array) to float32."""
    return _mulaw_decode_table()[np.frombuffer(_as_bytes(data), dtype=np.uint8)]


def alaw_encode(samples: np.ndarray) -> bytes:
    """Float samples (or int16 values) to G.711 A-law bytes, one per sample, C order."""
    return _alaw_encode_table()[_to_int16(samples).astype(np.int32).ravel() + 32768].tobytes()


def alaw_decode(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """G.711 A-law bytes (or a uint8 array) to float32."""
    return _alaw_decode_table()[np.frombuffer(_as_bytes(data), dtype=np.uint8)]


@functools.cache
def _mulaw_decode_table() -> np.ndarray:
    """float32[256]: G.711 Table 2 output values (14-bit, up to 8031) x4, / 32768."""
    u = ~np.arange(256) & 0xFF  # codes are sent inverted
    exponent, mantissa = (u >> 4) & 7, u & 15
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84  # 4 * (((2m + 33) << e) - 33)
    value = np.where(u & 0x80, -magnitude, magnitude)
    return _readonly((value / INT16_SCALE).astype(np.float32))


@functools.cache
def _alaw_decode_table() -> np.ndarray:
    """float32[256]: G.711 Table 1 output values (13-bit, up to 4032) x8, / 32768."""
    a = np.arange(256) ^ 0x55  # even bits are sent inverted
    exponent, mantissa = (a >> 4) & 7, a & 15
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    value = np.where(a & 0x80, magnitude, -magnitude)
    return _readonly((value / INT16_SCALE).astype(np.float32))


@functools.cache
def _mulaw_encode_table() -> np.ndarray:
    """uint8[65536], indexed by ``int16 + 32768``."""
    x = np.arange(-32768, 32768)
    # 14-bit magnitude, clipped at 8158 (G.711's top decision value 8159 maps to the same
    # code), plus the bias 33 that turns the segments into powers of two.
    biased = np.minimum(np.abs(x) >> 2, 8158) + 33  # 33 .. 8191
    exponent = np.searchsorted([64, 128, 256, 512, 1024, 2048, 4096], biased, side="right")
    mantissa = (biased >> (exponent + 1)) & 15
    code = ~((exponent << 4) | mantissa) & 0x7F
    code = np.where(x >= 0, code | 0x80, code)
    return _readonly(code.astype(np.uint8))


@functools.cache
def _alaw_encode_table() -> np.ndarray:
    """uint8[65536], indexed by ``int16 + 32768``."""
    x = np.arange(-32768, 32768)
    magnitude = np.minimum(np.abs(x) >> 3, 4095)  # 13-bit uniform code: sign + 12 bits
    exponent = np.searchsorted([32, 64, 128, 256, 512, 1024, 2048], magnitude, side="right")
    mantissa = (magnitude >> np.maximum(exponent, 1)) & 15
    code = (exponent << 4) | mantissa
    code = np.where(x >= 0, code | 0x80, code) ^ 0x55
    return _readonly(code.astype(np.uint8))


def _to_int16(samples: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] -> int16 by this module's convention; int16 passes through."""
    x = np.asarray(samples)
    if x.dtype == np.int16:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"expected float samples in [-1, 1] or int16 values, got {x.dtype}")
    if np.isnan(x).any():
        raise ValueError("samples contain NaN")
    scaled = np.rint(np.clip(x, -1.0, 1.0) * INT16_SCALE)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def _as_bytes(data: bytes | bytearray | memoryview | np.ndarray) -> bytes | bytearray | memoryview:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"expected bytes or a uint8 array, got a {data.dtype} array")
        return data.tobytes()
    return data


def _readonly(table: np.ndarray) -> np.ndarray:
    table.flags.writeable = False
    return table


def _check_rate(sr: int) -> None:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"sample rate must be a positive integer, got {sr!r}")
