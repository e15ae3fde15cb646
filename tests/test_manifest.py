"""Tests for awal.manifest: real files in tmp_path, nothing mocked."""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awal.manifest import (
    ManifestError,
    ManifestRecord,
    read_manifest,
    resolve_audio_path,
    total_duration,
    validate_manifest,
    write_manifest,
)

TIFINAGH = "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ, ⴰⴽⵯⵎⴰⵎ ⴳⵯⵎⴰ"  # contains U+2D6F TIFINAGH LABIALIZATION MARK
ARABIC = "واش كتهضر الدارجة؟ السلام عليكم"
LATIN = "Azul, labas? ça va ɛlik — ḥ ṣ ẓ ɣ"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def line(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def error_of(path: Path, body: str) -> ManifestError:
    """The error read_manifest raises on a manifest of one good line followed by ``body``."""
    good = line(audio_filepath="/a.wav", duration=1.0, text="ok")
    write_lines(path, [good, "", body])
    with pytest.raises(ManifestError) as caught:
        list(read_manifest(path, resolve_paths=False))
    return caught.value


# --- records ---------------------------------------------------------------------------


def test_record_to_dict_order_and_omissions() -> None:
    record = ManifestRecord.from_dict(
        {"text": "x", "lang": None, "offset": 0, "split": "train", "duration": 2, "audio_filepath": "a.wav"}
    )
    assert list(record.to_dict()) == ["audio_filepath", "duration", "text", "split"]
    assert record.duration == 2.0 and isinstance(record.duration, float)
    shifted = record.with_(offset=1.5, speaker=12, lang="ary")
    assert list(shifted.to_dict()) == ["audio_filepath", "duration", "text", "offset", "lang", "speaker", "split"]
    assert shifted.end == 3.5
    assert record.offset == 0.0  # unchanged: records are values


def test_record_is_immutable_and_validated() -> None:
    record = ManifestRecord("a.wav", 1.0, "t", extra={"gender": "f"})
    with pytest.raises(AttributeError):
        record.text = "u"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.extra["gender"] = "m"  # type: ignore[index]
    with pytest.raises(ManifestError, match="'duration' must be a positive number, got -1"):
        record.with_(duration=-1)
    with pytest.raises(ManifestError, match="typed field 'text'"):
        ManifestRecord("a.wav", 1.0, "t", extra={"text": "again"})
    assert hash(record) == hash(ManifestRecord("a.wav", 1.0, "t", extra={"gender": "f"}))
    assert pickle.loads(pickle.dumps(record)) == record


def test_resolved_audio_is_lexical(tmp_path: Path) -> None:
    assert ManifestRecord("audio/x.wav", 1.0, "").resolved_audio(tmp_path) == tmp_path / "audio" / "x.wav"
    assert ManifestRecord("/abs/x.wav", 1.0, "").resolved_audio(tmp_path) == Path("/abs/x.wav")


# --- round trip ------------------------------------------------------------------------


def test_round_trip_scripts_and_extra_fields(tmp_path: Path) -> None:
    records = [
        ManifestRecord("/data/zgh/1.wav", 2.5, TIFINAGH, lang="zgh", extra={"script": "tfng", "text_raw": TIFINAGH}),
        ManifestRecord(
            "/data/ary/2.wav",
            3.25,
            ARABIC,
            offset=0.75,
            speaker="spk_07",
            extra={
                "source_lang": "ary",
                "target_lang": "en",
                "taskname": "ast",
                "pnc": "yes",
                "answer": "Do you speak Darija?",
                "split": "train",
                "gender": "m",
                "nested": {"scores": [1, 2.5, None, True]},
            },
        ),
        ManifestRecord("/data/kab/3.wav", 1.0, LATIN, speaker=42),
    ]
    path = tmp_path / "train.jsonl"
    assert write_manifest(path, records) == 3
    raw = path.read_text(encoding="utf-8")
    assert TIFINAGH in raw and ARABIC in raw and "\\u" not in raw  # ensure_ascii=False
    assert "\u2d6f" in raw and raw.count("\u2d6f") == TIFINAGH.count("\u2d6f") * 2
    first = json.loads(raw.splitlines()[0])
    assert list(first)[:3] == ["audio_filepath", "duration", "text"] and "offset" not in first
    assert raw.splitlines()[0].startswith('{"audio_filepath": "/data/zgh/1.wav", "duration": 2.5, ')  # NeMo's format

    back = list(read_manifest(path))
    assert back == records
    assert back[0].text == TIFINAGH and "\u2d6f" in back[0].text
    assert dict(back[1].extra)["nested"] == {"scores": [1, 2.5, None, True]}
    assert back[2].speaker == 42
    assert total_duration(back) == pytest.approx(6.75)
    assert total_duration([]) == 0.0


def test_read_keeps_unknown_lines_losslessly(tmp_path: Path) -> None:
    original = line(audio_filepath="/x.wav", duration=1.5, text=ARABIC, text_raw="RAW", script="arab", split="dev")
    path = write_lines(tmp_path / "m.jsonl", [original])
    out = tmp_path / "copy.jsonl"
    write_manifest(out, read_manifest(path))
    assert out.read_text(encoding="utf-8") == original + "\n"


def test_write_is_atomic_and_can_rewrite_in_place(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    write_manifest(path, [ManifestRecord("/a.wav", 1.0, "a"), ManifestRecord("/b.wav", 2.0, "b")])
    # A generator reading the very file being replaced: safe because the write is atomic.
    n = write_manifest(path, (r.with_(text=r.text.upper()) for r in read_manifest(path)))
    assert n == 2 and [r.text for r in read_manifest(path)] == ["A", "B"]

    def failing() -> object:
        yield ManifestRecord("/c.wav", 1.0, "c")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_manifest(path, failing())  # type: ignore[arg-type]
    assert [r.text for r in read_manifest(path)] == ["A", "B"]  # old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl"]  # no temp file left


# --- paths -----------------------------------------------------------------------------


def test_relative_paths_resolve_against_manifest_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data" / "darija"
    (data / "audio").mkdir(parents=True)
    (data / "audio" / "x.wav").write_bytes(b"")
    absolute = str(tmp_path / "elsewhere" / "y.wav")
    path = write_lines(
        data / "train.jsonl",
        [
            line(audio_filepath="audio/x.wav", duration=1.0, text="a"),
            line(audio_filepath=absolute, duration=1.0, text="b"),
            line(audio_filepath="audio/missing.wav", duration=1.0, text="c"),
        ],
    )
    monkeypatch.chdir(tmp_path)  # the manifest is given relative to the working directory
    relative_manifest = Path("data/darija/train.jsonl")
    resolved = [r.audio_filepath for r in read_manifest(relative_manifest)]
    assert resolved == [
        str(data / "audio" / "x.wav"),  # joined to the manifest folder and made absolute
        absolute,  # absolute: untouched
        "audio/missing.wav",  # NeMo keeps a relative path whose joined file does not exist
    ]
    assert [r.audio_filepath for r in read_manifest(path, resolve_paths=False)][0] == "audio/x.wav"


def test_resolve_audio_path_nemo_special_cases(tmp_path: Path) -> None:
    manifest = str(tmp_path / "m.json")
    assert resolve_audio_path("s3://bucket/a.wav", manifest) == "s3://bucket/a.wav"
    (tmp_path / "a.wav").write_bytes(b"")
    assert resolve_audio_path("a.wav", manifest) == str(tmp_path / "a.wav")
    tarred = str(tmp_path / "tarred_audio_manifest.json")
    assert resolve_audio_path("a.wav", tarred) == "a.wav"  # a tar member name, never joined
    assert resolve_audio_path("~/a.wav", manifest) == os.path.expanduser("~/a.wav")


def test_write_relative_to(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    records = [
        ManifestRecord(str(root / "audio" / "a.wav"), 1.0, "a"),
        ManifestRecord(str(root / "other" / "b.wav"), 1.0, "b"),
        ManifestRecord(str(tmp_path / "outside.wav"), 1.0, "c"),
        ManifestRecord("already/relative.wav", 1.0, "d"),
    ]
    (root / "manifests").mkdir(parents=True)
    path = root / "manifests" / "train.jsonl"
    write_manifest(path, records, relative_to=root)
    written = [json.loads(x)["audio_filepath"] for x in path.read_text(encoding="utf-8").splitlines()]
    assert written == ["../audio/a.wav", "../other/b.wav", str(tmp_path / "outside.wav"), "already/relative.wav"]

    flat = root / "flat.jsonl"
    write_manifest(flat, records[:1], relative_to=root)
    assert json.loads(flat.read_text(encoding="utf-8"))["audio_filepath"] == "audio/a.wav"
    # NeMo's rule brings the rewritten path back once the file exists.
    (root / "audio").mkdir()
    (root / "audio" / "a.wav").write_bytes(b"")
    assert next(read_manifest(path)).audio_filepath == str(root / "audio" / "a.wav")


# --- errors ----------------------------------------------------------------------------

BAD_LINES = [
    ('{"audio_filepath": "/a.wav", "duration": 1.0', "invalid JSON"),
    ('["/a.wav", 1.0, "x"]', "expected a JSON object, got an array"),
    ('"just a string"', "expected a JSON object, got a string"),
    (line(duration=1.0, text="x"), "missing required field 'audio_filepath'"),
    (line(audio_filepath="/a.wav", text="x"), "missing required field 'duration'"),
    (line(audio_filepath="/a.wav", duration=1.0), "missing required field 'text'"),
    (line(audio_filepath="", duration=1.0, text="x"), "'audio_filepath' must be a non-empty string, got \"\""),
    (line(audio_filepath="/a.wav", duration=-1, text="x"), "'duration' must be a positive number, got -1"),
    (line(audio_filepath="/a.wav", duration=0, text="x"), "'duration' must be a positive number, got 0"),
    (line(audio_filepath="/a.wav", duration="2.5", text="x"), "'duration' must be a positive number, got \"2.5\""),
    (line(audio_filepath="/a.wav", duration=True, text="x"), "'duration' must be a positive number, got true"),
    ('{"audio_filepath": "/a.wav", "duration": NaN, "text": "x"}', "'duration' must be a positive number, got NaN"),
    ('{"audio_filepath": "/a.wav", "duration": Infinity, "text": "x"}', "'duration' must be a positive number"),
    (line(audio_filepath="/a.wav", duration=1.0, text=None), "'text' must be a string, got null"),
    (line(audio_filepath="/a.wav", duration=1.0, text=["x"]), "'text' must be a string, got [\"x\"]"),
    (line(audio_filepath="/a.wav", duration=1.0, text="x", offset=-0.5), "'offset' must be a non-negative number"),
    (line(audio_filepath="/a.wav", duration=1.0, text="x", lang=3), "'lang' must be a string or null, got 3"),
    (line(audio_filepath="/a.wav", duration=1.0, text="x", speaker=1.5), "'speaker' must be a string, an integer"),
]


@pytest.mark.parametrize(("body", "reason"), BAD_LINES)
def test_each_error_names_the_line(tmp_path: Path, body: str, reason: str) -> None:
    path = tmp_path / "train.jsonl"
    error = error_of(path, body)
    assert error.path == str(path) and error.line == 3  # the blank line 2 still counts
    assert str(error).startswith(f"{path}:3: {reason}")
    assert isinstance(error, ValueError)


def test_error_message_format_matches_the_documented_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [line(audio_filepath="/a.wav", duration=1.0, text="ok")] * 6
    write_lines(tmp_path / "train.jsonl", [*lines, line(audio_filepath="/a.wav", duration=-1, text="x")])
    with pytest.raises(ManifestError) as caught:
        list(read_manifest("train.jsonl"))
    assert str(caught.value) == "train.jsonl:7: 'duration' must be a positive number, got -1"
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.path, again.line) == (str(caught.value), "train.jsonl", 7)


def test_invalid_utf8_is_reported_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    good = line(audio_filepath="/a.wav", duration=1.0, text="ok").encode()
    bad = b'{"audio_filepath": "/b.wav", "duration": 1.0, "text": "\xff\xfe"}'
    path.write_bytes(b"\n".join([good, bad, good, b""]))
    with pytest.raises(ManifestError, match=r"m\.jsonl:2: invalid UTF-8: byte 0xff at column 56"):
        list(read_manifest(path))
    records = list(read_manifest(path, strict=False))
    assert len(records) == 2


def test_non_strict_skips_bad_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_lines(
        tmp_path / "m.jsonl",
        [
            line(audio_filepath="/a.wav", duration=1.0, text="a"),
            "{oops",
            line(audio_filepath="/b.wav", duration=2.0, text="b"),
        ],
    )
    assert [r.text for r in read_manifest(path, strict=False)] == ["a", "b"]
    assert f"{path}:2: invalid JSON" in caplog.text


def test_blank_and_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    body = line(audio_filepath="/a.wav", duration=1.0, text="a\u2028b\x85c")
    path.write_bytes(b"\n  \r\n" + body.encode() + b"\r\n\n")
    assert [r.text for r in read_manifest(path)] == ["a\u2028b\x85c"]


# --- validation ------------------------------------------------------------------------


def test_validate_collects_every_problem(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "m.jsonl",
        [
            line(audio_filepath="/a.wav", duration=1800.0, text="ok"),
            "{not json",
            line(audio_filepath="/b.wav", duration=-1, text=5),
            "",
            line(audio_filepath="/c.wav", duration=1800.0, text="ok", offset=2.0),
            "[]",
        ],
    )
    report = validate_manifest(path)
    assert not report.ok
    assert report.records == 2 and report.hours == pytest.approx(1.0)
    assert [(e.line, e.reason.split(":")[0].split(",")[0]) for e in report.errors] == [
        (2, "invalid JSON"),
        (3, "'duration' must be a positive number"),
        (3, "'text' must be a string"),
        (6, "expected a JSON object"),
    ]
    assert str(report).splitlines()[0] == f"{path}: 2 records, 1.00 h, 4 problem(s)"


def test_validate_clean_manifest(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    write_manifest(path, [ManifestRecord("/a.wav", 90.0, TIFINAGH)])
    report = validate_manifest(path)
    assert report.ok and report.records == 1 and report.duration == 90.0 and report.errors == ()


def test_validate_check_audio(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "two_seconds.wav", np.zeros(32000, dtype=np.float32), 16000)
    path = write_lines(
        tmp_path / "m.jsonl",
        [
            line(audio_filepath="audio/two_seconds.wav", duration=1.5, text="ok", offset=0.5),
            line(audio_filepath="audio/missing.wav", duration=1.0, text="missing"),
            line(audio_filepath="audio/two_seconds.wav", duration=1.5, text="too long", offset=1.0),
            line(audio_filepath="audio/two_seconds.wav", duration=2.01, text="within tolerance"),
        ],
    )
    assert validate_manifest(path).ok  # without check_audio the files are not looked at
    report = validate_manifest(path, check_audio=True)
    assert [e.line for e in report.errors] == [2, 3]
    assert str(report.errors[0]) == (
        f"{path}:2: audio file not found: audio/missing.wav (nor {tmp_path / 'audio' / 'missing.wav'})"
    )
    assert "offset+duration = 2.500 s exceeds the length" in str(report.errors[1])
    assert "(2.000 s)" in str(report.errors[1])
    assert report.records == 4


def test_validate_check_audio_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "noise.wav").write_bytes(b"this is not audio")
    path = write_lines(tmp_path / "m.jsonl", [line(audio_filepath="noise.wav", duration=1.0, text="x")])
    report = validate_manifest(path, check_audio=True)
    assert [e.line for e in report.errors] == [1]
    assert "cannot read audio file" in report.errors[0].reason


# --- property --------------------------------------------------------------------------

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_extra = st.dictionaries(
    st.text().filter(lambda k: k not in {"audio_filepath", "duration", "text", "offset", "lang", "speaker"}),
    _json_values,
    max_size=4,
)
records_strategy = st.builds(
    ManifestRecord,
    audio_filepath=st.text(min_size=1),
    duration=st.floats(min_value=0.0, exclude_min=True, allow_nan=False, allow_infinity=False),
    text=st.text(),
    offset=st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
    lang=st.none() | st.text(),
    speaker=st.none() | st.text() | st.integers(),
    extra=_extra,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(records_strategy, max_size=5))
def test_property_write_then_read_is_identity(records: list[ManifestRecord]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.jsonl"
        assert write_manifest(path, records) == len(records)
        assert list(read_manifest(path, resolve_paths=False)) == records
        assert validate_manifest(path).records == len(records)


@given(record=records_strategy)
def test_property_dict_round_trip(record: ManifestRecord) -> None:
    assert ManifestRecord.from_dict(record.to_dict()) == record
