"""A tiny, randomly initialized Whisper of the real architecture, for tests.

:func:`build_tiny_whisper` writes a Hugging Face ``WhisperForConditionalGeneration`` folder
(``save_pretrained`` layout) that everything downstream accepts as if it were a fine-tuned
checkpoint: CTranslate2's converter (``awal export asr``), faster-whisper once converted, and
``transformers`` for training. It has Whisper's real multilingual tokenizer (the 51,865-token
byte-level BPE of ``whisper-base``, so language tokens such as ``<|ar|>`` have their real ids)
and the generation settings faster-whisper needs (``suppress_tokens``, ``begin_suppress_tokens``,
``lang_to_id``, ``alignment_heads``, ...; see DESIGN.md, "Seen working on these machines"), but
only 2 + 2 layers of width 64: it builds and saves in under a second once transformers is imported
(~15 MB, seeded: the same seed gives the same bytes). Its weights are random, so
what it transcribes is garbage: tests assert on the pipeline, never on the text.

    from whisper_tiny import build_tiny_whisper                # tests/ is on sys.path under pytest
    checkpoint = build_tiny_whisper(tmp_path / "tiny")        # -> Path, ~15 MB
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["TINY_DIMS", "build_tiny_whisper"]

#: The architecture: Whisper's (80 mel bins, 1500 encoder and 448 decoder positions, the full
#: vocabulary), shrunk in width and depth.
TINY_DIMS: dict[str, int] = {
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 256,
    "decoder_ffn_dim": 256,
    "num_mel_bins": 80,
    "max_source_positions": 1500,
    "max_target_positions": 448,
    "vocab_size": 51865,
}


def _whisper_base_files() -> tuple[Path, dict]:
    """``tokenizer.json`` of the installed whisper-base, and its CTranslate2 ``config.json``."""
    from asr.model import WHISPER_BASE, resolve_model

    folder = Path(resolve_model(WHISPER_BASE))
    return folder / "tokenizer.json", json.loads((folder / "config.json").read_text(encoding="utf-8"))


def build_tiny_whisper(out_dir: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Write a tiny random Whisper (model, tokenizer, feature extractor) to ``out_dir``.

    The same ``seed`` gives the same weights. Returns ``Path(out_dir)``.
    """
    import torch
    from transformers import (  # type: ignore[attr-defined]
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )

    out = Path(out_dir)
    tokenizer_file, ct2_config = _whisper_base_files()
    added = json.loads(tokenizer_file.read_text(encoding="utf-8"))["added_tokens"]
    ids = {tok["content"]: int(tok["id"]) for tok in added}
    id_to_token = {i: t for t, i in ids.items()}
    eot, sot = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    suppress = [int(i) for i in ct2_config["suppress_ids"]]
    begin_suppress = [int(i) for i in ct2_config["suppress_ids_begin"]]
    layers, heads = TINY_DIMS["decoder_layers"], TINY_DIMS["decoder_attention_heads"]

    config = WhisperConfig(
        **TINY_DIMS,
        activation_function="gelu",
        scale_embedding=False,
        tie_word_embeddings=True,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=sot,
        suppress_tokens=suppress,
        begin_suppress_tokens=begin_suppress,
    )
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=sot,
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        max_length=TINY_DIMS["max_target_positions"],
        suppress_tokens=suppress,
        begin_suppress_tokens=begin_suppress,
        # Whisper's convention when none were measured: every head of the last half of the layers.
        alignment_heads=[[layer, head] for layer in range(layers // 2, layers) for head in range(heads)],
        lang_to_id={id_to_token[i]: int(i) for i in sorted(ct2_config["lang_ids"])},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        is_multilingual=True,
        no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"],
        max_initial_timestamp_index=50,
        return_timestamps=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    WhisperTokenizerFast(tokenizer_file=str(tokenizer_file)).save_pretrained(out)
    WhisperFeatureExtractor(feature_size=TINY_DIMS["num_mel_bins"]).save_pretrained(out)
    return out
