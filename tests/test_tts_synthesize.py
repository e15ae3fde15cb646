"""Speech synthesis through the runtime (``awal.tts.synthesize``), ``awal synthesize`` and
``POST /v1/audio/speech`` on a real server, with the espeak-ng voice (the baseline backend) and
the bundled neural voice (tests/test_tts_recipe.py trains, exports and serves a voice too)."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from awal.audio import alaw_decode, load_audio, mulaw_decode, pcm16_decode
from awal.errors import InputError
from awal.tts.frontend import UnknownCharactersError, encode
from awal.tts.synthesize import SpeechOptions, encode_audio, stream, synthesize, wav_header

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/setup.sh)")

TEXTS = {
    ("ary", "Arab"): "السلام عليكم، كيداير؟ بغيت نمشي للسوق غدا فالصباح.",
    ("ary", "Latn"): "Salam 3likom, kidayr? Bghit nmchi l souk ghda f sba7.",
    ("zgh", "Tfng"): "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ. ⵎⴰⵏⵣⴰⴽⵉⵏ? ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵡⴰⵍⵜ.",
    ("zgh", "Latn"): "Azul fllawn. Manzakin? Tamaziɣt tanawalt.",
}


def _voiced_share(samples: np.ndarray, rate: int) -> float:
    """The share of 20-ms frames louder than -40 dBFS."""
    frame = rate // 50
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    return float(np.mean(np.sqrt(np.mean(frames**2, axis=1)) > 0.01))


BUNDLED = (Path(__file__).resolve().parent.parent / "tts" / "bundled" / "awal-voice" / "awal.json").is_file()


@pytest.mark.parametrize("voice", ["espeak", pytest.param("awal-voice", marks=pytest.mark.skipif(
    not BUNDLED, reason="the checkout has no bundled neural voice"))])  # fmt: skip
@pytest.mark.parametrize(("lang", "script"), sorted(TEXTS))
def test_speech_is_non_silent_and_of_plausible_duration(lang: str, script: str, voice: str) -> None:
    text = TEXTS[(lang, script)]
    speech = synthesize(text, lang, voice)
    assert speech.voice == voice
    symbols = len(encode(text, lang).symbols)
    assert speech.sample_rate == 22050 and speech.samples.dtype == np.float32
    # speech runs at 8-25 symbols a second (letters, spaces and clause marks)
    assert symbols / 25 < speech.duration < symbols / 8, (speech.duration, symbols)
    assert _voiced_share(speech.samples, speech.sample_rate) > 0.4
    assert 0.05 < float(np.max(np.abs(speech.samples))) <= 1.0


def test_both_scripts_of_a_language_say_the_same() -> None:
    tifinagh = synthesize("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "zgh")
    latin = synthesize("azul fllawn", "zgh")
    assert tifinagh.text == latin.text == "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ"
    assert np.array_equal(tifinagh.samples, latin.samples)  # espeak-ng is deterministic


def test_telephone_prompt_in_8khz_mulaw_and_alaw_decodes_back() -> None:
    speech = synthesize(TEXTS[("ary", "Arab")], "ary", options=SpeechOptions(rate=8000, speed=1.2))
    assert speech.sample_rate == 8000
    for fmt, decode in (("mulaw", mulaw_decode), ("alaw", alaw_decode), ("pcm", pcm16_decode)):
        data = encode_audio(speech.samples, fmt)
        back = decode(data)
        assert len(back) == len(speech.samples)
        # G.711 keeps ~38 dB of signal to noise on speech; 16-bit PCM far more
        noise = np.mean((back - np.clip(speech.samples, -1, 1)) ** 2) / np.mean(speech.samples**2)
        assert noise < (1e-3 if fmt != "pcm" else 1e-6), (fmt, noise)
    slower = synthesize(TEXTS[("ary", "Arab")], "ary", options=SpeechOptions(rate=8000, speed=0.8))
    assert slower.duration > speech.duration * 1.2


def test_streaming_yields_the_first_sentence_before_the_rest_is_made() -> None:
    from awal.tts.espeak import EspeakVoice

    class CountingVoice(EspeakVoice):
        """The real espeak voice, counting the sentences it has spoken."""

        spoken = 0

        def speak(self, sentence: str, lang: str, speed: float = 1.0) -> tuple[np.ndarray, str]:
            CountingVoice.spoken += 1
            return super().speak(sentence, lang, speed)

    text = " ".join(["واش نتا مزيان؟", "انا بخير الحمد لله.", "شكرا بزاف على السؤال!", "نتلاقاو غدا ان شاء الله."])
    chunks = stream(text, "ary", CountingVoice())
    first = next(chunks)
    assert CountingVoice.spoken == 1 and first.text == "واش نتا مزيان؟"
    rest = list(chunks)
    assert CountingVoice.spoken == 4 and len(rest) == 3
    pause = int(0.25 * first.sample_rate)
    assert not np.any(rest[0].samples[:pause])  # a pause between sentences


def test_bad_text_gets_a_clear_error() -> None:
    with pytest.raises(UnknownCharactersError, match="GRINNING FACE"):
        synthesize("مرحبا 😀", "ary")
    with pytest.raises(InputError, match="empty"):
        synthesize("  \n ", "ary")
    with pytest.raises(InputError, match="speakable"):
        synthesize("« — »", "ary")
    with pytest.raises(InputError, match="speed"):
        SpeechOptions(speed=9)
    with pytest.raises(InputError, match="unknown voice"):
        synthesize("ⴰⵣⵓⵍ", "zgh", "no-such-voice")


def test_cli_writes_wav_and_mulaw_from_an_argument_or_stdin(tmp_path, run_awal) -> None:
    wav = tmp_path / "prompt.wav"
    done = run_awal("synthesize", TEXTS[("zgh", "Latn")], "--lang", "zgh", "--out", str(wav), "--rate", "16000",
                    check=True)  # fmt: skip
    assert "16000 Hz, wav" in done.stderr and "ⴰⵣⵓⵍ" in done.stderr
    audio = load_audio(wav)
    assert 1.5 < len(audio) / 16000 < 6 and _voiced_share(audio, 16000) > 0.4
    ulaw = tmp_path / "prompt.ul"
    run_awal("synthesize", "--lang", "ary", "--out", str(ulaw), "--rate", "8000", input=TEXTS[("ary", "Latn")],
             check=True)  # fmt: skip
    samples = mulaw_decode(ulaw.read_bytes())
    assert 1.5 < len(samples) / 8000 < 8 and _voiced_share(samples, 8000) > 0.4
    bad = run_awal("synthesize", "salam 😀", "--lang", "ary", "--out", str(tmp_path / "x.wav"))
    assert bad.returncode == 2 and "GRINNING FACE" in bad.stderr and not (tmp_path / "x.wav").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_wav_header_of_a_stream_and_of_a_file() -> None:
    import soundfile as sf

    samples = np.sin(np.arange(8000) / 8000 * 2 * np.pi * 440).astype(np.float32) * 0.5
    data = wav_header(8000, len(samples) * 2) + encode_audio(samples, "wav")
    read, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == 8000 and np.allclose(read, samples, atol=1e-4)
    assert wav_header(8000)[40:44] == b"\xdb\xff\xff\xff"  # "until the end" for a stream


@pytest.fixture(scope="module")
def server():
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("needs the serve extra: pip install 'awal[serve]'")
    from servers import start_server

    proc, address, log = start_server("--model", "whisper-base", "--api-key", "speech-key")
    yield address
    proc.terminate()
    proc.wait(timeout=60)
    log.close()


def test_openai_client_speaks_and_streams(server, tmp_path) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"http://{server}/v1", api_key="speech-key")
    out = tmp_path / "speech.wav"
    with client.audio.speech.with_streaming_response.create(
        model="awal", voice="alloy", input=TEXTS[("ary", "Arab")], response_format="wav"
    ) as response:
        assert response.headers["x-awal-voice"] == "espeak" and response.headers["x-awal-language"] == "ary"
        response.stream_to_file(out)
    audio = load_audio(out)
    assert 2 < len(audio) / 16000 < 10 and _voiced_share(audio, 16000) > 0.4
    pcm = client.audio.speech.create(model="awal", voice="espeak", input=TEXTS[("zgh", "Latn")],
                                     response_format="pcm", speed=1.5, extra_body={"language": "zgh"})  # fmt: skip
    samples = pcm16_decode(pcm.content)  # OpenAI's pcm: 24 kHz, 16-bit, no header
    assert 1 < len(samples) / 24000 < 5 and _voiced_share(samples, 24000) > 0.4


def test_speech_endpoint_streams_sentence_by_sentence_and_refuses_bad_requests(server) -> None:
    def post(body: dict, key: str = "speech-key") -> urllib.request.Request:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        url = f"http://{server}/v1/audio/speech"
        return urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)

    text = " ".join([TEXTS[("ary", "Arab")]] * 6)
    with urllib.request.urlopen(post({"model": "awal", "input": text, "response_format": "mulaw"})) as r:
        assert r.headers["Transfer-Encoding"] == "chunked" and r.headers["X-Awal-Sample-Rate"] == "8000"
        first = r.read1(65536)  # the first sentence's audio, before the others are made
        rest = r.read()
    assert first and len(rest) > len(first)
    assert _voiced_share(mulaw_decode(first + rest), 8000) > 0.3

    def refused(body: dict, key: str = "speech-key") -> tuple[int, dict]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(post(body, key))
        return error.value.code, json.loads(error.value.read())["error"]

    assert refused({"input": "salam"}, key="wrong")[0] == 401
    code, err = refused({"model": "awal", "input": "مرحبا 😀"})
    assert code == 400 and err["param"] == "input" and "GRINNING FACE" in err["message"]
    code, err = refused({"model": "awal", "input": "salam"})
    assert code == 400 and err["param"] == "language"  # Latin text: which language?
    code, err = refused({"model": "awal", "input": "سلام", "response_format": "mp3"})
    assert code == 400 and err["code"] == "unsupported_format"
    assert refused({"model": "awal", "input": ""})[1]["param"] == "input"
    if BUNDLED:  # a voice asked for a language it was not trained on: a 400, before any audio
        code, err = refused({"model": "awal", "input": "azul", "voice": "awal-voice", "language": "kab"})
        assert code == 400 and err["param"] == "voice" and "does not speak" in err["message"]
    assert refused({"model": "awal", "input": "x" * 5000, "language": "kab"})[1]["param"] == "input"


def _speech(server: str, body: bytes, key: str = "speech-key") -> urllib.request.Request:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return urllib.request.Request(f"http://{server}/v1/audio/speech", data=body, headers=headers)


def test_speech_refuses_odd_numbers_zeros_and_deep_bodies_naming_the_field(server) -> None:
    def refused(body: bytes, key: str = "speech-key") -> tuple[int, dict]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(_speech(server, body, key), timeout=60)
        return error.value.code, json.loads(error.value.read())["error"]

    start = b'{"model": "awal", "input": "\\u0633\\u0644\\u0627\\u0645", '
    for field, value in (("sample_rate", b"Infinity"), ("sample_rate", b"-Infinity"), ("sample_rate", b"NaN"),
                         ("sample_rate", b"1e400"), ("sample_rate", b"1" + b"0" * 400), ("sample_rate", b"0"),
                         ("sample_rate", b"16000.5"), ("sample_rate", b"true"), ("sample_rate", b'"fast"'),
                         ("sample_rate", b"[16000]"),
                         ("speed", b"0"), ("speed", b"Infinity"), ("speed", b"NaN"), ("speed", b"false"),
                         ("response_format", b'""')):  # fmt: skip
        code, err = refused(start + b'"' + field.encode() + b'": ' + value + b"}")
        assert code == 400 and err["param"] == field and err["type"] == "invalid_request_error", (field, value, err)
    deep = 100_000
    for body in (b"[" * deep + b"]" * deep, start + b'"voice": ' + b'{"a":' * deep + b"1" + b"}" * deep + b"}"):
        code, err = refused(body)
        assert code == 400 and "JSON" in err["message"], err
    assert refused(start[:-2] + b"}", key="\u00e9")[0] == 401  # a non-ASCII key: refused, not a crash


def test_speech_model_is_echoed_safely_whatever_it_holds(server) -> None:
    for model in ("awal\r\nX-Injected: yes", "\u0635\u0648\u062a", "a\x00b", " awal\t", "m" * 10_000):
        body = json.dumps({"model": model, "input": "سلام", "response_format": "pcm"}).encode()
        with urllib.request.urlopen(_speech(server, body), timeout=60) as r:
            assert r.status == 200 and r.headers["X-Injected"] is None and r.read()
            echoed = r.headers["X-Awal-Model"]
        assert echoed.isascii() and echoed.isprintable() and len(echoed) <= 300, echoed
        if len(model) < 100:
            assert urllib.parse.unquote(echoed) == model
    with urllib.request.urlopen(_speech(server, b'{"model": "tts-1", "input": "\\u0633"}'), timeout=60) as r:
        assert r.headers["X-Awal-Model"] == "tts-1"  # a plain name is echoed as it is


def test_cli_names_a_missing_output_folder(tmp_path, run_awal) -> None:
    folder = tmp_path / "missing" / "dir"
    done = run_awal("synthesize", "سلام", "--lang", "ary", "--out", str(folder / "x.wav"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert str(folder) in done.stderr and "awal: error:" in done.stderr


def test_default_voice_is_the_one_its_card_measured_better(tmp_path, monkeypatch) -> None:
    import awal.tts.synthesize as synthesize_module
    from awal.tts.folder import read_voice_info, write_metrics

    bundled = synthesize_module.BUNDLED_VOICE
    assert synthesize_module.default_voice("zgh") == "espeak"  # the bundled card: espeak-ng measures better
    voice = tmp_path / bundled.name
    shutil.copytree(bundled, voice)
    trips = read_voice_info(voice)["metrics"]["round_trip"]
    trips["zgh"].update(voice_cer=0.05, espeak_cer=0.07)  # the neural voice better for Tamazight only
    write_metrics(voice, {"round_trip": trips})
    monkeypatch.setattr(synthesize_module, "BUNDLED_VOICE", voice)
    assert synthesize_module.default_voice("zgh") == bundled.name
    assert synthesize_module.default_voice("shi") == bundled.name  # a variety: its family's voice
    assert synthesize_module.default_voice("ary") == "espeak"
    assert synthesize_module.default_voice("kab") == "espeak"  # the voice does not speak Kabyle
    write_metrics(voice, None)
    assert synthesize_module.default_voice("zgh") == "espeak"  # nothing measured: the baseline
