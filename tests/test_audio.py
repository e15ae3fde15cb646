"""awal.audio: decoding, resampling, channels, errors, and G.711 checked against sox,
ffmpeg and libsndfile.

Every file is generated in tmp_path from a known sine; nothing is mocked. The tests that
need sox or ffmpeg skip only when the tool is absent (scripts/setup.sh installs both).

What the reference tools do with G.711 (found by encoding all 65536 int16 values):

* decoding: sox, ffmpeg and libsndfile agree with awal on all 256 codes of both laws.
* libsndfile's encoder equals awal's on all 65536 inputs of both laws.
* sox (``-D``, no dither) runs the Sun/CCITT g711.c core, which uses G.711's decision
  values, but first rounds the 16-bit sample to the nearest 14-bit (mu-law) or 13-bit
  (A-law) value, and for a negative A-law value ``v`` takes the magnitude ``-v - 1``
  (ones' complement, as ITU-T G.191's reference code does). On inputs where neither
  applies it equals awal byte for byte; elsewhere the identities below hold exactly.
* ffmpeg builds its encoder table from midpoints between adjacent output values. Inside a
  segment those are G.711's decision values, but at a segment boundary they are not
  (mu-law 14-bit input 31: G.711 says output 33, ffmpeg gives 30), and ffmpeg floors
  negative samples to 14 bits (-1 -> output -8 while +1 -> 0). So ffmpeg is not
  G.711-exact; it disagrees with awal on ~850 of 65536 inputs, always by one step.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from awal.audio import (
    SAMPLE_RATE,
    Audio,
    AudioError,
    alaw_decode,
    alaw_encode,
    audio_info,
    deinterleave,
    interleave,
    load_audio,
    mulaw_decode,
    mulaw_encode,
    pcm16_decode,
    pcm16_encode,
    read_audio,
    resample,
    split_channels,
    stream_audio,
    to_mono,
    write_audio,
)

SOX = shutil.which("sox")
FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
NO_SOX = "sox is not installed (scripts/setup.sh installs it)"
NO_FFMPEG = "ffmpeg/ffprobe are not installed (scripts/setup.sh installs them)"

ALL_INT16 = np.arange(-32768, 32768).astype(np.int16)
ALL_CODES = bytes(range(256))
LAWS = {"mulaw": (mulaw_encode, mulaw_decode), "alaw": (alaw_encode, alaw_decode)}
NO_DB = settings(database=None, deadline=None)  # hypothesis writes nothing outside tmp_path


def _run(*cmd: str | Path) -> None:
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, timeout=60)


def _encode(law: str, x: np.ndarray) -> np.ndarray:
    return np.frombuffer(LAWS[law][0](x), dtype=np.uint8)


def _decode16(law: str, codes: np.ndarray | bytes) -> np.ndarray:
    """Decoded values at 16-bit scale, as int64 (exact: float32 holds every int16)."""
    return (LAWS[law][1](codes) * 32768).astype(np.int64)


# --- G.711 against the Recommendation ----------------------------------------------------


def _g711_cells(law: str) -> tuple[np.ndarray, np.ndarray]:
    """Lower decision values and output values of G.711 Tables 1 (A-law) / 2 (mu-law),
    as magnitudes at 16-bit scale; a decision value belongs to the interval above it."""
    if law == "mulaw":  # 14-bit uniform code (|x| <= 8159), x4
        cells = [(0, 0)] + [(2 * k - 1, 2 * k) for k in range(1, 16)]
        for segment in range(1, 8):
            start, step = 32 * 2**segment - 33, 2 ** (segment + 1)  # 31, 95, ..., 4063
            cells += [(start + k * step, start + k * step + step // 2) for k in range(16)]
        scale = 4
    else:  # 13-bit uniform code (|x| <= 4096), x8
        cells = [(2 * k, 2 * k + 1) for k in range(32)]  # segments 0 and 1, step 2
        for segment in range(2, 8):
            start, step = 16 * 2**segment, 2**segment  # 64, 128, ..., 2048
            cells += [(start + k * step, start + k * step + step // 2) for k in range(16)]
        scale = 8
    lower, output = np.array(cells).T * scale
    assert len(lower) == 128 and np.all(np.diff(lower) > 0)
    return lower, output


@pytest.mark.parametrize("law", LAWS)
def test_encoder_uses_g711_decision_values(law: str) -> None:
    """All 65536 int16 inputs land in the G.711 interval that holds their magnitude."""
    lower, output = _g711_cells(law)
    x = ALL_INT16.astype(np.int64)
    cell = np.searchsorted(lower, np.abs(x), side="right") - 1  # the top cell takes the clipped
    expected = np.where(x < 0, -output[cell], output[cell])
    codes = _encode(law, ALL_INT16)
    np.testing.assert_array_equal(_decode16(law, codes), expected)
    # The sign bit is the sample's sign (so mu-law -1 is 0x7F, the negative zero).
    np.testing.assert_array_equal(codes >= 0x80, x >= 0)


@pytest.mark.parametrize("law", LAWS)
def test_decoder_outputs_are_g711_output_values(law: str) -> None:
    _, output = _g711_cells(law)
    decoded = _decode16(law, ALL_CODES)
    expected = np.concatenate([-output, output])
    assert sorted(decoded.tolist()) == sorted(expected.tolist())


def test_itu_table_values() -> None:
    mu = dict(zip(ALL_CODES, _decode16("mulaw", ALL_CODES), strict=True))
    assert (mu[0xFF], mu[0x7F], mu[0x80], mu[0x00]) == (0, 0, 32124, -32124)
    assert (mu[0xFE], mu[0x7E], mu[0xF0], mu[0xEF]) == (8, -8, 120, 132)  # 14-bit 2, -2, 30, 33
    a = dict(zip(ALL_CODES, _decode16("alaw", ALL_CODES), strict=True))
    # A-law's sign bit is 1 for positive values: 0xAA is +32256 and 0x2A is -32256.
    assert (a[0xD5], a[0x55], a[0xAA], a[0x2A]) == (8, -8, 32256, -32256)
    assert (a[0xD4], a[0xC5], a[0xF5]) == (24, 264, 528)
    mu_in = [0, 3, -1, -4, 4, 123, 124, 32767, -32768]
    mu_out = [0xFF, 0xFF, 0x7F, 0x7E, 0xFE, 0xF0, 0xEF, 0x80, 0x00]
    assert _encode("mulaw", np.array(mu_in, dtype=np.int16)).tolist() == mu_out
    a_in = [0, 15, -1, -16, 16, 32767, -32768]
    a_out = [0xD5, 0xD5, 0x55, 0x54, 0xD4, 0xAA, 0x2A]
    assert _encode("alaw", np.array(a_in, dtype=np.int16)).tolist() == a_out


def test_float_convention() -> None:
    x = np.array([1.0, -1.0, 2.0, -3.0, 0.5, 1 / 32768, -0.45 / 32768], dtype=np.float32)
    pcm = np.frombuffer(pcm16_encode(x), "<i2").tolist()
    assert pcm == [32767, -32768, 32767, -32768, 16384, 1, 0]
    assert pcm16_encode(ALL_INT16) == ALL_INT16.astype("<i2").tobytes()  # int16 passes through
    np.testing.assert_array_equal(pcm16_decode(pcm16_encode(ALL_INT16)), ALL_INT16 / np.float32(32768))
    for law in LAWS:  # float and int16 inputs encode identically
        assert LAWS[law][0](ALL_INT16 / np.float32(32768)) == LAWS[law][0](ALL_INT16)
    with pytest.raises(ValueError, match="NaN"):
        mulaw_encode(np.array([0.0, np.nan]))
    with pytest.raises(TypeError):
        alaw_encode(np.array([1, 2], dtype=np.int32))
    with pytest.raises(ValueError, match="even"):
        pcm16_decode(b"\x00\x01\x02")
    assert mulaw_decode(np.frombuffer(b"\xff\x80", np.uint8)).dtype == np.float32


# --- G.711 against the tools -------------------------------------------------------------


@pytest.fixture(scope="module")
def g711_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("g711")
    (d / "all.s16").write_bytes(ALL_INT16.astype("<i2").tobytes())
    (d / "codes.u8").write_bytes(ALL_CODES)
    return d


@pytest.fixture(scope="module")
def sox_g711(g711_dir: Path) -> dict[str, np.ndarray]:
    if SOX is None:
        pytest.skip(NO_SOX)
    out = {}
    for law, encoding in (("mulaw", "mu-law"), ("alaw", "a-law")):
        # -D: sox would otherwise dither, since it counts mu-law as 14 bits and A-law as 13.
        raw16 = ("-t", "raw", "-r", "8000", "-c", "1", "-e", "signed", "-b", "16")
        raw8 = ("-t", "raw", "-r", "8000", "-c", "1", "-e", encoding, "-b", "8")
        _run(SOX, "-D", *raw16, g711_dir / "all.s16", *raw8, g711_dir / f"sox.{law}")
        _run(SOX, "-D", *raw8, g711_dir / "codes.u8", *raw16, g711_dir / f"sox.{law}.s16")
        out[f"{law}.encoded"] = np.fromfile(g711_dir / f"sox.{law}", np.uint8)
        out[f"{law}.decoded"] = np.fromfile(g711_dir / f"sox.{law}.s16", "<i2").astype(np.int64)
    return out


@pytest.fixture(scope="module")
def ffmpeg_g711(g711_dir: Path) -> dict[str, np.ndarray]:
    if FFMPEG is None:
        pytest.skip(NO_FFMPEG)
    out = {}
    for law in ("mulaw", "alaw"):
        ff = (FFMPEG, "-nostdin", "-v", "error", "-y")
        raw16 = ("-f", "s16le", "-ar", "8000", "-ac", "1")
        raw8 = ("-f", law, "-ar", "8000", "-ac", "1")
        _run(*ff, *raw16, "-i", g711_dir / "all.s16", *raw8, g711_dir / f"ff.{law}")
        _run(*ff, *raw8, "-i", g711_dir / "codes.u8", *raw16, g711_dir / f"ff.{law}.s16")
        out[f"{law}.encoded"] = np.fromfile(g711_dir / f"ff.{law}", np.uint8)
        out[f"{law}.decoded"] = np.fromfile(g711_dir / f"ff.{law}.s16", "<i2").astype(np.int64)
    return out


@pytest.mark.parametrize("law", LAWS)
def test_decoder_matches_sox(law: str, sox_g711: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(_decode16(law, ALL_CODES), sox_g711[f"{law}.decoded"])


@pytest.mark.parametrize("law", LAWS)
def test_decoder_matches_ffmpeg(law: str, ffmpeg_g711: dict[str, np.ndarray]) -> None:
    np.testing.assert_array_equal(_decode16(law, ALL_CODES), ffmpeg_g711[f"{law}.decoded"])


@pytest.mark.parametrize(("law", "subtype"), [("mulaw", "ULAW"), ("alaw", "ALAW")])
def test_codec_matches_libsndfile(law: str, subtype: str) -> None:
    """libsndfile's g711 (in-process, its own tables) agrees on every input and code."""
    buffer = io.BytesIO()
    sf.write(buffer, ALL_INT16, 8000, format="RAW", subtype=subtype)
    assert _encode(law, ALL_INT16).tobytes() == buffer.getvalue()
    raw = {"format": "RAW", "subtype": subtype, "samplerate": 8000, "channels": 1}
    decoded, _ = sf.read(io.BytesIO(ALL_CODES), dtype="int16", **raw)
    np.testing.assert_array_equal(_decode16(law, ALL_CODES), decoded)


def test_mulaw_encoder_matches_sox(sox_g711: dict[str, np.ndarray]) -> None:
    sox = sox_g711["mulaw.encoded"]
    x = ALL_INT16.astype(np.int64)
    on_grid = x % 4 == 0  # already 14-bit: sox's rounding does nothing
    assert on_grid.sum() == 16384
    assert _encode("mulaw", ALL_INT16[on_grid]).tobytes() == sox[on_grid].tobytes()
    # Everywhere: sox == awal applied to the sample rounded (half up) to 14 bits.
    rounded = np.minimum((x + 2) >> 2, 8191) << 2
    assert _encode("mulaw", rounded.astype(np.int16)).tobytes() == sox.tobytes()


def test_alaw_encoder_matches_sox(sox_g711: dict[str, np.ndarray]) -> None:
    sox = sox_g711["alaw.encoded"]
    x = ALL_INT16.astype(np.int64)
    # Inputs where sox's rounding and ones' complement change nothing: non-negative
    # multiples of 8, and negative 13-bit odd values (the centres of the 12-bit cells).
    plain = ((x >= 0) & (x % 8 == 0)) | ((x < 0) & (x % 16 == 8))
    assert plain.sum() == 4096 + 2048
    assert _encode("alaw", ALL_INT16[plain]).tobytes() == sox[plain].tobytes()
    # Everywhere: sox rounds to 13 bits (v), then encodes a negative v with magnitude
    # -v - 1 (ones' complement), i.e. as awal encodes the positive 8 * (-v) - 1, sign flipped.
    v = np.minimum((x + 4) >> 3, 4095)
    positive = _encode("alaw", (8 * v).clip(0, 32767).astype(np.int16))
    negative = _encode("alaw", (-8 * v - 1).clip(0, 32767).astype(np.int16)) ^ 0x80
    assert np.where(v >= 0, positive, negative).tobytes() == sox.tobytes()


@pytest.mark.parametrize("law", LAWS)
def test_encoder_vs_ffmpeg(law: str, ffmpeg_g711: dict[str, np.ndarray]) -> None:
    """ffmpeg is not G.711-exact at segment edges (see the module docstring): it must agree
    on every output value, and differ elsewhere by at most one quantization step."""
    ff = ffmpeg_g711[f"{law}.encoded"]
    levels = _decode16(law, ALL_CODES)  # every output value, fed back in
    assert np.array_equal(ff[levels + 32768], _encode(law, levels.astype(np.int16)))
    mine = _encode(law, ALL_INT16)
    differ = mine != ff
    assert 0 < differ.sum() < 0.02 * len(ALL_INT16)
    order = np.argsort(_decode16(law, ALL_CODES), kind="stable")
    rank = np.empty(256, dtype=np.int64)
    rank[order] = np.arange(256)
    assert np.abs(rank[mine[differ]] - rank[ff[differ]]).max() == 1


@pytest.mark.parametrize("law", LAWS)
def test_every_code_round_trips(law: str) -> None:
    encode, decode = LAWS[law]
    codes = np.frombuffer(encode(decode(ALL_CODES)), np.uint8)
    expected = np.arange(256)
    if law == "mulaw":
        expected[0x7F] = 0xFF  # 0x7F and 0xFF both decode to 0, and 0 encodes as 0xFF
    np.testing.assert_array_equal(codes, expected)


@NO_DB
@given(code=st.integers(0, 255), law=st.sampled_from(sorted(LAWS)))
def test_decode_encode_decode_is_identity(code: int, law: str) -> None:
    encode, decode = LAWS[law]
    value = decode(bytes([code]))
    assert decode(encode(value)).tobytes() == value.tobytes()
    canonical = 0xFF if (law, code) == ("mulaw", 0x7F) else code
    assert encode(value) == bytes([canonical])


@NO_DB
@given(
    x=st.lists(st.floats(-1.5, 1.5, allow_nan=False, width=32), min_size=2, max_size=64),
    law=st.sampled_from(sorted(LAWS)),
)
def test_codec_is_odd_and_monotonic(x: list[float], law: str) -> None:
    encode, decode = LAWS[law]
    samples = np.array(x, dtype=np.float32)
    codes = np.frombuffer(encode(samples), np.uint8)
    flipped = np.frombuffer(encode(-samples), np.uint8)
    nonzero = np.rint(np.clip(samples, -1, 1) * 32768) != 0
    np.testing.assert_array_equal(flipped[nonzero], codes[nonzero] ^ 0x80)
    order = np.argsort(samples, kind="stable")
    assert np.all(np.diff(decode(codes)[order]) >= 0)
    # idempotent up to the value: re-encoding the decoded samples changes nothing audible
    np.testing.assert_array_equal(decode(encode(decode(codes))), decode(codes))


# --- decoding formats --------------------------------------------------------------------

RATE = 24000  # every codec here (mp3, aac, vorbis, opus) supports it natively
FORMATS = {  # extension -> ffmpeg encoder arguments (None: written by write_audio)
    "wav": None,
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "4"],
    "opus": ["-c:a", "libopus", "-b:a", "64k"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "96k"],
    "m4a": ["-c:a", "aac", "-b:a", "96k"],
}


def _sine(freq: float, sr: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=8 * len(x)))
    return float(np.argmax(spectrum) * sr / (8 * len(x)))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.fixture(scope="module")
def sine_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("formats")
    files = {"wav": d / "sine.wav"}
    write_audio(files["wav"], _sine(440, RATE), RATE)
    if FFMPEG is not None and FFPROBE is not None:  # awal's fallback decoder needs both
        for ext, args in FORMATS.items():
            if args is not None:
                files[ext] = d / f"sine.{ext}"
                _run(FFMPEG, "-nostdin", "-v", "error", "-y", "-i", files["wav"], *args, files[ext])
    return files


@pytest.mark.parametrize("ext", FORMATS)
def test_decode_format(ext: str, sine_files: dict[str, Path]) -> None:
    if ext not in sine_files:
        pytest.skip(NO_FFMPEG)
    path = sine_files[ext]
    native = read_audio(path, sr=None, mono=False)
    assert native.sample_rate == RATE and native.channels == 1 and native.source_channels == 1
    assert native.samples.dtype == np.float32 and native.samples.shape[0] == 1
    if ext in ("wav", "flac"):
        np.testing.assert_allclose(native.samples[0], _sine(440, RATE), atol=1 / 32768)
    else:  # encoder delay/padding: at most a couple of codec frames
        assert abs(native.frames - RATE) <= 2048, native.frames

    x = load_audio(path)  # 16 kHz mono
    assert x.ndim == 1 and x.dtype == np.float32
    assert abs(len(x) - SAMPLE_RATE * native.frames / RATE) <= 1
    assert np.abs(x).max() <= 1.0
    middle = x[1600:-1600]
    assert _peak_hz(middle, SAMPLE_RATE) == pytest.approx(440, abs=2)
    assert _rms(middle) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "m4a"])
def test_audio_info(ext: str, sine_files: dict[str, Path]) -> None:
    if ext not in sine_files:
        pytest.skip(NO_FFMPEG)
    info = audio_info(sine_files[ext])
    assert (info.sample_rate, info.channels) == (RATE, 1)
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert abs(info.frames - RATE) <= 2400
    codec = {"wav": "pcm_16", "flac": "pcm_16", "mp3": "mpeg_layer_iii", "m4a": "aac"}[ext]
    assert info.codec == codec
    if ext == "m4a":  # ffprobe's format_name: "mov,mp4,m4a,3gp,3g2,mj2"
        assert "m4a" in info.format.split(",")
    else:
        assert info.format == ext
    if ext in ("wav", "flac"):
        assert info.frames == RATE


def test_bytes_and_file_objects(sine_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wav = sine_files["wav"]
    expected = load_audio(wav)
    np.testing.assert_array_equal(load_audio(wav.read_bytes()), expected)
    with wav.open("rb") as f:
        np.testing.assert_array_equal(load_audio(f), expected)
    assert audio_info(io.BytesIO(wav.read_bytes())).frames == RATE
    if "m4a" in sine_files:  # ffmpeg needs a real file: in-memory m4a goes through a temp file
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        from_bytes = load_audio(io.BytesIO(sine_files["m4a"].read_bytes()))
        np.testing.assert_array_equal(from_bytes, load_audio(sine_files["m4a"]))
        assert list(tmp_path.iterdir()) == []  # cleaned up


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg"])
def test_write_audio_round_trip(ext: str, tmp_path: Path) -> None:
    stereo = np.stack([_sine(300, 8000), _sine(1200, 8000, amp=0.25)])
    path = tmp_path / f"x.{ext}"
    write_audio(path, stereo, 8000)
    audio = read_audio(path, sr=None, mono=False)
    assert (audio.sample_rate, audio.channels, audio.frames) == (8000, 2, 8000)
    if ext == "ogg":
        np.testing.assert_allclose(audio.samples, stereo, atol=0.05)
    else:  # 16-bit PCM, written with the same int16 convention: exact
        np.testing.assert_array_equal(audio.samples, pcm16_decode(pcm16_encode(stereo)).reshape(2, -1))


def test_write_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"cannot write .*x\.m4a.*unsupported extension"):
        write_audio(tmp_path / "x.m4a", _sine(440, 8000), 8000)
    with pytest.raises(AudioError, match="cannot write"):
        write_audio(tmp_path / "missing-dir" / "x.wav", _sine(440, 8000), 8000)


# --- resampling and channels -------------------------------------------------------------


@pytest.mark.parametrize(("orig", "freq"), [(44100, 1000.0), (8000, 440.0), (48000, 3000.0)])
def test_resample_sine(orig: int, freq: float) -> None:
    x = _sine(freq, orig)
    y = resample(x, orig, 16000)
    assert y.dtype == np.float32 and abs(len(y) - 16000) <= 1
    assert _peak_hz(y, 16000) == pytest.approx(freq, abs=1)
    assert _rms(y[800:-800]) == pytest.approx(_rms(x), rel=0.01)
    np.testing.assert_allclose(y[800:-800], _sine(freq, 16000)[800 : len(y) - 800], atol=2e-3)


def test_resample_channels_and_identity() -> None:
    stereo = np.stack([_sine(440, 44100), _sine(1000, 44100, amp=0.2)])
    out = resample(stereo, 44100, 16000)
    assert out.shape == (2, 16000) and out.dtype == np.float32
    for channel, y in zip(stereo, out, strict=True):
        np.testing.assert_allclose(y, resample(channel, 44100, 16000), atol=1e-6)
    x = _sine(440, 16000)
    assert resample(x, 16000, 16000) is x
    assert resample(np.zeros(0, np.float32), 8000, 16000).shape == (0,)
    with pytest.raises(ValueError):
        resample(x, 0, 16000)


def test_stereo_split_and_downmix(tmp_path: Path) -> None:
    agent, customer = _sine(440, 8000, amp=0.6), _sine(1000, 8000, amp=0.2)
    path = tmp_path / "call.wav"
    write_audio(path, np.stack([agent, customer]), 8000)

    audio = read_audio(path, sr=None, mono=False)
    assert audio.samples.shape == (2, 8000) and audio.source_channels == 2
    left, right = split_channels(audio.samples)
    assert _peak_hz(left, 8000) == pytest.approx(440, abs=1)
    assert _peak_hz(right, 8000) == pytest.approx(1000, abs=1)
    assert _rms(left) == pytest.approx(0.6 / np.sqrt(2), rel=1e-3)
    assert _rms(right) == pytest.approx(0.2 / np.sqrt(2), rel=1e-3)

    mono = read_audio(path, sr=None)
    assert mono.samples.ndim == 1 and mono.channels == 1 and mono.source_channels == 2
    np.testing.assert_allclose(mono.samples, (left + right) / 2, atol=1e-7)
    np.testing.assert_allclose(to_mono(audio.samples), (left + right) / 2, atol=1e-7)
    up = read_audio(path, sr=16000, mono=False)
    assert up.samples.shape == (2, 16000) and up.sample_rate == 16000
    assert up.duration == pytest.approx(1.0)


def test_interleave() -> None:
    pcm = np.array([1, -1, 2, -2, 3, -3], dtype=np.int16)  # L R L R L R
    channels = deinterleave(pcm, 2)
    assert channels.tolist() == [[1, 2, 3], [-1, -2, -3]]
    np.testing.assert_array_equal(interleave(channels), pcm)
    np.testing.assert_array_equal(interleave([channels[0], channels[1]]), pcm)
    # A stereo G.711 call: interleaved codes -> float -> channels.
    stereo = np.stack([_sine(440, 8000), _sine(1000, 8000)])
    decoded = deinterleave(mulaw_decode(mulaw_encode(interleave(stereo))), 2)
    assert decoded.shape == (2, 8000)
    np.testing.assert_allclose(decoded, stereo, atol=0.02)
    with pytest.raises(ValueError, match="multiple of 2"):
        deinterleave(pcm[:5], 2)
    assert split_channels(pcm)[0] is pcm


def test_audio_dataclass() -> None:
    audio = Audio(samples=np.zeros((2, 800), np.float32), sample_rate=8000, source_channels=2)
    assert (audio.channels, audio.frames, audio.duration) == (2, 800, 0.1)
    with pytest.raises(AttributeError):
        audio.sample_rate = 16000  # type: ignore[misc]


# --- errors ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stereo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """25 s of 44.1 kHz stereo (a tone and noise), in every format: resampled and downmixed."""
    d = tmp_path_factory.mktemp("stereo")
    t = np.arange(44100 * 25) / 44100
    noise = 0.05 * np.random.default_rng(0).standard_normal(len(t))
    write_audio(d / "a.wav", np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 300 * t) + noise]),
                44100)  # fmt: skip
    files = {"wav": d / "a.wav"}
    if FFMPEG is not None and FFPROBE is not None:
        for ext, args in FORMATS.items():
            if args is not None:
                files[ext] = d / f"a.{ext}"
                _run(FFMPEG, "-nostdin", "-v", "error", "-y", "-i", files["wav"], *args, files[ext])
    return files


@pytest.mark.parametrize("ext", FORMATS)
def test_stream_audio_gives_load_audio_s_samples(ext: str, stereo_files: dict[str, Path]) -> None:
    """Blocks of any size, end to end, are exactly what :func:`load_audio` gives: libsndfile read
    block by block, ffmpeg's output read as it comes (m4a), soxr's streaming resampler."""
    if ext not in stereo_files:
        pytest.skip(NO_FFMPEG)
    path = stereo_files[ext]
    for offset, duration, block_s in [(0.0, None, 10.0), (3.3, None, 1.7), (2.0, 7.5, 0.9), (30.0, None, 10.0),
                                      (0.0, None, 0.05)]:  # fmt: skip
        blocks = list(stream_audio(path, offset=offset, duration=duration, block_s=block_s))
        assert all(b.ndim == 1 and b.dtype == np.float32 and len(b) for b in blocks)
        streamed = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
        np.testing.assert_array_equal(streamed, load_audio(path, offset=offset, duration=duration))
    np.testing.assert_array_equal(np.concatenate(list(stream_audio(path.read_bytes()))), load_audio(path))
    native = np.concatenate(list(stream_audio(path, sr=None)))
    np.testing.assert_array_equal(native, load_audio(path, sr=None))


def test_stream_audio_is_lazy_and_can_be_left_early(stereo_files: dict[str, Path], tmp_path: Path) -> None:
    """Nothing is read before the first block; a stream closed early stops its ffmpeg; a bad file
    raises AudioError from the iteration, bad arguments at the call."""
    with pytest.raises(ValueError):
        stream_audio(stereo_files["wav"], offset=-1.0)
    missing = stream_audio(tmp_path / "missing.wav")  # no error yet
    with pytest.raises(AudioError, match="no such file"):
        next(missing)
    if "m4a" in stereo_files:
        stream = stream_audio(stereo_files["m4a"], block_s=1.0)
        assert len(next(stream)) > 0
        stream.close()  # kills and reaps ffmpeg: no process left behind, no error


def _write_random(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def _write_text(path: Path) -> None:
    path.write_text("this is a text file, not an mp3\n" * 20)


def _write_truncated_wav(path: Path) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, _sine(440, 8000), 8000, format="WAV")
    path.write_bytes(buffer.getvalue()[:30])  # RIFF/WAVE/fmt, cut inside the fmt chunk


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("missing.wav", None, "no such file"),
        ("empty.wav", lambda p: p.write_bytes(b""), r"file is empty \(0 bytes\)"),
        ("random.wav", _write_random, "not an audio file"),
        ("text.mp3", _write_text, "not an audio file"),
        ("truncated.wav", _write_truncated_wav, "not an audio file"),
        ("folder.wav", lambda p: p.mkdir(), "is a directory"),
    ],
)
def test_bad_input_raises_audio_error(
    name: str, make: Callable[[Path], object] | None, reason: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if make is not None:
        make(path)
    if reason == "not an audio file" and FFPROBE is None:
        reason = "libsndfile cannot read it .* is not installed"
    for call in (load_audio, read_audio, audio_info):
        with pytest.raises(AudioError, match=f"^cannot decode {re.escape(repr(str(path)))}: {reason}") as caught:
            call(path)
        error = caught.value
        assert isinstance(error, ValueError) and error.source == str(path)
        # no soundfile/ffmpeg exception chained underneath
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_bad_bytes_raise_audio_error() -> None:
    with pytest.raises(AudioError, match=r"^cannot decode '<bytes>': input is empty"):
        load_audio(b"")
    if FFPROBE is not None:
        with pytest.raises(AudioError, match=r"^cannot decode '<bytes>': not an audio file"):
            load_audio(b"definitely not audio" * 50)


def test_read_a_segment_by_offset_and_duration(tmp_path) -> None:
    # A ramp, so that every sample says where it comes from.
    ramp = (np.arange(16000 * 3, dtype=np.float32) / (16000 * 3)).astype(np.float32)
    wav = tmp_path / "ramp.wav"
    sf.write(wav, ramp, 16000, subtype="FLOAT")
    seg = read_audio(wav, sr=None, offset=1.0, duration=0.5)
    assert seg.samples.shape == (8000,)
    np.testing.assert_array_equal(seg.samples, ramp[16000:24000])
    assert read_audio(wav, sr=None, offset=2.5).samples.shape == (8000,)  # to the end
    assert read_audio(wav, sr=None, offset=9.0).samples.shape == (0,)  # past the end
    with pytest.raises(ValueError):
        read_audio(wav, offset=-1.0)
