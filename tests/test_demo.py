"""The Gradio demo: what it does (awal.demo.core, with the bundled models), its named API endpoints
through ``gradio_client`` against ``awal demo`` started for real, and the page in a real headless
Chromium (Debian's chromium + chromedriver, installed by scripts/setup.sh), with a screenshot of
each tab saved as a test artifact (``$AWAL_TEST_ARTIFACTS``, default ``build/test-artifacts``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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


# --- the app, started for real ----------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("demo") / "demo.log"
    with open(log_path, "w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "awal.cli", "demo", "--port", str(port)], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
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
        yield url
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


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


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[object]:
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
    driver.get(app_url)
    yield driver
    driver.quit()


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
