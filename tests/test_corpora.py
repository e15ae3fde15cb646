"""Corpus readers on small replicas of each published layout, then end to end through the pipeline.

Every replica is built here, in a temporary folder, with real audio (tones with noise written
by libsndfile: wav, flac, mp3) and the exact file names and columns of the published corpus:
Common Voice (``train/dev/test/validated.tsv``, ``clips/*.mp3``, ``clip_durations.tsv``),
DVoice (``texts/*.csv`` tab-separated, ``wavs/``), a Kaldi data directory (``wav.scp`` with
paths and commands, ``text``, ``utt2spk``, ``segments``, ``spk2gender``), a CSV table, and
Hugging Face datasets on disk (Hub parquet and ``save_to_disk`` arrow, with the DODa-audio and
Casablanca columns). Each replica has bad rows (missing clip, empty sentence, corrupt audio,
malformed row) that must come through to the report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from awal.audio import write_audio
from awal.data.base import PROBLEM, PrepareOptions, Utterance
from awal.data.common_voice import prepare_common_voice, read_common_voice
from awal.data.dvoice import prepare_dvoice, read_dvoice
from awal.data.kaldi import prepare_kaldi, read_kaldi
from awal.data.table import canonical_split, prepare_table, read_table, safe_id
from awal.errors import InputError
from awal.manifest import read_manifest

CV_HEADER = (
    "client_id path sentence_id sentence sentence_domain up_votes down_votes age gender accents variant locale segment"
).split()


def signal(seconds: float, rate: int, freq: float = 220.0, seed: int = 0, channels: int = 1) -> np.ndarray:
    """A tone with a little noise: float32, ``(n,)`` or ``(channels, n)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(t.size)
    x = x.astype(np.float32)
    return np.stack([x] * channels) if channels > 1 else x


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def by_id(utterances) -> dict[str, Utterance]:
    items = list(utterances)
    table = {u.id: u for u in items}
    assert len(table) == len(items), "ids must be unique"
    return table


def options(lang: str, **kw) -> PrepareOptions:
    return PrepareOptions(lang=lang, jobs=1, **kw)


# --- Common Voice ------------------------------------------------------------------------------

CV_ROWS = {
    # name: (file, client_id, sentence, variant, gender, age, accents)
    "common_voice_zgh_1": ("train", "aaa", "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "Tachelhit", "female_feminine", "twenties", ""),
    "common_voice_zgh_2": ("train", "aaa", 'ⵜⴰⵎⴰⵣⵉⵖⵜ "ⵜⴰⴷⴷⴰⵔⵜ"', "Central Atlas Tamazight", "", "", ""),
    "common_voice_zgh_3": ("train", "bbb", "", "Tachelhit", "male_masculine", "thirties", "Agadir"),
    "common_voice_zgh_4": ("dev", "ccc", "ⴰⴳⵯⵔⵔⴰⵡ", "Tachelhit", "", "", ""),
    "common_voice_zgh_5": ("test", "ddd", "ⴰⵢⵢⵓⵣ", "Tachelhit", "", "", ""),  # clip missing
    "common_voice_zgh_6": ("test", "ddd", "ⵜⴰⵏⵎⵎⵉⵔⵜ", "Tachelhit", "", "", ""),  # corrupt mp3
    "common_voice_zgh_7": ("test", "eee", "ⴰⵙⵙ ⴰⵎⴳⴳⴰⵣ", "Tachelhit", "", "fourties", ""),
    "common_voice_zgh_8": ("validated", "fff", "ⴰⵎⴰⵏ", "Tarifit", "", "", ""),  # only in validated.tsv
}
CV_RATE = 48000


def make_common_voice(base: Path) -> Path:
    """``cv-corpus-22.0-2025-06-20/zgh`` with real mp3 clips; returns the locale folder."""
    locale = base / "cv-corpus-22.0-2025-06-20" / "zgh"
    clips = locale / "clips"
    clips.mkdir(parents=True)
    lines: dict[str, list[str]] = {"train": [], "dev": [], "test": [], "validated": []}
    durations = ["clip\tduration[ms]"]
    for i, (name, (split, client, sentence, variant, gender, age, accents)) in enumerate(CV_ROWS.items(), 1):
        clip = f"{name}.mp3"
        if name.endswith("_5"):
            pass  # listed, never recorded: the clip is missing
        elif name.endswith("_6"):
            (clips / clip).write_bytes(b"<html><body>404 Not Found</body></html>\n")
        else:
            write_audio(clips / clip, signal(1.0 + i / 10, CV_RATE, 200 + 20 * i, seed=i), CV_RATE)
            durations.append(f"{clip}\t{int(sf.info(str(clips / clip)).duration * 1000)}")
        fields = [client, clip, f"sid{i}", sentence, "general", str(i % 3 + 2), "0", age, gender, accents, variant]
        row = "\t".join([*fields, "zgh", ""])
        if split != "validated":
            lines[split].append(row)
        lines["validated"].append(row)
    # A malformed row (a tab lost): still yielded, flagged.
    lines["train"].append("ggg\tcommon_voice_zgh_9.mp3\tsid9\tⴰⵣⵓⵍ")
    for split, rows in lines.items():
        (locale / f"{split}.tsv").write_text("\t".join(CV_HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    (locale / "clip_durations.tsv").write_text("\n".join(durations) + "\n", encoding="utf-8")
    for other in ("other", "invalidated", "reported"):
        (locale / f"{other}.tsv").write_text("\t".join(CV_HEADER) + "\n", encoding="utf-8")
    return locale


@pytest.fixture(scope="module")
def cv_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_common_voice(tmp_path_factory.mktemp("cv"))


def test_common_voice_fields(cv_root: Path) -> None:
    utts = by_id(read_common_voice(cv_root))
    assert sorted(utts) == [f"common_voice_zgh_{i}" for i in (1, 2, 3, 4, 5, 6, 7, 9)]
    first = utts["common_voice_zgh_1"]
    assert first.audio == str(cv_root / "clips" / "common_voice_zgh_1.mp3")
    assert first.text == "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ"
    assert first.speaker == "aaa"
    assert first.split == "train"
    assert first.offset == 0.0
    # from clip_durations.tsv (ms), which Common Voice measures on the mp3 itself
    assert first.duration == int(sf.info(first.audio).duration * 1000) / 1000
    assert dict(first.extra) == {
        "gender": "female_feminine",
        "age": "twenties",
        "variant": "Tachelhit",
        "locale": "zgh",
        "sentence_id": "sid1",
        "sentence_domain": "general",
        "up_votes": 3,
        "down_votes": 0,
    }
    # no quoting: the quotes are part of the sentence
    assert utts["common_voice_zgh_2"].text == 'ⵜⴰⵎⴰⵣⵉⵖⵜ "ⵜⴰⴷⴷⴰⵔⵜ"'
    assert utts["common_voice_zgh_3"].extra["accents"] == "Agadir"
    assert [utts[f"common_voice_zgh_{i}"].split for i in (4, 5, 7)] == ["dev", "test", "test"]


def test_common_voice_bad_rows_come_through(cv_root: Path) -> None:
    utts = by_id(read_common_voice(cv_root))
    assert utts["common_voice_zgh_3"].text == ""  # empty sentence: yielded, the pipeline rejects it
    missing = utts["common_voice_zgh_5"]
    assert not Path(missing.audio).exists() and missing.duration is None
    corrupt = utts["common_voice_zgh_6"]
    assert Path(corrupt.audio).read_bytes().startswith(b"<html>") and corrupt.duration is None
    malformed = utts["common_voice_zgh_9"]
    assert "has 4 field(s), the header has 13" in malformed.extra[PROBLEM]
    assert all(PROBLEM not in u.extra for name, u in utts.items() if name != "common_voice_zgh_9")


def test_common_voice_validated_variant_and_release_folder(cv_root: Path) -> None:
    validated = by_id(read_common_voice(cv_root.parent, splits="validated"))  # the release folder works too
    assert len(validated) == 8 and {u.split for u in validated.values()} == {None}
    tarifit = list(read_common_voice(cv_root, splits="validated", variant="tarifit"))
    assert [u.id for u in tarifit] == ["common_voice_zgh_8"]
    with pytest.raises(InputError, match=r"variant 'Tarifit'.*'Central Atlas Tamazight': 1, 'Tachelhit': 6"):
        list(read_common_voice(cv_root, variant="Tarifit"))  # not in train/dev/test
    with pytest.raises(InputError, match="either validated or train/dev/test"):
        read_common_voice(cv_root, splits=("validated", "train"))
    with pytest.raises(InputError, match="unknown Common Voice split"):
        read_common_voice(cv_root, splits="other")


def test_common_voice_older_release_and_bad_layout(tmp_path: Path) -> None:
    """An older release: no sentence_id/sentence_domain/variant, ``accent`` for ``accents``,
    no clip_durations.tsv; a split file without the ``sentence`` column; no clips/."""
    locale = tmp_path / "kab"
    (locale / "clips").mkdir(parents=True)
    write_audio(locale / "clips" / "common_voice_kab_1.mp3", signal(1.0, CV_RATE), CV_RATE)
    header = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\tlocale\tsegment"
    row = "k1\tcommon_voice_kab_1.mp3\tAzul fell-awen\t2\t1\t\tmale\tTaqbaylit\tkab\t"
    (locale / "validated.tsv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    (utt,) = read_common_voice(locale, splits="validated")
    assert (utt.id, utt.text, utt.speaker, utt.split, utt.duration) == (
        "common_voice_kab_1",
        "Azul fell-awen",
        "k1",
        None,
        None,
    )
    assert dict(utt.extra) == {
        "gender": "male",
        "accents": "Taqbaylit",
        "locale": "kab",
        "up_votes": 2,
        "down_votes": 1,
    }
    with pytest.raises(InputError, match=r"validated.tsv:1: this release has no 'variant' column"):
        read_common_voice(locale, splits="validated", variant="x")
    with pytest.raises(InputError, match=r"train.tsv: no such file \(the folder has validated.tsv\)"):
        read_common_voice(locale)
    (locale / "validated.tsv").write_text("client_id\tpath\ttext\nk1\ta.mp3\tazul\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"validated.tsv:1: missing required column\(s\) 'sentence'"):
        read_common_voice(locale, splits="validated")
    shutil.rmtree(locale / "clips")
    (locale / "validated.tsv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError, match="clips: no such folder"):
        read_common_voice(locale, splits="validated")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a Common Voice locale folder"):
        read_common_voice(tmp_path / "empty")


def test_common_voice_end_to_end(cv_root: Path, tmp_path: Path) -> None:
    report = prepare_common_voice(cv_root, tmp_path / "out", options("zgh"))
    assert sorted(report.manifests) == ["dev", "test", "train"]
    rejected = {r["id"]: r for r in read_jsonl(tmp_path / "out" / "rejected.jsonl")}
    assert {k: v["reason"] for k, v in rejected.items()} == {
        "common_voice_zgh_3": "empty_text",
        "common_voice_zgh_5": "missing_audio",
        "common_voice_zgh_6": "undecodable_audio",
        "common_voice_zgh_9": "source",
    }
    assert rejected["common_voice_zgh_6"]["audio"].endswith("clips/common_voice_zgh_6.mp3")
    assert report.accepted == 4 and report.rejected == 4
    lines = {split: read_jsonl(path) for split, path in report.manifests.items()}
    assert [line["id"] for line in lines["train"]] == ["common_voice_zgh_1", "common_voice_zgh_2"]
    assert [line["id"] for line in lines["dev"]] == ["common_voice_zgh_4"]
    assert [line["id"] for line in lines["test"]] == ["common_voice_zgh_7"]
    line = lines["train"][0]
    assert line["audio_filepath"] == str(cv_root / "clips" / "common_voice_zgh_1.mp3")
    assert line["duration"] == pytest.approx(sf.info(line["audio_filepath"]).duration, abs=0.06)
    assert (line["text"], line["text_raw"], line["lang"], line["speaker"]) == (
        "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ",
        "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ",
        "zgh",
        "aaa",
    )
    assert (line["variant"], line["gender"], line["sentence_id"], line["up_votes"]) == (
        "Tachelhit",
        "female_feminine",
        "sid1",
        3,
    )
    assert PROBLEM not in line and line["corpus"] == "common-voice"
    records = list(read_manifest(report.manifests["train"]))
    assert (
        records[1].extra["text_raw"] == 'ⵜⴰⵎⴰⵣⵉⵖⵜ "ⵜⴰⴷⴷⴰⵔⵜ"'
        and records[1].extra["variant"] == "Central Atlas Tamazight"
    )


# --- DVoice ----------------------------------------------------------------------------------------

DVOICE_ROWS = {
    "train": [
        ("0b1f6c2e-1111-4b7d-b3ca-09a7ae6efd0f.wav", "السلام عليكم"),
        ("0b1f6c2e-2222-4b7d-b3ca-09a7ae6efd0f.wav", "كيداير لاباس عليك"),
        ("0b1f6c2e-3333-4b7d-b3ca-09a7ae6efd0f.wav", ""),  # empty transcript
    ],
    "dev": [("0b1f6c2e-4444-4b7d-b3ca-09a7ae6efd0f.wav", "شكرا بزاف")],
    "test": [
        ("0b1f6c2e-5555-4b7d-b3ca-09a7ae6efd0f.wav", "واخا نشوفو غدا"),
        ("0b1f6c2e-6666-4b7d-b3ca-09a7ae6efd0f.wav", "فين غادي"),  # wav missing
    ],
}


@pytest.fixture(scope="module")
def dvoice_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dvoice") / "darija"
    (root / "texts").mkdir(parents=True)
    (root / "wavs").mkdir()
    for split, rows in DVOICE_ROWS.items():
        lines = ["wav\twords\tduration"]
        for i, (wav, words) in enumerate(rows):
            seconds = 1.0 + i / 4
            if "6666" not in wav:
                write_audio(root / "wavs" / wav, signal(seconds, 16000, 180 + 30 * i, seed=i), 16000)
            lines.append(f"{wav}\t{words}\t{seconds}")
        (root / "texts" / f"{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_dvoice_fields_and_bad_rows(dvoice_root: Path) -> None:
    utts = by_id(read_dvoice(dvoice_root.parent))  # the folder above darija/ works too
    assert len(utts) == 6
    first = utts["0b1f6c2e-1111-4b7d-b3ca-09a7ae6efd0f"]
    assert first == Utterance(
        id="0b1f6c2e-1111-4b7d-b3ca-09a7ae6efd0f",
        audio=str(dvoice_root / "wavs" / "0b1f6c2e-1111-4b7d-b3ca-09a7ae6efd0f.wav"),
        text="السلام عليكم",
        speaker=None,
        split="train",
        duration=1.0,
    )
    assert utts["0b1f6c2e-2222-4b7d-b3ca-09a7ae6efd0f"].duration == 1.25
    assert utts["0b1f6c2e-3333-4b7d-b3ca-09a7ae6efd0f"].text == ""
    assert utts["0b1f6c2e-4444-4b7d-b3ca-09a7ae6efd0f"].split == "dev"
    assert not Path(utts["0b1f6c2e-6666-4b7d-b3ca-09a7ae6efd0f"].audio).exists()
    assert list(read_dvoice(dvoice_root, splits=("test",)))[0].split == "test"


def test_dvoice_bad_layout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a DVoice folder"):
        read_dvoice(tmp_path)
    (tmp_path / "texts").mkdir()
    (tmp_path / "wavs").mkdir()
    for split in ("train", "dev"):
        (tmp_path / "texts" / f"{split}.csv").write_text("wav\twords\tduration\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"texts/test.csv: no such file"):
        read_dvoice(tmp_path)
    (tmp_path / "texts" / "test.csv").write_text("wav,words,duration\na.wav,salam,1.0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"test.csv:1: missing required column\(s\) 'wav', 'words'.*tab-separated"):
        read_dvoice(tmp_path)


def test_dvoice_end_to_end(dvoice_root: Path, tmp_path: Path) -> None:
    report = prepare_dvoice(dvoice_root, tmp_path / "out", options("ary"))
    assert {r.id: r.reason for r in report.rejections} == {
        "0b1f6c2e-3333-4b7d-b3ca-09a7ae6efd0f": "empty_text",
        "0b1f6c2e-6666-4b7d-b3ca-09a7ae6efd0f": "missing_audio",
    }
    lines = {split: read_jsonl(path) for split, path in report.manifests.items()}
    assert {split: len(rows) for split, rows in lines.items()} == {"train": 2, "dev": 1, "test": 1}
    line = lines["train"][1]
    assert line["text_raw"] == "كيداير لاباس عليك" and line["lang"] == "ary" and "speaker" not in line
    assert line["duration"] == pytest.approx(1.25, abs=1e-3)
    assert Path(line["audio_filepath"]).is_file()


# --- Kaldi -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kaldi_recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recipe folder with ``audio/`` and two data directories (with and without segments)."""
    recipe = tmp_path_factory.mktemp("kaldi")
    audio = recipe / "audio"
    audio.mkdir()
    write_audio(audio / "r1.wav", signal(1.2, 16000, 200, seed=1), 16000)
    write_audio(audio / "r2.flac", signal(1.4, 16000, 260, seed=2), 16000)
    write_audio(audio / "r3.wav", signal(1.1, 8000, 300, seed=3), 8000)
    write_audio(audio / "long.wav", signal(4.0, 16000, 230, seed=4, channels=2), 16000)
    plain = recipe / "data" / "test"
    plain.mkdir(parents=True)
    (plain / "wav.scp").write_text(
        "r1 audio/r1.wav\n"
        "r2 sox audio/r2.flac -t wav - |\n"  # a command, relative to the recipe folder
        "r3 cat audio/r3.wav |\n"
        "r4 sox audio/absent.flac -t wav - |\n"  # the command fails
        "r5 echo not audio at all |\n"  # the command writes something that is not audio
        "r6 audio/r1.wav\n",  # no transcript
        encoding="utf-8",
    )
    (plain / "text").write_text(
        "r1 السلام عليكم\nr2 مرحبا بيك\nr3 شكرا\nr4 واخا\nr5 لا\nr7 ما كاينش الصوت\n", encoding="utf-8"
    )
    (plain / "utt2spk").write_text("r1 s1\nr2 s1\nr3 s2\nr4 s2\nr5 s2\nr6 s3\nr7 s3\n", encoding="utf-8")
    (plain / "spk2gender").write_text("s1 f\ns2 m\n", encoding="utf-8")
    seg = recipe / "data" / "dev"
    seg.mkdir(parents=True)
    (seg / "wav.scp").write_text(f"long {audio / 'long.wav'}\nlonely {audio / 'r1.wav'}\n", encoding="utf-8")
    (seg / "segments").write_text(
        "long-0000-0150 long 0.00 1.50\nlong-0150-0400 long 1.50 -1\nghost-1 ghost 0.0 1.0\nlong-bad long 2.0 2.0\n",
        encoding="utf-8",
    )
    (seg / "text").write_text(
        "long-0000-0150 السلام\nlong-0150-0400 عليكم\nghost-1 شي حاجة\nlong-bad خطأ\n", encoding="utf-8"
    )
    (seg / "utt2spk").write_text("long-0000-0150 a\nlong-0150-0400 b\nghost-1 a\nlong-bad a\n", encoding="utf-8")
    return recipe


def test_kaldi_paths_commands_and_missing_entries(kaldi_recipe: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    utts = by_id(read_kaldi(kaldi_recipe / "data" / "test", split="test", audio_dir=cache, base_dir=kaldi_recipe))
    assert sorted(utts) == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    r1 = utts["r1"]
    assert r1 == Utterance(
        id="r1",
        audio=str(kaldi_recipe / "audio" / "r1.wav"),
        text="السلام عليكم",
        speaker="s1",
        split="test",
        extra={"gender": "f"},
    )
    # commands ran once each; their output is a 16-bit wav at the original rate
    for name, rate, seconds in (("r2", 16000, 1.4), ("r3", 8000, 1.1)):
        info = sf.info(utts[name].audio)
        assert utts[name].audio == str(cache / f"{name}.wav")
        assert (info.samplerate, info.subtype, round(info.duration, 3)) == (rate, "PCM_16", seconds)
        assert PROBLEM not in utts[name].extra
    assert "command failed (exit 2" in utts["r4"].extra[PROBLEM] and "wav.scp line 4" in utts["r4"].extra[PROBLEM]
    assert "not audio" in utts["r5"].extra[PROBLEM]
    assert (utts["r6"].text, utts["r6"].extra[PROBLEM]) == ("", "no transcript in text")
    assert utts["r7"].audio == "" and "has a transcript but no entry in wav.scp" in utts["r7"].extra[PROBLEM]
    # a second read reuses the written files instead of running the commands again
    stamp = Path(utts["r2"].audio).stat().st_mtime_ns
    list(read_kaldi(kaldi_recipe / "data" / "test", audio_dir=cache, base_dir=kaldi_recipe))
    assert Path(utts["r2"].audio).stat().st_mtime_ns == stamp
    # commands need somewhere to write; they can be refused
    with pytest.raises(InputError, match=r"wav.scp:2: 'r2' is a command \(4 in all\); give audio_dir"):
        read_kaldi(kaldi_recipe / "data" / "test")
    refused = by_id(read_kaldi(kaldi_recipe / "data" / "test", run_commands=False, base_dir=kaldi_recipe))
    assert "command not run" in refused["r2"].extra[PROBLEM]


def test_kaldi_segments(kaldi_recipe: Path) -> None:
    utts = by_id(read_kaldi(kaldi_recipe / "data" / "dev"))
    long_audio = str(kaldi_recipe / "audio" / "long.wav")
    assert utts["long-0000-0150"] == Utterance(
        id="long-0000-0150",
        audio=long_audio,
        text="السلام",
        speaker="a",
        offset=0.0,
        duration=1.5,
        extra={"recording": "long"},
    )
    second = utts["long-0150-0400"]
    assert (second.offset, second.duration, second.audio) == (1.5, None, long_audio)  # -1: to the end
    assert "recording 'ghost' is not in wav.scp" in utts["ghost-1"].extra[PROBLEM]
    assert "end 2.0 is not after start 2.0" in utts["long-bad"].extra[PROBLEM]
    assert "has no line in segments" in utts["lonely"].extra[PROBLEM]


def test_kaldi_malformed_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(InputError, match="wav.scp: no such file"):
        read_kaldi(data)
    (data / "wav.scp").write_text("a a.wav\n", encoding="utf-8")
    (data / "text").write_text("a salam\na again\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"text:2: 'a' is listed twice \(first on line 1\)"):
        read_kaldi(data)
    (data / "text").write_text("a salam\n", encoding="utf-8")
    (data / "segments").write_text("a-1 a 0.0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"segments:1: expected at least 4 fields, got 3"):
        read_kaldi(data)
    (data / "segments").write_text("a-1 a zero 1.0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"segments:1: start and end must be numbers"):
        read_kaldi(data)
    with pytest.raises(InputError, match="unknown split 'eval2000'"):
        read_kaldi(data, split="eval2000")


def test_kaldi_end_to_end(kaldi_recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(kaldi_recipe)  # Kaldi's convention: paths relative to the recipe folder
    report = prepare_kaldi(Path("data") / "test", tmp_path / "out", options("ary"), split="test")
    assert {r.id: r.reason for r in report.rejections} == {
        "r4": "source",
        "r5": "source",
        "r6": "source",
        "r7": "source",
    }
    (lines,) = [read_jsonl(p) for p in report.manifests.values()]
    assert list(report.manifests) == ["test"]
    assert [(line["id"], line["speaker"], line.get("gender")) for line in lines] == [
        ("r1", "s1", "f"),
        ("r2", "s1", "f"),
        ("r3", "s2", "m"),
    ]
    assert lines[1]["audio_filepath"] == "source_audio/r2.wav"  # made by a wav.scp command, under out
    assert lines[2]["duration"] == pytest.approx(1.1, abs=1e-3)

    seg_report = prepare_kaldi(kaldi_recipe / "data" / "dev", tmp_path / "seg", options("ary"), split="dev")
    (seg_lines,) = [read_jsonl(p) for p in seg_report.manifests.values()]
    assert [(x["id"], x.get("offset", 0.0), x["duration"]) for x in seg_lines] == [
        ("long-0000-0150", 0.0, 1.5),
        ("long-0150-0400", 1.5, 2.5),
    ]
    assert {r.id: r.reason for r in seg_report.rejections} == {
        "ghost-1": "source",
        "long-bad": "source",
        "lonely": "source",
    }


# --- table -------------------------------------------------------------------------------------------


def test_table_csv_quoting_sniffing_and_fields(tmp_path: Path) -> None:
    (tmp_path / "clips").mkdir()
    for name in ("a", "b", "c"):
        write_audio(tmp_path / "clips" / f"{name}.flac", signal(1.0, 22050, seed=ord(name)), 22050)
    (tmp_path / "meta.csv").write_text(
        "file;sentence;who;set;gender\n"
        'clips/a.flac;"Azul; fell-awen";s1;train;f\n'
        "clips/b.flac;Tanemmirt;s2;validation;\n"
        "clips/c.flac;Ar tufat;s3;holdout;m\n"
        "clips/missing.flac;;s4;;\n"
        "clips/a.flac;Azul\n",
        encoding="utf-8",
    )
    utts = list(
        read_table(
            tmp_path / "meta.csv", path_column="file", text_column="sentence", speaker_column="who", split_column="set"
        )
    )
    assert [u.id for u in utts] == ["a", "b", "c", "missing", "a-6"]
    assert utts[0] == Utterance(
        id="a",
        audio=str(tmp_path / "clips" / "a.flac"),
        text="Azul; fell-awen",
        speaker="s1",
        split="train",
        extra={"gender": "f"},
    )
    assert utts[1].split == "dev"
    assert "unknown split 'holdout' on line 4" in utts[2].extra[PROBLEM]
    assert (utts[3].text, utts[3].split, utts[3].speaker) == ("", None, "s4")
    assert "line 6 of meta.csv has 2 field(s), the header has 5" in utts[4].extra[PROBLEM]
    # base_dir, TSV by extension, an id column, no speaker
    (tmp_path / "meta.tsv").write_text("id\tpath\ttext\nx1\ta.flac\tAzul\n", encoding="utf-8")
    (utt,) = read_table(
        tmp_path / "meta.tsv", path_column="path", text_column="text", id_column="id", base_dir=tmp_path / "clips"
    )
    assert (utt.id, utt.audio, utt.speaker, utt.split, dict(utt.extra)) == (
        "x1",
        str(tmp_path / "clips" / "a.flac"),
        None,
        None,
        {},
    )
    with pytest.raises(
        InputError,
        match=r"meta.tsv:1: missing required column\(s\) 'transcript'; the header \(tab-separated\) has 'id', 'pa",
    ):
        read_table(tmp_path / "meta.tsv", path_column="path", text_column="transcript")


def test_table_end_to_end_makes_a_speaker_disjoint_split(tmp_path: Path) -> None:
    rows = ["path,text,speaker"]
    for i in range(12):
        write_audio(tmp_path / f"u{i}.wav", signal(0.8 + i / 20, 16000, 150 + 10 * i, seed=i), 16000)
        rows.append(f"u{i}.wav,Azul fell-awen {i},spk{i % 6}")
    rows.append("u99.wav,Azul,spk9")  # missing audio
    (tmp_path / "all.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = prepare_table(
        tmp_path / "all.csv",
        tmp_path / "out",
        options("kab"),
        path_column="path",
        text_column="text",
        speaker_column="speaker",
    )
    assert [r.reason for r in report.rejections] == ["missing_audio"]
    speakers = {split: {line["speaker"] for line in read_jsonl(p)} for split, p in report.manifests.items()}
    assert sorted(speakers) == ["dev", "test", "train"]
    assert not (speakers["train"] & speakers["dev"]) and not (speakers["train"] & speakers["test"])
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["split"].startswith("speaker-disjoint")


def test_helpers() -> None:
    assert [canonical_split(s) for s in ("validation", "Valid", "TRAIN", "", None, "other")] == [
        "dev",
        "dev",
        "train",
        None,
        None,
        "other",
    ]
    assert safe_id("a/b c:d.wav") == "a_b_c_d.wav"
