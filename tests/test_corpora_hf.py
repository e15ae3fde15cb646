"""Hugging Face audio datasets on disk: Hub parquet and save_to_disk arrow replicas, read with pyarrow.

The replicas follow the published datasets: DODa-audio (``data/train-00000-of-00001.parquet``;
``audio`` as the ``Audio`` feature's ``{bytes, path}`` struct, ``darija_Latn``,
``darija_Arab_new``, ``english``, ``darija_Arab_old``) and Casablanca (one folder per country,
``Morocco/validation-00000-of-00001.parquet``; ``audio``, ``seg_id``, ``transcription``,
``gender``, ``duration``), and the layout ``DatasetDict.save_to_disk`` writes. When the
``datasets`` library is installed, it loads the arrow replica built here (so the replica is
faithful), and the reader reads what ``datasets`` itself saved.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from awal.data.base import PROBLEM
from awal.data.hf_audio import PRESETS, prepare_hf_audio, read_hf_audio
from awal.errors import InputError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

AUDIO_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def pcm(seconds: float, rate: int, freq: float, seed: int = 0) -> np.ndarray:
    """int16 samples of a tone with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * rate))) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(t.size)
    return np.round(x * 32767).astype(np.int16)


def encoded(samples: np.ndarray, rate: int, fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16", "MP3": "MPEG_LAYER_III"}[fmt]
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def hf_metadata(features: dict) -> dict[bytes, bytes]:
    """The schema metadata ``datasets`` writes into parquet files."""
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


DODA_FEATURES = {
    "audio": {"sampling_rate": 16000, "_type": "Audio"},
    "darija_Latn": {"dtype": "string", "_type": "Value"},
    "darija_Arab_new": {"dtype": "string", "_type": "Value"},
    "english": {"dtype": "string", "_type": "Value"},
    "darija_Arab_old": {"dtype": "string", "_type": "Value"},
}
DODA_TEXT = [
    ("salam 3likom", "السلام عليكم", "peace be upon you", "سلام عليكم"),
    ("kidayr?", "كيداير؟", "how are you?", "كيدايرر"),
    ("chokran bzaf", "شكرا بزاف", "thank you very much", "شوكران بزاف"),
    ("fin ghadi", "فين غادي", "where are you going", "فين غادي"),
    ("wakha", None, "okay", "واخا"),  # no Arabic-script transcript
    ("mzyan", "مزيان", "good", "مزيان"),  # corrupt audio bytes
]


def doda_table() -> tuple[pa.Table, list[np.ndarray]]:
    samples = [pcm(0.8 + i / 10, 16000, 180 + 25 * i, seed=i) for i in range(len(DODA_TEXT))]
    audio = []
    for i, x in enumerate(samples):
        if i == 5:
            audio.append({"bytes": b"RIFF\x00\x00\x00\x00WAVEjunk", "path": f"{i}.wav"})
        elif i == 1:
            audio.append({"bytes": encoded(x, 16000, "FLAC"), "path": None})
        else:
            audio.append({"bytes": encoded(x, 16000), "path": f"{i}.wav"})
    columns = {
        "audio": pa.array(audio, type=AUDIO_TYPE),
        "darija_Latn": pa.array([t[0] for t in DODA_TEXT]),
        "darija_Arab_new": pa.array([t[1] for t in DODA_TEXT]),
        "english": pa.array([t[2] for t in DODA_TEXT]),
        "darija_Arab_old": pa.array([t[3] for t in DODA_TEXT]),
    }
    table = pa.table(columns).replace_schema_metadata(hf_metadata(DODA_FEATURES))
    return table, samples


@pytest.fixture(scope="module")
def doda_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the Hub repository: ``data/train-00000-of-00001.parquet`` and a README."""
    root = tmp_path_factory.mktemp("doda") / "DODa-audio-dataset"
    (root / "data").mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Moroccan Darija Speech Dataset\n", encoding="utf-8")
    table, _ = doda_table()
    pq.write_table(table, root / "data" / "train-00000-of-00001.parquet", row_group_size=2)
    return root


def test_doda_parquet_fields(doda_root: Path, tmp_path: Path) -> None:
    _, samples = doda_table()
    utts = list(read_hf_audio(doda_root, preset="doda-audio", audio_dir=tmp_path))
    assert [u.id for u in utts] == [f"train-{i:06d}" for i in range(6)]
    first = utts[0]
    assert first.audio == str(tmp_path / "train-000000.wav")
    # the dataset's only split is train: the pipeline is left to hold out dev and test
    assert (first.text, first.split, first.speaker, first.offset) == ("السلام عليكم", None, None, 0.0)
    assert first.duration == pytest.approx(0.8)
    assert dict(first.extra) == {
        "darija_Latn": "salam 3likom",
        "english": "peace be upon you",
        "darija_Arab_old": "سلام عليكم",
    }
    for utt, x in zip(utts[:4], samples):  # 16-bit PCM at the original rate, sample for sample
        data, rate = sf.read(utt.audio, dtype="int16")
        assert rate == 16000 and sf.info(utt.audio).subtype == "PCM_16"
        np.testing.assert_array_equal(data, x)
    assert utts[4].text == "" and PROBLEM not in utts[4].extra  # the pipeline rejects the empty text
    corrupt = utts[5]
    assert "row 5 of train-00000-of-00001.parquet: cannot decode its audio bytes" in corrupt.extra[PROBLEM]
    assert Path(corrupt.audio).name == "train-000005.undecodable.wav"
    assert Path(corrupt.audio).read_bytes().startswith(b"RIFF")  # the raw bytes, kept for inspection
    latin = list(
        read_hf_audio(doda_root, preset="doda-audio", text_column="darija_Latn", keep_train=True, audio_dir=tmp_path)
    )
    assert latin[1].text == "kidayr?" and latin[1].extra["darija_Arab_new"] == "كيداير؟"
    assert {u.split for u in latin} == {"train"}


def test_hf_errors(doda_root: Path, tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"train-00000-of-00001.parquet: missing column\(s\) 'transcription'.*darija_Latn"
    ):
        read_hf_audio(doda_root, text_column="transcription", audio_dir=tmp_path)
    with pytest.raises(InputError, match="unknown preset 'doda'; known: casablanca, doda-audio"):
        read_hf_audio(doda_root, preset="doda", audio_dir=tmp_path)
    with pytest.raises(InputError, match=r"no split \['test'\] \(splits found: train\)"):
        read_hf_audio(doda_root, preset="doda-audio", split="test", audio_dir=tmp_path)
    with pytest.raises(InputError, match="choose the transcript column"):
        read_hf_audio(doda_root, audio_dir=tmp_path)
    with pytest.raises(InputError, match="no parquet files and no save_to_disk dataset"):
        read_hf_audio(tmp_path, text_column="text", audio_dir=tmp_path)


CASABLANCA = {
    ("Morocco", "validation"): [
        ("3101_1", "واش نتا مزيان", "M"),
        ("3101_2", "الحمد لله", "F"),
        ("3102_1", "", "Missing"),
    ],
    ("Morocco", "test"): [("4101_1", "فين كنتي البارح", "F"), ("4101_2", "كنت فالدار", "M")],
    ("Algeria", "test"): [("11175_4", "مدهالله خير", "Missing")],
}


@pytest.fixture(scope="module")
def casablanca_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("casablanca") / "Casablanca"
    features = {
        "audio": {"sampling_rate": 16000, "_type": "Audio"},
        "seg_id": {"dtype": "string", "_type": "Value"},
        "transcription": {"dtype": "string", "_type": "Value"},
        "gender": {"dtype": "string", "_type": "Value"},
        "duration": {"dtype": "float64", "_type": "Value"},
    }
    for n, ((country, split), rows) in enumerate(CASABLANCA.items()):
        folder = root / country
        folder.mkdir(parents=True, exist_ok=True)
        seconds = [0.9 + i / 5 for i in range(len(rows))]
        audio = [
            {"bytes": encoded(pcm(s, 16000, 200 + 40 * i, seed=n * 10 + i), 16000), "path": f"{r[0]}.wav"}
            for i, (s, r) in enumerate(zip(seconds, rows))
        ]
        table = pa.table(
            {
                "audio": pa.array(audio, type=AUDIO_TYPE),
                "seg_id": [r[0] for r in rows],
                "transcription": [r[1] for r in rows],
                "gender": [r[2] for r in rows],
                "duration": seconds,
            }
        ).replace_schema_metadata(hf_metadata(features))
        pq.write_table(table, folder / f"{split}-00000-of-00001.parquet")
    return root


def test_casablanca_preset(casablanca_root: Path, tmp_path: Path) -> None:
    utts = list(read_hf_audio(casablanca_root, preset="casablanca", audio_dir=tmp_path))
    assert [(u.id, u.split) for u in utts] == [  # Morocco only; test sorts before validation on disk
        ("4101_1", "test"),
        ("4101_2", "test"),
        ("3101_1", "dev"),
        ("3101_2", "dev"),
        ("3102_1", "dev"),
    ]
    first = utts[0]
    assert (first.text, first.audio, first.speaker) == ("فين كنتي البارح", str(tmp_path / "4101_1.wav"), None)
    assert dict(first.extra) == {"gender": "F", "source_duration": 0.9}
    assert first.duration == pytest.approx(0.9)
    dev = list(read_hf_audio(casablanca_root, preset="casablanca", split="validation", audio_dir=tmp_path))
    assert {u.split for u in dev} == {"dev"} and len(dev) == 3
    algeria = list(read_hf_audio(casablanca_root, preset="casablanca", subset="Algeria", audio_dir=tmp_path))
    assert [u.id for u in algeria] == ["11175_4"]
    with pytest.raises(
        InputError, match=r"no folder named 'Tunisia' holds parquet files \(folders: Algeria, Morocco\)"
    ):
        read_hf_audio(casablanca_root, preset="casablanca", subset="Tunisia", audio_dir=tmp_path)
    assert PRESETS["casablanca"].splits == ("validation", "test")


def write_save_to_disk(root: Path, splits: dict[str, pa.Table], features: dict) -> None:
    """What ``DatasetDict.save_to_disk`` writes, built with pyarrow alone."""
    root.mkdir(parents=True)
    (root / "dataset_dict.json").write_text(json.dumps({"splits": list(splits)}), encoding="utf-8")
    for name, table in splits.items():
        folder = root / name
        folder.mkdir()
        with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table, max_chunksize=2)
        info = {"citation": "", "description": "", "features": features, "homepage": "", "license": ""}
        (folder / "dataset_info.json").write_text(json.dumps(info), encoding="utf-8")
        state = {
            "_data_files": [{"filename": "data-00000-of-00001.arrow"}],
            "_fingerprint": f"{name}0123456789",
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")


def test_save_to_disk_arrow_replica(tmp_path: Path) -> None:
    table, samples = doda_table()
    root = tmp_path / "saved"
    write_save_to_disk(root, {"train": table.slice(0, 4), "validation": table.slice(4, 2)}, DODA_FEATURES)
    utts = list(read_hf_audio(root, text_column="darija_Latn", audio_dir=tmp_path / "audio"))
    assert [(u.id, u.split, u.text) for u in utts] == [
        ("train-000000", "train", "salam 3likom"),
        ("train-000001", "train", "kidayr?"),
        ("train-000002", "train", "chokran bzaf"),
        ("train-000003", "train", "fin ghadi"),
        ("dev-000000", "dev", "wakha"),
        ("dev-000001", "dev", "mzyan"),
    ]
    np.testing.assert_array_equal(sf.read(utts[2].audio, dtype="int16")[0], samples[2])
    assert PROBLEM in utts[5].extra
    # Arrow's random-access file format (not what datasets writes) is read too.
    arrow_file = tmp_path / "one.arrow"
    with pa.OSFile(str(arrow_file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table.slice(0, 2))
    assert [u.text for u in read_hf_audio(arrow_file, text_column="english", audio_dir=tmp_path / "a2")] == [
        "peace be upon you",
        "how are you?",
    ]
    # A decoded export: {array, sampling_rate, path}; and a plain path column.
    decoded = pa.table(
        {
            "audio": [{"array": (samples[0] / 32768).tolist(), "sampling_rate": 16000, "path": "x.wav"}],
            "text": ["azul"],
        }
    )
    pq.write_table(decoded, tmp_path / "decoded.parquet")
    (utt,) = read_hf_audio(tmp_path / "decoded.parquet", text_column="text", audio_dir=tmp_path / "a3")
    np.testing.assert_array_equal(sf.read(utt.audio, dtype="int16")[0], samples[0])


def test_datasets_library_agrees(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    table, _ = doda_table()
    root = tmp_path / "replica"
    write_save_to_disk(root, {"train": table.slice(0, 4), "validation": table.slice(4, 2)}, DODA_FEATURES)
    loaded = datasets.load_from_disk(str(root))  # the library reads the replica built with pyarrow
    assert sorted(loaded) == ["train", "validation"] and loaded["train"].num_rows == 4
    assert isinstance(loaded["train"].features["audio"], datasets.Audio)
    assert loaded["validation"].data.column("darija_Arab_old").to_pylist() == ["واخا", "مزيان"]
    # ... and the reader reads what the library saves itself
    saved = tmp_path / "by_datasets"
    features = datasets.Features.from_dict(DODA_FEATURES)
    dataset = datasets.Dataset(table.slice(0, 3)).cast(features)
    datasets.DatasetDict({"test": dataset}).save_to_disk(str(saved))
    utts = list(read_hf_audio(saved, preset="doda-audio", audio_dir=tmp_path / "audio"))
    assert [(u.id, u.split, u.text) for u in utts] == [
        ("test-000000", "test", "السلام عليكم"),
        ("test-000001", "test", "كيداير؟"),
        ("test-000002", "test", "شكرا بزاف"),
    ]


def test_hf_end_to_end(doda_root: Path, casablanca_root: Path, tmp_path: Path) -> None:
    from awal.data.base import PrepareOptions

    opts = PrepareOptions(lang="ary", jobs=1)
    report = prepare_hf_audio(doda_root, tmp_path / "doda", opts, preset="doda-audio")
    assert {r.id: r.reason for r in report.rejections} == {"train-000004": "empty_text", "train-000005": "source"}
    assert report.stats["split"].startswith("speaker-disjoint")  # one published split: the pipeline splits
    lines = [json.loads(x) for p in report.manifests.values() for x in p.read_text("utf-8").splitlines()]
    assert sorted(line["id"] for line in lines) == [f"train-{i:06d}" for i in range(4)]
    line = next(x for x in lines if x["id"] == "train-000000")
    assert line["audio_filepath"] == "source_audio/train-000000.wav"  # extracted under out: relative
    assert (line["text_raw"], line["darija_Latn"], line["lang"], line["corpus"]) == (
        "السلام عليكم",
        "salam 3likom",
        "ary",
        "doda-audio",
    )
    assert line["duration"] == pytest.approx(0.8)

    report = prepare_hf_audio(casablanca_root, tmp_path / "casa", opts, preset="casablanca")
    assert sorted(report.manifests) == ["dev", "test"]
    assert [(r.id, r.reason) for r in report.rejections] == [("3102_1", "empty_text")]
    dev = [json.loads(x) for x in report.manifests["dev"].read_text("utf-8").splitlines()]
    assert [(x["id"], x["gender"], x["source_duration"]) for x in dev] == [("3101_1", "M", 0.9), ("3101_2", "F", 1.1)]


def test_split_from_parquet_names() -> None:
    from awal.data.hf_audio import _parquet_split

    names = {
        "data/train-00000-of-00001.parquet": "train",  # the Hub's data/ folder
        "Morocco/validation-00001-of-00002.parquet": "validation",  # Casablanca on main
        "Morocco/test/0000.parquet": "test",  # the Hub's refs/convert/parquet branch
        "default/train/0000.parquet": "train",
        "test.parquet": "test",
        "part-0.parquet": None,  # unknown: the pipeline splits
    }
    assert {name: _parquet_split(Path(name)) for name in names} == names
