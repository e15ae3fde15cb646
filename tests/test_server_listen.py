"""``awal serve``: the real server in a subprocess, spoken to over a real WebSocket (``/v1/listen``).

A stereo call (agent on the left channel, customer on the right), G.711 mu-law at 8 kHz as a
telephony gateway sends it, in 20 ms frames; Deepgram's messages come back for both channels.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "fastapi", "uvicorn", "websockets")),
    reason="needs the serve extra: pip install 'awal[serve]'",
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"
KEY = "test-key-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"awal-serve-{port}.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "awal.cli", "serve", "--port", str(port), "--model", "whisper-base",
         "--api-key", KEY, "--max-sessions", "2", "--threads", "2"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail(f"the server did not start:\n{log.read()}")
    yield f"127.0.0.1:{port}", log
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _stereo_mulaw() -> tuple[bytes, float]:
    from awal.audio import load_audio, mulaw_encode, resample

    agent = load_audio(SAMPLES / "ary_000218.wav", sr=16000)
    customer = load_audio(SAMPLES / "ary_000533.wav", sr=16000)
    pad = np.zeros(8000, dtype=np.float32)
    left = np.concatenate([pad, agent, pad, np.zeros(len(customer), np.float32), pad])
    right = np.concatenate([pad, np.zeros(len(agent), np.float32), pad, customer, pad])
    both = np.stack([resample(left, 16000, 8000), resample(right, 16000, 8000)], axis=1)  # interleaved
    return mulaw_encode(both.reshape(-1)), len(left) / 16000


async def _talk(url: str, frames: list[bytes], *, headers=None, controls=()) -> tuple[list[dict], int | None]:
    import websockets

    messages: list[dict] = []
    async with websockets.connect(url, additional_headers=headers or {}) as ws:

        async def reader() -> None:
            try:
                async for raw in ws:
                    messages.append(json.loads(raw))
            except websockets.exceptions.ConnectionClosed:  # closed with an error code: kept below
                pass

        task = asyncio.create_task(reader())
        try:
            for frame in frames:
                await ws.send(frame)
                await asyncio.sleep(0.01)  # 20 ms frames at twice real time
            for control in controls:
                await ws.send(control)
            await ws.send(json.dumps({"type": "CloseStream"}))
        except websockets.exceptions.ConnectionClosed:
            pass
        await asyncio.wait_for(task, timeout=120)
        code = ws.close_code
    return messages, code


def test_stereo_mulaw_call_gives_results_per_channel_then_metadata(server) -> None:
    address, _ = server
    audio, seconds = _stereo_mulaw()
    frame = 160 * 2  # 20 ms of 8 kHz stereo mu-law
    frames = [audio[i : i + frame] for i in range(0, len(audio), frame)]
    url = (f"ws://{address}/v1/listen?encoding=mulaw&sample_rate=8000&channels=2&multichannel=true"
           "&language=ary&interim_results=true&vad_events=true&endpointing=300")  # fmt: skip
    messages, code = asyncio.run(_talk(url, frames, headers={"Authorization": f"Token {KEY}"},
                                       controls=["not json", json.dumps({"type": "KeepAlive"})]))  # fmt: skip
    assert code == 1000
    kinds = [m["type"] for m in messages]
    assert kinds[-1] == "Metadata" and kinds.count("Metadata") == 1
    assert messages[-1]["channels"] == 2 and abs(messages[-1]["duration"] - seconds) < 0.05
    assert "Error" in kinds and any("KeepAlive" in m.get("description", "") for m in messages if m["type"] == "Error")
    results = [m for m in messages if m["type"] == "Results"]
    finals = [m for m in results if m["is_final"] and m["channel"]["alternatives"][0]["transcript"]]
    assert {tuple(m["channel_index"]) for m in finals} == {(0, 2), (1, 2)}  # agent and customer
    for m in finals:
        alt = m["channel"]["alternatives"][0]
        assert alt["words"] and 0 <= alt["confidence"] <= 1 and m["language"] == "ary"
        for w in alt["words"]:
            assert m["start"] - 0.05 <= w["start"] <= w["end"] <= seconds + 0.05
    left_words = [w for m in finals if m["channel_index"][0] == 0 for w in m["channel"]["alternatives"][0]["words"]]
    right_words = [w for m in finals if m["channel_index"][0] == 1 for w in m["channel"]["alternatives"][0]["words"]]
    assert max(w["end"] for w in left_words) < min(w["start"] for w in right_words) + 0.5  # agent spoke first
    assert any(m["type"] == "SpeechStarted" for m in messages)


def test_keys_are_required(server) -> None:
    import websockets

    address, _ = server
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(_talk(url, [b"\0\0" * 1600]))
    assert refused.value.response.status_code == 403
    with pytest.raises(websockets.exceptions.InvalidStatus):
        asyncio.run(_talk(url, [b"\0\0" * 1600], headers={"Authorization": "Token wrong"}))
    messages, code = asyncio.run(_talk(url + f"&token={KEY}", [b"\0\0" * 1600]))  # the query parameter works
    assert code == 1000 and messages[-1]["type"] == "Metadata"
    messages, code = asyncio.run(_talk(url, [b"\0\0" * 1600], headers={"Authorization": f"Bearer {KEY}"}))
    assert code == 1000


def test_bad_parameters_and_capacity(server) -> None:
    import websockets

    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    messages, code = asyncio.run(_talk(f"ws://{address}/v1/listen?encoding=opus", [], headers=auth))
    assert code == 1008 and messages[0]["type"] == "Error" and "encoding" in messages[0]["description"]

    async def crowd() -> tuple[list, int | None]:
        url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
        held = [await websockets.connect(url, additional_headers=auth) for _ in range(2)]  # the capacity
        try:
            async with websockets.connect(url, additional_headers=auth) as extra:
                first = json.loads(await asyncio.wait_for(extra.recv(), 10))
                await asyncio.wait_for(extra.wait_closed(), 10)
                return [first], extra.close_code
        finally:
            for ws in held:
                await ws.close()

    messages, code = asyncio.run(crowd())
    assert code == 1013 and messages[0]["type"] == "Error" and "capacity" in messages[0]["description"]


# --- POST /v1/audio/transcriptions, through OpenAI's own client ------------------------------


def test_openai_client_transcribes_a_file(server) -> None:
    openai = pytest.importorskip("openai")
    address, _ = server
    client = openai.OpenAI(base_url=f"http://{address}/v1", api_key=KEY)
    with open(SAMPLES / "ary_000218.wav", "rb") as f:
        text = client.audio.transcriptions.create(model="whisper-base", file=f, language="ary")
    assert text.text.strip() and any("ARABIC" in unicodedata.name(ch, "") for ch in text.text)
    with open(SAMPLES / "zgh_000452.wav", "rb") as f:
        verbose = client.audio.transcriptions.create(
            model="whisper-base", file=f, language="zgh", response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )  # fmt: skip
    assert verbose.language == "zgh" and verbose.duration > 2 and verbose.segments
    assert verbose.words and all(0 <= w.start <= w.end <= verbose.duration for w in verbose.words)
    with open(SAMPLES / "ary_000533.wav", "rb") as f:
        srt = client.audio.transcriptions.create(model="whisper-base", file=f, language="ar", response_format="srt")
    assert srt.startswith("1\n00:00:0")


def test_openai_errors(server, tmp_path) -> None:
    openai = pytest.importorskip("openai")
    address, _ = server
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    client = openai.OpenAI(base_url=f"http://{address}/v1", api_key=KEY)
    with pytest.raises(openai.BadRequestError) as err, open(bad, "rb") as f:
        client.audio.transcriptions.create(model="whisper-base", file=f)
    assert "bad.wav" in str(err.value) or "decode" in str(err.value).lower()
    with pytest.raises(openai.BadRequestError, match="language"), open(SAMPLES / "ary_000218.wav", "rb") as f:
        client.audio.transcriptions.create(model="whisper-base", file=f, language="xx")
    wrong = openai.OpenAI(base_url=f"http://{address}/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError), open(SAMPLES / "ary_000218.wav", "rb") as f:
        wrong.audio.transcriptions.create(model="whisper-base", file=f)


def test_frame_size_and_message_rate_limits(server) -> None:
    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
    messages, code = asyncio.run(_talk(url, [b"\0" * (300 * 1024)], headers=auth))
    assert code == 1009 and any(m.get("variant") == "frame_too_large" for m in messages)

    async def flood() -> tuple[list[dict], int | None]:
        import websockets

        async with websockets.connect(url, additional_headers=auth) as ws:
            try:
                for _ in range(400):  # far above 200 messages per second
                    await ws.send(b"\0\0" * 16)
            except websockets.exceptions.ConnectionClosed:
                pass
            seen = []
            try:
                async for raw in ws:
                    seen.append(json.loads(raw))
            except websockets.exceptions.ConnectionClosed:
                pass
            return seen, ws.close_code

    messages, code = asyncio.run(flood())
    assert code == 1008 and any(m.get("variant") == "rate_limit" for m in messages)
    assert messages[-1]["type"] == "Metadata"  # even then, what was sent is accounted for
