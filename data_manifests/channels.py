"""Recorded channel simulations: rooms, telephone and VoIP codecs, clipping.

Pure functions on mono float32 samples in ``[-1, 1]`` at a given sample rate, so that
synthetic speech sounds as if it went through a real room and a real phone line:

* :func:`room_impulse_response` simulates a shoebox :class:`Room` with
  pyroomacoustics' image-source method (the ``data`` extra); :func:`draw_room` draws a
  plausible one (a car, an office, a living room, a classroom or a hall) with a
  reverberation time in a given range, and :func:`reverberate` convolves speech with a
  response without moving it in time (the direct sound stays where the speech was, so
  word timings stay valid). :func:`far_field` is a second talker across the room.
* :func:`codec_round_trip` encodes and decodes with one of :data:`CODECS`, resampling to
  the codec's rate and back and compensating the codec's delay (within 2 ms).
* :func:`clip` emulates an overdriven input.
* A :class:`Channel` is one drawn combination (:func:`draw_channel`, from a seeded
  ``random.Random`` and :class:`ChannelOptions`); :func:`apply_channel` applies it (room,
  then clipping, then codec) and :meth:`Channel.as_dict` records it in a manifest.

Codecs. G.711 mu-law and A-law are :mod:`awal.audio`'s bit-exact tables. The others run
the ``ffmpeg`` command-line tool (an encoder and a decoder process, piped, no temporary
files): GSM 06.10 full rate (libgsm), G.723.1 (6.3 kbit/s, the only rate ffmpeg's
encoder has), G.726 ADPCM (16-40 kbit/s), G.722 (64 kbit/s wideband), Speex narrowband
and wideband (libspeex) and Opus at 6-16 kbit/s (libopus, ``-application voip``).
AMR-NB (4.75-12.2 kbit/s) runs ``sox``, whose Debian build encodes it with
libopencore-amrnb (this Debian ffmpeg has AMR decoders only).

Not supported, for want of an encoder here: AMR-WB (G.722.2; opencore-amrwb decodes only,
sox says "compiled without AMR-WB encoding support", and ffmpeg has no libvo-amrwbenc),
G.729 (ffmpeg decodes it only), iLBC (ffmpeg is built without libilbc) and EVS (no open
encoder). ffmpeg's libcodec2 (700-3200 bit/s) is left out: it is a radio codec, not a
telephone one. :func:`available_codecs` says which of :data:`CODECS` this machine can run.

Every codec's delay was measured by cross-correlating espeak-ng speech with its round trip
(tests/test_channels.py checks it stays within 2 ms).
"""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import IO, Any

import numpy as np

from awal.audio import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode, pcm16_decode, pcm16_encode, resample
from awal.errors import InputError

__all__ = [
    "AMR_NB_MODES",
    "CODECS",
    "FAR_FIELD_DISTANCE",
    "MAX_ORDER",
    "MIN_DISTANCE",
    "ROOM_KINDS",
    "WALL_MARGIN",
    "Channel",
    "ChannelOptions",
    "Codec",
    "Room",
    "RoomKind",
    "apply_channel",
    "available_codecs",
    "clip",
    "codec_round_trip",
    "decay_time",
    "draw_channel",
    "draw_far_field_room",
    "draw_room",
    "far_field",
    "far_source",
    "reverberate",
    "room_impulse_response",
]

Position = tuple[float, float, float]

#: The image-source order is capped here: one response then costs 0.06 s of one CPU core
#: at 16 kHz on average, 0.10 s at most (200 rooms :func:`draw_room` drew, on an AMD EPYC
#: core; orders up to 170 that Sabine's formula asks for took up to 6 s). Small rooms with
#: long reverberation need a higher order for their whole tail: their simulated decay is
#: shorter than the RT60 asked for (T30 down to 0.72 times it in those 200 rooms).
MAX_ORDER = 40
#: How far from the walls :func:`draw_room` keeps the talker and the microphone (metres).
WALL_MARGIN = 0.3
#: The shortest talker-microphone distance :func:`draw_room` draws (metres).
MIN_DISTANCE = 0.5
#: The second talker of :func:`far_field` is at least this far from the microphone (metres).
FAR_FIELD_DISTANCE = 2.0

_PRA_HINT = "install it with `pip install 'awal[data]'` (or `pip install 'pyroomacoustics>=0.10,<0.11'`)"
_TOOL_HINT = {"ffmpeg": "`sudo apt-get install ffmpeg`", "sox": "`sudo apt-get install sox`"}
_TIMEOUT_S = 600.0
#: What ffmpeg and sox say when this build lacks an encoder (or its library).
_MISSING_ENCODER = ("Unknown encoder", "Encoder not found", "without AMR", "no handler", "Unable to load")

# --- rooms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomKind:
    """A kind of room :func:`draw_room` draws: ranges (low, high) of its length, width and
    height in metres and of its reverberation time RT60 in seconds."""

    length: tuple[float, float]
    width: tuple[float, float]
    height: tuple[float, float]
    rt60: tuple[float, float]


#: The rooms :func:`draw_room` draws, each with the RT60s it plausibly has (a furnished
#: living room is not a cathedral, a car is dry). Together they cover 0.08-2.0 s.
ROOM_KINDS: Mapping[str, RoomKind] = MappingProxyType(
    {
        "car": RoomKind((2.2, 2.8), (1.4, 1.7), (1.1, 1.3), (0.08, 0.25)),
        "office": RoomKind((3.0, 5.0), (2.5, 4.0), (2.5, 3.0), (0.2, 0.7)),
        "living_room": RoomKind((4.0, 7.0), (3.0, 5.5), (2.4, 3.0), (0.25, 0.7)),
        "classroom": RoomKind((7.0, 10.0), (6.0, 9.0), (2.8, 3.5), (0.4, 1.2)),
        "hall": RoomKind((12.0, 25.0), (10.0, 20.0), (4.0, 8.0), (0.7, 2.0)),
    }
)


@dataclass(frozen=True)
class Room:
    """A shoebox room with one talker and one microphone.

    Attributes:
        dimensions: length, width and height in metres.
        rt60: the reverberation time asked for, in seconds (Sabine's formula gives the
            walls' absorption; see :data:`MAX_ORDER` for when the simulation falls short).
        source: the talker's mouth (x, y, z) in metres, inside the room.
        microphone: the microphone (x, y, z) in metres, inside the room.
        kind: what the room is (a key of :data:`ROOM_KINDS`, or any label).
    """

    dimensions: Position
    rt60: float
    source: Position
    microphone: Position
    kind: str = "room"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if len(self.dimensions) != 3 or not all(_finite(d) and d > 0 for d in self.dimensions):
            problems.append(f"dimensions must be three positive lengths in metres, got {self.dimensions}")
        elif len(self.source) != 3 or not _inside(self.source, self.dimensions):
            problems.append(f"source {self.source} is not inside the room {self.dimensions}")
        elif len(self.microphone) != 3 or not _inside(self.microphone, self.dimensions):
            problems.append(f"microphone {self.microphone} is not inside the room {self.dimensions}")
        if not problems and math.dist(self.source, self.microphone) < 0.05:
            problems.append(f"the talker {self.source} and the microphone {self.microphone} are less than 5 cm apart")
        if not (_finite(self.rt60) and self.rt60 > 0):
            problems.append(f"rt60 must be a positive number of seconds, got {self.rt60!r}")
        if problems:
            raise InputError("room: " + "; ".join(problems))

    @property
    def distance(self) -> float:
        """The talker-microphone distance in metres."""
        return math.dist(self.source, self.microphone)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _inside(point: Sequence[float], dimensions: Sequence[float]) -> bool:
    return all(_finite(p) and 0 < p < d for p, d in zip(point, dimensions))


def _overlap(kind: str, rt60: tuple[float, float]) -> tuple[float, float] | None:
    """The RT60s of ``kind`` within ``rt60``, or None."""
    low, high = max(rt60[0], ROOM_KINDS[kind].rt60[0]), min(rt60[1], ROOM_KINDS[kind].rt60[1])
    return (low, high) if low <= high else None


def draw_room(
    rng: random.Random, rt60: tuple[float, float] = (0.15, 0.9), kinds: Sequence[str] = tuple(ROOM_KINDS)
) -> Room:
    """A plausible shoebox room, drawn from ``rng``.

    The kind is drawn uniformly among those of ``kinds`` (:data:`ROOM_KINDS`) whose RT60
    range meets ``rt60``, the RT60 uniformly where they meet (to 10 ms), the dimensions
    uniformly in the kind's ranges (to the centimetre). The talker and the microphone are
    at least :data:`WALL_MARGIN` from every wall and :data:`MIN_DISTANCE` apart; the
    talker's mouth is 1.0-1.8 m high and the microphone 0.6-1.5 m (lower in a car: as high
    as the margin allows). Deterministic for a seeded ``rng``.

    Raises:
        InputError: an unknown kind, or an RT60 range that none of ``kinds`` meets.
    """
    unknown = [k for k in kinds if k not in ROOM_KINDS]
    if unknown or not kinds:
        raise InputError(f"room kinds must be among {', '.join(ROOM_KINDS)}, got {tuple(kinds)}")
    candidates = [k for k in kinds if _overlap(k, rt60)]
    if not candidates:
        spans = ", ".join(f"{k} {ROOM_KINDS[k].rt60[0]}-{ROOM_KINDS[k].rt60[1]} s" for k in kinds)
        raise InputError(f"no room kind has an RT60 of {rt60[0]}-{rt60[1]} s ({spans})")
    kind = rng.choice(candidates)
    low, high = _overlap(kind, rt60) or rt60
    time = min(max(round(rng.uniform(low, high), 2), low), high)
    spec = ROOM_KINDS[kind]
    dims = (
        round(rng.uniform(*spec.length), 2),
        round(rng.uniform(*spec.width), 2),
        round(rng.uniform(*spec.height), 2),
    )

    def point(z_range: tuple[float, float]) -> Position:
        x = round(rng.uniform(WALL_MARGIN, dims[0] - WALL_MARGIN), 2)
        y = round(rng.uniform(WALL_MARGIN, dims[1] - WALL_MARGIN), 2)
        z = round(min(max(rng.uniform(*z_range), WALL_MARGIN), dims[2] - WALL_MARGIN), 2)
        return (x, y, z)

    for _ in range(1000):
        source, microphone = point((1.0, 1.8)), point((0.6, 1.5))
        if math.dist(source, microphone) >= MIN_DISTANCE:
            break
    else:  # pragma: no cover - every kind's room leaves space for it
        raise InputError(f"could not place a talker and a microphone {MIN_DISTANCE} m apart in {dims}")
    return Room(dims, time, source, microphone, kind)


def room_impulse_response(room: Room, sr: int, *, max_order: int = MAX_ORDER) -> np.ndarray:
    """The impulse response from ``room``'s talker to its microphone at ``sr`` Hz, float32.

    pyroomacoustics' image-source method, with the walls' absorption and the order from
    Sabine's formula (``pyroomacoustics.inverse_sabine``), the order capped at
    ``max_order``; where its decay is slower than ``room.rt60`` (flat or long rooms: the
    image sources are not a diffuse field) an exponential window brings its T20 to it. The
    response is shifted by a fraction of a sample so that the direct sound (placed from
    the geometry, not the peak: early reflections that arrive together can be louder)
    falls on a sample, cut so that it is sample 0 (the propagation delay is gone), and
    scaled so that it is 1.0. pyroomacoustics uses every CPU core unless
    ``PRA_NUM_THREADS`` says otherwise.

    Raises:
        InputError: pyroomacoustics is not installed, or the walls cannot absorb enough
            for this RT60 in a room this size.
    """
    try:
        import pyroomacoustics as pra
    except ImportError:
        raise InputError(f"room simulation needs pyroomacoustics, which is not installed: {_PRA_HINT}") from None
    try:
        absorption, order = pra.inverse_sabine(room.rt60, list(room.dimensions))
    except ValueError as error:
        raise InputError(f"room {room.dimensions} with an RT60 of {room.rt60} s: {error}") from None
    simulation = pra.ShoeBox(
        list(room.dimensions), fs=sr, materials=pra.Material(absorption), max_order=min(order, max_order)
    )
    simulation.add_source(list(room.source))
    simulation.add_microphone(list(room.microphone))
    simulation.compute_rir()
    rir = np.asarray(simulation.rir[0][0], dtype=np.float64)
    # where pyroomacoustics put the direct sound: the propagation time plus the centre of
    # its fractional-delay filters
    arrival = room.distance / simulation.c * sr + pra.constants.get("frac_delay_length") // 2
    start = int(math.floor(arrival))
    rir = _delay(rir, start - arrival)[start:]
    return _match_decay(rir / rir[0], sr, room.rt60).astype(np.float32)


def decay_time(rir: np.ndarray, sr: int, *, top_db: float = 5.0, bottom_db: float = 25.0) -> float:
    """The RT60 of an impulse response (seconds): Schroeder's backward-integrated energy
    decay fitted by a line between ``-top_db`` and ``-bottom_db`` dB, extrapolated to 60 dB
    (T20 by default; ``bottom_db=35`` is T30). NaN when the decay does not reach
    ``-bottom_db``."""
    energy = np.cumsum(np.square(np.asarray(rir, dtype=np.float64))[::-1])[::-1]
    if energy.size == 0 or energy[0] <= 0:
        return math.nan
    level = 10 * np.log10(np.maximum(energy / energy[0], 1e-30))
    first, last = int(np.argmax(level <= -top_db)), int(np.argmax(level <= -bottom_db))
    if level[-1] > -bottom_db or last - first < 2:
        return math.nan
    slope = np.polyfit(np.arange(first, last) / sr, level[first:last], 1)[0]
    return float(-60.0 / slope) if slope < 0 else math.nan


def _match_decay(rir: np.ndarray, sr: int, rt60: float) -> np.ndarray:
    """``rir`` (direct sound at 0) with its decay shortened to ``rt60`` when it is longer.

    The image-source model decays more slowly than Sabine's formula says in flat or long
    rooms (few reflections along the long axes): up to 1.9 times in the halls
    :func:`draw_room` draws. An exponential window brings its T20 back to ``rt60``; a
    decay already shorter (the order cap) is kept."""
    measured = decay_time(rir, sr)
    if not measured > rt60:
        return rir
    t = np.arange(rir.size) / sr
    return rir * 10.0 ** (-3.0 * t * (1.0 / rt60 - 1.0 / measured))


def _delay(x: np.ndarray, shift: float) -> np.ndarray:
    """``x`` delayed by ``shift`` samples (a fraction: negative is earlier), band-limited."""
    size = 1 << (x.size + 64 - 1).bit_length()
    spectrum = np.fft.rfft(x, size) * np.exp(-2j * np.pi * np.fft.rfftfreq(size) * shift)
    return np.fft.irfft(spectrum, size)[: x.size]


def _direct_index(rir: np.ndarray) -> int:
    """The direct sound: the first sample of at least a quarter of the response's peak
    (not the peak itself: early reflections that arrive together can add up to twice the
    direct sound, in about one room in ten :func:`draw_room` draws)."""
    magnitude = np.abs(rir)
    return int(np.argmax(magnitude >= 0.25 * magnitude.max()))


def reverberate(samples: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``samples`` as heard through ``rir``: same length, same timing, same RMS level.

    FFT convolution, aligned on the response's direct sound (its first sample of at least
    a quarter of its peak: sample 0 of :func:`room_impulse_response`'s): whatever comes
    before it (a measured response's propagation delay) does not delay the output, so an
    onset stays where it was. The tail past the end of ``samples`` is cut. The result is
    scaled to the RMS level of ``samples``, and down to a peak of 1 when it would go above.
    """
    x = np.asarray(samples, dtype=np.float64)
    h = np.asarray(rir, dtype=np.float64)
    if x.ndim != 1 or h.ndim != 1 or h.size == 0:
        raise InputError(f"reverberate needs 1-D samples and a non-empty 1-D response, got {x.shape} and {h.shape}")
    if x.size == 0 or not np.any(h):
        return x.astype(np.float32)
    start = _direct_index(h)
    size = 1 << (x.size + h.size - 2).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[start : start + x.size]
    before, after = _rms(x), _rms(y)
    if after > 0:
        y *= before / after
    return _peak_limited(y)


def far_source(room: Room) -> Position:
    """Where :func:`far_field` puts a second talker: the spot :data:`WALL_MARGIN` from the
    walls, at the talker's height, farthest from the microphone.

    Raises:
        InputError: that is nearer than :data:`FAR_FIELD_DISTANCE` (a car, a small office).
    """
    mic = room.microphone
    length, width, height = room.dimensions
    x = length - WALL_MARGIN if mic[0] < length / 2 else WALL_MARGIN
    y = width - WALL_MARGIN if mic[1] < width / 2 else WALL_MARGIN
    z = min(max(room.source[2], WALL_MARGIN), height - WALL_MARGIN)
    spot = (round(x, 2), round(y, 2), round(z, 2))
    if math.dist(spot, mic) < FAR_FIELD_DISTANCE:
        raise InputError(
            f"the {room.kind} {room.dimensions} has no spot {FAR_FIELD_DISTANCE} m from its microphone "
            f"{mic} for a far talker (the farthest is {math.dist(spot, mic):.2f} m)"
        )
    return spot


def draw_far_field_room(rng: random.Random, rt60: tuple[float, float], kinds: Sequence[str]) -> Room:
    """A room drawn as :func:`draw_room` draws it, drawn again (from the same ``rng``) while it has
    no spot for a far talker (:func:`far_source`): a small office whose microphone stands in the
    middle has none. The first draw is kept when it fits, so corpora made before stay the same.

    Raises:
        InputError: as :func:`draw_room`, or 100 draws without a spot (``kinds`` too small).
    """
    for _ in range(100):
        room = draw_room(rng, rt60, kinds)
        try:
            far_source(room)
        except InputError:
            continue
        return room
    raise InputError(f"no room of {', '.join(kinds)} drawn had a spot {FAR_FIELD_DISTANCE} m from its microphone")


def far_field(samples: np.ndarray, sr: int, room: Room) -> np.ndarray:
    """A second talker for overlapping speech: ``samples`` spoken from :func:`far_source`
    (at least :data:`FAR_FIELD_DISTANCE` from the microphone) in ``room``, reverberated
    (mostly reverberation, little direct sound). Same length, timing and RMS level as
    ``samples``: the mixing level is the caller's.

    Raises:
        InputError: the room is too small (see :func:`far_source`).
    """
    return reverberate(samples, room_impulse_response(replace(room, source=far_source(room)), sr))


# --- clipping ------------------------------------------------------------------------------


def clip(samples: np.ndarray, ceiling_db: float) -> np.ndarray:
    """An overdriven input: ``samples`` scaled to a peak of 1, then hard clipped at
    ``ceiling_db`` dBFS (``-6`` clips at 0.5). The result's peak is the ceiling.

    Raises:
        InputError: ``ceiling_db`` is not a number at most 0.
    """
    if not (_finite(ceiling_db) and ceiling_db <= 0):
        raise InputError(f"clip ceiling must be at most 0 dBFS, got {ceiling_db!r}")
    x = np.asarray(samples, dtype=np.float64)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0:
        return x.astype(np.float32)
    ceiling = 10 ** (ceiling_db / 20)
    return np.clip(x / peak, -ceiling, ceiling).astype(np.float32)


# --- codecs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    """A speech codec :func:`codec_round_trip` runs.

    Attributes:
        name: the key in :data:`CODECS`.
        description: what it is.
        rate: the sample rate it runs at (Hz).
        bitrates: the bit rates it can run at (bit/s), for ``bitrate=``.
        default_bitrate: the one used when none is given.
        tool: ``numpy`` (G.711, :mod:`awal.audio`), ``ffmpeg`` or ``sox``.
        encoder: the ffmpeg encoder or the sox file type.
        container: the ffmpeg format the coded stream goes through the pipe in.
        delay: samples (at ``rate``) the round trip delays the audio by, removed.
        options: more encoder options (ffmpeg).
    """

    name: str
    description: str
    rate: int
    bitrates: tuple[int, ...]
    default_bitrate: int
    tool: str
    encoder: str = ""
    container: str = ""
    delay: int = 0
    options: tuple[str, ...] = ()


#: AMR-NB's eight modes (bit/s): sox's ``-C`` is the index.
AMR_NB_MODES = (4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200)

#: Every codec :func:`codec_round_trip` knows, by name.
CODECS: Mapping[str, Codec] = MappingProxyType(
    {
        codec.name: codec
        for codec in (
            Codec("mulaw", "G.711 mu-law (North America, Japan)", 8000, (64000,), 64000, "numpy"),
            Codec("alaw", "G.711 A-law (Europe, Africa and most of the world)", 8000, (64000,), 64000,
                  "numpy"),
            Codec("gsm", "GSM 06.10 full rate (2G mobile)", 8000, (13000,), 13000, "ffmpeg", "libgsm", "gsm"),
            Codec("amr_nb", "AMR narrowband (2G/3G mobile)", 8000, AMR_NB_MODES, 12200, "sox", "amr-nb", delay=40),
            Codec("g723_1", "G.723.1 (early VoIP)", 8000, (6300,), 6300, "ffmpeg", "g723_1", "g723_1", delay=60),
            Codec("g726", "G.726 ADPCM (DECT, VoIP)", 8000, (16000, 24000, 32000, 40000), 32000, "ffmpeg", "g726",
                  "matroska"),
            Codec("g722", "G.722 wideband ADPCM (HD voice)", 16000, (64000,), 64000, "ffmpeg", "g722", "g722",
                  delay=22),
            Codec("speex", "Speex narrowband (VoIP)", 8000, (5950, 8000, 11000, 15000), 8000, "ffmpeg", "libspeex",
                  "ogg", delay=80),
            Codec("speex_wb", "Speex wideband (VoIP)", 16000, (9800, 12800, 16800, 23800), 16800, "ffmpeg",
                  "libspeex", "ogg", delay=223),
            Codec("opus", "Opus, VoIP mode at low bit rates (WebRTC, messaging apps)", 16000,
                  (6000, 8000, 12000, 16000), 12000, "ffmpeg", "libopus", "ogg", options=("-application", "voip")),
        )
    }
)  # fmt: skip


def _codec(name: str) -> Codec:
    if name not in CODECS:
        raise InputError(f"unknown codec {name!r}: known codecs are {', '.join(CODECS)}")
    return CODECS[name]


def codec_round_trip(samples: np.ndarray, sr: int, codec: str, bitrate: int | None = None) -> np.ndarray:
    """``samples`` encoded and decoded by ``codec`` (a key of :data:`CODECS`) at ``bitrate``
    bit/s (the codec's default when None).

    Resampled to the codec's rate (:func:`awal.audio.resample`), coded, the codec's delay
    removed, resampled back to ``sr``: exactly ``len(samples)`` float32 samples, aligned
    with the input within 2 ms, clipped to ``[-1, 1]`` (the codecs run on 16-bit PCM).

    Raises:
        InputError: an unknown codec or bit rate (the message lists the known ones), or the
            tool or encoder the codec needs is missing (the message names it).
    """
    spec = _codec(codec)
    bits = spec.default_bitrate if bitrate is None else bitrate
    if bits not in spec.bitrates:
        raise InputError(f"codec {codec} runs at {', '.join(map(str, spec.bitrates))} bit/s, not {bitrate}")
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise InputError(f"codec_round_trip needs mono samples (a 1-D array), got shape {x.shape}")
    if x.size == 0:
        return x.copy()
    narrow = resample(x, sr, spec.rate)
    # silence after the end flushes the codec's delay and its last frame out
    padded = np.concatenate([narrow, np.zeros(spec.delay + spec.rate // 10, dtype=np.float32)])
    decoded = _round_trip(spec, padded, bits)[spec.delay : spec.delay + narrow.size]
    out = resample(_fit(decoded, narrow.size), spec.rate, sr)
    return np.clip(_fit(out, x.size), -1.0, 1.0).astype(np.float32)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` cut or padded with zeros to ``n`` samples."""
    return x[:n] if x.size >= n else np.concatenate([x, np.zeros(n - x.size, dtype=x.dtype)])


def _round_trip(spec: Codec, samples: np.ndarray, bitrate: int) -> np.ndarray:
    """Encode and decode ``samples`` at ``spec.rate``."""
    if spec.name == "mulaw":
        return mulaw_decode(mulaw_encode(samples))
    if spec.name == "alaw":
        return alaw_decode(alaw_encode(samples))
    if spec.tool == "sox":
        raw = ["-t", "raw", "-r", str(spec.rate), "-e", "signed-integer", "-b", "16", "-c", "1", "-L"]
        mode = str(AMR_NB_MODES.index(bitrate))
        commands = [
            ["sox", "-V1", "-D", *raw, "-", "-t", spec.encoder, "-C", mode, "-"],
            ["sox", "-V1", "-D", "-t", spec.encoder, "-", *raw, "-"],
        ]
    else:
        quiet = ["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error"]
        pcm = ["-f", "s16le", "-ar", str(spec.rate), "-ac", "1"]
        commands = [
            [*quiet, *pcm, "-i", "pipe:0", "-c:a", spec.encoder, "-b:a", str(bitrate), *spec.options,
             "-f", spec.container, "pipe:1"],
            [*quiet, "-f", spec.container, "-i", "pipe:0", *pcm, "pipe:1"],
        ]  # fmt: skip
    tool = shutil.which(spec.tool)
    if tool is None:
        raise InputError(f"the {spec.name} codec needs {spec.tool}, which is not installed: {_TOOL_HINT[spec.tool]}")
    for command in commands:
        command[0] = tool
    return pcm16_decode(_pipeline(commands, pcm16_encode(samples), spec))


def _pipeline(commands: Sequence[Sequence[str]], data: bytes, spec: Codec) -> bytes:
    """``data`` through ``commands[0] | commands[1]``; the last one's output."""
    encoder = subprocess.Popen(commands[0], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert encoder.stdin is not None and encoder.stdout is not None and encoder.stderr is not None
    try:
        decoder = subprocess.Popen(commands[1], stdin=encoder.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except BaseException:
        encoder.kill()
        encoder.wait()
        raise
    encoder.stdout.close()  # the decoder's now: the encoder sees a closed pipe if it exits
    errors: list[bytes] = []
    threads = [
        threading.Thread(target=_feed, args=(encoder.stdin, data), daemon=True),
        threading.Thread(target=_read, args=(encoder.stderr, errors), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        out, decoder_errors = decoder.communicate(timeout=_TIMEOUT_S)
        encoder.wait(timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        encoder.kill()
        decoder.kill()
        encoder.wait()
        decoder.wait()
        raise RuntimeError(f"the {spec.name} round trip took more than {_TIMEOUT_S:.0f} s") from None
    for thread in threads:
        thread.join()
    for process, stderr in ((encoder, errors[0] if errors else b""), (decoder, decoder_errors)):
        if process.returncode != 0:
            raise _failure(spec, stderr.decode("utf-8", "replace").strip())
    return out


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except (BrokenPipeError, OSError):
        pass  # the encoder stopped early: its stderr says why
    finally:
        try:
            stream.close()
        except (BrokenPipeError, OSError):
            pass


def _read(stream: IO[bytes], into: list[bytes]) -> None:
    into.append(stream.read())
    stream.close()


def _failure(spec: Codec, stderr: str) -> Exception:
    """An :class:`InputError` when the encoder is missing from this build, else a RuntimeError."""
    lines = stderr.splitlines()
    detail = " / ".join(lines[-3:]) or "no message"
    if any(sign in stderr for sign in _MISSING_ENCODER):
        where = f"{spec.tool} -encoders" if spec.tool == "ffmpeg" else "sox -h"
        return InputError(
            f"the {spec.name} codec needs the {spec.encoder} encoder, which this {spec.tool} does not have "
            f"(`{where}` lists what it has): {detail}"
        )
    return RuntimeError(f"the {spec.name} round trip failed in {spec.tool}: {detail}")


def available_codecs() -> tuple[str, ...]:
    """The names in :data:`CODECS` this machine can run: G.711 always, the ffmpeg ones whose
    encoder ``ffmpeg -encoders`` lists, AMR-NB when sox encodes 20 ms of silence with it.
    Runs the tools (about 0.2 s)."""
    names = [name for name, spec in CODECS.items() if spec.tool == "numpy"]
    ffmpeg, sox = shutil.which("ffmpeg"), shutil.which("sox")
    encoders: set[str] = set()
    if ffmpeg:
        listing = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, timeout=60, check=False)
        for line in listing.stdout.decode("utf-8", "replace").splitlines():
            fields = line.split()
            if len(fields) >= 2 and len(fields[0]) == 6 and fields[0].startswith("A"):
                encoders.add(fields[1])
    for name, spec in CODECS.items():
        if spec.tool == "ffmpeg" and spec.encoder in encoders:
            names.append(name)
        elif spec.tool == "sox" and sox:
            probe = subprocess.run(
                [sox, "-V1", "-n", "-r", str(spec.rate), "-c", "1", "-t", spec.encoder, "-", "trim", "0", "0.02"],
                capture_output=True,
                timeout=60,
                check=False,
            )
            if probe.returncode == 0 and probe.stdout:
                names.append(name)
    return tuple(name for name in CODECS if name in names)


# --- one channel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """One drawn channel: what :func:`apply_channel` does to an utterance.

    Attributes:
        room: the room it is reverberated in, or None.
        codec: the codec (a key of :data:`CODECS`), or None.
        bitrate: the codec's bit rate (bit/s), or None (none, or the codec's default).
        clip_db: the clipping ceiling in dBFS (:func:`clip`), or None.
    """

    room: Room | None = None
    codec: str | None = None
    bitrate: int | None = None
    clip_db: float | None = None

    def __post_init__(self) -> None:
        if self.codec is not None:
            spec = _codec(self.codec)
            if self.bitrate is not None and self.bitrate not in spec.bitrates:
                raise InputError(f"codec {self.codec} runs at {spec.bitrates} bit/s, not {self.bitrate}")
        elif self.bitrate is not None:
            raise InputError(f"a bit rate ({self.bitrate}) without a codec")
        if self.clip_db is not None and not (_finite(self.clip_db) and self.clip_db <= 0):
            raise InputError(f"clip_db must be at most 0 dBFS, got {self.clip_db!r}")

    def as_dict(self) -> dict[str, Any]:
        """The channel as JSON-serializable manifest fields (None where not applied):
        ``room`` (its kind), ``rt60``, ``room_dim``, ``source_pos``, ``mic_pos`` (metres),
        ``clip_db``, ``codec``, ``bitrate``. :meth:`from_dict` reads them back."""
        room = self.room
        return {
            "room": room.kind if room else None,
            "rt60": room.rt60 if room else None,
            "room_dim": list(room.dimensions) if room else None,
            "source_pos": list(room.source) if room else None,
            "mic_pos": list(room.microphone) if room else None,
            "clip_db": self.clip_db,
            "codec": self.codec,
            "bitrate": self.bitrate,
        }

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> Channel:
        """The channel :meth:`as_dict` recorded (other keys are ignored)."""
        room = None
        if fields.get("room_dim") is not None:
            room = Room(
                _position(fields["room_dim"]),
                float(fields["rt60"]),
                _position(fields["source_pos"]),
                _position(fields["mic_pos"]),
                str(fields.get("room") or "room"),
            )
        return cls(room, fields.get("codec"), fields.get("bitrate"), fields.get("clip_db"))


def _position(values: Sequence[float]) -> Position:
    x, y, z = (float(v) for v in values)
    return (x, y, z)


@dataclass(frozen=True)
class ChannelOptions:
    """How :func:`draw_channel` draws channels.

    Attributes:
        reverb_prob: the probability of a room.
        rt60: (low, high) reverberation time in seconds: each kind of room drawn gets
            an RT60 uniform in its own range within this one (:func:`draw_room`).
        room_kinds: the kinds of room drawn (:data:`ROOM_KINDS`).
        codec_prob: the probability of a codec.
        codecs: the codecs drawn from, uniformly (keys of :data:`CODECS`, all by default:
            :func:`available_codecs` says which this machine runs); the bit rate is drawn
            uniformly among the codec's.
        clip_prob: the probability of clipping.
        clip_db: (low, high) clipping ceiling in dBFS, uniform.
    """

    reverb_prob: float = 0.5
    rt60: tuple[float, float] = (0.15, 0.9)
    room_kinds: tuple[str, ...] = tuple(ROOM_KINDS)
    codec_prob: float = 0.5
    codecs: tuple[str, ...] = tuple(CODECS)
    clip_prob: float = 0.1
    clip_db: tuple[float, float] = (-12.0, -3.0)

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("reverb_prob", "codec_prob", "clip_prob"):
            value = getattr(self, name)
            if not (_finite(value) and 0 <= value <= 1):
                problems.append(f"{name} must be a probability in [0, 1], got {value!r}")
        for name in ("rt60", "clip_db"):
            pair = getattr(self, name)
            if len(pair) != 2 or not all(_finite(v) for v in pair):
                problems.append(f"{name} must be a (low, high) pair of numbers, got {pair!r}")
            elif pair[0] > pair[1]:
                problems.append(f"{name}: low {pair[0]} > high {pair[1]}")
        unknown_kinds = [k for k in self.room_kinds if k not in ROOM_KINDS]
        if unknown_kinds or not self.room_kinds:
            problems.append(f"room_kinds must be among {', '.join(ROOM_KINDS)}, got {self.room_kinds}")
        elif len(self.rt60) == 2 and all(_finite(v) for v in self.rt60) and self.rt60[0] <= self.rt60[1]:
            if not any(_overlap(k, self.rt60) for k in self.room_kinds):
                spans = ", ".join(f"{k} {ROOM_KINDS[k].rt60[0]}-{ROOM_KINDS[k].rt60[1]} s" for k in self.room_kinds)
                problems.append(f"no room kind has an RT60 in {self.rt60} ({spans})")
        unknown = [c for c in self.codecs if c not in CODECS]
        if unknown:
            problems.append(f"unknown codecs {', '.join(map(repr, unknown))}: known codecs are {', '.join(CODECS)}")
        if not self.codecs and self.codec_prob > 0:
            problems.append("codecs must not be empty when codec_prob > 0")
        if len(self.clip_db) == 2 and _finite(self.clip_db[1]) and self.clip_db[1] > 0:
            problems.append(f"clip_db must be at most 0 dBFS, got {self.clip_db}")
        if problems:
            raise InputError("channel options: " + "; ".join(problems))


def draw_channel(rng: random.Random, options: ChannelOptions) -> Channel:
    """A channel drawn from ``rng``: a room with probability ``reverb_prob``
    (:func:`draw_room`), a clipping ceiling with ``clip_prob`` (to 0.1 dB), a codec and
    one of its bit rates with ``codec_prob``. Deterministic for a seeded ``rng``."""
    room = draw_room(rng, options.rt60, options.room_kinds) if rng.random() < options.reverb_prob else None
    clip_db = round(rng.uniform(*options.clip_db), 1) if rng.random() < options.clip_prob else None
    codec = bitrate = None
    if rng.random() < options.codec_prob and options.codecs:
        codec = rng.choice(options.codecs)
        bitrate = rng.choice(CODECS[codec].bitrates)
    return Channel(room, codec, bitrate, clip_db)


def apply_channel(samples: np.ndarray, sr: int, channel: Channel) -> np.ndarray:
    """``samples`` through ``channel``: the room (:func:`room_impulse_response`,
    :func:`reverberate`), then clipping (:func:`clip`), then the codec
    (:func:`codec_round_trip`). Same length and timing; float32 with a peak of at most 1."""
    x = np.asarray(samples, dtype=np.float32)
    if channel.room is not None:
        x = reverberate(x, room_impulse_response(channel.room, sr))
    if channel.clip_db is not None:
        x = clip(x, channel.clip_db)
    if channel.codec is not None:
        x = codec_round_trip(x, sr, channel.codec, channel.bitrate)
    return _peak_limited(x)


# --- helpers -------------------------------------------------------------------------------


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def _peak_limited(x: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """``x`` as float32, scaled down to ``peak`` when it goes above."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (peak / top)).astype(np.float32) if top > peak else x.astype(np.float32)
