"""A tiny, randomly initialized Whisper of the real architecture, for tests.

:func:`build_tiny_whisper` writes a Hugging Face ``WhisperForConditionalGeneration`` folder
(``save_pretrained`` layout) that everything downstream accepts as if it were a fine-tuned
checkpoint: CTranslate2's converter (``awal export asr``), faster-whisper once converted, and
``transformers`` for training. It has Whisper's real multilingual tokenizer (the 51,865-token
byte-level BPE of ``whisper-base``, so language tokens such as ``<|ar|>`` have their real ids)
and the generation settings faster-whisper needs (``suppress_tokens``, ``begin_suppress_tokens``,
``lang_to_id``, ``alignment_heads``, ...; see DESIGN.md, "Seen working on these machines"), but
only 2 + 2 layers of width 64 (~15 MB, seeded: the same seed gives the same weights). It is built by
the training code's own ``write_random_whisper`` from whisper-base's Hugging Face conversion (made once
per cache, seconds afterwards). Its weights are random, so
what it transcribes is garbage: tests assert on the pipeline, never on the text.

    from whisper_tiny import build_tiny_whisper                # tests/ is on sys.path under pytest
    checkpoint = build_tiny_whisper(tmp_path / "tiny")        # -> Path, ~15 MB
"""

from __future__ import annotations

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


def build_tiny_whisper(out_dir: str | os.PathLike[str], *, seed: int = 0) -> Path:
    """Write a tiny random Whisper (model, tokenizer, feature extractor) to ``out_dir``.

    The same ``seed`` gives the same weights. Returns ``Path(out_dir)``. The model is what the
    recipe's smoke config trains (``awal.asr.train.module.load_whisper_hf`` with no ``init_from``).
    """
    from awal.asr.train.module import write_random_whisper

    return write_random_whisper(out_dir, TINY_DIMS, seed)
