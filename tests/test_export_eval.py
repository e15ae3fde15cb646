"""``awal.asr.export`` (Hugging Face Whisper -> CTranslate2 + awal.json) and ``awal.asr.evaluate``
(WER/CER on a manifest).

Real components throughout: a tiny randomly initialized Whisper of the real architecture
(``whisper_tiny.build_tiny_whisper``), Whisper base converted to Hugging Face by
``awal.asr.train.ct2_to_hf``, CTranslate2's converter, faster-whisper, espeak-ng speech.

Skipped when the ``serve``/``train`` packages or espeak-ng are missing.
"""

from __future__ import annotations

import filecmp
import importlib.util
import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from awal.asr.model import BUNDLED_MODELS, WHISPER_BASE, load_whisper, resolve_model
from awal.errors import InputError
from awal.languages import languages

_needed = ["faster_whisper", "ctranslate2", "torch", "transformers", "tqdm"]
_needed += [pkg for pkg, _ in BUNDLED_MODELS[WHISPER_BASE].parts + BUNDLED_MODELS[WHISPER_BASE].files]
_missing = sorted({pkg for pkg in _needed if importlib.util.find_spec(pkg) is None})
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason=f"needs {_missing}: pip install 'awal[serve,train]'"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]

# Darija in Arabic script, as espeak-ng's `ar` voice reads it (no ڭ گ پ ڤ: espeak spells those out).
SENTENCES = (
    "السلام عليكم، كيداير؟ لاباس عليك؟",
    "بغيت نمشي للسوق غدا فالصباح",
    "شحال هادي ما شفتك، فين كنتي؟",
)
SR = 16000


def speak(text: str) -> np.ndarray:
    from awal.audio import load_audio

    wav = subprocess.run(["espeak-ng", "-v", "ar", "--stdout", text], capture_output=True, check=True).stdout
    return load_audio(wav, sr=SR)


def arabic_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum("ARABIC" in unicodedata.name(ch, "") for ch in letters) / max(len(letters), 1)


def transcribe(model_dir: Path, audio: np.ndarray, lang: str, compute_type: str = "int8"):
    from awal.asr.folder import whisper_token_for

    model = load_whisper(model_dir, compute_type=compute_type, cpu_threads=2)
    segments, info = model.transcribe(
        audio,
        language=whisper_token_for(model_dir, lang),
        task="transcribe",
        beam_size=1,
        temperature=0.0,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    return list(segments), info


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return speak(SENTENCES[0])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    from whisper_tiny import build_tiny_whisper

    return build_tiny_whisper(tmp_path_factory.mktemp("tiny-hf"), seed=0)


@pytest.fixture(scope="module")
def base_hf(tmp_path_factory) -> Path:
    """Whisper base as a Hugging Face checkpoint (awal.asr.train.ct2_to_hf), converted once for the module."""
    from awal.asr.train.ct2_to_hf import convert_ct2_to_hf

    return convert_ct2_to_hf(resolve_model(WHISPER_BASE), tmp_path_factory.mktemp("base-hf"))


@pytest.fixture(scope="module")
def base_int8(base_hf, tmp_path_factory) -> Path:
    from awal.asr.export import export_asr

    return export_asr(base_hf, tmp_path_factory.mktemp("exports") / "base-int8", quantization="int8")


# --- (a) export of the tiny model -------------------------------------------------------------


def test_tiny_export_int8_default_languages(tiny, clip, tmp_path):
    from awal.asr.export import export_asr
    from awal.asr.folder import AWAL_JSON_FORMAT, read_awal_json

    out = export_asr(tiny, tmp_path / "tiny-int8", quantization="int8", metrics={"cer": {"ary": 0.5}})
    names = {p.name for p in out.iterdir()}
    assert {"model.bin", "config.json", "vocabulary.json", "tokenizer.json", "preprocessor_config.json"} <= names
    assert "awal.json" in names
    meta = json.loads((out / "awal.json").read_text(encoding="utf-8"))
    assert meta["format"] == AWAL_JSON_FORMAT and meta["kind"] == "asr" and meta["engine"] == "ctranslate2-whisper"
    assert meta["quantization"] == "int8" and meta["training_text_profile"] == "scoring"
    assert meta["languages"] == {
        lang.code: {
            "whisper_token": lang.whisper_token,
            "scripts": list(lang.scripts),
            "default_script": lang.default_script,
        }
        for lang in languages()
    }
    assert meta["languages"]["ary"]["whisper_token"] == "ar" and meta["languages"]["zgh"]["whisper_token"] == "sn"
    assert meta["metrics"] == {"cer": {"ary": 0.5}} and meta["data"] is None
    assert meta["source"] == str(tiny.resolve()) and meta["awal_version"]
    ct2 = json.loads((out / "config.json").read_text())
    assert 50272 in ct2["lang_ids"] and len(ct2["lang_ids"]) == 99  # <|ar|>
    assert ct2["alignment_heads"] == [[1, h] for h in range(4)]
    assert json.loads((out / "preprocessor_config.json").read_text())["feature_size"] == 80

    info = read_awal_json(out)
    assert not info.from_registry and info.whisper_token("ary") == "ar" and info.whisper_token("shi") == "sn"
    assert info.metrics is not None and info.metrics["cer"]["ary"] == 0.5

    # faster-whisper loads it and decodes with the token from awal.json (random weights: garbage text).
    segments, result = transcribe(out, clip, "ary")
    assert isinstance(segments, list) and all(isinstance(s.text, str) for s in segments)
    assert result.language == "ar"
    assert result.duration == pytest.approx(len(clip) / SR, abs=0.01)

    # A second export into the same folder replaces the first one and leaves nothing behind.
    export_asr(tiny, out, quantization="int8", languages={"ary": "ar"})
    assert set(read_awal_json(out).languages) == {"ary"}
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_tiny_export_float32_custom_tokens_and_missing_preprocessor(tiny, clip, tmp_path):
    from awal.asr.export import export_asr
    from awal.asr.folder import read_awal_json, whisper_token_for

    checkpoint = tmp_path / "no-preprocessor"
    shutil.copytree(tiny, checkpoint)
    (checkpoint / "preprocessor_config.json").unlink()
    data = {"hours": {"ary": 1.5}, "corpora": ["synthetic"]}
    out = export_asr(
        checkpoint,
        tmp_path / "tiny-f32",
        quantization="float32",
        languages={"ary": "<|ar|>", "kab": "FR"},
        profile="display",
        data_summary=data,
    )
    front_end = json.loads((out / "preprocessor_config.json").read_text())
    assert front_end["feature_size"] == 80 and front_end["sampling_rate"] == SR
    meta = json.loads((out / "awal.json").read_text(encoding="utf-8"))
    assert meta["quantization"] == "float32" and meta["training_text_profile"] == "display"
    assert {code: e["whisper_token"] for code, e in meta["languages"].items()} == {"ary": "ar", "kab": "fr"}
    assert meta["data"] == data
    assert whisper_token_for(out, "kab") == "fr"
    with pytest.raises(InputError, match="not exported for language 'zgh'"):
        read_awal_json(out).whisper_token("zgh")
    # float32 weights: about 4x the int8 file of the same model
    assert (out / "model.bin").stat().st_size > 3 * 2_000_000

    segments, result = transcribe(out, clip, "kab", compute_type="float32")
    assert isinstance(segments, list) and result.language == "fr"


def test_a_short_encoder_context_trains_on_what_ctranslate2_serves(tiny, clip, tmp_path):
    """Training's encoder pass (awal.asr.train.module.whisper_encode) and CTranslate2's give the same
    output for a short context as for 30 s; a model exported from a short-context training run
    says so in awal.json, and the batch decoder then encodes each window short."""
    import ctranslate2
    import torch
    from faster_whisper import WhisperModel

    from awal.asr.decoder import BatchDecoder, DecodeRequest
    from awal.asr.export import export_asr
    from awal.asr.features import context_frames, serving_features
    from awal.asr.folder import read_awal_json
    from awal.asr.train.module import load_whisper_hf, whisper_encode

    training = {"languages": {"ary": {"whisper_token": "ar", "script": "Arab"}},
                "config": {"model": {"encoder_context": {"bucket_s": 2.0, "share": 0.5}}}}  # fmt: skip
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny, checkpoint)
    (checkpoint / "awal_training.json").write_text(json.dumps(training), encoding="utf-8")
    out = export_asr(checkpoint, tmp_path / "tiny-f32", quantization="float32")
    assert read_awal_json(out).context_bucket_s == 2.0
    assert json.loads((out / "awal.json").read_text())["encoder_context"] == {"bucket_s": 2.0, "share": 0.5}

    hf, _ = load_whisper_hf(str(tiny))
    hf.eval()
    ct2 = ctranslate2.models.Whisper(str(out), device="cpu", compute_type="float32")
    for frames in (context_frames(len(clip), 2.0), 3000):
        features = serving_features(clip, 80, frames)
        with torch.no_grad():
            ours = whisper_encode(hf.model.encoder, torch.from_numpy(features[None])).numpy()
        theirs = np.asarray(ct2.encode(ctranslate2.StorageView.from_array(features[None])))
        assert ours.shape == theirs.shape == (1, frames // 2, hf.config.d_model)
        assert np.abs(ours - theirs).max() < 1e-3
    assert context_frames(len(clip), 2.0) < 3000

    decoder = BatchDecoder(WhisperModel(str(out), device="cpu", compute_type="float32"), context_bucket_s=2.0)
    short, long = clip[: SR * 2], np.concatenate([clip, clip])
    assert decoder._features(short)[0].shape[-1] == context_frames(len(short), 2.0)
    hyps = decoder.decode([DecodeRequest(long, "ar"), DecodeRequest(short, "ar"), DecodeRequest(clip, "ar")])
    alone = [decoder.decode([DecodeRequest(a, "ar")])[0] for a in (long, short, clip)]
    assert [h.text for h in hyps] == [h.text for h in alone]  # grouped by input length, in order


# --- (b) whisper-base through the export ------------------------------------------------------


def test_whisper_base_export_transcribes_arabic(base_int8, clip):
    from awal.asr.folder import read_awal_json

    assert read_awal_json(base_int8).whisper_token("ary") == "ar"
    segments, info = transcribe(base_int8, clip, "ary")
    text = "".join(s.text for s in segments).strip()
    assert info.language == "ar"
    assert text and arabic_share(text) > 0.9, text


def test_whisper_base_float16_export_is_the_published_model(base_hf, tmp_path):
    """base (float16) -> Hugging Face (float32, exact) -> export float16: the published model.bin, byte for byte."""
    from awal.asr.export import export_asr

    out = export_asr(base_hf, tmp_path / "base-f16", quantization="float16", languages={"ary": "ar"})
    assert filecmp.cmp(out / "model.bin", Path(resolve_model(WHISPER_BASE)) / "model.bin", shallow=False)


# --- (c) evaluation ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def darija_manifest(tmp_path_factory) -> Path:
    """Three records: a whole clip, a segment (offset/duration) of a two-sentence file, a missing file."""
    from awal.audio import write_audio
    from awal.manifest import ManifestRecord, write_manifest

    folder = tmp_path_factory.mktemp("eval")
    first, second, third = (speak(text) for text in SENTENCES)
    write_audio(folder / "one.wav", first, SR)
    silence = np.zeros(SR // 2, dtype=np.float32)
    write_audio(folder / "two.wav", np.concatenate([second, silence, third]), SR)
    offset = (len(second) + len(silence)) / SR
    records = [
        ManifestRecord(str(folder / "one.wav"), len(first) / SR, SENTENCES[0], lang="ary", extra={"id": "u1"}),
        ManifestRecord(str(folder / "two.wav"), len(third) / SR, SENTENCES[2], offset=offset, lang="ary"),
        ManifestRecord(str(folder / "gone.wav"), 2.0, "واش كاين شي حاجة", lang="ary", extra={"id": "u3"}),
    ]
    path = folder / "test.jsonl"
    write_manifest(path, records, relative_to=folder)
    return path


KEYS = {
    "model",
    "manifest",
    "profile",
    "utterances",
    "wer",
    "cer",
    "ref_words",
    "substitutions",
    "insertions",
    "deletions",
    "per_language",
    "rtf",
    "seconds",
    "errors",
}


def test_evaluate_whisper_base(darija_manifest, tmp_path):
    from awal.asr.evaluate import evaluate_asr

    details = tmp_path / "details.jsonl"
    report = evaluate_asr(WHISPER_BASE, darija_manifest, details=details, cpu_threads=2, progress=False)
    print(json.dumps(report, ensure_ascii=False))
    assert KEYS <= set(report)
    assert report["utterances"] == 3 and report["errors"] == 1 and report["profile"] == "scoring"
    assert report["tokens_from"] == "registry" and report["whisper_tokens"] == {"ary": "ar"}
    assert 0 <= report["cer"] < 1.5 and 0 <= report["wer"] <= 2.0
    assert report["rtf"] > 0 and report["seconds"] >= report["decode_seconds"] > 0
    assert report["audio_seconds"] == pytest.approx(sum(map(len, map(speak, SENTENCES[:1] + SENTENCES[2:]))) / SR, 0.01)
    ary = report["per_language"]["ary"]
    assert ary["utterances"] == 3 and ary["errors"] == 1 and ary["cer"] == report["cer"]
    assert report["ref_words"] == ary["ref_words"] == 5 + 6 + 4

    lines = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2]
    assert lines[0]["id"] == "u1" and lines[2]["id"] == "u3"
    for line in lines[:2]:
        assert line["error"] is None and line["pred_text"] and arabic_share(line["pred_text"]) > 0.9
        assert line["cer"] < 1.0 and line["alignment"] and {"ref", "hyp", "wer", "substitutions"} <= set(line)
    # The segment (offset/duration) is the third sentence, not the second one before it in the file.
    segment = lines[1]["pred_text"]
    assert "شفت" in segment and "سو" not in segment and lines[1]["audio_filepath"].endswith("two.wav"), segment
    missing = lines[2]
    assert "gone.wav" in missing["error"] and missing["pred_text"] == ""
    assert missing["deletions"] == missing["ref_words"] == 4 and missing["cer"] == 1.0

    # Batched decoding gives the same hypotheses; a forced language gives the same tokens.
    batched = tmp_path / "batched.jsonl"
    again = evaluate_asr(
        WHISPER_BASE, darija_manifest, lang="ary", batch_size=2, details=batched, cpu_threads=2, progress=False
    )
    assert [json.loads(x)["pred_text"] for x in batched.read_text().splitlines()] == [x["pred_text"] for x in lines]
    assert again["cer"] == report["cer"] and again["errors"] == 1

    # Short encoder contexts: refused for a model not trained so, measured when asked explicitly
    with pytest.raises(InputError, match="short encoder contexts"):
        evaluate_asr(WHISPER_BASE, darija_manifest, context="short", progress=False)
    short = evaluate_asr(WHISPER_BASE, darija_manifest, context="short", context_bucket_s=5.0, cpu_threads=2,
                         progress=False)  # fmt: skip
    assert short["context"] == "short" and short["context_bucket_s"] == 5.0 and short["errors"] == 1
    assert short["utterances"] == 3 and 0 <= short["cer"] < 2 and report["context"] == "full"


def test_evaluate_refuses_before_decoding(darija_manifest, tmp_path):
    from awal.asr.evaluate import evaluate_asr
    from awal.manifest import ManifestRecord, write_manifest

    no_lang = tmp_path / "nolang.jsonl"
    write_manifest(no_lang, [ManifestRecord(str(tmp_path / "x.wav"), 1.0, "سلام")])
    with pytest.raises(InputError, match="no 'lang'"):
        evaluate_asr(WHISPER_BASE, no_lang, progress=False)
    with pytest.raises(InputError, match="no such manifest"):
        evaluate_asr(WHISPER_BASE, tmp_path / "absent.jsonl", progress=False)
    with pytest.raises(InputError, match="unknown profile"):
        evaluate_asr(WHISPER_BASE, darija_manifest, profile="loud", progress=False)
    with pytest.raises(InputError, match="tfng"):
        evaluate_asr(WHISPER_BASE, darija_manifest, script="tfng", progress=False)  # Darija has no Tifinagh


def test_a_failing_batch_is_decoded_again_one_by_one():
    """A decoder call that fails for one clip of a batch: the batch is decoded again clip by clip,
    the culprit scored empty with its reason, the others keep their text."""
    from awal.asr.evaluate import _decode_short, _Utterance
    from awal.manifest import ManifestRecord

    class Decoder:
        calls: list[int] = []

        def decode(self, requests, word_times=True, beam_size=1):
            self.calls.append(len(requests))
            if any(r.audio[0] < 0 for r in requests):
                raise RuntimeError("boom")
            return [type("H", (), {"text": f"{r.audio[0]:g} {beam_size}"})() for r in requests]

    utts = [_Utterance(i, ManifestRecord(f"{i}.wav", 1.0, "x", lang="ary"), "ary", "ar") for i in range(3)]
    audio = [np.full(SR, value, dtype=np.float32) for value in (1.0, -1.0, 2.0)]
    decoder = Decoder()
    _decode_short(decoder, list(zip(utts, audio)), beam_size=2)
    assert decoder.calls == [3, 1, 1, 1]
    assert [u.hyp for u in utts] == ["1 2", "", "2 2"]
    assert [u.error for u in utts] == [None, "decoding failed: RuntimeError: boom", None]


def test_hypothesis_goes_into_the_reference_script():
    from awal.asr.evaluate import _scored_pair

    # A Tifinagh reference and a Latin hypothesis are compared in Tifinagh...
    assert _scored_pair("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "azul fllawn", "zgh", None)[1:] == ("ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "Tfng")
    # ...both sides go to an explicit script, and what cannot be converted is left as it is.
    assert _scored_pair("ⴰⵣⵓⵍ", "azul", "zgh", "Latn") == ("azul", "azul", "Latn")
    assert _scored_pair("ⴰⵣⵓⵍ", "ازول", "zgh", None) == ("ⴰⵣⵓⵍ", "ازول", "Tfng")
    assert _scored_pair("سلام", "سلام", "ary", None) == ("سلام", "سلام", "Arab")


# --- (d) what export refuses ------------------------------------------------------------------


def test_export_refuses(tiny, tmp_path):
    from awal.asr.export import ExportError, export_asr

    out = tmp_path / "out"
    with pytest.raises(ExportError, match="no such checkpoint"):
        export_asr(tmp_path / "absent", out)
    with pytest.raises(ExportError, match="no config.json"):
        export_asr(tmp_path, out)
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ExportError, match="model_type is 'bert'"):
        export_asr(bert, out)
    with pytest.raises(ExportError, match="CTranslate2 model already"):
        export_asr(resolve_model(WHISPER_BASE), out)
    with pytest.raises(ExportError, match=r"no language token for ary -> <\|xx\|>"):
        export_asr(tiny, out, languages={"ary": "xx"})
    with pytest.raises(InputError, match="unknown language code 'xyz'"):
        export_asr(tiny, out, languages={"xyz": "ar"})
    with pytest.raises(ExportError, match="unknown quantization"):
        export_asr(tiny, out, quantization="int4")
    with pytest.raises(ExportError, match="not JSON-serializable"):
        export_asr(tiny, out, metrics={"when": object()})
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not a model folder"):
        export_asr(tiny, keep)
    assert (keep / "notes.txt").read_text() == "mine"
    assert not out.exists()


def test_awal_json_reading(tmp_path):
    from awal.asr.folder import ModelInfoError, read_awal_json, whisper_token_for

    base = resolve_model(WHISPER_BASE)  # no awal.json: the registry's tokens, flagged
    info = read_awal_json(base)
    assert info.from_registry and whisper_token_for(base, "ary") == "ar" and whisper_token_for(base, "kab") == "ha"
    (tmp_path / "awal.json").write_text(json.dumps({"format": 2, "kind": "asr", "languages": {}}))
    with pytest.raises(ModelInfoError, match="newer awal"):
        read_awal_json(tmp_path)
    (tmp_path / "awal.json").write_text("{not json")
    with pytest.raises(ModelInfoError, match="awal.json"):
        read_awal_json(tmp_path)


def test_export_and_eval_from_the_command_line(tiny, darija_manifest, tmp_path, run_awal):
    summary = tmp_path / "data.json"
    summary.write_text(json.dumps({"ary": {"hours": 0.01}}), encoding="utf-8")
    out = tmp_path / "tiny-int8"
    proc = run_awal("export", "asr", str(tiny), "--out", str(out), "--language", "ary=ar", "--data-summary", summary)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    info = json.loads((out / "awal.json").read_text(encoding="utf-8"))
    assert info["languages"]["ary"]["whisper_token"] == "ar" and info["data"] == {"ary": {"hours": 0.01}}

    details = tmp_path / "details.jsonl"
    args = ["eval", "asr", "--model", "whisper-base", "--manifest", str(darija_manifest), "--no-progress"]
    proc = run_awal(*args, "--details", str(details))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert KEYS <= report.keys() and report["utterances"] == 3 and report["errors"] == 1
    assert 0 <= report["cer"] < 1.5 and len(details.read_text(encoding="utf-8").splitlines()) == 3

    bad = run_awal("export", "asr", str(tmp_path), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "awal: error:" in bad.stderr
