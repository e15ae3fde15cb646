"""Batches for Whisper fine-tuning: NeMo manifests, read by NeMo's Lhotse data loading.

The recipe's ``train_ds`` / ``validation_ds`` sections are NeMo Lhotse data-loading configs
(``manifest_filepath``, ``batch_size`` or ``batch_duration``, ``use_bucketing``, ``num_buckets``,
``shuffle``, ``max_duration``, ...): :func:`make_dataloader` hands them to
``nemo.collections.common.data.lhotse.get_lhotse_dataloader_from_config``, which reads the
manifests (``audio_filepath``, ``offset``, ``duration``, ``text``, ``lang``), buckets by duration
and shards across DDP ranks. :class:`WhisperBatches` turns each Lhotse ``CutSet`` it samples into
a :class:`WhisperBatch`:

- ``input_features``: the log-mel faster-whisper serves (:func:`awal.asr.features.serving_features`),
  ``(B, n_mels, 3000)``, and ``frames``: how many of them each utterance's encoder pass takes
  (3000, or a short context for a share of the utterances: :class:`EncoderContext`);
- ``decoder_input_ids`` / ``labels``: Whisper's prompt ``<|startoftranscript|><|LANG|><|transcribe|>``
  (``<|notimestamps|>`` unless timestamps are on) then the text then ``<|endoftext|>``; the labels
  are the inputs shifted by one, with the padding and the task tokens masked (``-100``) so the loss
  covers the language token (``language_id``: the decoder learns to say which of the trained
  languages it hears, which ``language=auto`` relies on; without it fine-tuning erases Whisper's
  language identification), the text and the end token. ``LANG`` is the Whisper token of the
  utterance's ``lang`` (:class:`TokenPlan`, from the registry unless the config overrides it);
- the text is first written in the language's *training script* (Tamazight: IRCAM Latin, about four
  times fewer BPE tokens than Tifinagh; see docs/models.md), through :mod:`awal.text.translit`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from awal.errors import InputError
from awal.languages import get_language
from awal.text.scripts import dominant_script
from awal.text.translit import converter

__all__ = [
    "TIME_PRECISION",
    "EncoderContext",
    "TokenPlan",
    "WhisperBatch",
    "WhisperBatches",
    "make_dataloader",
    "utterance_key",
]


@dataclass(frozen=True)
class EncoderContext:
    """Which utterances train with a short encoder context (:func:`awal.asr.features.context_frames`).

    A share ``share`` of the utterances, chosen by a hash of their key (always the same ones, so a
    frozen encoder's cached outputs stay valid), is encoded with ``bucket_s`` contexts; the rest
    with faster-whisper's 30 s. The model so learns both: the short one that the streaming engine
    and batched transcription use, the full one that faster-whisper's own ``transcribe`` uses.
    """

    bucket_s: float | None = None
    share: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise InputError(f"encoder_context.share must be in [0, 1], got {self.share}")
        if self.share > 0 and not (self.bucket_s and self.bucket_s > 0):
            raise InputError("encoder_context.share needs a positive encoder_context.bucket_s")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> EncoderContext:
        cfg = cfg or {}
        bucket = cfg.get("bucket_s")
        return cls(float(bucket) if bucket else None, float(cfg.get("share", 0.0) or 0.0))

    def frames(self, key: str, n_samples: int) -> int:
        from awal.asr.features import N_FRAMES, context_frames

        if not self.share:
            return N_FRAMES
        draw = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 2**32
        return context_frames(n_samples, self.bucket_s) if draw < self.share else N_FRAMES

#: Seconds per Whisper timestamp token (``<|0.02|>`` ...).
TIME_PRECISION = 0.02
_IGNORE = -100


def utterance_key(audio_path: str, offset: float, duration: float) -> str:
    """A stable name for one utterance's audio (the encoder cache is keyed by it)."""
    raw = f"{audio_path}\0{offset:.4f}\0{duration:.4f}".encode()
    return hashlib.sha1(raw).hexdigest()


@dataclass(frozen=True)
class TokenPlan:
    """How utterances become token ids: the language tokens, the training script per language.

    Attributes:
        whisper_tokens: awal code -> Whisper language code (``{"ary": "ar", "zgh": "sn"}``).
        scripts: awal code -> the script its text is written in for training (``"Latn"``).
        timestamps: predict ``<|0.00|> text <|t_end|>`` instead of ``<|notimestamps|> text``.
        max_label_tokens: utterances whose labels are longer are refused (Whisper's decoder has
            448 positions).
        language_id: the language token is a target (predicted from ``<|startoftranscript|>``).
    """

    whisper_tokens: Mapping[str, str]
    scripts: Mapping[str, str] = field(default_factory=dict)
    timestamps: bool = False
    max_label_tokens: int = 448
    language_id: bool = True

    @classmethod
    def from_config(cls, languages: Mapping[str, Any], timestamps: bool = False, language_id: bool = True) -> TokenPlan:
        """From the config's ``languages`` section: ``{ary: {whisper_token: ar, script: Arab}, ...}``;
        a missing token or script takes the registry's."""
        tokens: dict[str, str] = {}
        scripts: dict[str, str] = {}
        for code, entry in languages.items():
            language = get_language(code)
            entry = entry or {}
            tokens[language.code] = str(entry.get("whisper_token") or language.whisper_token)
            script = str(entry.get("script") or language.default_script)
            if script not in language.scripts:
                raise InputError(f"language {language.code}: script {script!r} is not one of {language.scripts}")
            scripts[language.code] = script
        if not tokens:
            raise InputError("the config lists no languages")
        return cls(tokens, scripts, timestamps, language_id=language_id)

    def language_of(self, lang: str | None) -> str:
        """The config's code for an utterance's ``lang`` (a variety falls back to its family)."""
        if not lang:
            raise InputError(f"an utterance has no lang; the model trains {sorted(self.whisper_tokens)}")
        language = get_language(lang)
        for code in (language.code, language.family):
            if code in self.whisper_tokens:
                return code
        trained = sorted(self.whisper_tokens)
        raise InputError(f"an utterance is in {lang!r}, which the config does not train ({trained})")

    def training_text(self, text: str, lang: str) -> str:
        """``text`` in the training script of ``lang`` (unchanged when already in it)."""
        code = self.language_of(lang)
        script = self.scripts.get(code, get_language(code).default_script)
        if dominant_script(text) in (script, "Zyyy", None):
            return text
        convert = converter(code, script)
        if convert is None:
            raise InputError(f"{code}: its text cannot be written in {script}, the config's training script")
        return convert(text)

    def prompt_ids(self, tokenizer: Any, lang: str) -> list[int]:
        """``<|startoftranscript|><|LANG|><|transcribe|>[<|notimestamps|>]`` as ids."""
        code = self.language_of(lang)
        names = ["<|startoftranscript|>", f"<|{self.whisper_tokens[code]}|>", "<|transcribe|>"]
        if not self.timestamps:
            names.append("<|notimestamps|>")
        ids = tokenizer.convert_tokens_to_ids(names)
        unknown = [n for n, i in zip(names, ids) if i is None or i == tokenizer.unk_token_id]
        if unknown:
            raise InputError(f"the tokenizer has no {', '.join(unknown)}")
        return [int(i) for i in ids]

    def sequence(self, tokenizer: Any, text: str, lang: str, duration: float) -> tuple[list[int], int]:
        """(prompt + text + end ids, prompt length) of one utterance."""
        prompt = self.prompt_ids(tokenizer, lang)
        body = tokenizer.encode(" " + self.training_text(text, lang).strip(), add_special_tokens=False)
        if self.timestamps:
            end = min(round(duration / TIME_PRECISION) * TIME_PRECISION, 30.0)
            first, last = tokenizer.convert_tokens_to_ids(["<|0.00|>", f"<|{end:.2f}|>"])
            body = [int(first), *body, int(last)]
        ids = [*prompt, *body, int(tokenizer.eos_token_id)]
        if len(ids) - 1 > self.max_label_tokens:
            raise InputError(f"{len(ids)} tokens: longer than the decoder's {self.max_label_tokens} positions")
        return ids, len(prompt)


@dataclass
class WhisperBatch:
    """One mini-batch. ``keys`` name each utterance's audio (:func:`utterance_key`)."""

    input_features: Any  # torch.Tensor (B, n_mels, 3000), zero after each utterance's frames
    decoder_input_ids: Any  # torch.LongTensor (B, T)
    labels: Any  # torch.LongTensor (B, T), -100 where masked
    prompt_lengths: list[int]
    keys: list[str]
    langs: list[str]
    texts: list[str]  # the reference text, in the training script
    frames: list[int] = field(default_factory=list)  # each one's encoder input length (empty: 3000)

    def __len__(self) -> int:
        return len(self.keys)


def collate(
    items: Sequence[tuple[np.ndarray, str, str, float, str]],
    tokenizer: Any,
    plan: TokenPlan,
    n_mels: int,
    context: EncoderContext | None = None,
) -> WhisperBatch:
    """Features and token ids of ``(audio_16k, text, lang, duration, key)`` items."""
    import torch

    from awal.asr.features import serving_features

    features = np.stack([serving_features(audio, n_mels) for audio, *_ in items])
    seqs, prompts, langs, texts = [], [], [], []
    for _, text, lang, duration, _ in items:
        ids, n_prompt = plan.sequence(tokenizer, text, lang, duration)
        seqs.append(ids)
        prompts.append(n_prompt)
        langs.append(plan.language_of(lang))
        texts.append(plan.training_text(text, lang))
    width = max(len(s) for s in seqs) - 1
    pad = int(tokenizer.eos_token_id)
    inputs = np.full((len(seqs), width), pad, dtype=np.int64)
    labels = np.full((len(seqs), width), _IGNORE, dtype=np.int64)
    for row, (ids, n_prompt) in enumerate(zip(seqs, prompts)):
        inputs[row, : len(ids) - 1] = ids[:-1]
        labels[row, n_prompt - 1 : len(ids) - 1] = ids[n_prompt:]
        if plan.language_id:
            labels[row, 0] = ids[1]  # <|startoftranscript|> -> <|LANG|>
    return WhisperBatch(
        input_features=torch.from_numpy(features),
        decoder_input_ids=torch.from_numpy(inputs),
        labels=torch.from_numpy(labels),
        prompt_lengths=prompts,
        keys=[key for *_, key in items],
        langs=langs,
        texts=texts,
        frames=[(context or EncoderContext()).frames(key, len(audio)) for audio, *_, key in items],
    )


class WhisperBatches:
    """A Lhotse-style dataset: ``CutSet -> WhisperBatch`` (no data of its own)."""

    def __init__(self, tokenizer: Any, plan: TokenPlan, n_mels: int = 80, sample_rate: int = 16000,
                 context: EncoderContext | None = None) -> None:  # fmt: skip
        self.tokenizer = tokenizer
        self.plan = plan
        self.context = context or EncoderContext()
        self.n_mels = n_mels
        self.sample_rate = sample_rate

    def __getitem__(self, cuts: Any) -> WhisperBatch:
        items = []
        for cut in cuts:
            if cut.sampling_rate != self.sample_rate:
                cut = cut.resample(self.sample_rate)
            audio = cut.load_audio()
            audio = audio.mean(axis=0) if audio.ndim == 2 else audio
            sup = cut.supervisions[0]
            source = cut.recording.sources[0].source if cut.has_recording else cut.id
            offset = float(getattr(cut, "start", 0.0))
            items.append((audio.astype(np.float32), sup.text or "", sup.language, float(cut.duration),
                          utterance_key(str(source), offset, float(cut.duration))))  # fmt: skip
        return collate(items, self.tokenizer, self.plan, self.n_mels, self.context)


def make_dataloader(config: Any, dataset: WhisperBatches, global_rank: int = 0, world_size: int = 1) -> Any:
    """NeMo's Lhotse data loader over the manifests of ``config`` (a NeMo dataset config)."""
    from nemo.collections.common.data.lhotse import get_lhotse_dataloader_from_config
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(config, resolve=True) if OmegaConf.is_config(config) else config
    if not isinstance(raw, Mapping):
        raise InputError(f"a dataset config must be a mapping, got {type(raw).__name__}")
    cfg: dict[str, Any] = {str(k): v for k, v in raw.items()}
    cfg.setdefault("use_lhotse", True)
    return get_lhotse_dataloader_from_config(cfg, global_rank=global_rank, world_size=world_size, dataset=dataset)
