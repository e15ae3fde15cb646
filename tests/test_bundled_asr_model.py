"""The default ASR model shipped in the package (``asr/bundled/whisper-base-awal``).

It is real: whisper-base fine-tuned by ``recipes/asr/whisper`` (``conf/base_cpu.yaml``). These
tests check that it resolves offline, that its ``awal.json`` carries the tokens and scripts it was
trained with, that it fits the size budget, and that it transcribes the held-out samples of
``samples/audio/`` (sentences it never heard in training) in the right language and script.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from pathlib import Path

import pytest

from awal.asr.model import DEFAULT_MODEL, SHIPPED_DIR, resolve_model

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(pkg) is None for pkg in ("faster_whisper", "ctranslate2")),
    reason="needs faster-whisper: pip install 'awal[serve]'",
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio" / "heldout.jsonl"


def test_resolves_to_the_shipped_folder_with_its_card() -> None:
    folder = Path(resolve_model(DEFAULT_MODEL))
    assert folder == SHIPPED_DIR / DEFAULT_MODEL
    assert (folder / "model.bin").stat().st_size <= 80_000_000
    for name in ("config.json", "vocabulary.json", "tokenizer.json", "preprocessor_config.json", "MODEL_CARD.md"):
        assert (folder / name).is_file(), name
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "CC BY-NC 4.0" in card and "synthetic" in card and "## Limits" in card


def test_awal_json_records_tokens_scripts_and_metrics() -> None:
    from awal.asr.folder import read_awal_json

    info = read_awal_json(resolve_model(DEFAULT_MODEL))
    assert not info.from_registry and info.quantization == "int8"
    assert info.whisper_token("ary") == "ar" and info.language("ary").default_script == "Arab"
    assert info.whisper_token("zgh") == "sn" and info.language("zgh").default_script == "Latn"
    assert info.whisper_token("shi") == "sn"  # a variety uses its family's entry
    assert info.metrics is not None
    for lang in ("ary", "zgh"):
        assert 0 <= info.metrics[lang]["cer"] < 1


def test_transcribes_the_heldout_samples(tmp_path: Path) -> None:
    from awal.asr.evaluate import evaluate_asr

    details = tmp_path / "details.jsonl"
    report = evaluate_asr(DEFAULT_MODEL, SAMPLES, details=details, progress=False)
    assert report["errors"] == 0 and report["tokens_from"] == "awal.json"
    assert report["whisper_tokens"] == {"ary": "ar", "zgh": "sn"}
    rows = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        # Darija comes out in Arabic script; Tamazight in IRCAM Latin, its training script
        script = {"ary": "ARABIC", "zgh": "LATIN"}[row["lang"]]
        letters = [ch for ch in row["pred_text"] if ch.isalpha()]
        share = sum(script in unicodedata.name(ch, "") for ch in letters) / max(len(letters), 1)
        assert letters and share > 0.9, row
    # far better than the untouched base (CER 77% / 132% on such sentences, docs/models.md)
    for lang, summary in report["per_language"].items():
        assert summary["cer"] < 0.35, (lang, summary)
