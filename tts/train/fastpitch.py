"""The TTS recipe's FastPitch training entry point (NeMo conventions: Hydra config, Lightning, exp_manager).

    python -m awal.tts.train.fastpitch --config-path=$PWD/recipes/tts/fastpitch_hifigan/conf/fastpitch \\
        --config-name=smoke lang=zgh train_dataset=... validation_datasets=... sup_data_path=... \\
        exp_manager.exp_dir=exp

The config is NeMo's FastPitch config (``model``: NeMo's ``FastPitchModel`` with the learned
aligner; ``trainer``; ``exp_manager``: the log folder, TensorBoard, checkpoints, resume) plus:

- ``lang``: the voice's language. Its symbol set (:func:`awal.tts.frontend.symbol_set`) becomes the
  tokenizer's characters (:func:`resolve`), so training and the runtime share one inventory.
- ``pitch_mean`` / ``pitch_std``: null reads them from ``<sup_data_path>/pitch_stats.json``
  (stage 1, :mod:`awal.tts.train.supdata`).
- ``init_from``: a FastPitch ``.nemo`` or Lightning ``.ckpt`` to fine-tune from.

At the end the model is saved as ``<log_dir>/<name>.nemo`` (what stage 3 reads for mels and what
``awal export tts`` converts) and the curves are in ``<log_dir>/curves/``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

# The aligner's monotonic alignment search runs in numba's parallel loops, whose OpenMP workers
# spin after every step: on a CPU they take a core from the training (measured on this project's
# 2-core machine: two FastPitch runs side by side went 3-6x slower a step). Set before numba loads.
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["main", "resolve", "token_list", "train"]

log = logging.getLogger(__name__)

PITCH_STATS = "pitch_stats.json"


def resolve(cfg: Any) -> Any:
    """Fill what the config leaves to the recipe: the tokenizer's characters from ``lang`` and the
    pitch statistics from ``<sup_data_path>/pitch_stats.json`` (when null)."""
    from omegaconf import open_dict

    from awal.errors import InputError
    from awal.tts.frontend import symbol_set

    symbols = symbol_set(str(cfg.lang))
    with open_dict(cfg):
        # symbols: <pad>, space, then punctuation and letters; NeMo adds space first and pad/oov last
        cfg.model.text_tokenizer.chars = "".join(symbols.symbols[2:])
        cfg.model.symbol_set = symbols.name
        cfg.model.lang = str(cfg.lang)
        if cfg.get("pitch_mean") is None or cfg.get("pitch_std") is None:
            path = Path(str(cfg.sup_data_path)) / PITCH_STATS
            if not path.is_file():
                raise InputError(f"{path}: no pitch statistics; run stage 1 (python -m awal.tts.train.supdata)")
            stats = json.loads(path.read_text(encoding="utf-8"))
            cfg.pitch_mean, cfg.pitch_std = float(stats["pitch_mean"]), float(stats["pitch_std"])
    return cfg


def token_list(model: Any) -> list[str]:
    """The model's tokens in id order (NeMo's tokenizer: space, the characters, padding, OOV)."""
    return list(model.vocab.tokens)


def _load_init(model: Any, init_from: str) -> None:
    import torch

    from awal.errors import InputError

    path = Path(init_from)
    if path.suffix == ".nemo":
        from nemo.collections.tts.models import FastPitchModel

        state = FastPitchModel.restore_from(str(path), map_location="cpu").state_dict()
    elif path.suffix == ".ckpt":
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    else:
        raise InputError(f"init_from={init_from!r}: give a FastPitch .nemo or .ckpt")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if not k.startswith("preprocessor")]:
        raise InputError(f"init_from={init_from}: weights do not fit "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]})")


def train(cfg: Any) -> Path:
    """Train FastPitch with ``cfg``; returns the ``.nemo`` file written at the end."""
    from nemo.collections.tts.models import FastPitchModel

    from awal.training.trainer import fit_and_save, nemo_trainer

    cfg = resolve(cfg)
    trainer, log_dir, curves = nemo_trainer(cfg, int(cfg.get("seed", 0)),
                                            extra_metrics=("t_mel_loss", "t_dur_loss", "t_pitch_loss", "t_ctc_loss"))
    model = FastPitchModel(cfg=cfg.model, trainer=trainer)
    if cfg.get("init_from"):
        _load_init(model, str(cfg.init_from))
    details = {"lang": str(cfg.lang), "symbol_set": str(cfg.model.symbol_set), "tokens": token_list(model),
               "pitch_mean": float(cfg.pitch_mean), "pitch_std": float(cfg.pitch_std)}  # fmt: skip
    out = fit_and_save(trainer, model, log_dir, curves, kind="fastpitch", name=str(cfg.name),
                       train_manifest=str(cfg.train_dataset), details=details)  # fmt: skip
    log.info("FastPitch: %s", out)
    return out


def main() -> None:
    from awal.training.trainer import hydra_main

    hydra_main(train, "recipes/tts/fastpitch_hifigan/conf/fastpitch")


if __name__ == "__main__":
    main()
