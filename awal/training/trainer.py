"""The training set-up the recipes share (NeMo conventions: Hydra config, Lightning, exp_manager).

:func:`nemo_trainer` builds what every entry point of the ASR and TTS recipes starts from: the seed,
the CPU threads, a Lightning ``Trainer`` from the config's ``trainer`` section with NeMo's
``exp_manager`` (the log folder, TensorBoard, the last checkpoint every N steps for resuming,
``resume_if_exists``), and :class:`ThroughputAndCurves` (loss, learning rate, utterances/s, peak GPU
memory and validation metrics per step, in ``<log_dir>/curves/curves.json`` and ``curves.png``: a
folder, because the experiment manager moves the files of the log folder aside when a run resumes).
:func:`validation_best` keeps the best model at validations only.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

__all__ = [
    "ThroughputAndCurves",
    "best_checkpoint",
    "fit_and_save",
    "hydra_main",
    "nemo_trainer",
    "plot_curves",
    "validation_best",
]

log = logging.getLogger(__name__)


def batch_size(batch: Any) -> int:
    """Utterances in a batch: the ASR recipe's batches have a length; NeMo's TTS batches are tuples
    (or dicts) of tensors whose first dimension is the batch."""
    if isinstance(batch, dict):
        batch = list(batch.values())
    if isinstance(batch, (tuple, list)):
        return int(batch[0].shape[0])
    return len(batch)


class ThroughputAndCurves(pl.Callback):
    """Records training loss, learning rate, utterances/s and validation metrics per step;
    writes ``curves.json`` and ``curves.png`` in ``folder`` (kept across resumed runs). Both
    recipes use it (ASR, and TTS: :mod:`awal.tts.train.fastpitch`, :mod:`awal.tts.train.hifigan`)."""

    def __init__(self, folder: str | Path, plot_every: int = 50, loss_metric: str | None = None,
                 extra_metrics: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.folder = Path(folder)
        self.plot_every = plot_every
        #: the logged metric that is the loss when training_step returns none (manual optimization)
        self.loss_metric = loss_metric
        #: logged metrics recorded beside the loss (e.g. FastPitch's mel loss)
        self.extra_metrics = extra_metrics
        self.train: list[dict[str, float]] = []
        self.val: list[dict[str, float]] = []
        self._t0: float | None = None
        self._utts = 0
        self._seconds = 0.0
        self.run = 1  # 2 for the first resumption, ...
        self._resumed = False

    @property
    def path(self) -> Path:
        return self.folder / "curves.json"

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._resumed = False

    def _resume(self, trainer: pl.Trainer) -> None:
        """Keep the rows of earlier runs up to the step this one resumed from (known only once
        the first batch starts: Lightning restores the loops after the fit hooks)."""
        self._resumed = True
        if self.path.is_file():
            old = json.loads(self.path.read_text(encoding="utf-8"))
            step = trainer.global_step
            self.train = [r for r in old.get("train", []) if r["step"] <= step]
            self.val = [r for r in old.get("val", []) if r["step"] <= step]
            self.run = 1 + max((int(r.get("run", 1)) for r in old.get("train", [])), default=0)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if not self._resumed:
            self._resume(trainer)
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self._t0 is not None and batch_idx > 0:  # the first batch pays for warm-up
            if pl_module.device.type == "cuda":  # the step's kernels are queued, not done
                torch.cuda.synchronize(pl_module.device)
            self._seconds += time.perf_counter() - self._t0
            self._utts += batch_size(batch)
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is None and self.loss_metric:
            loss = trainer.callback_metrics.get(self.loss_metric)
        if loss is None:
            return
        row = {
            "step": trainer.global_step,
            "run": self.run,
            "loss": float(loss),
            "lr": trainer.optimizers[0].param_groups[-1]["lr"],
        }
        row.update({k: float(v) for k in self.extra_metrics if (v := trainer.callback_metrics.get(k)) is not None})
        if self._seconds > 0:
            row["utts_per_s"] = self._utts / self._seconds
        self.train.append(row)
        if trainer.global_step % self.plot_every == 0:
            self.write(trainer)

    @property
    def utterances_per_second(self) -> float | None:
        return self._utts / self._seconds if self._seconds > 0 else None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        if metrics:
            self.val.append({"step": trainer.global_step, **metrics})
        self.write(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        self.write(trainer)

    def write(self, trainer: pl.Trainer) -> None:
        if not trainer.is_global_zero:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {"train": self.train, "val": self.val, "utts_per_s": self.utterances_per_second}
        if (gpu := gpu_memory()) is not None:
            data["gpu"] = gpu
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
        tmp.replace(self.path)
        try:
            plot_curves(data, self.folder / "curves.png")
        except ImportError:  # matplotlib is in the train extra; a bare install still trains
            pass


def gpu_memory() -> dict[str, Any] | None:
    """This process's peak GPU memory (GiB: allocated by tensors, reserved by PyTorch's caching
    allocator) and the device's name, or ``None`` when it has used no GPU."""
    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    gib = 1024**3
    return {
        "device": torch.cuda.get_device_name(),
        "peak_allocated_gib": round(torch.cuda.max_memory_allocated() / gib, 2),
        "peak_reserved_gib": round(torch.cuda.max_memory_reserved() / gib, 2),
    }


def plot_curves(data: dict[str, Any], out: Path) -> None:
    """Training loss (and learning rate) and validation CER/WER against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(11, 4))
    train = data["train"]
    if train:
        steps = [r["step"] for r in train]
        losses = [r["loss"] for r in train]
        ax_loss.plot(steps, losses, lw=0.6, alpha=0.4, label="train loss")
        k = max(1, len(losses) // 50)
        smooth = [sum(losses[max(0, i - k) : i + 1]) / len(losses[max(0, i - k) : i + 1]) for i in range(len(losses))]
        ax_loss.plot(steps, smooth, lw=1.5, label="train loss (smoothed)")
        ax_lr = ax_loss.twinx()
        ax_lr.plot(steps, [r["lr"] for r in train], color="grey", lw=0.8, ls="--")
        ax_lr.set_ylabel("learning rate", color="grey")
    val = data["val"]
    if val:
        vsteps = [r["step"] for r in val]
        if any("val_loss" in r for r in val):
            ax_loss.plot(vsteps, [r.get("val_loss", math.nan) for r in val], "o-", label="val loss")
        for key in sorted({k for r in val for k in r if k.startswith(("val_cer", "val_wer"))}):
            ax_val.plot(vsteps, [100 * r.get(key, math.nan) for r in val], "o-", label=key)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss")
    ax_loss.legend(loc="upper right", fontsize=8)
    ax_val.set_xlabel("step")
    ax_val.set_ylabel("%")
    ax_val.set_title("validation (greedy decoding)")
    if val:
        ax_val.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def validation_best(cfg: Any, log_dir: Path) -> pl.callbacks.ModelCheckpoint | None:
    """The checkpoint callback that keeps the best model: saved at validations only, so that the
    checkpoint carries the weights its score was measured on (exp_manager's checkpoints, saved every
    ``every_n_train_steps`` for resuming, would carry the score of an earlier validation). It writes
    ``<run>/best/<name>--best--val_cer=...-step=N.ckpt``."""
    params = (cfg.get("exp_manager") or {}).get("checkpoint_callback_params") or {}
    monitor = params.get("monitor")
    if not monitor:
        return None
    return pl.callbacks.ModelCheckpoint(
        dirpath=log_dir / "best",  # not exp_manager's folder: on resuming it prunes what it finds there
        filename=f"{cfg.get('name', 'model')}--best--{{{monitor}:.4f}}-{{step}}",
        monitor=monitor,
        mode=params.get("mode", "min"),
        save_top_k=1,
        save_last=False,
        save_on_train_epoch_end=False,  # on validation end: every validation, whatever the epoch
    )


def best_checkpoint(trainer: pl.Trainer, best: pl.callbacks.ModelCheckpoint | None) -> str | None:
    """The best validated checkpoint; the last resume checkpoint when there was no validation."""
    if best is not None and best.best_model_path and Path(best.best_model_path).is_file():
        return str(best.best_model_path)
    callback = trainer.checkpoint_callback
    last = getattr(callback, "last_model_path", "") if callback is not None else ""
    return str(last) if last and Path(last).is_file() else None


def nemo_trainer(cfg: Any, seed: int, **curve_options: Any) -> tuple[pl.Trainer, Path, ThroughputAndCurves]:
    """NeMo's training set-up, shared by the ASR and TTS entry points: the seed, the CPU threads
    (``threads``), a Lightning ``Trainer`` from ``cfg.trainer`` whose loggers and checkpoint callback
    ``exp_manager`` makes, the log folder, and the curves callback (``curve_options``: see
    :class:`ThroughputAndCurves`) in ``<log_dir>/curves``."""
    from nemo.utils.exp_manager import exp_manager
    from omegaconf import OmegaConf, open_dict

    pl.seed_everything(seed, workers=True)
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    with open_dict(cfg):
        cfg.trainer.logger = False  # exp_manager creates the loggers
        cfg.trainer.enable_checkpointing = False  # exp_manager creates the checkpoint callback
    trainer = pl.Trainer(**OmegaConf.to_container(cfg.trainer, resolve=True))  # type: ignore[arg-type]
    log_dir = Path(exp_manager(trainer, cfg.get("exp_manager")))
    # a folder: on resumption NeMo's exp_manager moves the files of the log folder to run_N/
    curves = ThroughputAndCurves(log_dir / "curves", plot_every=int(cfg.get("plot_every", 50)), **curve_options)
    trainer.callbacks.append(curves)  # type: ignore[attr-defined]
    return trainer, log_dir, curves


def fit_and_save(trainer: pl.Trainer, model: Any, log_dir: Path, curves: ThroughputAndCurves, *, kind: str,
                 name: str, train_manifest: str, details: Mapping[str, Any]) -> Path:  # fmt: skip
    """Fit a NeMo model (the TTS recipe's FastPitch and HiFi-GAN), save it as ``<log_dir>/<name>.nemo``
    and write its training summary (:mod:`awal.training.metadata`, ``kind`` with ``details``) beside
    it; returns the ``.nemo``."""
    from awal.training.metadata import TrainingSummary, write_summary

    started = time.perf_counter()
    trainer.fit(model)
    out = log_dir / f"{name}.nemo"
    if trainer.is_global_zero:
        model.save_to(str(out))
        wall = round(time.perf_counter() - started, 1)
        write_summary(log_dir, TrainingSummary(kind, trainer.global_step, train_manifest, curves.utterances_per_second,
                                               wall, str(out), dict(details)))  # fmt: skip
    return out


def hydra_main(task: Callable[[Any], object], recipe_conf: str, argv: list[str] | None = None) -> None:
    """Run ``task(cfg)`` under NeMo's Hydra runner with the config the command line names.

    The recipe's ``run.sh`` gives ``--config-path`` (its ``conf`` folder, absolute) and
    ``--config-name``: entry points never look for configs relative to their own file (an installed
    awal has no recipes). ``recipe_conf`` (``recipes/asr/whisper/conf``) is named in the error when
    either is missing.
    """
    args = sys.argv[1:] if argv is None else argv
    named = {flag for arg in args for flag in ("--config-path", "-cp", "--config-name", "-cn") if arg.startswith(flag)}
    if not {"--help", "--hydra-help"} & set(args) and not (named & {"--config-path", "-cp"}
                                                              and named & {"--config-name", "-cn"}):  # fmt: skip
        raise SystemExit(f"give the recipe's config: --config-path=$PWD/{recipe_conf} --config-name=NAME "
                         "(the recipe's run.sh gives both)")  # fmt: skip
    from nemo.core.config import hydra_runner

    def run(cfg: Any) -> None:
        task(cfg)

    hydra_runner(config_path=None, config_name=None)(run)()

