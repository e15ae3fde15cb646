"""The Gradio demo: what it does (awal.demo.core, with the bundled models), its named API endpoints
through ``gradio_client`` against ``awal demo`` started for real, and the page in a real headless
Chromium (Debian's chromium + chromedriver, installed by scripts/setup.sh), with a screenshot of
each tab saved as a test artifact (``$AWAL_TEST_ARTIFACTS``, default ``build/test-artifacts``)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from awal.audio import load_audio, write_audio
from awal.demo.core import Demo, LiveTranscript, srt
from awal.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"
HELDOUT = [json.loads(line) for line in (SAMPLES / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
           if line.strip()]  # fmt: skip
ARTIFACTS = Path(os.environ.get("AWAL_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


def _reference(name: str) -> str:
    (row,) = [r for r in HELDOUT if Path(r["audio_filepath"]).name == name]
    return str(row["text"])


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


# --- what the demo does -----------------------------------------------------------------------


def test_an_uploaded_file_is_transcribed_with_word_times_and_downloads(demo: Demo) -> None:
    from awal.scoring import score_utterance

    view = demo.transcribe_file(SAMPLES / "ary_000007.wav", "ary")
    assert view.language == "ary"
    assert score_utterance(_reference("ary_000007.wav"), view.text, "ary").cer <= 0.3
    assert view.words and all(len(row) == 4 for row in view.words)
    starts = [row[1] for row in view.words]
    assert starts == sorted(starts) and all(0 <= row[1] <= row[2] <= view.duration + 0.5 for row in view.words)
    assert " ".join(row[0] for row in view.words).replace(" ", "") == view.text.replace(" ", "")
    txt, sub = demo.save_transcript(view)
    assert txt.read_text(encoding="utf-8").strip() == view.text
    cue = sub.read_text(encoding="utf-8").splitlines()
    assert cue[0] == "1" and " --> " in cue[1] and cue[1].startswith("00:00:0") and cue[2]


def test_output_script_and_language_choices(demo: Demo) -> None:
    latin = demo.transcribe_file(SAMPLES / "zgh_000042.wav", "zgh", "latn")
    tifinagh = demo.transcribe_file(SAMPLES / "zgh_000042.wav", "zgh", "default")
    assert latin.text and all(not ("\u2d30" <= ch <= "\u2d7f") for ch in latin.text)
    assert any("\u2d30" <= ch <= "\u2d7f" for ch in tifinagh.text)
    detected = demo.transcribe_file(SAMPLES / "zgh_000042.wav", "auto")
    assert detected.language in {"ary", "zgh"} and detected.text


def test_bad_input_gets_a_clear_message(demo: Demo, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No audio"):
        demo.transcribe_file(None, "ary")
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are not samples\n", encoding="utf-8")
    with pytest.raises(InputError, match="could not be read as audio"):
        demo.transcribe_file(not_audio, "ary")
    empty = tmp_path / "empty.wav"
    write_audio(empty, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(InputError, match="empty"):
        demo.transcribe_file(empty, "ary")
    silent = tmp_path / "silent.wav"
    write_audio(silent, np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(InputError, match="silent"):
        demo.transcribe_file(silent, "ary")
    with pytest.raises(InputError, match="does not know 'kab'"):
        demo.transcribe_file(SAMPLES / "ary_000007.wav", "kab")
    with pytest.raises(InputError, match="Type some text"):
        demo.synthesize("   ", "ary")
    with pytest.raises(InputError, match="no speakable characters"):
        demo.synthesize("!!! ... ???", "zgh")
    with pytest.raises(InputError, match="does not speak 'kab'"):
        demo.synthesize("Azul", "kab", "awal-voice")


def test_synthesis_and_the_round_trip(demo: Demo) -> None:
    for text, lang, voice in [("مرحبا بيكم فالخدمة ديالنا", "ary", "default"), ("Azul fllawn", "zgh", "awal-voice"),
                              ("Azul fell-awen", "kab", "espeak")]:  # fmt: skip
        speech = demo.synthesize(text, lang, voice)
        assert 0.5 < speech.duration < 6 and float(np.max(np.abs(speech.samples))) > 0.05
        path = demo.save_speech(speech)
        assert abs(len(load_audio(path, sr=None)) / speech.sample_rate - speech.duration) < 0.01
    assert demo.synthesize("Azul", "zgh").voice == "espeak"  # Tamazight's default: espeak-ng measures better
    assert demo._voice("awal-voice", "zgh") is demo._voice("awal-voice", "ary")  # loaded once, shared
    result = demo.round_trip("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ. ⵎⴰⵏⵣⴰⴽⵉⵏ?", "zgh")
    assert result.heard.text and 0 <= result.cer <= 0.5


def test_a_voice_given_with_tts_voice_is_the_default_where_it_speaks() -> None:
    from awal.demo.core import DemoConfig

    voice = str(ROOT / "tts" / "bundled" / "awal-voice")
    demo = Demo(DemoConfig(tts_voice=voice))
    assert demo.voice_for("default", "zgh") == voice and demo.voice_for(None, "ary") == voice
    assert demo.voice_for("default", "kab") == "espeak"  # the voice does not speak Kabyle
    assert demo.voice_for("espeak", "zgh") == "espeak"  # the visitor's choice wins
    assert demo.synthesize("Azul", "zgh").voice != "espeak"


def test_srt_of_no_segments_is_empty() -> None:
    assert srt([]) == ""


def test_the_microphone_path_streams_partial_text_before_the_audio_ends(demo: Demo) -> None:
    """A recorded file fed to the microphone's streaming function in the browser's chunks (48 kHz,
    int16, 0.5 s, one every 0.5 s: the engine's worker decodes meanwhile): words appear while the
    audio is still coming, and stopping gives the final."""
    audio = load_audio(SAMPLES / "zgh_000590.wav", sr=48000)
    audio = np.concatenate([audio, np.zeros(24000, dtype=np.float32)])  # the speaker stops talking
    step = 24000
    chunks = [(audio[i : i + step] * 32767).astype(np.int16) for i in range(0, len(audio), step)]
    live: LiveTranscript | None = None
    partial_at = None
    for i, chunk in enumerate(chunks):
        live = demo.live_push(live, (48000, chunk), "zgh")
        if live.text and partial_at is None:
            partial_at = i
        time.sleep(0.5)
    assert partial_at is not None and partial_at < len(chunks) - 2, "no text before the end of the audio"
    assert live is not None and live.session is not None
    done = demo.live_stop(live)
    assert done.session is None and done.text
    from awal.scoring import score_utterance

    assert score_utterance(_reference("zgh_000590.wav"), done.text, "zgh").cer <= 0.35


def test_a_visitor_who_leaves_leaves_nothing_behind(demo: Demo) -> None:
    """The page closed mid-recording: its stream leaves the engine; answers' files older than an
    hour are deleted when new ones are written."""
    audio = load_audio(SAMPLES / "ary_000533.wav", sr=16000)
    live = demo.live_push(None, (16000, audio[:16000]), "ary")
    session = live.session
    assert session is not None and session in demo.engine().sessions
    demo.live_forget(live)
    assert live.session is None and session not in demo.engine().sessions
    old = demo.save_speech(demo.synthesize("ⴰⵣⵓⵍ", "zgh")).parent
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    new = demo.save_speech(demo.synthesize("ⴰⵣⵓⵍ", "zgh"))
    assert new.is_file() and not old.exists()


# --- limits (defaults: docs/demo.md) ------------------------------------------------------------


@pytest.fixture(scope="module")
def long_silence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three hours of silence as a 16 kHz FLAC (about 546 KB): written a minute at a time, so
    that the test never holds three hours of samples itself."""
    import soundfile as sf

    path = tmp_path_factory.mktemp("long") / "three-hours.flac"
    minute = np.zeros(16000 * 60, dtype=np.int16)
    with sf.SoundFile(path, "w", 16000, 1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(180):
            f.write(minute)
    assert path.stat().st_size < 2**20
    return path


def test_a_long_file_is_refused_from_its_header_quickly_and_in_little_memory(demo: Demo, long_silence: Path) -> None:
    """The length is read from the file's header, before decoding: three hours are refused at
    once, without the ~700 MB their samples would take (the default limit is 5 minutes)."""
    import tracemalloc

    tracemalloc.start()
    began = time.monotonic()
    try:
        with pytest.raises(InputError, match=r"too long \(3:00:00\).* up to 5:00"):
            demo.transcribe_file(long_silence, "ary")
        elapsed = time.monotonic() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2, f"refusing took {elapsed:.1f} s"
    assert peak < 16 * 2**20, f"refusing took {peak / 2**20:.0f} MiB"


def test_a_long_file_only_ffmpeg_reads_is_refused_from_ffprobes_header(demo: Demo, tmp_path: Path) -> None:
    """An AAC .m4a (libsndfile cannot read it): its length comes from ffprobe, before decoding."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed (scripts/setup.sh installs it)")
    m4a = tmp_path / "ten-minutes.m4a"
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "600",
                    "-c:a", "aac", str(m4a)], check=True)  # fmt: skip
    began = time.monotonic()
    with pytest.raises(InputError, match=r"too long \(10:00\)"):
        demo.transcribe_file(m4a, "ary")
    assert time.monotonic() - began < 5


def test_a_too_long_text_is_refused(demo: Demo) -> None:
    """Synthesis and the round trip take at most 300 characters (the default)."""
    text = "ⴰⵣⵓⵍ " * 61  # 305 characters
    with pytest.raises(InputError, match=r"too long \(305 characters\).* up to 300"):
        demo.synthesize(text, "zgh")
    with pytest.raises(InputError, match=r"too long \(305 characters\)"):
        demo.round_trip(text, "zgh")
    assert demo.synthesize(text[:300], "zgh").duration > 0  # the limit itself is allowed


def test_a_microphone_stream_is_cut_at_its_limit(demo: Demo) -> None:
    """A recording longer than the limit (5 minutes by default) is stopped with a message, and its
    stream leaves the engine; a new recording (a fresh state, as the page's Stop gives) starts again."""
    rng = np.random.default_rng(0)
    live: LiveTranscript | None = None
    session = None
    with pytest.raises(InputError, match=r"limit of 5:00"):
        for _ in range(2 * 300 + 10):  # 0.5 s chunks of a quiet room, as the browser sends them
            live = demo.live_push(live, (48000, (rng.standard_normal(24000) * 10).astype(np.int16)), "ary")
            session = session or live.session
    assert live is not None and 299 <= live.received_s <= 301
    assert live.session is None and session is not None and session not in demo.engine().sessions
    again = demo.live_push(None, (48000, (rng.standard_normal(24000) * 10).astype(np.int16)), "ary")
    assert again.session is not None
    demo.live_forget(again)


# --- the app, started for real ----------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """``awal demo`` started for real: its address, its process and its log."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def _demo_server(log_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start ``awal demo ARGS`` on a free port, wait until it answers, terminate it at the end."""
    port = _free_port()
    with open(log_path, "w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "awal.cli", "demo", "--port", str(port), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, env=env)  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    log.seek(0)
                    pytest.fail(f"awal demo did not start:\n{log.read()}")
                time.sleep(0.5)
        try:
            yield Server(url, proc, log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with _demo_server(tmp_path_factory.mktemp("demo") / "demo.log") as started:
        yield started


@pytest.fixture(scope="module")
def app_url(server: Server) -> str:
    return server.url


def test_gradio_client_calls_each_named_endpoint(app_url: str, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/transcribe", "/synthesize", "/round_trip"} <= set(api)

    text, words, files = client.predict(handle_file(str(SAMPLES / "ary_000218.wav")), "ary", "default",
                                        api_name="/transcribe")  # fmt: skip
    assert text and words["data"] and len(words["data"][0]) == 4
    names = sorted(Path(f).name for f in files)
    assert names == ["transcript.srt", "transcript.txt"]
    assert Path(files[0]).read_text(encoding="utf-8").strip()

    wav = client.predict("Azul fllawn. Manzakin?", "zgh", "awal-voice", api_name="/synthesize")
    assert load_audio(wav, sr=None).size > 22050 * 0.5

    audio, heard, verdict = client.predict("مرحبا بيكم", "ary", "espeak", api_name="/round_trip")
    assert Path(audio).is_file() and heard and verdict.startswith("**CER ")

    # two visitors at once: the queue runs both
    jobs = [client.submit(text, lang, "default", api_name="/synthesize")
            for text, lang in [("مرحبا بيكم", "ary"), ("ⴰⵣⵓⵍ", "zgh")]]  # fmt: skip
    assert all(load_audio(job.result(timeout=120), sr=None).size > 0 for job in jobs)

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="could not be read as audio"):
        client.predict(handle_file(str(ROOT / "README.md")), "ary", "default", api_name="/transcribe")
    with pytest.raises(AppError, match="Type some text"):
        client.predict("", "ary", "default", api_name="/synthesize")
    with pytest.raises(AppError, match=r"too long \(305 characters\)"):
        client.predict("ⴰⵣⵓⵍ " * 61, "zgh", "default", api_name="/round_trip")


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (Linux's VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    (line,) = [row for row in status.splitlines() if row.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


def test_a_long_upload_is_refused_quickly_in_bounded_memory(server: Server, long_silence: Path) -> None:
    """Three hours of silence in a 546 KB FLAC, uploaded: refused with the message, in seconds, and
    the demo's peak memory barely moves (decoded, it would be ~700 MB of samples, and GBs in all)."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(server.url, verbose=False)
    before = _peak_rss(server.proc.pid)
    began = time.monotonic()
    with pytest.raises(AppError, match=r"too long \(3:00:00\)"):
        client.predict(handle_file(str(long_silence)), "ary", "default", api_name="/transcribe")
    assert time.monotonic() - began < 15
    grown = _peak_rss(server.proc.pid) - before
    assert grown < 100 * 2**20, f"the demo's peak memory grew by {grown / 2**20:.0f} MiB"


def _dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(("stop", "serving"), [(signal.SIGTERM, True), (signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["SIGTERM", "SIGINT", "SIGTERM-while-starting"])  # fmt: skip
def test_temporary_folders_go_at_exit_and_stale_ones_at_start(tmp_path: Path, stop: signal.Signals,
                                                              serving: bool) -> None:  # fmt: skip
    """The demo's folder (``awal-demo-<pid>-*`` under $TMPDIR) is removed when it is stopped by a
    signal (while it serves, or still starting: it exits 0 either way); at start, the folders of demos
    that are gone are removed, never a live demo's (nor a folder whose owner is unknown)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    stale = tmp / f"awal-demo-{_dead_pid()}-k1lled"
    live = tmp / f"awal-demo-{os.getpid()}-alive"  # this test's process stands in for a live demo
    unknown = tmp / "awal-demo-x8j2_q0a"  # an older demo's folder: its owner cannot be told
    for folder in (stale, live, unknown):
        (folder / "answer").mkdir(parents=True)
        (folder / "answer" / "speech.wav").write_bytes(b"RIFF")
    with _demo_server(tmp_path / "demo.log", env={**os.environ, "TMPDIR": str(tmp)}) as started:
        assert not stale.exists(), "a dead demo's folder was left at start"
        assert live.exists() and unknown.exists()
        (own,) = tmp.glob(f"awal-demo-{started.proc.pid}-*")
        if serving:  # past Gradio's start-up, in its wait for Ctrl-C
            from gradio_client import Client

            assert "/synthesize" in Client(started.url, verbose=False).view_api(print_info=False, return_format="dict")[
                "named_endpoints"]  # fmt: skip
            time.sleep(2)
        started.proc.send_signal(stop)
        assert started.proc.wait(timeout=30) == 0, started.log.read_text()
    assert not own.exists(), "the demo's folder is left after it stopped"
    assert live.exists() and unknown.exists()


def test_auth_and_the_limits_set_on_the_command_line(tmp_path: Path) -> None:
    """``--auth USER:PASS``: the page and the API want a login; ``--max-text-chars`` and
    ``--max-file-mb`` change the limits."""
    import httpx
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError, AuthenticationError

    big = tmp_path / "big.wav"
    write_audio(big, np.zeros(16000 * 40, dtype=np.float32), 16000)  # 1.2 MB, 40 s
    args = ("--auth", "visitor:open sesame", "--max-text-chars", "20", "--max-file-mb", "1")
    with _demo_server(tmp_path / "demo.log", *args) as started:
        with pytest.raises(AuthenticationError):
            Client(started.url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):
            Client(started.url, auth=("visitor", "open"), verbose=False)
        with httpx.Client(base_url=started.url, timeout=30) as http:
            assert http.get("config").status_code == 401
            assert http.post("gradio_api/upload", files={"files": ("a.wav", b"RIFF")}).status_code == 401
            assert http.post("login", data={"username": "visitor", "password": "open sesame"}).status_code == 200
            refused = http.post("gradio_api/upload", files={"files": ("big.wav", big.read_bytes())})
            assert refused.status_code == 413 and "maximum allowed size of 1048576 bytes" in refused.text
        client = Client(started.url, auth=("visitor", "open sesame"), verbose=False)
        assert load_audio(client.predict("Azul fllawn", "zgh", "default", api_name="/synthesize"), sr=None).size
        with pytest.raises(AppError, match=r"too long \(21 characters\).* up to 20"):
            client.predict("Azul fllawn, manzakin", "zgh", "default", api_name="/synthesize")
        with pytest.raises(ValueError, match="exceeds the maximum file size"):  # the client knows the limit too
            client.predict(handle_file(str(big)), "ary", "default", api_name="/transcribe")


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextlib.contextmanager
def _chrome(url: str) -> Iterator[object]:
    """Headless Chromium on ``url``, whose microphone plays a recorded sample, in a loop."""
    found = _chromium()
    if found is None:
        pytest.fail("chromium and chromedriver are missing: scripts/setup.sh dev installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    # the microphone: Chromium's fake capture device plays a recorded sample, in a loop
    microphone = SAMPLES / "ary_000218.wav"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1500",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={microphone}"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        driver.get(url)
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[object]:
    with _chrome(app_url) as driver:
        yield driver


def _wait(driver: object, predicate, timeout: float = 120):  # noqa: ANN001
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.3).until(predicate)


def _tab(driver, name: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    (tab,) = [t for t in driver.find_elements(By.CSS_SELECTOR, "[role=tab]") if t.text.strip() == name]
    tab.click()


def _shot(driver, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / f"demo-{name}.png"))


def test_the_page_in_a_real_browser(browser) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    driver = browser
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcribe-button"))
    assert [t.text.strip() for t in driver.find_elements(By.CSS_SELECTOR, "[role=tab]")][:4] == [
        "Transcribe", "Synthesize", "Round trip", "About"]  # fmt: skip

    # Transcribe: upload a file, press the button, the transcript and the word timings appear
    driver.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(SAMPLES / "ary_000390.wav"))
    _wait(driver, lambda d: "ary_000390.wav" in d.find_element(By.CSS_SELECTOR, "#upload").text.replace("\n", ""))
    driver.find_element(By.CSS_SELECTOR, "#transcribe-button").click()
    transcript = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#transcript textarea").get_attribute("value"))
    assert any("\u0600" <= ch <= "\u06ff" for ch in transcript)
    _wait(driver, lambda d: "transcript.srt" in d.find_element(By.CSS_SELECTOR, "#downloads").text.replace("\n", ""))
    assert driver.find_elements(By.CSS_SELECTOR, "#words td")
    _shot(driver, "transcribe")

    # Synthesize: the audio element gets a source that plays the speech
    _tab(driver, "Synthesize")
    driver.find_element(By.CSS_SELECTOR, "#speak-button").click()
    src = _wait(driver, lambda d: d.execute_script(
        "const a = document.querySelector('#speech audio'); return a && a.src && a.duration > 0 ? a.src : null"))
    assert src.endswith(".wav")
    _shot(driver, "synthesize")

    # Round trip: a CER is shown
    _tab(driver, "Round trip")
    driver.find_element(By.CSS_SELECTOR, "#rt-button").click()
    score = _wait(driver, lambda d: "CER" in d.find_element(By.CSS_SELECTOR, "#rt-score").text
                  and d.find_element(By.CSS_SELECTOR, "#rt-score").text)  # fmt: skip
    assert "%" in score
    assert driver.find_element(By.CSS_SELECTOR, "#rt-heard textarea").get_attribute("value")
    _shot(driver, "round-trip")

    # a mistake gets a message, not a traceback
    _tab(driver, "Synthesize")
    box = driver.find_element(By.CSS_SELECTOR, "#tts-text textarea")
    box.clear()
    box.send_keys("!!! ???")
    driver.find_element(By.CSS_SELECTOR, "#speak-button").click()
    _wait(driver, lambda d: "no speakable characters" in d.find_element(By.TAG_NAME, "body").text)
    assert "Traceback" not in driver.find_element(By.TAG_NAME, "body").text

    _tab(driver, "About")
    about = driver.find_element(By.CSS_SELECTOR, "#about").text
    assert "synthetic speech" in about and "--asr-model" in about
    _shot(driver, "about")


def test_the_microphone_in_a_real_browser(browser) -> None:  # noqa: ANN001
    """Record in the page (Chromium's fake microphone plays a Darija sample): words appear in the
    live transcript while recording, through the streaming engine; stopping keeps them."""
    from selenium.webdriver.common.by import By

    driver = browser
    driver.refresh()  # a fresh page: no message left from the test before
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#mic button"))
    (record,) = [b for b in driver.find_elements(By.CSS_SELECTOR, "#mic button") if b.text.strip() == "Record"]
    record.click()
    live = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#live-transcript textarea").get_attribute("value"),
                 timeout=60)  # fmt: skip
    assert any("\u0600" <= ch <= "\u06ff" for ch in live)
    _shot(driver, "microphone")
    (stop,) = [b for b in driver.find_elements(By.CSS_SELECTOR, "#mic button") if b.text.strip() == "Stop"]
    stop.click()
    _wait(driver, lambda d: any(b.text.strip() == "Record" for b in d.find_elements(By.CSS_SELECTOR, "#mic button")))
    final = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#live-transcript textarea").get_attribute("value"))
    assert any("\u0600" <= ch <= "\u06ff" for ch in final)


def test_a_recording_over_its_limit_stops_with_one_message(tmp_path: Path) -> None:
    """``--max-stream-s 2``: past two seconds of audio the page says so, once, and the recording
    stops (the Record button is back) instead of the browser sending chunk after refused chunk."""
    from selenium.webdriver.common.by import By

    with _demo_server(tmp_path / "demo.log", "--max-stream-s", "2") as started, _chrome(started.url) as driver:
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#mic button"))
        (record,) = [b for b in driver.find_elements(By.CSS_SELECTOR, "#mic button") if b.text.strip() == "Record"]
        record.click()
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#mic button.stop-button"), timeout=60)
        said = "The recording reached the demo's limit of 0:02"
        _wait(driver, lambda d: said in d.execute_script("return document.body.innerText"), timeout=60)
        _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "#mic button.stop-button"), timeout=30)
        time.sleep(3)  # the browser would have sent six more chunks by now
        assert driver.execute_script("return document.body.innerText").count(said) == 1
        assert any(b.text.strip() == "Record" for b in driver.find_elements(By.CSS_SELECTOR, "#mic button"))
        assert started.log.read_text().count(said) <= 2  # one refused chunk (Gradio logs its error)
