"""Batch transcription (``awal.asr.transcribe``, ``awal transcribe``).

The pipeline is tested with a tiny randomly initialized Whisper exported to CTranslate2 (its text
is garbage: the tests assert on what the pipeline does with it) and with the bundled model where
the words matter (script conversion, language detection among the model's languages).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

_missing = sorted(
    pkg for pkg in ("faster_whisper", "ctranslate2", "transformers", "torch") if importlib.util.find_spec(pkg) is None
)
pytestmark = pytest.mark.skipif(bool(_missing), reason=f"needs {_missing}: pip install 'awal[serve,train]'")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from whisper_tiny import build_tiny_whisper

    from awal.asr.export import export_asr

    root = tmp_path_factory.mktemp("tiny-asr")
    return export_asr(build_tiny_whisper(root / "hf"), root / "ct2", languages={"ary": "ar", "zgh": "sn"})


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    """Three real clips in nested folders, a corrupt one, and a text file that is ignored."""
    root = tmp_path / "calls"
    (root / "day1").mkdir(parents=True)
    shutil.copy(SAMPLES / "ary_000390.wav", root / "a.wav")
    shutil.copy(SAMPLES / "zgh_000042.wav", root / "day1" / "b.wav")
    shutil.copy(SAMPLES / "ary_000007.wav", root / "day1" / "c.wav")
    (root / "day1" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (root / "notes.txt").write_text("not audio", encoding="utf-8")
    return root


def test_find_inputs_folders_manifests_and_missing_paths(audio_dir: Path) -> None:
    from awal.asr.transcribe import find_inputs

    found = [item.path for item in find_inputs([audio_dir])]
    assert found == [str(audio_dir / "a.wav"), str(audio_dir / "day1" / "b.wav"),
                     str(audio_dir / "day1" / "broken.wav"), str(audio_dir / "day1" / "c.wav")]  # fmt: skip
    records = list(find_inputs([SAMPLES / "heldout.jsonl"]))
    assert len(records) == 8 and records[0].path.endswith("heldout.jsonl#1") and records[0].language == "ary"
    assert Path(records[0].audio).is_file()  # resolved relative to the manifest
    with pytest.raises(InputError, match="no such file"):
        list(find_inputs([audio_dir / "nope.wav"]))


def test_options_are_checked() -> None:
    from awal.asr.transcribe import TranscribeOptions

    with pytest.raises(InputError):
        TranscribeOptions(language="xx")
    with pytest.raises(InputError, match="script"):
        TranscribeOptions(script="cyrl")
    with pytest.raises(InputError, match="batch_size"):
        TranscribeOptions(batch_size=0)


def test_a_corrupt_file_is_reported_and_the_rest_go_on(audio_dir: Path, tiny_model: Path) -> None:
    from awal.asr.transcribe import TranscribeOptions, transcribe_files

    results = list(transcribe_files([audio_dir], tiny_model, TranscribeOptions(language="ary", vad=False)))
    assert [Path(r.path).name for r in results] == ["a.wav", "b.wav", "broken.wav", "c.wav"]
    broken = results[2]
    assert broken.error and "broken.wav" in broken.error and not broken.segments
    for r in results[:2] + results[3:]:
        assert r.error is None and r.language == "ary" and r.duration and r.duration > 1
        assert r.segments and all(s.language == "ary" and s.script == "Arab" for s in r.segments)


def test_cli_writes_formats_and_a_rerun_skips_finished_files(audio_dir: Path, tiny_model: Path, run_awal) -> None:
    out = audio_dir.parent / "out"
    args = ["transcribe", str(audio_dir), "--model", str(tiny_model), "--language", "zgh", "--no-vad",
            "--format", "srt", "--output-dir", str(out), "--no-progress"]  # fmt: skip
    first = run_awal(*args)
    assert first.returncode == 1  # one input failed
    assert "broken.wav" in first.stderr and "3 transcribed, 1 failed" in first.stderr
    srts = sorted(p.name for p in out.glob("*.srt"))
    assert srts == ["a.srt", "b.srt", "c.srt"]
    block = (out / "a.srt").read_text(encoding="utf-8").split("\n")
    assert block[0] == "1" and " --> " in block[1] and block[1].startswith("00:00:0")
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.srt")}
    second = run_awal(*args)
    assert "0 transcribed, 1 failed" in second.stderr  # the done ones are skipped, the broken one retried
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.srt")} == before


def test_jsonl_and_vtt_and_word_timestamps(tiny_model: Path, tmp_path: Path, run_awal) -> None:
    clip = SAMPLES / "ary_000218.wav"
    out = run_awal("transcribe", str(clip), "--model", str(tiny_model), "--language", "ary", "--format", "jsonl",
                   "--word-timestamps", "--no-vad", "--no-progress", check=True)  # fmt: skip
    row = json.loads(out.stdout)
    assert row["path"] == str(clip) and row["language"] == "ary" and row["error"] is None
    for seg in row["segments"]:
        assert 0 <= seg["start"] <= seg["end"] <= row["duration"]  # clamped: a model's times can overrun
        for word in seg["words"]:
            assert seg["start"] - 0.01 <= word["start"] <= word["end"] <= seg["end"] + 0.01
    vtt = run_awal("transcribe", str(clip), "--model", str(tiny_model), "--language", "ary", "--format", "vtt",
                   "--no-vad", "--no-progress", check=True).stdout  # fmt: skip
    assert vtt.startswith("WEBVTT\n\n") and "-->" in vtt


def test_transcribe_generator_on_samples(tiny_model: Path) -> None:
    from awal.asr.transcribe import Segment, TranscribeOptions, Transcriber, transcribe

    engine = Transcriber(tiny_model)
    audio = np.zeros(16000 * 2, dtype=np.float32)
    segments = transcribe(audio, engine, TranscribeOptions(language="zgh", vad=True))
    assert list(segments) == []  # silence: VAD leaves nothing to decode
    gen = transcribe(SAMPLES / "zgh_000228.wav", engine, TranscribeOptions(language="zgh", vad=False))
    first = next(gen)
    assert isinstance(first, Segment) and first.language == "zgh" and first.script == "Tfng"


@pytest.mark.skipif(not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file(),
                    reason="the bundled model is not in this checkout")  # fmt: skip
def test_bundled_model_scripts_and_language_detection() -> None:
    from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files

    engine = Transcriber()  # the default model
    clip = [str(SAMPLES / "zgh_000452.wav")]
    (tfng,) = transcribe_files(clip, engine, TranscribeOptions(language="zgh", vad=False))
    (latn,) = transcribe_files(clip, engine, TranscribeOptions(language="zgh", script="latn", vad=False))
    assert all("TIFINAGH" in unicodedata.name(ch) for ch in tfng.text if ch.isalpha())  # the usual script
    assert all("LATIN" in unicodedata.name(ch) for ch in latn.text if ch.isalpha())  # the model's own
    (auto,) = transcribe_files([str(SAMPLES / "ary_000533.wav")], engine, TranscribeOptions(vad=False))
    assert auto.language in ("ary", "zgh") and 0 < (auto.language_probability or 0) <= 1


@pytest.mark.skipif(not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file(),
                    reason="the bundled model is not in this checkout")  # fmt: skip
def test_short_inputs_decoded_together_match_one_by_one(tmp_path: Path) -> None:
    """Batched short inputs (one encoder call) keep the order, report a broken file in its place,
    leave silence empty, and give what each input gives decoded alone. (Short encoder contexts
    against faster-whisper's 30 s: measured on the held-out test sets with ``awal eval asr
    --context``, docs/models.md; a handful of clips is too few to compare them.)"""
    import soundfile as sf

    from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files
    from awal.manifest import read_manifest
    from awal.scoring import score

    engine = Transcriber()
    records = list(read_manifest(SAMPLES / "heldout.jsonl"))
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    sf.write(tmp_path / "silence.wav", np.zeros(16000 * 2, np.float32), 16000)
    paths = [r.audio_filepath for r in records[:3]] + [str(tmp_path / "broken.wav"), str(tmp_path / "silence.wav")]
    paths += [r.audio_filepath for r in records[3:]]
    batched = list(transcribe_files(paths, engine, TranscribeOptions(language="auto", batch_size=4,
                                                                    word_timestamps=True)))  # fmt: skip
    assert [r.path for r in batched] == paths
    assert batched[3].error and "broken.wav" in batched[3].error and not batched[4].segments
    speech = batched[:3] + batched[5:]
    for result in speech:
        assert result.error is None and result.segments
        words = [w for s in result.segments for w in s.words]
        assert words and all(0 <= w.start <= w.end <= result.duration for w in words)
    assert {t.language for t in speech} <= {"ary", "zgh"}  # detected among the model's languages only
    for lang in ("ary", "zgh"):
        clips = [r for r in records if r.lang == lang]
        options = TranscribeOptions(language=lang, batch_size=4)
        together = list(transcribe_files([r.audio_filepath for r in clips], engine, options))
        alone = [next(transcribe_files([r.audio_filepath], engine, options)) for r in clips]
        refs = [r.text for r in clips]
        cer_together = score(refs, [t.text for t in together], lang).cer
        cer_alone = score(refs, [t.text for t in alone], lang).cer
        assert cer_together <= cer_alone + 0.02, (lang, cer_together, cer_alone)  # int8 batched matmuls round apart


def test_speech_windows_group_spans_and_map_times_back() -> None:
    from awal.asr.windows import SpeechWindow, speech_windows

    sr = 100  # 100 samples a second keeps the numbers readable
    spans = [(100, 400), (1000, 1500), (1600, 1700), (3000, 6500)]  # 3 s, 5 s, 1 s, 35 s of speech
    windows = speech_windows(spans, max_s=10, sample_rate=sr)
    assert [w.pieces for w in windows] == [
        ((100, 400), (1000, 1500), (1600, 1700)),  # 9 s of speech, pauses left out
        ((3000, 4000),), ((4000, 5000),), ((5000, 6000),), ((6000, 6500),),  # a long span is cut
    ]
    first = windows[0]
    assert first.samples == 900 and (first.start, first.end) == (1.0, 17.0)
    audio = np.arange(7000, dtype=np.float32)
    assert np.array_equal(first.audio(audio), np.concatenate([audio[100:400], audio[1000:1500], audio[1600:1700]]))
    assert first.original_time(0.0) == 1.0 and first.original_time(2.5) == 3.5
    assert first.original_time(3.0) == 10.0  # a word starting on the boundary starts in the next piece
    assert first.original_time(3.0, is_end=True) == 4.0  # one ending there ends in the piece before
    assert first.original_time(8.5) == 16.5 and first.original_time(9.5) == 17.0  # clamped to the piece
    assert [first.piece_of(t) for t in (0.5, 3.0, 7.9, 8.5)] == [0, 1, 1, 2]
    turns = speech_windows(spans, max_s=10, sample_rate=sr, join=False)
    assert [w.pieces for w in turns][:3] == [((100, 400),), ((1000, 1500),), ((1600, 1700),)]
    assert len(turns) == 7 and turns[3].pieces == ((3000, 4000),)
    assert speech_windows([], 30) == [] and SpeechWindow(((0, 16000),)).end == 1.0
    with pytest.raises(InputError, match="sorted"):
        speech_windows([(500, 600), (100, 200)], 30)
    with pytest.raises(InputError, match="max_s"):
        speech_windows(spans, 0)


@pytest.mark.skipif(not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file(),
                    reason="the bundled model is not in this checkout")  # fmt: skip
def test_a_long_recording_is_decoded_in_speech_windows(tmp_path: Path) -> None:
    """A 1-min recording (Darija clips between pauses): batched transcription decodes its speech
    turns, gives times in the recording where the clips are, and is as accurate as
    faster-whisper's own sequential transcribe of the whole file."""
    import soundfile as sf

    from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files
    from awal.audio import load_audio
    from awal.manifest import read_manifest
    from awal.scoring import score

    records = [r for r in read_manifest(SAMPLES / "heldout.jsonl") if r.lang == "ary"] * 2
    pause = np.zeros(int(16000 * 3.5), np.float32)
    parts, placed, at = [pause], [], len(pause) / 16000
    for r in records:
        clip = load_audio(r.audio_filepath, sr=16000, mono=True)
        parts += [clip, pause]
        placed.append((at, at + len(clip) / 16000))
        at += (len(clip) + len(pause)) / 16000
    call = tmp_path / "call.wav"
    sf.write(call, np.concatenate(parts), 16000)
    assert at > 45
    engine = Transcriber()
    options = TranscribeOptions(language="ary", batch_size=4, word_timestamps=True, join_spans=False)
    (windowed,) = transcribe_files([str(call)], engine, options)
    assert windowed.error is None and windowed.duration == pytest.approx(at, abs=0.01)
    segments = windowed.segments
    assert [s.id for s in segments] == list(range(len(segments))) and len(segments) == len(records)
    assert all(a.start <= b.start for a, b in zip(segments, segments[1:]))
    words = [w for s in segments for w in s.words]
    assert len(words) >= len(records)
    for w in words:  # every word where a clip is (VAD pads speech by 0.4 s), none in the pauses
        assert any(start - 0.6 <= w.start and w.end <= end + 0.6 for start, end in placed), w
    (sequential,) = transcribe_files([str(call)], engine, TranscribeOptions(language="ary", batch_size=1))
    ref = " ".join(r.text for r in records)
    mine, theirs = score([ref], [windowed.text], "ary").cer, score([ref], [sequential.text], "ary").cer
    assert mine <= theirs + 0.05, (mine, theirs)


@pytest.mark.skipif(not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file(),
                    reason="the bundled model is not in this checkout")  # fmt: skip
def test_evaluation_hears_what_transcription_serves(tmp_path: Path) -> None:
    """``awal eval asr`` and ``awal transcribe`` decode with one decoder: the same clips (and a
    recording longer than 30 s, in speech windows) give the same text, so the CER the model card
    reports is the CER served. Greedy and without the temperature ladder on both sides (evaluation
    is deterministic); the model's short encoder contexts (``--context short``, what it is served with)."""
    import soundfile as sf

    from awal.asr.evaluate import evaluate_asr
    from awal.asr.model import DEFAULT_MODEL
    from awal.asr.transcribe import TranscribeOptions, Transcriber, transcribe_files
    from awal.audio import load_audio
    from awal.manifest import ManifestRecord, read_manifest, write_manifest

    engine = Transcriber()
    for lang, script in (("ary", "arab"), ("zgh", "latn")):  # the scripts the model writes
        clips = [r for r in read_manifest(SAMPLES / "heldout.jsonl") if r.lang == lang]
        pause = np.zeros(16000, np.float32)
        parts = [p for r in clips * 3 for p in (load_audio(r.audio_filepath, sr=16000, mono=True), pause)]
        call = tmp_path / f"call-{lang}.wav"
        sf.write(call, np.concatenate(parts), 16000)
        duration = len(np.concatenate(parts)) / 16000
        assert duration > 30
        manifest = tmp_path / f"{lang}.jsonl"
        write_manifest(manifest, clips + [ManifestRecord(str(call), duration, " ".join([r.text for r in clips] * 3),
                                                         lang=lang)])  # fmt: skip
        details = tmp_path / f"{lang}-details.jsonl"
        report = evaluate_asr(DEFAULT_MODEL, manifest, batch_size=len(clips), context="short", details=details,
                              progress=False)  # fmt: skip
        assert report["errors"] == 0 and report["context_bucket_s"] == engine.info.context_bucket_s
        heard = [json.loads(line)["pred_text"] for line in details.read_text(encoding="utf-8").splitlines()]
        options = TranscribeOptions(language=lang, script=script, batch_size=len(clips), temperatures=(0.0,))
        served = [t.text for t in transcribe_files([manifest], engine, options)]  # the same records
        assert all(heard) and heard == served, (lang, heard, served)
