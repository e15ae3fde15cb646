"""Stage 1 of the TTS recipe: supplementary data for FastPitch, computed once and cached.

    python -m awal.tts.train.supdata --config-path=$PWD/conf/fastpitch --config-name=smoke lang=zgh \\
        train_dataset=... validation_datasets=... sup_data_path=...

Reads the same config as training and goes once through NeMo's ``TTSDataset`` over the training
and validation manifests, which computes and caches (under ``sup_data_path``) each utterance's
pitch contour (librosa's pYIN between ``pitch_fmin`` and ``pitch_fmax``; the alignment priors
are made during training, from an in-memory cache of popular sizes); then writes
``<sup_data_path>/pitch_stats.json``: the mean and standard deviation of the voiced frames'
pitch over the training set, which training normalizes pitch with. The utterances are processed
in ``supdata_workers`` processes (default: one per core).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["compute_pitch_stats", "main"]


def compute_pitch_stats(cfg: Any) -> dict[str, float]:
    import hydra
    from nemo.collections.tts.data.dataset import TTSDataset
    from omegaconf import OmegaConf, open_dict
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    from awal.tts.frontend import symbol_set
    from awal.tts.train.fastpitch import PITCH_STATS

    with open_dict(cfg):
        cfg.model.text_tokenizer.chars = "".join(symbol_set(str(cfg.lang)).symbols[2:])
    tokenizer = hydra.utils.instantiate(cfg.model.text_tokenizer)
    workers = int(cfg.get("supdata_workers") or 0) or (os.cpu_count() or 1)
    values: list[np.ndarray] = []
    utterances = 0
    for key in ("train_ds", "validation_ds"):
        container = OmegaConf.to_container(cfg.model[key].dataset, resolve=True)
        assert isinstance(container, dict)
        params: dict[str, Any] = {str(k): v for k, v in container.items() if k != "_target_"}
        params.update(pitch_norm=False, pitch_mean=None, pitch_std=None)  # raw Hz: the statistics are made here
        dataset = TTSDataset(text_tokenizer=tokenizer, **params)
        # pYIN costs ~1 s per utterance: the items are made in worker processes, one per core
        # (each caches its own utterances' files), and come back here in order
        loader = DataLoader(dataset, batch_size=None, num_workers=workers if workers > 1 else 0,
                            worker_init_fn=_one_thread)  # fmt: skip
        for item in tqdm(loader, total=len(dataset), desc=f"pitch ({key})", unit="utt"):
            utterances += 1
            if key != "train_ds":
                continue
            pitch = _pitch_of(item)
            if pitch is not None:
                voiced = pitch[pitch > 0]
                if len(voiced):
                    values.append(voiced)
    if not values:
        raise RuntimeError("no voiced frames in the training set: is the audio speech?")
    allp = np.concatenate(values)
    stats = {"pitch_mean": float(allp.mean()), "pitch_std": float(allp.std()), "voiced_frames": int(len(allp)),
             "utterances": utterances, "pitch_fmin": float(cfg.pitch_fmin),
             "pitch_fmax": float(cfg.pitch_fmax)}  # fmt: skip
    out = Path(str(cfg.sup_data_path)) / PITCH_STATS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
    return stats


def _one_thread(_worker: int) -> None:
    import torch

    torch.set_num_threads(1)


def _pitch_of(item: tuple) -> np.ndarray | None:
    """The pitch contour in one ``TTSDataset`` item (its 9th field: audio, audio length, text, text
    length, mel, mel length, durations, alignment prior, pitch, ...)."""
    pitch = item[8]
    return None if pitch is None else np.asarray(pitch, dtype=np.float32).reshape(-1)


def main() -> None:
    from awal.training.trainer import hydra_main

    hydra_main(lambda cfg: print(json.dumps(compute_pitch_stats(cfg))), "recipes/tts/fastpitch_hifigan/conf/fastpitch")


if __name__ == "__main__":
    main()
