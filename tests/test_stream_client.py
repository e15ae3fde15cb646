"""The pieces of the streaming client and the server's latency clock that need no server."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from awal.errors import InputError

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("soundfile", "prometheus_client")),
    reason="needs the serve extra: pip install 'awal[serve]'",
)


def test_listen_url_accepts_bases_and_full_urls() -> None:
    from awal.service.client import listen_url

    assert listen_url("ws://h:8000", {"encoding": "linear16", "x": None}) == "ws://h:8000/v1/listen?encoding=linear16"
    assert listen_url("https://h", {"channels": 2}) == "wss://h/v1/listen?channels=2"
    assert listen_url("h:9", {}) == "ws://h:9/v1/listen"
    assert listen_url("ws://h/v1/listen?token=k", {"language": "zgh"}) == "ws://h/v1/listen?token=k&language=zgh"
    with pytest.raises(InputError, match="ws://"):
        listen_url("ftp://h", {})


def test_client_sends_the_files_channels_and_rate(tmp_path) -> None:
    import soundfile as sf

    from awal.service.client import ListenClient, StreamRequest, read_pcm16

    stereo = (np.random.default_rng(0).uniform(-0.5, 0.5, (800, 2))).astype(np.float32)
    sf.write(tmp_path / "call.wav", stereo, 8000, subtype="PCM_16")
    samples, rate = read_pcm16(tmp_path / "call.wav")
    assert rate == 8000 and samples.shape == (800, 2) and samples.dtype == np.int16
    url = ListenClient(StreamRequest("ws://h", language="ary", interim_results=False)).url(rate, 2)
    assert "sample_rate=8000" in url and "channels=2" in url and "multichannel=true" in url
    assert "interim_results=false" in url and "encoding=linear16" in url
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(InputError, match="bad.wav"):
        read_pcm16(tmp_path / "bad.wav")
    assert StreamRequest("ws://h", realtime=True).frame_ms == 20 and StreamRequest("ws://h").frame_ms == 100


def test_format_message_lines() -> None:
    from awal.service.client import format_message

    result = {"type": "Results", "channel_index": [1, 2], "start": 1.5, "duration": 2.0, "is_final": True,
              "speech_final": True, "language": "ary",
              "channel": {"alternatives": [{"transcript": "salam", "words": []}]}}  # fmt: skip
    assert format_message(result) == "ch1    1.50-   3.50  final/end ary  salam"
    assert "partial" in format_message({**result, "is_final": False, "speech_final": False})
    assert format_message({**result, "channel": {"alternatives": [{"transcript": ""}]}}) is None
    assert format_message({"type": "Error", "variant": "rate_limit", "description": "slow down"}) == (
        "error (rate_limit): slow down"
    )


def test_arrival_clock_maps_stream_time_to_arrival_and_stays_bounded() -> None:
    from awal.service.metrics import ArrivalClock

    clock = ArrivalClock(keep_s=10.0)
    for i in range(1, 2001):  # 20 ms frames: 40 s of audio, arriving at t = i
        clock.arrived(i * 0.02, at=float(i))
    assert clock.when(39.99) == 2000.0 and clock.when(39.0) == 1950.0
    assert clock.when(40.5) is None  # later than anything received
    assert len(clock._ends) <= 10 / 0.02 + 64  # only the last keep_s seconds are kept
    assert clock.when(1.0) is None  # older than what is kept
