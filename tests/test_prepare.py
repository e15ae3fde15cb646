"""The shared preparation pipeline: validation reasons, nothing dropped, splits, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.prepare import REASONS, prepare, speaker_disjoint_split
from awal.manifest import read_manifest

RATE = 16000


def tone(path: Path, seconds: float = 1.0, rate: int = RATE, amplitude: float = 0.3, freq: float = 220.0) -> str:
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)
    return str(path)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def corpus(tmp_path: Path) -> list[Utterance]:
    a = tmp_path / "wav"
    a.mkdir()
    texts = ["ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "azul fllawn", "ⵎⴰⵏⵣⴰⴽⵉⵏ?", "ⴰⴳⵯⵔⵔⴰⵡ", "ⴰⵢⵢⵓⵣ", "ⵜⴰⵏⵎⵎⵉⵔⵜ", "ⴰⵙⵙ ⴰⵎⴳⴳⴰⵣ"]
    good = [
        Utterance(f"u{i}", tone(a / f"u{i}.wav", 1.0 + i / 10), text, speaker=f"spk{i % 4}", extra={"id": "theirs"})
        for i, text in enumerate(texts)
    ]
    (a / "empty.wav").write_bytes(b"")
    (a / "junk.wav").write_bytes(b"RIFF not really a wav file at all")
    bad = [
        Utterance("empty-text", tone(a / "e.wav"), "  ?! ", speaker="spkX"),
        Utterance("arabic", tone(a / "ar.wav"), "السلام عليكم", speaker="spkX"),
        Utterance("greek", tone(a / "gr.wav"), "ⴰⵣⵓⵍ ω", speaker="spkX"),
        Utterance("missing", str(a / "nowhere.wav"), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("corrupt", str(a / "junk.wav"), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("zero-bytes", str(a / "empty.wav"), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("short", tone(a / "short.wav", 0.05), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("long", tone(a / "long.wav", 31.0), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("silent", tone(a / "silent.wav", amplitude=0.0), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("narrowband", tone(a / "4k.wav", rate=4000, freq=100), "ⴰⵣⵓⵍ", speaker="spkX"),
        Utterance("twice", good[0].audio, "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", speaker="spk0"),
        Utterance("late", good[0].audio, "ⴰⵣⵓⵍ", speaker="spk0", offset=5.0),
        Utterance("u1", good[2].audio, "ⴰⵣⵓⵍ", speaker="spk0", offset=0.1),
        Utterance("row", "", "", extra={PROBLEM: "line 7: 2 fields, expected 3"}),
    ]
    return good + bad


EXPECTED_REJECTIONS = {
    "empty-text": "empty_text",
    "arabic": "wrong_script",
    "greek": "unknown_characters",
    "missing": "missing_audio",
    "corrupt": "undecodable_audio",
    "zero-bytes": "undecodable_audio",
    "short": "too_short",
    "long": "too_long",
    "silent": "silent",
    "narrowband": "low_sample_rate",
    "twice": "duplicate",
    "late": "offset_beyond_end",
    "row": "source",
    "u1#2": "duplicate",
}


def test_nothing_is_dropped_silently(tmp_path: Path, corpus: list[Utterance]) -> None:
    report = prepare(corpus, tmp_path / "out", PrepareOptions(lang="zgh", jobs=2), corpus="test")
    rejected = read_jsonl(tmp_path / "out" / "rejected.jsonl")
    reasons = {r["id"]: r["reason"] for r in rejected if r["id"] != "u1"}
    assert reasons | {"u1#2": next(r["reason"] for r in rejected if r["id"] == "u1")} == EXPECTED_REJECTIONS
    assert all(r["reason"] in REASONS and r["detail"] for r in rejected)
    assert report.accepted + report.rejected == len(corpus)
    written = [rec for path in report.manifests.values() for rec in read_manifest(path)]
    assert len(written) == report.accepted == 8
    assert "no such file" in next(r["detail"] for r in rejected if r["id"] == "missing")
    assert next(r["detail"] for r in rejected if r["id"] == "twice") == "same audio as u0"
    assert next(r["detail"] for r in rejected if r["id"] == "u1") == "the id u1 is listed twice"
    assert next(r["detail"] for r in rejected if r["id"] == "row") == "line 7: 2 fields, expected 3"


def test_manifest_fields(tmp_path: Path, corpus: list[Utterance]) -> None:
    report = prepare(corpus, tmp_path / "out", PrepareOptions(lang="zgh"), corpus="replica")
    records = {rec.extra["id"]: rec for path in report.manifests.values() for rec in read_manifest(path)}
    rec = records["u2"]
    assert rec.text == "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ"  # Latin transliterated to Tifinagh, zgh's default script
    assert rec.extra["text_raw"] == "azul fllawn"
    assert rec.lang == "zgh" and rec.speaker == "spk2" and rec.extra["script"] == "Tfng"
    assert rec.extra["corpus"] == "replica" and rec.extra["sampling_rate"] == RATE
    assert rec.duration == pytest.approx(1.2, abs=1e-3)
    assert Path(rec.audio_filepath).is_absolute() and Path(rec.audio_filepath).exists()  # referenced in place
    assert records["u3"].text == "ⵎⴰⵏⵣⴰⴽⵉⵏ?"  # display profile keeps punctuation
    assert rec.extra["source_id"] == "theirs"  # a corpus field never overwrites ours


def test_scoring_profile_and_latin_script(tmp_path: Path, corpus: list[Utterance]) -> None:
    options = PrepareOptions(lang="zgh", script="latn", profile="scoring")
    report = prepare(corpus, tmp_path / "out", options, corpus="replica")
    texts = {rec.extra["id"]: rec.text for path in report.manifests.values() for rec in read_manifest(path)}
    assert texts["u3"] == "manzakin" and texts["u4"] == "agʷrraw"


def test_speaker_disjoint_split_is_deterministic(tmp_path: Path, corpus: list[Utterance]) -> None:
    options = PrepareOptions(lang="zgh", split_fractions=(0.25, 0.25), split_seed=3)
    first = prepare(corpus, tmp_path / "a", options, corpus="replica")
    second = prepare(corpus, tmp_path / "b", options, corpus="replica")
    assert set(first.manifests) == {"train", "dev", "test"}
    speakers = {split: {rec.speaker for rec in read_manifest(path)} for split, path in first.manifests.items()}
    assert not speakers["train"] & speakers["dev"] and not speakers["train"] & speakers["test"]
    assert not speakers["dev"] & speakers["test"]
    for split in first.manifests:
        assert first.manifests[split].read_bytes() == second.manifests[split].read_bytes()
    stats = json.loads((tmp_path / "a" / "stats.json").read_text())
    assert stats["speaker_overlap"] == {"dev/test": 0, "dev/train": 0, "test/train": 0}
    assert "seed 3" in stats["split"]


def test_corpus_splits_are_kept(tmp_path: Path) -> None:
    a = tone(tmp_path / "a.wav")
    utts = [Utterance(f"x{i}", a, "ⴰⵣⵓⵍ", speaker="s", split=split, offset=i * 0.3, duration=0.25)
            for i, split in enumerate(["train", "dev", "test"])]  # fmt: skip
    report = prepare(utts, tmp_path / "out", PrepareOptions(lang="zgh"), corpus="replica")
    assert {s: len(list(read_manifest(p))) for s, p in report.manifests.items()} == {"train": 1, "dev": 1, "test": 1}
    (dev,) = read_manifest(report.manifests["dev"])
    assert dev.offset == pytest.approx(0.3) and dev.duration == pytest.approx(0.25)
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["split"] == "from the corpus"


def test_convert_mode_writes_16k_mono_wav(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    t = np.arange(8000) / 8000
    sf.write(stereo, np.stack([0.3 * np.sin(2 * np.pi * 300 * t)] * 2, axis=1).astype(np.float32), 8000)
    options = PrepareOptions(lang="kab", audio_mode="convert")
    utts = [
        Utterance("tel/1", str(stereo), "Azul", speaker="a", split="train"),
        Utterance("tel_1", str(stereo), "Azul", offset=0.5, split="train"),
    ]
    report = prepare(utts, tmp_path / "out", options, corpus="x")
    rec, other = read_manifest(report.manifests["train"])
    assert other.audio_filepath.endswith("audio/tel_1-2.wav")  # two ids, one safe name: both kept
    assert rec.audio_filepath.endswith("audio/tel_1.wav")
    info = sf.info(rec.audio_filepath)
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert rec.duration == pytest.approx(1.0, abs=1e-3) and rec.extra["sampling_rate"] == 16000
    raw = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8")
    assert '"audio_filepath": "audio/tel_1.wav"' in raw  # relative: the folder can move


def test_stats_and_plot(tmp_path: Path, corpus: list[Utterance]) -> None:
    prepare(corpus, tmp_path / "out", PrepareOptions(lang="zgh"), corpus="replica")
    stats = json.loads((tmp_path / "out" / "stats.json").read_text(encoding="utf-8"))
    total = sum(s["utterances"] for s in stats["splits"].values())
    assert total == 8 and sum(stats["rejected"].values()) == len(EXPECTED_REJECTIONS)
    assert stats["characters"]["ⵣ"] >= 3 and stats["lang"] == "zgh" and stats["script"] == "Tfng"
    hours = sum(s["hours"] for s in stats["splits"].values())
    assert hours == pytest.approx(sum(1.0 + i / 10 for i in range(8)) / 3600, rel=1e-3)
    assert stats["plot"] == "stats.png" and (tmp_path / "out" / "stats.png").stat().st_size > 10_000


def test_split_function() -> None:
    items = [(f"i{n}", f"s{n % 10}") for n in range(100)]
    split = speaker_disjoint_split(items, (0.1, 0.1), seed=0)
    assert split == speaker_disjoint_split(items, (0.1, 0.1), seed=0)
    assert split != speaker_disjoint_split(items, (0.1, 0.1), seed=1)
    counts = {s: sum(1 for v in split.values() if v == s) for s in ("train", "dev", "test")}
    assert counts == {"train": 80, "dev": 10, "test": 10}
    # no speakers: every item is its own
    alone = speaker_disjoint_split([(f"i{n}", None) for n in range(20)], (0.1, 0.1), seed=0)
    assert sorted(alone.values()).count("test") == 2
