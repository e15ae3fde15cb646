"""A Lightning checkpoint of the recipe -> the Hugging Face folder ``awal export asr`` reads.

Training writes ``<run>/hf`` from its best checkpoint when it ends; this does the same for any
``.ckpt`` of a run, finished or not (the best so far, the last, one in between)::

    python -m awal.asr.train.checkpoint RUN/best/whisper-base-awal--best--val_cer=0.1920-step=480.ckpt --out hf/
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from awal.errors import InputError

__all__ = ["checkpoint_to_hf"]


def checkpoint_to_hf(checkpoint: str | Path, out_dir: str | Path) -> Path:
    """Rebuild the module from the checkpoint's saved config, load its weights, write ``out_dir``."""
    import torch
    from omegaconf import OmegaConf

    from awal.asr.train.module import WhisperFineTuner

    path = Path(checkpoint)
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    state = torch.load(path, map_location="cpu", weights_only=False)
    if "state_dict" not in state or "hyper_parameters" not in state:
        raise InputError(f"{path}: not a checkpoint of the ASR recipe (no state_dict / hyper_parameters)")
    cfg = OmegaConf.create(dict(state["hyper_parameters"]))
    cfg.encoder_cache = None  # only training reads it
    module = WhisperFineTuner(cfg)
    module.load_state_dict(state["state_dict"])
    step = int(state.get("global_step", 0))
    best: dict = {"step": step}
    curves = path.parent.parent / "curves" / "curves.json"  # <run>/{best,checkpoints}/x.ckpt -> <run>/curves/
    rate = None
    if curves.is_file():
        import json

        data = json.loads(curves.read_text(encoding="utf-8"))
        best.update({k: v for row in data.get("val", []) if row.get("step") == step for k, v in row.items()})
        rate = data.get("utts_per_s")
    config = {"name": path.parents[2].name, "model": OmegaConf.to_container(cfg, resolve=True)}
    summary = {"checkpoint": str(path.resolve()), "global_step": step, "best": best, "train_utts_per_s": rate,
               "config": config}  # fmt: skip
    return module.save_hf(out_dir, summary)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.asr.train.checkpoint", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a .ckpt of the recipe's training")
    parser.add_argument("--out", required=True, help="the Hugging Face folder to write")
    args = parser.parse_args(argv)
    try:
        print(checkpoint_to_hf(args.checkpoint, args.out))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
