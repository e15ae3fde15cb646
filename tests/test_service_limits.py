"""``awal serve``'s bounds and leaks, against a real server on loopback: the batch transcription
limits (upload size, audio length, sample rate, form fields), the work stopping when the client
leaves, no key in the logs, no server path in error messages, no open API pages, no temporary
folders left by a killed server."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from servers import start_server

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "fastapi", "uvicorn")),
    reason="needs the serve extra: pip install 'awal[serve]'",
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"
KEY = "limits-key-5f3a"
BOUNDARY = "awal-test-boundary-7d2c"
MAX_UPLOAD_MB = 8


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The bundled model, a key, an 8 MB upload limit and 1 h of audio at most; its TMPDIR holds a
    folder left by a killed server (its pid is dead) and one of a live process (this one)."""
    tmp = tmp_path_factory.mktemp("server-tmp")
    stale = tmp / f"awal-audio-{_dead_pid()}-killed"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "input").write_bytes(b"left behind")
    live = tmp / f"awal-audio-{os.getpid()}-alive"
    live.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp))
        proc, address, log = start_server("--threads", "2", "--api-key", KEY, "--max-upload-mb", str(MAX_UPLOAD_MB),
                                          "--max-audio-s", "3600")  # fmt: skip
    yield proc, address, log, tmp, stale, live
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _multipart(fields: dict[str, str], filename: str = "", audio: bytes = b"") -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]  # fmt: skip
    if filename:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + audio + b"\r\n")  # fmt: skip
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post(address: str, body: bytes, timeout: float = 60) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://{address}/v1/audio/transcriptions", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {KEY}",
                                              "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _head(address: str, length: int, chunked: bool = False) -> socket.socket:
    """A connection that has sent a transcription request's head (the body is the caller's)."""
    host, port = address.split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    sock.sendall((f"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {KEY}\r\n"
                  f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n").encode())  # fmt: skip
    return sock


def _response(sock: socket.socket, timeout: float) -> tuple[int, dict]:
    """Status and JSON body of the response on ``sock`` (read until the body is whole)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed without answering: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), json.loads(body[:length])


def _rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of process ``pid``, MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return rss / 1024, peak / 1024


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _speech(seconds: float, rate: int) -> np.ndarray:
    """The sample recordings one after another (half a second apart) for ``seconds``, at ``rate``."""
    from awal.audio import load_audio

    pause = np.zeros(rate // 2, dtype=np.float32)
    clips = [c for p in sorted(SAMPLES.glob("*.wav")) for c in (load_audio(p, sr=rate), pause)]
    one = np.concatenate(clips)
    return np.tile(one, int(np.ceil(seconds * rate / len(one))))[: int(seconds * rate)]


def test_an_upload_over_the_limit_is_refused_before_the_body_is_read(server) -> None:
    _, address, *_ = server
    # 250 MB announced, 64 KB sent: the answer comes without the rest
    with _head(address, 250_000_000) as sock:
        sock.sendall(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'.encode()
                     + bytes(65536))  # fmt: skip
        status, body = _response(sock, timeout=15)
    assert status == 413 and body["error"]["param"] == "file" and body["error"]["type"] == "invalid_request_error"
    assert f"{MAX_UPLOAD_MB} MB" in body["error"]["message"]
    # no length announced (chunked): counted as it arrives, refused once past the limit, never read to its end
    with _head(address, 0, chunked=True) as sock:
        start = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'.encode()
        sock.sendall(b"%x\r\n%s\r\n" % (len(start), start))
        chunk = bytes(1 << 20)
        for _ in range(MAX_UPLOAD_MB + 2):  # the terminating chunk is never sent
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, body = _response(sock, timeout=15)
    assert status == 413 and f"{MAX_UPLOAD_MB} MB" in body["error"]["message"]


def test_hours_of_silence_are_refused_from_the_header_without_decoding(server, tmp_path) -> None:
    import soundfile as sf

    proc, address, *_ = server
    flac = tmp_path / "silence.flac"
    with sf.SoundFile(flac, "w", samplerate=16000, channels=1, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros(16000 * 600, dtype=np.int16)
        for _ in range(18):  # 3 hours
            f.write(block)
    assert flac.stat().st_size < 1_000_000
    _, peak_before = _rss_mb(proc.pid)
    start = time.monotonic()
    status, body = _post(address, _multipart({"model": "whisper-1"}, "silence.flac", flac.read_bytes()), timeout=20)
    took = time.monotonic() - start
    _, peak_after = _rss_mb(proc.pid)
    assert status == 413, body
    message = body["error"]["message"]
    assert "3:00:00" in message and "1:00:00" in message and "max_audio_s" in message
    assert took < 10 and peak_after - peak_before < 200, (took, peak_before, peak_after)


def test_a_header_claiming_1_hz_is_refused_naming_the_rate(server) -> None:
    _, address, *_ = server
    pcm = np.random.default_rng(0).integers(-3000, 3000, 55_000, dtype=np.int16).tobytes()  # 110 KB
    for rate in (1, 4):
        header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack(
            "<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(pcm))  # fmt: skip
        start = time.monotonic()
        status, body = _post(address, _multipart({}, "slow.wav", header + pcm), timeout=20)
        assert status == 400 and body["error"]["param"] == "file", body
        assert f"{rate} Hz" in body["error"]["message"] and "4000" in body["error"]["message"]
        assert time.monotonic() - start < 10


def test_a_long_file_is_transcribed_as_a_stream(server, tmp_path) -> None:
    import soundfile as sf

    _, address, *_ = server
    path = tmp_path / "long.flac"
    sf.write(path, _speech(40, 16000), 16000, format="FLAC")
    status, body = _post(address, _multipart({"language": "ary", "response_format": "verbose_json"}, "long.flac",
                                             path.read_bytes()), timeout=300)  # fmt: skip
    assert status == 200, body
    assert abs(body["duration"] - 40) < 0.1 and body["segments"] and body["text"].strip()
    assert all(0 <= s["start"] <= s["end"] <= 40 for s in body["segments"])


def test_the_work_stops_when_the_client_disconnects(server, tmp_path) -> None:
    import soundfile as sf

    proc, address, log, *_ = server
    path = tmp_path / "meeting.flac"  # 15 minutes of speech at 8 kHz: a few MB, minutes of work
    sf.write(path, _speech(900, 8000), 8000, format="FLAC")
    body = _multipart({"language": "ary"}, "meeting.flac", path.read_bytes())
    assert len(body) < MAX_UPLOAD_MB * 1_000_000
    logged = Path(log.name)  # read apart: the server writes through the same file offset as ``log``
    before = len(logged.read_text())
    with _head(address, len(body)) as sock:
        sock.sendall(body)
        deadline = time.monotonic() + 60
        while "transcribing 'meeting.flac'" not in logged.read_text()[before:]:
            assert time.monotonic() < deadline, "the transcription did not start"
            time.sleep(0.2)
        busy = _cpu_s(proc.pid)
        time.sleep(1.5)  # working: decoding and Silero VAD over the whole input, then speech windows
        assert _cpu_s(proc.pid) - busy > 0.5, "the server was not working"
    left = time.monotonic()
    # it stops at its next block (10 s of audio), or after the batch of windows being decoded
    while "transcription of 'meeting.flac' stopped" not in logged.read_text()[before:]:
        assert time.monotonic() - left < 120, f"the work went on after the client left:\n{logged.read_text()}"
        time.sleep(0.2)
    stopped = time.monotonic() - left
    idle = _cpu_s(proc.pid)
    time.sleep(3)
    assert _cpu_s(proc.pid) - idle < 0.6, f"the server is still working ({stopped:.1f} s after the client left)"


def test_form_fields_are_capped_and_echoed_values_cut(server) -> None:
    _, address, *_ = server
    wav = (SAMPLES / "ary_000218.wav").read_bytes()
    status, body = _post(address, _multipart({"script": "x" * 200_000}, "a.wav", wav))
    assert status == 413 and "64 KiB" in body["error"]["message"], body
    status, body = _post(address, _multipart({"language": "ary", "script": "x" * 50_000}, "a.wav", wav))
    assert status == 400 and body["error"]["param"] == "script", body
    assert "xxxx" in body["error"]["message"] and len(body["error"]["message"]) <= 400


def test_error_messages_name_no_server_path(server) -> None:
    _, address, *_ = server
    wav = (SAMPLES / "ary_000218.wav").read_bytes()
    status, body = _post(address, _multipart({"language": "kab"}, "a.wav", wav))  # the bundled model has no Kabyle
    message = body["error"]["message"]
    assert status == 400 and "kab" in message and "whisper-base-awal" in message, body
    assert str(ROOT) not in message and not re.search(r"/\w+/", message), message
    status, body = _post(address, _multipart({}, "bad.m4a", b"\x00\x00\x00\x18ftypM4A " + bytes(3000)))
    message = body["error"]["message"]
    assert status == 400 and "bad.m4a" in message, body
    assert "awal-audio" not in message and not re.search(r"/\w+/", message), message


def test_the_key_in_the_query_is_not_logged(server) -> None:
    _, address, log, *_ = server
    secret = "query-secret-9c1e"
    for path in (f"/readyz?token={secret}", f"/healthz?a=1&token={secret}&b=2"):
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as r:
            assert r.status == 200
    if importlib.util.find_spec("websockets") is not None:  # uvicorn logs the WebSocket's path too
        import asyncio

        import websockets

        async def refused() -> None:
            with pytest.raises(Exception):  # noqa: B017 - HTTP 403, as the installed websockets raises it
                async with websockets.connect(f"ws://{address}/v1/listen?token={secret}"):
                    pass

        asyncio.run(refused())
    time.sleep(0.5)
    text = Path(log.name).read_text()  # (not log.read(): the server writes through that file offset)
    assert "/readyz?token=***" in text and "token=***&b=2" in text
    assert secret not in text


def test_the_api_pages_are_off_by_default(server) -> None:
    _, address, *_ = server
    for path in ("/docs", "/redoc", "/openapi.json"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://{address}{path}", timeout=10)
        assert err.value.code == 404


def test_temporary_folders_of_killed_servers_are_removed_at_start(server) -> None:
    *_, tmp, stale, live = server
    assert not stale.exists()
    assert live.is_dir()  # its process is alive


@pytest.mark.parametrize("option", ["--max-sessions", "--idle-timeout", "--keepalive-timeout", "--max-backlog",
                                    "--max-upload-mb", "--max-audio-s"])  # fmt: skip
def test_a_zero_limit_is_refused_not_taken_for_the_default(option: str) -> None:
    """0 is a value, not "absent": the server refuses to start, naming the limit, before the model
    loads."""
    done = subprocess.run([sys.executable, "-m", "awal.cli", "serve", "--port", "0", option, "0"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr
    name = option[2:].replace("-", "_")
    assert re.search(rf"{name}|{option}|{name.removesuffix('_s')}", done.stderr, re.IGNORECASE), done.stderr


def test_public_messages_keep_names_and_lose_server_paths() -> None:
    """What every error a client reads goes through (REST errors, a stream's ``internal`` Error)."""
    from awal.service.errors import MAX_MESSAGE, public_message

    text = public_message("cannot load /srv/awal/.cache/models/whisper-base-awal/model.bin: 3 tokens/s, a/b")
    assert text == "cannot load model.bin: 3 tokens/s, a/b"
    assert public_message(r"no C:\Users\x\model.bin here") == "no model.bin here"
    assert len(public_message("x" * 10_000)) == MAX_MESSAGE and public_message("x" * 10_000).endswith("...")
