"""The ASR recipe's training entry point (NeMo conventions: Hydra config, Lightning, exp_manager).

    python -m awal.asr.train.train --config-path=$PWD/recipes/asr/whisper/conf --config-name=smoke \\
        model.train_ds.manifest_filepath=... exp_manager.exp_dir=exp

The config has NeMo's three sections: ``trainer`` (Lightning ``Trainer`` arguments: devices,
strategy ddp, precision bf16-mixed, accumulate_grad_batches, max_steps, val_check_interval),
``exp_manager`` (NeMo's experiment manager: the log folder, TensorBoard, the last checkpoint every
N steps for resuming, ``resume_if_exists``; the best by ``val_cer`` is saved at validations only,
by :func:`validation_best`) and ``model`` (:mod:`awal.asr.train.module`,
with ``train_ds`` / ``validation_ds`` NeMo Lhotse data configs, :mod:`awal.asr.train.data`).

At the end, the best checkpoint (lowest ``val_cer``; the last one when there was no validation) is
written as a Hugging Face folder ``<log_dir>/hf`` (what ``awal export asr`` converts), with
``awal_training.json`` (languages, tokens, training scripts, throughput, best metrics); the
training curves are in ``<log_dir>/curves/curves.json`` and ``curves.png`` throughout (a folder, because
NeMo's experiment manager moves the files of the log folder aside when a run resumes).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch

from awal.training.trainer import best_checkpoint, hydra_main, nemo_trainer, validation_best

__all__ = ["main", "train"]

log = logging.getLogger(__name__)


def train(cfg: Any) -> Path:
    """Train with ``cfg`` (the Hydra config); returns the Hugging Face folder of the best model."""
    from omegaconf import OmegaConf, open_dict

    from awal.asr.train.data import WhisperBatches, make_dataloader
    from awal.asr.train.module import WhisperFineTuner

    with open_dict(cfg):
        cfg.trainer.use_distributed_sampler = False  # Lhotse shards by rank itself
        if cfg.get("exp_manager") and cfg.exp_manager.get("checkpoint_callback_params"):
            cfg.exp_manager.checkpoint_callback_params.save_top_k = 0  # its checkpoints: for resuming
    trainer, log_dir, curves = nemo_trainer(cfg, int(cfg.model.get("seed", 0)))
    best_callback = validation_best(cfg, log_dir)
    if best_callback is not None:
        trainer.callbacks.append(best_callback)  # type: ignore[attr-defined]

    module = WhisperFineTuner(cfg.model)
    dataset = WhisperBatches(module.tokenizer, module.plan, int(module.model.config.num_mel_bins),
                             context=module.context)
    train_dl = make_dataloader(cfg.model.train_ds, dataset, trainer.global_rank, trainer.world_size)
    val_cfg = cfg.model.get("validation_ds")
    val_dl = make_dataloader(val_cfg, dataset, trainer.global_rank, trainer.world_size) if val_cfg else None
    started = time.perf_counter()
    trainer.fit(module, train_dataloaders=train_dl, val_dataloaders=val_dl)
    wall = time.perf_counter() - started

    best = best_checkpoint(trainer, best_callback)
    metrics: dict[str, Any] = {}
    if best:
        state = torch.load(best, map_location="cpu", weights_only=False)
        module.load_state_dict(state["state_dict"])
        if best_callback is not None and best_callback.best_model_score is not None:
            metrics[str(best_callback.monitor)] = float(best_callback.best_model_score)
        metrics["step"] = int(state.get("global_step", trainer.global_step))
    out = log_dir / "hf"
    if trainer.is_global_zero:
        module.save_hf(
            out,
            {
                "checkpoint": best,
                "best": metrics,
                "global_step": trainer.global_step,
                "train_utts_per_s": curves.utterances_per_second,
                "wall_seconds_this_run": round(wall, 1),
                "devices": trainer.num_devices,
                "accelerator": type(trainer.accelerator).__name__,
                "train_manifest": str(cfg.model.train_ds.get("manifest_filepath")),
                "config": OmegaConf.to_container(cfg, resolve=True),
            },
        )
        log.info("best model: %s -> %s", best, out)
    return out


def main() -> None:
    hydra_main(train, "recipes/asr/whisper/conf")


if __name__ == "__main__":
    main()
