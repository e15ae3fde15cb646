"""`awal prepare` end to end in a subprocess, on a Common Voice replica with real mp3 clips."""

from __future__ import annotations

import json
from pathlib import Path

from test_corpora import make_common_voice


def test_prepare_common_voice_from_the_command_line(tmp_path: Path, run_awal) -> None:
    locale = make_common_voice(tmp_path / "cv")
    out = tmp_path / "manifests"
    proc = run_awal("prepare", "common-voice", "--root", str(locale), "--out", str(out), "--lang", "zgh", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("\t", 1) for line in proc.stdout.splitlines())
    assert lines["train"].startswith("2 utterances") and lines["rejected"].startswith("4 (")
    assert "1 missing_audio" in lines["rejected"] and "1 undecodable_audio" in lines["rejected"]
    for split in ("train", "dev", "test"):
        assert (out / f"{split}.jsonl").is_file()
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rejected) == 4 and all(r["reason"] and r["detail"] for r in rejected)
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["corpus"] == "common-voice" and stats["split"] == "from the corpus"
    assert (out / "stats.png").is_file()


def test_prepare_validated_makes_a_seeded_speaker_split_and_converts(tmp_path: Path, run_awal) -> None:
    locale = make_common_voice(tmp_path / "cv")
    args = ["prepare", "common-voice", "--root", str(locale), "--lang", "zgh", "--splits", "validated"]
    args += ["--convert", "--seed", "7", "--dev-fraction", "0.2", "--test-fraction", "0.2", "--script", "latn"]
    first = run_awal(*args, "--out", str(tmp_path / "a"))
    second = run_awal(*args, "--out", str(tmp_path / "b"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    for split in ("train", "dev", "test"):
        a = (tmp_path / "a" / f"{split}.jsonl").read_text(encoding="utf-8")
        assert a == (tmp_path / "b" / f"{split}.jsonl").read_text(encoding="utf-8")  # same seed, same split
    records = [json.loads(x) for s in ("train", "dev", "test") for x in (tmp_path / "a" / f"{s}.jsonl").open()]
    assert all(r["audio_filepath"].startswith("audio/") and r["sampling_rate"] == 16000 for r in records)
    assert any(r["text"] == "azul fllawn" for r in records)  # written in IRCAM Latin
    stats = json.loads((tmp_path / "a" / "stats.json").read_text(encoding="utf-8"))
    assert set(stats["speaker_overlap"].values()) == {0} and "seed 7" in stats["split"]


def test_prepare_usage_errors(tmp_path: Path, run_awal) -> None:
    missing = run_awal("prepare", "dvoice", "--root", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    bad_lang = run_awal("prepare", "common-voice", "--root", str(tmp_path), "--out", str(tmp_path), "--lang", "xx")
    assert bad_lang.returncode == 2 and "known: ary" in bad_lang.stderr
    no_lang = run_awal("prepare", "hf-audio", "--root", str(tmp_path), "--out", str(tmp_path / "o"))
    assert no_lang.returncode == 2 and "--lang" in no_lang.stderr


def test_prepare_synthetic_from_the_command_line(tmp_path: Path, run_awal) -> None:
    text = tmp_path / "zgh.txt"
    text.write_text("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ\nⵎⴰⵏⵣⴰⴽⵉⵏ?\nⵜⴰⵏⵎⵎⵉⵔⵜ ⴰⵎⵇⵇⵔⴰⵏ\nⴰⵙⵙ ⴰⵎⴳⴳⴰⵣ\n", encoding="utf-8")
    out = tmp_path / "syn"
    args = ["prepare", "synthetic", "--lang", "zgh", "--text", str(text), "--out", str(out), "--hours", "0.004"]
    proc = run_awal(*args, "--seed", "3", "--heldout", "0.25", "--dev", "0.25", "--telephone")
    assert proc.returncode == 0, proc.stderr
    records = {s: [json.loads(x) for x in (out / f"{s}.jsonl").open(encoding="utf-8")] for s in ("train", "test")}
    held_out = {r["text"] for r in records["test"]}
    assert held_out and not held_out & {r["text"] for r in records["train"]}
    assert all(r["telephone"] and r["lang"] == "zgh" for rs in records.values() for r in rs)
    assert all(all("\u2d30" <= ch <= "\u2d7f" or not ch.isalpha() for ch in r["text"]) for r in records["train"])
    total = sum(r["duration"] for rs in records.values() for r in rs)
    dev = [json.loads(x) for x in (out / "dev.jsonl").open(encoding="utf-8")]
    assert abs(total + sum(r["duration"] for r in dev) - 0.004 * 3600) < 3  # within one utterance
