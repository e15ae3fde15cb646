"""Predicted MOS (``awal.tts.quality``, DNSMOS from the speechmos wheel) on real speech, and
``awal eval tts`` reporting it beside the round-trip CER."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

pytestmark = [
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/setup.sh)"),
    pytest.mark.skipif(importlib.util.find_spec("speechmos") is None, reason="needs the quality extra (speechmos)"),
]

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "مرحبا بيكم فالشركة ديالنا، كيفاش نقدرو نعاونوك اليوم؟"


@pytest.fixture(scope="module")
def predictor():
    from awal.tts.quality import MosPredictor

    return MosPredictor()


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    from awal.tts.synthesize import synthesize

    spoken = synthesize(SENTENCE, "ary", "espeak")
    return spoken.samples, spoken.sample_rate


def test_noise_lowers_the_background_score_and_the_whole(predictor, speech) -> None:
    samples, rate = speech
    clean = predictor(samples, rate)
    assert all(1.0 <= v <= 5.0 for v in clean.as_dict().values()), clean
    rng = np.random.default_rng(0)
    noisy = samples + rng.standard_normal(len(samples)).astype(np.float32) * np.sqrt(np.mean(samples**2))  # 0 dB
    noisy = predictor(noisy / np.max(np.abs(noisy)) * 0.9, rate)
    assert noisy.bak < clean.bak - 0.8, (clean, noisy)
    assert noisy.ovrl < clean.ovrl - 0.3 and noisy.p808 < clean.p808 - 0.5, (clean, noisy)
    # the same clip scores the same, at any rate it comes at (resampled to 16 kHz first)
    assert predictor(samples, rate) == clean
    import soxr

    at_16k = predictor(soxr.resample(samples, rate, 16000), 16000)
    assert abs(at_16k.ovrl - clean.ovrl) < 0.05, (at_16k, clean)


def test_telephone_audio_is_scored_as_heard(predictor, speech) -> None:
    """8 kHz speech (a telephone prompt) is scored with its missing upper band: int16 or float."""
    import soxr

    samples, rate = speech
    narrow = soxr.resample(samples, rate, 8000)
    as_float = predictor(narrow, 8000)
    as_int16 = predictor((narrow * 32767).astype(np.int16), 8000)
    assert abs(as_float.ovrl - as_int16.ovrl) < 0.01
    assert 1.0 <= as_float.sig <= 5.0
    with pytest.raises(InputError, match="too short"):
        predictor(narrow[:400], 8000)


def test_eval_tts_reports_the_predicted_mos_beside_the_cer(tmp_path: Path) -> None:
    if not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file():
        pytest.skip("the bundled model is not in this checkout")
    if importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("needs the serve extra")
    manifest = tmp_path / "sentences.jsonl"
    lines = [{"audio_filepath": "none.wav", "duration": 1.0, "text": t, "lang": "ary"}
             for t in ("مرحبا بيكم", "شنو كاتعاود", "بغيت نخلص الفاتورة")]  # fmt: skip
    manifest.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    cmd = [sys.executable, "-m", "awal", "eval", "tts", "--voice", "espeak", "--manifest", str(manifest),
           "--no-progress"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["utterances"] == 3 and 0.0 <= report["cer"] <= 1.0
    mos = report["mos"]
    assert mos["clips"] == 3 and mos["model"].startswith("DNSMOS")
    assert all(1.0 <= mos[k] <= 5.0 for k in ("ovrl", "sig", "bak", "p808")), mos
    # --no-mos: the round trip alone
    done = subprocess.run([*cmd, "--no-mos"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0 and "mos" not in json.loads(done.stdout), done.stderr[-3000:]


def test_eval_mos_scores_a_manifest(tmp_path: Path, speech, predictor) -> None:
    """``awal eval mos``: the means over a manifest's clips (one clean, one in noise)."""
    import soundfile as sf

    samples, rate = speech
    noisy = samples + np.random.default_rng(1).standard_normal(len(samples)).astype(np.float32) * 0.05
    rows = []
    for name, clip in (("clean.wav", samples), ("noisy.wav", np.clip(noisy, -1, 1))):
        sf.write(tmp_path / name, clip, rate)
        rows.append({"audio_filepath": name, "duration": len(clip) / rate, "text": "x", "lang": "ary"})
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "awal", "eval", "mos", "--manifest", str(manifest), "--no-progress"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["clips"] == 2 and report["model"].startswith("DNSMOS")
    clean, loud = predictor(samples, rate), predictor(np.clip(noisy, -1, 1), rate)
    assert report["bak"] == pytest.approx((clean.bak + loud.bak) / 2, abs=0.002)
