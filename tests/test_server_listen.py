"""``awal serve``: the real server in a subprocess, spoken to over a real WebSocket (``/v1/listen``).

A stereo call (agent on the left channel, customer on the right), G.711 mu-law at 8 kHz as a
telephony gateway sends it, in 20 ms frames; Deepgram's messages come back for both channels.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from servers import start_server

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "fastapi", "uvicorn", "websockets")),
    reason="needs the serve extra: pip install 'awal[serve]'",
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"
KEY = "test-key-123"


@pytest.fixture(scope="module")
def server():
    proc, address, log = start_server("--model", "whisper-base", "--api-key", KEY, "--max-sessions", "3",
                                       "--threads", "2")  # fmt: skip
    yield address, log
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


async def _read_until_closed(ws) -> list[dict]:
    """Every message until the server closes (with any code: the caller reads ``ws.close_code``)."""
    import websockets.exceptions

    seen: list[dict] = []
    try:
        async for raw in ws:
            seen.append(json.loads(raw))
    except websockets.exceptions.ConnectionClosed:
        pass
    return seen


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
    import websockets.exceptions

    async with websockets.connect(url, additional_headers=headers or {}) as ws:
        task = asyncio.create_task(_read_until_closed(ws))
        try:
            for frame in frames:
                await ws.send(frame)
                await asyncio.sleep(0.01)  # 20 ms frames at twice real time
            for control in controls:
                await ws.send(control)
            await ws.send(json.dumps({"type": "CloseStream"}))
        except websockets.exceptions.ConnectionClosed:
            pass
        messages = await asyncio.wait_for(task, timeout=120)
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
    import websockets.exceptions

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


def test_a_non_ascii_key_is_refused_like_a_wrong_one(server) -> None:
    import urllib.error
    import urllib.request

    import websockets.exceptions

    address, _ = server
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
    for query, headers in (("&token=%C3%A9", {}), ("", {"Authorization": "Bearer é"}),
                           ("", {"Authorization": "Token é"})):  # fmt: skip
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            asyncio.run(_talk(url + query, [], headers=headers))
        assert refused.value.response.status_code == 403, (query, headers)
    for query, headers in (("?token=%C3%A9", {}), ("", {"Authorization": "Bearer é"})):
        request = urllib.request.Request(f"http://{address}/v1/audio/transcriptions{query}", data=b"",
                                         headers=headers, method="POST")  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=30)
        assert error.value.code == 401 and json.loads(error.value.read())["error"]["code"] == "invalid_api_key"


def test_zero_sample_rate_or_channels_is_a_bad_request_not_the_default(server) -> None:
    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    for name in ("sample_rate", "channels"):
        url = f"ws://{address}/v1/listen?encoding=linear16&{name}=0"
        messages, code = asyncio.run(_talk(url, [b"\0\0" * 1600], headers=auth))
        assert code == 1008 and messages[0]["type"] == "Error", (name, messages)
        assert messages[0]["variant"] == "bad_request" and name in messages[0]["description"]


def test_a_deeply_nested_control_message_is_a_bad_message_and_the_stream_goes_on(server) -> None:
    import websockets

    from awal.audio import load_audio

    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000&language=ary"
    speech = load_audio(SAMPLES / "ary_000218.wav", sr=16000)
    pcm = (np.concatenate([speech, np.zeros(8000, np.float32)]) * 32767).astype("<i2").tobytes()
    deep = 100_000

    async def call() -> tuple[list[dict], int | None]:
        async with websockets.connect(url, additional_headers=auth) as ws:
            reader = asyncio.create_task(_read_until_closed(ws))
            await ws.send("[" * deep)
            await ws.send('{"a":' * deep + "1" + "}" * deep)
            for i in range(0, len(pcm), 3200):  # the audio after them is still heard
                await ws.send(pcm[i : i + 3200])
                await asyncio.sleep(0.01)
            await ws.send(json.dumps({"type": "CloseStream"}))
            return await asyncio.wait_for(reader, 120), ws.close_code

    messages, code = asyncio.run(call())
    assert code == 1000
    errors = [m for m in messages if m["type"] == "Error"]
    assert [e["variant"] for e in errors] == ["bad_message", "bad_message"], errors
    assert messages[-1]["type"] == "Metadata" and abs(messages[-1]["duration"] - len(pcm) / 2 / 16000) < 0.01
    assert any(m["type"] == "Results" and m["is_final"] and m["channel"]["alternatives"][0]["transcript"]
               for m in messages)  # fmt: skip


def test_bad_parameters_and_capacity(server) -> None:
    import websockets.exceptions

    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    messages, code = asyncio.run(_talk(f"ws://{address}/v1/listen?encoding=opus", [], headers=auth))
    assert code == 1008 and messages[0]["type"] == "Error" and "encoding" in messages[0]["description"]

    async def crowd() -> tuple[list, int | None]:
        url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
        held = [await websockets.connect(url, additional_headers=auth) for _ in range(3)]  # the capacity
        try:
            async with websockets.connect(url, additional_headers=auth) as extra:
                first = json.loads(await asyncio.wait_for(extra.recv(), 10))
                await asyncio.wait_for(extra.wait_closed(), 10)
                return [first], extra.close_code
        finally:
            for ws in held:
                await ws.close()

    _wait_idle(address)
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


def test_openai_errors_name_the_field_the_client_sent(server) -> None:
    openai = pytest.importorskip("openai")
    address, _ = server
    client = openai.OpenAI(base_url=f"http://{address}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as err, open(SAMPLES / "ary_000218.wav", "rb") as f:
        client.audio.transcriptions.create(model="whisper-base", file=f, language="ary", extra_body={"script": "xyz"})
    assert err.value.param == "script" and "xyz" in str(err.value)
    with pytest.raises(openai.BadRequestError) as err, open(SAMPLES / "ary_000218.wav", "rb") as f:
        client.audio.transcriptions.create(model="whisper-base", file=f, language="xx")
    assert err.value.param == "language"


def test_a_language_the_model_was_not_exported_for_is_the_language_fields_error() -> None:
    openai = pytest.importorskip("openai")
    proc, address, log = start_server("--threads", "2")  # the bundled model: Darija and Tamazight, no Kabyle
    try:
        client = openai.OpenAI(base_url=f"http://{address}/v1", api_key="none", max_retries=0)
        with pytest.raises(openai.BadRequestError) as err, open(SAMPLES / "ary_000218.wav", "rb") as f:
            client.audio.transcriptions.create(model="whisper-base-awal", file=f, language="kab")
        assert err.value.param == "language" and "kab" in str(err.value)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_frame_size_and_message_rate_limits(server) -> None:
    address, _ = server
    auth = {"Authorization": f"Token {KEY}"}
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000"
    messages, code = asyncio.run(_talk(url, [b"\0" * (300 * 1024)], headers=auth))
    assert code == 1009 and any(m.get("variant") == "frame_too_large" for m in messages)

    async def flood() -> tuple[list[dict], int | None]:
        import websockets.exceptions

        async with websockets.connect(url, additional_headers=auth) as ws:
            try:
                for _ in range(400):  # far above 200 messages per second
                    await ws.send(b"\0\0" * 16)
            except websockets.exceptions.ConnectionClosed:
                pass
            return await _read_until_closed(ws), ws.close_code

    messages, code = asyncio.run(flood())
    assert code == 1008 and any(m.get("variant") == "rate_limit" for m in messages)
    assert messages[-1]["type"] == "Metadata"  # even then, what was sent is accounted for


def _wait_idle(address: str) -> None:
    """Until the server has released every session (a client's close reaches it a moment later)."""
    import urllib.request

    for _ in range(200):
        with urllib.request.urlopen(f"http://{address}/readyz", timeout=5) as r:
            assert r.status == 200
            if json.loads(r.read())["sessions"] == 0:
                return
        time.sleep(0.05)
    pytest.fail("sessions were not released")


def test_garbage_abrupt_disconnects_and_slow_readers_leave_the_server_healthy(server) -> None:
    import websockets.exceptions

    address, _ = server
    _wait_idle(address)
    auth = {"Authorization": f"Token {KEY}"}
    url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000&interim_results=true"
    rng = np.random.default_rng(0)
    garbage = [rng.integers(0, 256, size=n, dtype=np.uint8).tobytes() for n in (1, 3, 641, 3201, 1)]
    messages, code = asyncio.run(_talk(url, garbage, headers=auth))  # odd sizes: bytes carried over
    assert code == 1000 and messages[-1]["type"] == "Metadata"
    assert abs(messages[-1]["duration"] - (sum(map(len, garbage)) // 2) / 16000) < 1e-3

    from awal.audio import load_audio

    speech = (load_audio(SAMPLES / "ary_000218.wav", sr=16000) * 32767).astype("<i2").tobytes()
    frames = [speech[i : i + 640] for i in range(0, len(speech), 640)]

    async def abandon_and_hoard() -> tuple[list[dict], int | None]:
        # one client vanishes mid-stream (no close frame), one never reads what it is sent
        gone = await websockets.connect(url, additional_headers=auth)
        hoarder = await websockets.connect(url, additional_headers=auth)
        for frame in frames[: len(frames) // 2]:
            await gone.send(frame)
            await hoarder.send(frame)
        gone.transport.abort()
        for frame in frames[len(frames) // 2 :]:
            await hoarder.send(frame)
        try:
            # meanwhile another caller is served as usual
            return await _talk(url, frames, headers=auth)
        finally:
            await hoarder.close()

    messages, code = asyncio.run(abandon_and_hoard())
    assert code == 1000 and any(m["type"] == "Results" and m["is_final"] for m in messages)
    _wait_idle(address)  # the abandoned and closed sessions are released; the server is ready


def _metrics(address: str) -> dict[tuple[str, tuple], float]:
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def test_metrics_report_latencies_real_time_factor_sessions_and_refusals(server) -> None:
    import websockets.exceptions

    address, _ = server
    _wait_idle(address)
    before = _metrics(address)
    audio, seconds = _stereo_mulaw()
    frames = [audio[i : i + 320] for i in range(0, len(audio), 320)]
    url = f"ws://{address}/v1/listen?encoding=mulaw&sample_rate=8000&channels=2&multichannel=true&language=ary"
    messages, code = asyncio.run(_talk(url, frames, headers={"Authorization": f"Token {KEY}"}))
    assert code == 1000
    finals = [m for m in messages if m["type"] == "Results" and m["channel"]["alternatives"][0]["words"]]
    with pytest.raises(websockets.exceptions.InvalidStatus):
        asyncio.run(_talk(url, [], headers={"Authorization": "Token wrong"}))
    after = _metrics(address)

    def grew(name: str, labels: tuple = ()) -> float:
        return after[(name, labels)] - before.get((name, labels), 0.0)

    assert grew("awal_stream_first_partial_latency_seconds_count") >= 2  # an utterance on each channel
    triggers = [(("trigger", t),) for t in ("endpoint", "finalize", "commit")]
    finals_counted = sum(grew("awal_stream_final_latency_seconds_count", t) for t in triggers)
    assert finals_counted == len(finals) >= 2
    assert 0 < sum(grew("awal_stream_final_latency_seconds_sum", t) for t in triggers) / finals_counted < 30
    assert abs(grew("awal_stream_audio_seconds_total") - 2 * seconds) < 0.1  # both channels
    assert grew("awal_decode_seconds_total") > 0 and after[("awal_real_time_factor", ())] > 0
    assert grew("awal_decode_batch_windows_count") > 0
    assert grew("awal_rejected_sessions_total", (("reason", "auth"),)) == 1
    assert ("awal_rejected_sessions_total", (("reason", "capacity"),)) in after
    assert after[("awal_active_sessions", ())] == 0 and after[("awal_queued_windows", ())] == 0


def test_graceful_shutdown_sends_final_results_for_all_audio_received() -> None:
    import signal

    import websockets.exceptions

    from awal.audio import load_audio

    proc, address, log = start_server("--threads", "2", "--drain-timeout", "60")  # the bundled model
    try:
        first = load_audio(SAMPLES / "ary_000218.wav", sr=16000)
        second = load_audio(SAMPLES / "ary_000533.wav", sr=16000)
        both = np.concatenate([first, np.zeros(16000, np.float32), second])  # no silence at the end
        pcm = (both * 32767).astype("<i2").tobytes()
        frames = [pcm[i : i + 640] for i in range(0, len(pcm), 640)]
        url = f"ws://{address}/v1/listen?encoding=linear16&sample_rate=16000&language=ary&interim_results=false"

        async def call_cut_short() -> tuple[list[dict], int | None]:
            async with websockets.connect(url) as ws:
                for frame in frames:
                    await ws.send(frame)
                    await asyncio.sleep(0.005)
                proc.send_signal(signal.SIGTERM)  # mid-call: no CloseStream, the caller is still there
                return await _read_until_closed(ws), ws.close_code

        messages, code = asyncio.run(asyncio.wait_for(call_cut_short(), 120))
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once done
    finally:
        if proc.poll() is None:
            proc.kill()
        log.seek(0)
        output = log.read()
        log.close()
    assert code == 1001, output
    assert messages[-1]["type"] == "Metadata" and abs(messages[-1]["duration"] - len(both) / 16000) < 0.01
    words = [w for m in messages if m["type"] == "Results" and m["is_final"]
             for w in m["channel"]["alternatives"][0]["words"]]  # fmt: skip
    second_starts = (len(first) + 16000) / 16000
    assert words and any(w["start"] >= second_starts - 0.3 for w in words), words  # the unfinished utterance too
    assert "finishing 1 open stream" in output


def _stereo_wav(path: Path) -> float:
    import soundfile as sf

    from awal.audio import mulaw_decode

    audio, seconds = _stereo_mulaw()
    sf.write(path, mulaw_decode(audio).reshape(-1, 2), 8000, subtype="PCM_16")
    return seconds


def test_awal_stream_prints_partials_and_finals_per_channel(server, tmp_path) -> None:
    address, _ = server
    call = tmp_path / "call.wav"
    seconds = _stereo_wav(call)
    command = [sys.executable, "-m", "awal.cli", "stream", str(call), "--url", f"ws://{address}", "--api-key", KEY]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("ch0 ") and " final" in line for line in lines)
    assert any(line.startswith("ch1 ") and " final" in line for line in lines)
    assert lines[-1].startswith(f"metadata: {seconds:.2f} s, 2 channel(s)")

    done = subprocess.run(command + ["--json", "--no-interim"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and messages[-1]["type"] == "Metadata"
    assert all(m["is_final"] for m in messages if m["type"] == "Results")

    wrong = subprocess.run(command[:-1] + ["wrong"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert wrong.returncode == 2 and "refused" in wrong.stderr and "403" in wrong.stderr
