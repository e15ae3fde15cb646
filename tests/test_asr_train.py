"""The ASR recipe's training (``awal.asr.train``): batches, the Lightning module, the NeMo entry point.

Real components throughout: espeak-ng speech (``prepare_synthetic``), NeMo's Lhotse data loader
and experiment manager, Lightning's trainer, a tiny Whisper of the real architecture (the smoke
config) trained for real, CTranslate2's converter and faster-whisper for the exported model.
Training runs in subprocesses through the recipe's own command line (``python -m awal.asr.train.train``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

_missing = sorted(
    pkg for pkg in ("torch", "transformers", "nemo", "lightning", "lhotse", "faster_whisper", "ctranslate2")
    if importlib.util.find_spec(pkg) is None
)  # fmt: skip
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason=f"needs {_missing}: pip install 'awal[train]'"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "recipes" / "asr" / "whisper" / "conf"

ARY = [
    "السلام عليكم كيداير لاباس عليك",
    "بغيت نمشي للسوق غدا فالصباح",
    "شحال هادي ما شفتك فين كنتي",
    "الجو زوين اليوم بزاف",
    "عطيني واحد الكاس ديال أتاي",
    "فين كاين الطوبيس ديال المدينة",
    "راه تقدر شي نهار نجي عندك",
    "خاصنا نمشيو للخدمة بكري",
]
ZGH = [
    "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵡⴰⵍⵜ",
    "ⵉⵙ ⵜⵔⵎⵙⴷ ⴰⵡⴰⵍ ⴰⴷ",
    "ⴰⴷ ⵉⴽⴽ ⵕⴱⴱⵉ ⵜⴰⵎⴰ ⵏ ⵓⴽⵕⴰⵏⵢⴰ",
    "ⵏⴽⴽ ⵓⵔ ⵔⵎⵉⵙⵖ ⵛⴰ",
    "ⵎⴰ ⵜⵔⵎⵙⴷ ⴰⵙⵙⴰ",
    "ⴰⵙⴳⴳⵯⴰⵙ ⴰⵎⴰⵢⵏⵓ ⴰⵎⴳⴳⴰⵣ",
    "ⵜⵏⵏⴰ ⵉⵢⵉ ⵎⴰⵔⵉ ⵎⴰⵙ ⴳⵏⵏ",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny synthetic corpus per language: train / dev / test manifests with espeak-ng audio."""
    from awal.data.synthetic import SyntheticOptions, prepare_synthetic

    root = tmp_path_factory.mktemp("asr-corpus")
    out: dict[str, Path] = {}
    for lang, sentences in (("ary", ARY), ("zgh", ZGH)):
        text = root / f"{lang}.txt"
        text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        options = SyntheticOptions(lang=lang, hours=0.012, seed=3, heldout_fraction=0.25, dev_fraction=0.25,
                                   jobs=2, progress=False)  # fmt: skip
        prepare_synthetic(text, root / lang, options)
        out[lang] = root / lang
    return out


def _train_cmd(corpus: dict[str, Path], exp: Path, *overrides: str, config: str = "smoke") -> list[str]:
    train = ",".join(str(corpus[lang] / "train.jsonl") for lang in ("ary", "zgh"))
    dev = ",".join(str(corpus[lang] / "dev.jsonl") for lang in ("ary", "zgh"))
    return [
        sys.executable, "-m", "awal.asr.train.train", f"--config-path={CONF}", f"--config-name={config}",
        f"model.train_ds.manifest_filepath=[{train}]", f"model.validation_ds.manifest_filepath=[{dev}]",
        f"exp_manager.exp_dir={exp}", *overrides,
    ]  # fmt: skip


def _run(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}\n{output}"
    return proc


def _run_dir(exp: Path, name: str = "whisper-smoke") -> Path:
    return exp / name / "run"


@pytest.fixture(scope="module")
def smoke_run(corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smoke config trained for 24 steps, validated twice; returns its run folder."""
    exp = tmp_path_factory.mktemp("smoke-exp")
    _run(_train_cmd(corpus, exp, "trainer.max_steps=24", "trainer.val_check_interval=12", "plot_every=6"))
    return _run_dir(exp)


# --- batches ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import WhisperTokenizerFast

    from awal.asr.train.module import base_checkpoint

    return WhisperTokenizerFast.from_pretrained(base_checkpoint())


def test_token_plan_prompt_labels_and_training_script(tokenizer) -> None:
    from awal.asr.train.data import TokenPlan, collate

    plan = TokenPlan.from_config({"ary": {"whisper_token": "ar"}, "zgh": {"script": "Latn"}})
    assert plan.whisper_tokens == {"ary": "ar", "zgh": "sn"}  # zgh's token from the registry
    assert plan.scripts == {"ary": "Arab", "zgh": "Latn"}
    audio = np.zeros(16000, dtype=np.float32)
    batch = collate(
        [(audio, "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ", "zgh", 1.0, "k1"), (audio, "السلام عليكم", "ary", 1.0, "k2"),
         (audio, "ⴰⵣⵓⵍ", "shi", 1.0, "k3")],
        tokenizer, plan, 80,
    )  # fmt: skip
    assert tuple(batch.input_features.shape) == (3, 80, 3000)
    assert batch.langs == ["zgh", "ary", "zgh"]  # Tachelhit trains with its family's entry
    assert batch.texts[0] == "azul flawn"  # Tifinagh written in IRCAM Latin for training
    for row, (lang_token, text) in enumerate([("<|sn|>", "azul flawn"), ("<|ar|>", "السلام عليكم")]):
        inputs = batch.decoder_input_ids[row].tolist()
        labels = batch.labels[row].tolist()
        assert tokenizer.convert_ids_to_tokens(inputs[:4]) == [
            "<|startoftranscript|>", lang_token, "<|transcribe|>", "<|notimestamps|>",
        ]  # fmt: skip
        # the language is a target (language identification), the task tokens are not
        assert tokenizer.convert_ids_to_tokens(labels[:1]) == [lang_token] and labels[1:3] == [-100, -100]
        targets = [t for t in labels[1:] if t != -100]
        assert targets[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(targets[:-1]).strip() == text
        # teacher forcing: every target is the next input
        n = len(targets)
        assert inputs[4 : 4 + n - 1] == targets[:-1]
    quiet = TokenPlan.from_config({"ary": {}}, language_id=False)
    batch = collate([(audio, "السلام عليكم", "ary", 1.0, "k2")], tokenizer, quiet, 80)
    assert batch.labels[0].tolist()[:3] == [-100, -100, -100]  # the whole prompt is given, never a target


def test_token_plan_timestamps_and_refusals(tokenizer) -> None:
    from awal.asr.train.data import TokenPlan

    plan = TokenPlan.from_config({"ary": {}}, timestamps=True)
    ids, n_prompt = plan.sequence(tokenizer, "السلام", "ary", 1.234)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert n_prompt == 3 and "<|notimestamps|>" not in tokens
    assert tokens[3] == "<|0.00|>" and tokens[-2] == "<|1.24|>" and tokens[-1] == "<|endoftext|>"
    with pytest.raises(InputError, match="does not train"):
        plan.language_of("kab")
    with pytest.raises(InputError, match="script"):
        TokenPlan.from_config({"ary": {"script": "Tfng"}})
    with pytest.raises(InputError, match="longer than the decoder"):
        plan.sequence(tokenizer, "سلام " * 500, "ary", 1.0)


def test_token_report_of_a_manifest(corpus: dict[str, Path], tokenizer) -> None:
    from awal.asr.train.data import TokenPlan
    from awal.asr.train.tokens import token_report

    plan = TokenPlan.from_config({"ary": {}, "zgh": {"script": "Latn"}})
    report = token_report([corpus["ary"] / "train.jsonl", corpus["zgh"] / "train.jsonl"], plan, tokenizer)
    assert set(report["languages"]) == {"ary", "zgh"} and report["too_long"] == []
    for row in report["languages"].values():
        assert row["utterances"] > 0 and 4 < row["tokens_mean"] <= row["tokens_max"] < 100


# --- the module ------------------------------------------------------------------------------


def _module_cfg(tmp_path: Path, **extra):
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(CONF / "smoke.yaml").model
    cfg.merge_with(extra)
    return cfg


def test_encoder_cache_gives_the_same_loss_and_is_reused(tmp_path: Path, corpus: dict[str, Path], tokenizer) -> None:
    import torch

    from awal.asr.train.data import WhisperBatches, make_dataloader
    from awal.asr.train.module import WhisperFineTuner

    plain = WhisperFineTuner(_module_cfg(tmp_path, freeze_encoder=True, spec_augment={"enabled": False}))
    cached = WhisperFineTuner(_module_cfg(tmp_path, freeze_encoder=True, encoder_cache=str(tmp_path / "cache"),
                                          spec_augment={"enabled": False}))  # fmt: skip
    dataset = WhisperBatches(plain.tokenizer, plain.plan)
    loader = make_dataloader({"manifest_filepath": str(corpus["ary"] / "train.jsonl"), "batch_size": 3,
                              "shuffle": False, "force_finite": True}, dataset)  # fmt: skip
    batch = next(iter(loader))
    plain.eval()
    cached.eval()
    with torch.no_grad():
        reference, _ = plain._loss(batch)
        first, _ = cached._loss(batch)
        second, _ = cached._loss(batch)
    assert cached.encoder_cache is not None
    assert (cached.encoder_cache.misses, cached.encoder_cache.hits) == (3, 3)
    assert len(list((tmp_path / "cache").rglob("*.npy"))) == 3
    # float16 storage of the encoder output: the same loss to 1e-3
    assert float(first) == pytest.approx(float(reference), abs=1e-3)
    assert float(second) == pytest.approx(float(first), abs=1e-6)
    assert not any(p.requires_grad for p in cached.model.model.encoder.parameters())


def test_short_encoder_contexts_train_apart_and_cache_under_their_own_keys(
    tmp_path: Path, corpus: dict[str, Path], tokenizer
) -> None:
    """``encoder_context``: a share of the utterances (always the same ones) is encoded with a short
    input; a batch with both lengths is decoded in groups, and gives the loss of its parts."""
    import torch

    from awal.asr.features import context_frames
    from awal.asr.train.data import EncoderContext, WhisperBatches, make_dataloader
    from awal.asr.train.module import WhisperFineTuner

    context = {"bucket_s": 2.0, "share": 0.5}
    cached = WhisperFineTuner(_module_cfg(tmp_path, freeze_encoder=True, encoder_cache=str(tmp_path / "cache"),
                                          spec_augment={"enabled": False}, encoder_context=context))  # fmt: skip
    assert cached.context == EncoderContext(2.0, 0.5)
    dataset = WhisperBatches(cached.tokenizer, cached.plan, context=cached.context)
    loader = make_dataloader({"manifest_filepath": str(corpus["ary"] / "train.jsonl"), "batch_size": 8,
                              "shuffle": False, "force_finite": True}, dataset)  # fmt: skip
    batch = next(b for b in loader if len(set(b.frames)) > 1)  # short and full contexts together
    assert set(batch.frames) - {3000} and 3000 in batch.frames
    keys = [f"utt-{i}" for i in range(400)]
    short = [k for k in keys if cached.context.frames(k, 16000 * 3) < 3000]
    assert short == [k for k in keys if cached.context.frames(k, 16000 * 3) < 3000]  # the same ones, always
    assert 150 < len(short) < 250 and {cached.context.frames(k, 16000 * 3) for k in short} == {400}
    assert {EncoderContext().frames(k, 16000) for k in keys} == {3000}
    cached.eval()
    with torch.no_grad():
        whole, groups = cached._loss(batch)
        again, _ = cached._loss(batch)
    assert len(groups) == len(set(batch.frames)) and sorted(i for rows, _ in groups for i in rows) == list(range(8))
    for rows, hidden in groups:
        assert hidden.shape[1] == batch.frames[rows[0]] // 2  # the encoder halves the frames
    names = {p.stem.split("@")[-1] for p in (tmp_path / "cache").rglob("*.npy") if "@" in p.stem}
    assert names == {str(n) for n in set(batch.frames) - {3000}}  # short outputs under their own keys
    assert float(again) == pytest.approx(float(whole), abs=1e-6)
    # the batch's loss is the token-weighted mean of its groups' losses, each decoded alone
    parts = []
    for rows, _ in groups:
        sub = type(batch)(batch.input_features[rows], batch.decoder_input_ids[rows], batch.labels[rows],
                          [batch.prompt_lengths[i] for i in rows], [batch.keys[i] for i in rows],
                          [batch.langs[i] for i in rows], [batch.texts[i] for i in rows],
                          [batch.frames[i] for i in rows])  # fmt: skip
        with torch.no_grad():
            loss, _ = cached._loss(sub)
        parts.append((float(loss), int((sub.labels != -100).sum())))
    weighted = sum(loss * n for loss, n in parts) / sum(n for _, n in parts)
    assert float(whole) == pytest.approx(weighted, rel=1e-5)
    assert context_frames(16000 * 3, 2.0) == 400 and context_frames(16000 * 29, 2.0) == 3000


def test_trainable_top_encoder_layers_cache_their_input_and_learn(
    tmp_path: Path, corpus: dict[str, Path], tokenizer
) -> None:
    """``encoder_trainable_layers``: the frozen bottom's output is cached; the top layer, the final
    layer norm and the decoder get gradients; the loss is the uncached model's."""
    import torch

    from awal.asr.train.data import WhisperBatches, make_dataloader
    from awal.asr.train.module import WhisperFineTuner, whisper_encode, whisper_encode_top

    options = {"freeze_encoder": True, "encoder_trainable_layers": 1, "encoder_lr_scale": 0.5,
               "spec_augment": {"enabled": False}, "encoder_context": {"bucket_s": 2.0, "share": 0.5}}  # fmt: skip
    plain = WhisperFineTuner(_module_cfg(tmp_path, **options))
    cached = WhisperFineTuner(_module_cfg(tmp_path, encoder_cache=str(tmp_path / "cache"), **options))
    encoder = cached.model.model.encoder
    split = len(encoder.layers) - 1
    assert cached.encoder_split == split
    dataset = WhisperBatches(cached.tokenizer, cached.plan, context=cached.context)
    loader = make_dataloader({"manifest_filepath": str(corpus["ary"] / "train.jsonl"), "batch_size": 8,
                              "shuffle": False, "force_finite": True}, dataset)  # fmt: skip
    batch = next(b for b in loader if len(set(b.frames)) > 1)
    encoder.eval()
    with torch.no_grad():  # the split pass is the whole encoder, at 30 s and at a short context
        for frames in sorted(set(batch.frames)):
            features = batch.input_features[:2, :, :frames]
            whole = whisper_encode(encoder, features)
            split_pass = whisper_encode_top(encoder, whisper_encode(encoder, features, split), split)
            assert torch.allclose(whole, split_pass, atol=1e-5)
    plain.eval()
    cached.eval()
    with torch.no_grad():
        reference, _ = plain._loss(batch)
        first, _ = cached._loss(batch)
    assert float(first) == pytest.approx(float(reference), abs=1e-3)  # float16 cache
    stored = [np.load(p) for p in (tmp_path / "cache").rglob("*.npy")]
    assert len(stored) == 8 and {a.shape[-1] for a in stored} == {encoder.config.d_model}
    # a training step: gradients reach the top layer, not the frozen bottom
    cached.train()
    assert encoder.layers[split].training and not encoder.layers[0].training
    loss, _ = cached._loss(batch)
    loss.backward()
    assert (cached.encoder_cache.misses, cached.encoder_cache.hits) == (8, 8)
    top = [p.grad for p in encoder.layers[split].parameters()] + [p.grad for p in encoder.layer_norm.parameters()]
    assert all(g is not None and float(g.abs().sum()) > 0 for g in top)
    assert all(p.grad is None for p in encoder.layers[0].parameters())
    assert all(p.grad is None for p in encoder.conv1.parameters())
    # a new cache folder: the cached values are not the whole encoder's
    frozen = WhisperFineTuner(_module_cfg(tmp_path, freeze_encoder=True, spec_augment={"enabled": False},
                                          encoder_cache=str(tmp_path / "cache")))  # fmt: skip
    assert frozen.encoder_cache.folder != cached.encoder_cache.folder
    with pytest.raises(InputError, match="freeze_encoder"):
        WhisperFineTuner(_module_cfg(tmp_path, encoder_trainable_layers=1, spec_augment={"enabled": False}))
    with pytest.raises(InputError, match="encoder_lr_scale"):
        WhisperFineTuner(_module_cfg(tmp_path, **{**options, "encoder_lr_scale": 0.0}))


def test_a_loaded_model_trains_in_training_mode(tmp_path: Path) -> None:
    """transformers' from_pretrained gives an eval-mode model, and Lightning never calls train() at
    the start of fit (it keeps each submodule's mode): the module hands Lightning a model in
    training mode, so dropout, SpecAugment and gradient checkpointing work (on a GPU, the turbo
    config ran out of memory without it)."""
    import torch
    from whisper_tiny import build_tiny_whisper

    from awal.asr.train.module import WhisperFineTuner

    tiny = build_tiny_whisper(tmp_path / "tiny")
    augment = {"enabled": True, "mask_time_prob": 0.5, "mask_time_length": 10, "mask_feature_prob": 0.0}
    module = WhisperFineTuner(_module_cfg(tmp_path, init_from=str(tiny), gradient_checkpointing=True,
                                          spec_augment=augment))  # fmt: skip
    assert all(m.training for m in module.model.modules())
    layers = [*module.model.model.encoder.layers, *module.model.model.decoder.layers]
    assert all(layer.gradient_checkpointing and layer.training for layer in layers)
    features = torch.randn(2, 80, 3000)
    assert not torch.equal(module.model.model._mask_input_features(features.clone()), features)
    frozen = WhisperFineTuner(_module_cfg(tmp_path, init_from=str(tiny), freeze_encoder=True,
                                          spec_augment={"enabled": False}))  # fmt: skip
    assert not any(m.training for m in frozen.model.model.encoder.modules())
    assert all(m.training for m in frozen.model.model.decoder.modules())


def test_frozen_token_embeddings_keep_their_values_while_the_rest_learns(tmp_path: Path, corpus: dict[str, Path],
                                                                         tokenizer) -> None:  # fmt: skip
    """``freeze_token_embeddings`` (conf/base_gpu.yaml): the decoder's token embeddings, which the
    output layer shares, keep their pretrained values through training steps; the encoder and the
    rest of the decoder learn."""
    import torch
    from whisper_tiny import build_tiny_whisper

    from awal.asr.train.data import WhisperBatches, make_dataloader
    from awal.asr.train.module import WhisperFineTuner

    tiny = build_tiny_whisper(tmp_path / "tiny")
    module = WhisperFineTuner(_module_cfg(tmp_path, init_from=str(tiny), freeze_token_embeddings=True,
                                          spec_augment={"enabled": False}))  # fmt: skip
    model = module.model
    assert model.proj_out.weight is model.get_input_embeddings().weight and not model.proj_out.weight.requires_grad
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    dataset = WhisperBatches(module.tokenizer, module.plan, int(model.config.num_mel_bins))
    loader = make_dataloader({"manifest_filepath": str(corpus["ary"] / "train.jsonl"), "batch_size": 3,
                              "shuffle": False, "force_finite": True}, dataset)  # fmt: skip
    batch = next(iter(loader))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for _ in range(2):
        optimizer.zero_grad()
        loss, _ = module._loss(batch)
        loss.backward()
        optimizer.step()
    after = model.state_dict()
    assert torch.equal(after["model.decoder.embed_tokens.weight"], before["model.decoder.embed_tokens.weight"])
    assert not torch.equal(after["model.encoder.layers.0.fc1.weight"], before["model.encoder.layers.0.fc1.weight"])
    assert not torch.equal(after["model.decoder.layers.0.fc1.weight"], before["model.decoder.layers.0.fc1.weight"])


def test_config_refuses_cache_with_spec_augment_and_unknown_architecture_keys(tmp_path: Path) -> None:
    from awal.asr.train.module import WhisperFineTuner

    with pytest.raises(InputError, match="cannot be combined"):
        WhisperFineTuner(_module_cfg(tmp_path, freeze_encoder=True, encoder_cache=str(tmp_path)))
    with pytest.raises(InputError, match="freeze_encoder"):
        WhisperFineTuner(_module_cfg(tmp_path, encoder_cache=str(tmp_path), spec_augment={"enabled": False}))
    with pytest.raises(InputError, match="no_such_dim"):
        WhisperFineTuner(_module_cfg(tmp_path, architecture={"no_such_dim": 3}))


# --- the recipe's training run ---------------------------------------------------------------


def test_smoke_config_trains_and_the_loss_falls(smoke_run: Path) -> None:
    curves = json.loads((smoke_run / "curves" / "curves.json").read_text(encoding="utf-8"))
    steps = [row["step"] for row in curves["train"]]
    assert steps == list(range(1, 25))
    losses = [row["loss"] for row in curves["train"]]
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5, losses
    assert curves["utts_per_s"] > 0
    val = curves["val"]
    assert [row["step"] for row in val] == [12, 24]
    for row in val:
        assert 0 <= row["val_cer"] and 0 <= row["val_wer"] and "val_cer_ary" in row and "val_cer_zgh" in row
    assert (smoke_run / "curves" / "curves.png").stat().st_size > 5000
    assert list((smoke_run / "checkpoints").glob("*.ckpt"))
    info = json.loads((smoke_run / "hf" / "awal_training.json").read_text(encoding="utf-8"))
    assert info["languages"] == {"ary": {"whisper_token": "ar", "script": "Arab"},
                                 "zgh": {"whisper_token": "sn", "script": "Latn"}}  # fmt: skip
    # the best is a validated checkpoint, carrying the weights its score was measured on
    best_row = min(val, key=lambda row: row["val_cer"])
    assert info["global_step"] == 24 and info["best"]["step"] == best_row["step"]
    assert info["best"]["val_cer"] == pytest.approx(best_row["val_cer"], abs=1e-6)
    assert Path(info["checkpoint"]).name.startswith("whisper-smoke--best--")
    assert info["train_utts_per_s"] > 0


def test_export_of_the_trained_model_loads_in_faster_whisper(
    smoke_run: Path, corpus: dict[str, Path], tmp_path: Path
) -> None:
    from faster_whisper import WhisperModel

    from awal.asr.evaluate import evaluate_asr
    from awal.asr.export import export_asr
    from awal.asr.folder import read_awal_json
    from awal.asr.train.card import eval_results, write_card
    from awal.audio import load_audio

    out = export_asr(smoke_run / "hf", tmp_path / "model")
    info = read_awal_json(out)
    assert not info.from_registry and info.training_text_profile == "display"
    assert info.whisper_token("zgh") == "sn" and info.language("zgh").default_script == "Latn"
    assert info.language("zgh").scripts[0] == "Latn" and "Tfng" in info.language("zgh").scripts
    assert info.whisper_token("ary") == "ar" and info.language("ary").default_script == "Arab"
    assert info.data and info.data["global_step"] == 24
    assert info.context_bucket_s is None  # the smoke config trains 30-s contexts only

    model = WhisperModel(str(out), device="cpu", compute_type="int8")
    record = json.loads((corpus["zgh"] / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    audio = load_audio(corpus["zgh"] / record["audio_filepath"], sr=16000)
    segments, result = model.transcribe(audio, language="sn", beam_size=1, temperature=0.0)
    list(segments)  # a tiny model: the text is not asserted, the language token is
    assert result.language == "sn"

    (tmp_path / "eval").mkdir()
    report = evaluate_asr(out, corpus["zgh"] / "test.jsonl", progress=False)
    assert report["whisper_tokens"] == {"zgh": "sn"} and report["tokens_from"] == "awal.json"
    assert report["utterances"] > 0 and report["cer"] is not None and report["cer"] >= 0
    (tmp_path / "eval" / "model-zgh.json").write_text(json.dumps(report), encoding="utf-8")
    card = write_card(out, eval_results(tmp_path / "eval"), corpus["zgh"].parent, smoke_run, "run.sh --conf smoke")
    text = card.read_text(encoding="utf-8")
    assert "| zgh | `<|sn|>` | Latn |" in text and "run.sh --conf smoke" in text and "## Limits" in text
    assert json.loads((out / "awal.json").read_text(encoding="utf-8"))["metrics"]["zgh"]["cer"] == report["cer"]
    assert (out / "curves.png").is_file()

    from awal.asr.train.card import bundle

    dest = tmp_path / "bundled"
    assert bundle(out, dest) and (dest / "model.bin").is_file()  # nothing bundled yet: copied
    assert not bundle(out, dest)  # not better than what is bundled: kept


def test_bundling_compares_models_as_they_are_served(tmp_path: Path) -> None:
    """A short-context model counts its ``<lang>_short`` rows (what serving encodes), packed rows
    never count, and a model without short contexts counts its plain rows."""
    from awal.asr.train.card import bundle, mean_cer

    def model(name: str, metrics: dict, context: dict | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        info = {"metrics": metrics, **({"encoder_context": context} if context else {})}
        (folder / "awal.json").write_text(json.dumps(info), encoding="utf-8")
        return folder

    old = model("old", {"ary": {"cer": 0.22}, "zgh": {"cer": 0.26}})
    rows = {"ary": {"cer": 0.15}, "zgh": {"cer": 0.17}, "ary_short": {"cer": 0.25}, "zgh_short": {"cer": 0.29},
            "ary_packed": {"cer": 0.01}}  # fmt: skip
    new = model("new", rows, {"bucket_s": 5.0, "share": 0.8})
    assert mean_cer(old) == pytest.approx(0.24) and mean_cer(new) == pytest.approx(0.27)
    assert not bundle(new, old)  # better at 30 s, worse as served: kept
    plain = model("plain", {"ary": {"cer": 0.2}, "zgh": {"cer": 0.2}, "zgh_packed": {"cer": 0.9}})
    assert mean_cer(plain) == pytest.approx(0.2)


def test_a_killed_run_resumes_from_its_last_checkpoint(corpus: dict[str, Path], tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    overrides = ("trainer.max_steps=40", "trainer.val_check_interval=5", "trainer.limit_val_batches=1",
                 "exp_manager.checkpoint_callback_params.every_n_train_steps=5", "plot_every=1")  # fmt: skip
    cmd = _train_cmd(corpus, exp, *overrides)
    run = _run_dir(exp)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_at = None
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and proc.poll() is None:
            lasts = list((run / "checkpoints").glob("*-last.ckpt")) if (run / "checkpoints").is_dir() else []
            steps = [int(m.group(1)) for p in lasts if (m := re.search(r"step=(\d+)", p.name))]
            if steps and max(steps) >= 10:
                time.sleep(1.0)  # let the save finish
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = max(steps)
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert killed_at is not None, "the run never saved a checkpoint at step >= 10"
    assert not (run / "hf").exists()  # it did not finish

    second = _run(cmd)
    found = re.search(r"Resuming training from checkpoint: (\S+)", second.stdout + second.stderr)
    assert found, "the second run did not resume"
    resumed = int(re.search(r"step=(\d+)", found.group(1)).group(1))
    assert 10 <= resumed <= killed_at
    curves = json.loads((run / "curves" / "curves.json").read_text(encoding="utf-8"))
    assert [row["step"] for row in curves["train"]] == list(range(1, 41))  # no step twice, none lost
    # the second run trained only the steps after the checkpoint it resumed from
    assert [row["step"] for row in curves["train"] if row["run"] == 2] == list(range(resumed + 1, 41))
    info = json.loads((run / "hf" / "awal_training.json").read_text(encoding="utf-8"))
    assert info["global_step"] == 40


@pytest.mark.parametrize(
    "config",
    ["whisper_small_gpu", "whisper_large_v3_turbo_gpu", "base_cpu", "base_cpu_round2", "base_cpu_round3",
     "base_cpu_round4", "base_cpu_round5", "base_gpu"],
)  # fmt: skip
def test_recipe_configs_build_and_run_steps(config: str, corpus: dict[str, Path], tmp_path: Path) -> None:
    """Every shipped config composes and trains 2 steps. The GPU configs run on this CPU with a tiny
    model in place of their hub weights (no network here) and fp32; on a GPU machine they run as
    written (bf16, DDP) in ``test_gpu_configs_on_a_gpu``."""
    sys.path.insert(0, str(Path(__file__).parent))
    from whisper_tiny import build_tiny_whisper

    tiny = build_tiny_whisper(tmp_path / "tiny")
    exp = tmp_path / "exp"
    overrides = [f"model.init_from={tiny}", "trainer.max_steps=2", "trainer.val_check_interval=2",
                 "trainer.limit_val_batches=1", "model.train_ds.batch_size=2", "model.validation_ds.batch_size=2",
                 "model.train_ds.num_workers=0", "model.validation_ds.num_workers=0", "model.val_max_new_tokens=5",
                 ]  # fmt: skip
    if config in ("base_cpu_round3", "base_cpu_round4", "base_cpu_round5"):  # four trainable encoder layers;
        # the tiny model has two
        overrides.append("model.encoder_trainable_layers=1")
    if not config.startswith("base_cpu"):
        overrides += ["trainer.accelerator=cpu", "trainer.devices=1", "trainer.strategy=auto", "trainer.precision=32"]
    _run(_train_cmd(corpus, exp, *overrides, config=config))
    (run,) = [p for p in exp.glob("*/run")]
    info = json.loads((run / "hf" / "awal_training.json").read_text(encoding="utf-8"))
    assert info["global_step"] == 2
    assert info["config"]["name"] == run.parent.name


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or not __import__("torch").cuda.is_available(), reason="needs a GPU"
)
@pytest.mark.parametrize("config", ["whisper_small_gpu", "whisper_large_v3_turbo_gpu", "base_gpu"])
def test_gpu_configs_on_a_gpu(config: str, corpus: dict[str, Path], tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from whisper_tiny import build_tiny_whisper

    tiny = build_tiny_whisper(tmp_path / "tiny")
    overrides = [f"model.init_from={tiny}", "trainer.max_steps=3", "trainer.val_check_interval=3",
                 "trainer.limit_val_batches=1", "model.train_ds.num_workers=0", "model.validation_ds.num_workers=0",
                 "trainer.devices=1"]  # fmt: skip
    _run(_train_cmd(corpus, tmp_path / "exp", *overrides, config=config))


def test_any_checkpoint_becomes_the_same_hf_folder_as_training_writes(smoke_run: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    from awal.asr.train.checkpoint import checkpoint_to_hf

    info = json.loads((smoke_run / "hf" / "awal_training.json").read_text(encoding="utf-8"))
    out = checkpoint_to_hf(info["checkpoint"], tmp_path / "hf")
    ours, theirs = load_file(out / "model.safetensors"), load_file(smoke_run / "hf" / "model.safetensors")
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    again = json.loads((out / "awal_training.json").read_text(encoding="utf-8"))
    assert again["languages"] == info["languages"] and again["global_step"] == info["best"]["step"]
    with pytest.raises(InputError, match="no such checkpoint"):
        checkpoint_to_hf(tmp_path / "nope.ckpt", tmp_path / "x")
