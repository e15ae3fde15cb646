"""Stage 4 of the TTS recipe with ``--vocoder fast``: a small HiFi-GAN generator trained on the
voice's own FastPitch mels, for synthesis that keeps up on one CPU thread.

    python -m awal.tts.train.fast_vocoder --train data/mels-ary/train.jsonl data/mels-zgh/train.jsonl \\
        --dev data/mels-ary/dev.jsonl data/mels-zgh/dev.jsonl --out exp/fast-vocoder [--steps 12000]

The universal HiFi-GAN V1 (14 M parameters) makes the voice intelligible but costs 0.3 s of
compute per second of audio on one thread, 99.6% of synthesis. This generator is NeMo's HiFi-GAN
``Generator`` at the size of HiFi-GAN V3 (upsampling 8 x 8 x 4, two-convolution residual blocks)
with ``--channels`` at the first upsampling (``SMALL``: 192, ~0.8 M parameters, about 15x less
compute than V1). It learns the mapping from the teacher-forced mels of stage 3 to the recorded
audio, frame-aligned, with the spectral losses of Parallel WaveGAN and HiFi-GAN and no
discriminator: a multi-resolution STFT loss (spectral convergence + log magnitude at three
resolutions) plus 45x the L1 distance of full-band log-mel spectrograms. A GAN would add
crispness at many times the cost per step; the round trip (``awal eval tts``) measures whether
the voice stays intelligible without it.

Random 32-frame windows (8,192 samples) of every training utterance, batch 16. Checkpoints
(``last.pt``: weights, optimizer, step) every ``--checkpoint-every`` steps, resumed when present;
the dev loss at each checkpoint; the curves in ``curves.json`` / ``curves.png``. The result,
``vocoder.pt``, holds the generator's architecture and weights (``awal_training.json`` beside it
the run's summary): ``awal export tts --vocoder vocoder.pt`` writes it as the voice's ``hifigan.onnx``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SMALL", "MelAudio", "SpectralLoss", "load_pairs", "main", "train"]

log = logging.getLogger(__name__)

#: The generator's architecture as NeMo's ``Generator`` takes it (HiFi-GAN V3's shape); the
#: first upsampling's channels come from ``--channels``.
SMALL: dict[str, Any] = {
    "resblock": 2, "upsample_rates": [8, 8, 4], "upsample_kernel_sizes": [16, 16, 8],
    "upsample_initial_channel": 192, "resblock_kernel_sizes": [3, 5, 7],
    "resblock_dilation_sizes": [[1, 2], [2, 6], [3, 12]],
}  # fmt: skip
HOP = 256
SAMPLE_RATE = 22050


@dataclass(frozen=True)
class MelAudio:
    """One utterance: its mel (80 x frames, the voice's log-mel) and its audio (frames x 256 samples)."""

    mel: np.ndarray
    audio: np.ndarray


def load_pairs(manifests: Sequence[str | Path]) -> list[MelAudio]:
    """The (mel, audio) pairs of stage 3's manifests (``mel_filepath`` beside ``audio_filepath``),
    the audio cut or zero-padded to 256 samples per mel frame."""
    import soundfile as sf

    from awal.errors import InputError

    pairs = []
    for manifest in manifests:
        for line in Path(manifest).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            mel = np.load(row["mel_filepath"]).astype(np.float32)
            audio, rate = sf.read(row["audio_filepath"], dtype="float32")
            if rate != SAMPLE_RATE or audio.ndim != 1:
                raise InputError(f"{row['audio_filepath']}: need mono {SAMPLE_RATE} Hz audio, got {rate} Hz")
            n = mel.shape[1] * HOP
            audio = np.pad(audio[:n], (0, max(0, n - len(audio))))
            pairs.append(MelAudio(mel, audio))
    if not pairs:
        raise InputError(f"no utterances in {', '.join(map(str, manifests))}")
    return pairs


def _windows(pairs: list[MelAudio], frames: int, batch: int, rng: np.random.Generator) -> tuple[Any, Any]:
    """A batch of random ``frames``-frame windows: (mel [B, 80, frames], audio [B, 1, frames * 256])."""
    import torch

    mels, audios = [], []
    for i in rng.integers(0, len(pairs), size=batch):
        pair = pairs[int(i)]
        total = pair.mel.shape[1]
        mel, audio = pair.mel, pair.audio
        if total < frames:  # a short utterance: padded with the log of silence and zeros
            mel = np.pad(mel, ((0, 0), (0, frames - total)), constant_values=float(mel.min()))
            audio = np.pad(audio, (0, (frames - total) * HOP))
            total = frames
        start = int(rng.integers(0, total - frames + 1))
        mels.append(mel[:, start : start + frames])
        audios.append(audio[start * HOP : (start + frames) * HOP])
    return torch.from_numpy(np.stack(mels)), torch.from_numpy(np.stack(audios))[:, None, :]


class SpectralLoss:
    """Multi-resolution STFT loss (spectral convergence + log-magnitude L1; Parallel WaveGAN's
    three resolutions) plus ``mel_weight`` x the L1 distance of full-band log-mel spectrograms
    (HiFi-GAN's 45)."""

    RESOLUTIONS = ((512, 50, 240), (1024, 120, 600), (2048, 240, 1200))

    def __init__(self, mel_weight: float = 45.0) -> None:
        import librosa
        import torch

        self.mel_weight = mel_weight
        basis = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=1024, n_mels=80, fmin=0.0, fmax=SAMPLE_RATE / 2)
        self.mel_basis = torch.from_numpy(basis).float()
        self.windows = {w: torch.hann_window(w) for _, _, w in self.RESOLUTIONS} | {1024: torch.hann_window(1024)}

    def _magnitude(self, x: Any, n_fft: int, hop: int, win: int) -> Any:
        import torch

        spec = torch.stft(x, n_fft, hop, win, self.windows[win], return_complex=True)
        return spec.abs().clamp(min=1e-7)

    def __call__(self, fake: Any, real: Any) -> tuple[Any, dict[str, float]]:
        import torch

        fake, real = fake.squeeze(1), real.squeeze(1)
        sc: Any = 0.0
        mag: Any = 0.0
        for n_fft, hop, win in self.RESOLUTIONS:
            f, r = self._magnitude(fake, n_fft, hop, win), self._magnitude(real, n_fft, hop, win)
            sc = sc + torch.linalg.norm(r - f) / torch.linalg.norm(r)
            mag = mag + torch.nn.functional.l1_loss(torch.log(f), torch.log(r))
        stft = (sc + mag) / len(self.RESOLUTIONS)
        f, r = self._magnitude(fake, 1024, 256, 1024), self._magnitude(real, 1024, 256, 1024)
        mel = torch.nn.functional.l1_loss(torch.log((self.mel_basis @ f).clamp(min=1e-5)),
                                          torch.log((self.mel_basis @ r).clamp(min=1e-5)))  # fmt: skip
        loss = stft + self.mel_weight * mel
        return loss, {"stft": float(stft), "mel": float(mel)}


def _dev_loss(generator: Any, pairs: list[MelAudio], loss_fn: SpectralLoss, frames: int = 64) -> float:
    """The loss on the same windows at every checkpoint: ``frames``-frame windows drawn (seed 0)
    from the dev utterances, batches of 8 from each group of 8 utterances."""
    import torch

    rng = np.random.default_rng(0)
    total, count = 0.0, 0
    generator.eval()
    with torch.no_grad():
        for start in range(0, len(pairs), 8):
            mel, audio = _windows(pairs[start : start + 8], frames, min(8, len(pairs) - start), rng)
            loss, _ = loss_fn(generator(x=mel), audio)
            total, count = total + float(loss), count + 1
    generator.train()
    return total / max(count, 1)


def train(train_manifests: Sequence[str | Path], dev_manifests: Sequence[str | Path], out: str | Path, *,
          steps: int = 12000, batch: int = 16, frames: int = 32, channels: int = 192, lr: float = 2e-3,
          checkpoint_every: int = 500, threads: int | None = None, seed: int = 0) -> Path:  # fmt: skip
    """Train the generator (resuming from ``out/last.pt``); returns ``out/vocoder.pt``."""
    import torch
    from nemo.collections.tts.modules.hifigan_modules import Generator
    from tqdm import tqdm

    from awal.training.metadata import TrainingSummary, write_summary
    from awal.training.trainer import plot_curves

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    architecture = dict(SMALL, upsample_initial_channel=channels)
    generator = Generator(**architecture)
    optimizer = torch.optim.AdamW(generator.parameters(), lr=lr, betas=(0.8, 0.99), weight_decay=0.0)
    warmup = min(500, steps // 10 + 1)

    def schedule(step: int) -> float:  # linear warm-up, then cosine to 5% of the peak
        if step < warmup:
            return (step + 1) / warmup
        done = (step - warmup) / max(1, steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(done, 1.0)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    curves: dict[str, Any] = {"train": [], "val": [], "utts_per_s": None}
    step = 0
    last = folder / "last.pt"
    if last.is_file():
        state = torch.load(last, map_location="cpu", weights_only=False)
        generator.load_state_dict(state["generator"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, curves = int(state["step"]), state["curves"]
        log.info("resumed from %s at step %d", last, step)
    pairs, dev = load_pairs(train_manifests), load_pairs(dev_manifests)
    loss_fn = SpectralLoss()
    rng = np.random.default_rng(seed + step)
    hours = sum(p.audio.size for p in pairs) / SAMPLE_RATE / 3600
    log.info("%d training utterances (%.2f h), %d dev; %.2f M parameters", len(pairs), hours, len(dev),
             sum(p.numel() for p in generator.parameters()) / 1e6)  # fmt: skip
    bar = tqdm(total=steps, initial=step, desc="fast vocoder", unit="step")
    seconds, windows = 0.0, 0
    while step < steps:
        t0 = time.perf_counter()
        mel, audio = _windows(pairs, frames, batch, rng)
        loss, parts = loss_fn(generator(x=mel), audio)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(generator.parameters(), 10.0)
        optimizer.step()
        scheduler.step()
        step += 1
        seconds, windows = seconds + time.perf_counter() - t0, windows + batch
        curves["utts_per_s"] = windows / seconds
        curves["train"].append({"step": step, "loss": float(loss), "lr": scheduler.get_last_lr()[0], **parts})
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss):.3f}", mel=f"{parts['mel']:.3f}")
        if step % checkpoint_every == 0 or step == steps:
            curves["val"].append({"step": step, "val_loss": _dev_loss(generator, dev, loss_fn)})
            tmp = last.with_suffix(".tmp")
            torch.save({"generator": generator.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "step": step, "curves": curves}, tmp)  # fmt: skip
            tmp.replace(last)
            (folder / "curves.json").write_text(json.dumps(curves) + "\n", encoding="utf-8")
            plot_curves(curves, folder / "curves.png")
    bar.close()
    result = folder / "vocoder.pt"
    details = {"architecture": architecture, "windows_per_s": curves["utts_per_s"], "window_frames": frames,
               "batch": batch, "train_hours": round(hours, 3),
               "parameters": sum(p.numel() for p in generator.parameters()),
               "dev_loss": curves["val"][-1]["val_loss"] if curves["val"] else None}  # fmt: skip
    torch.save({**details, "step": step, "generator": generator.state_dict()}, result)
    write_summary(folder, TrainingSummary("fast-vocoder", step, ",".join(map(str, train_manifests)), None, None,
                                          str(result), details))  # fmt: skip
    return result


def load_generator(path: str | Path) -> Any:
    """The generator of a ``vocoder.pt`` that :func:`train` wrote."""
    import torch
    from nemo.collections.tts.modules.hifigan_modules import Generator

    state = torch.load(path, map_location="cpu", weights_only=False)
    generator = Generator(**state["architecture"])
    generator.load_state_dict(state["generator"])
    return generator


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", nargs="+", required=True, help="stage 3's training manifests")
    ap.add_argument("--dev", nargs="+", required=True, help="stage 3's dev manifests")
    ap.add_argument("--out", required=True, help="the run's folder")
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--frames", type=int, default=32, help="mel frames per training window")
    ap.add_argument("--channels", type=int, default=192, help="channels at the first upsampling")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--checkpoint-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    result = train(args.train, args.dev, args.out, steps=args.steps, batch=args.batch, frames=args.frames,
                   channels=args.channels, lr=args.lr, checkpoint_every=args.checkpoint_every,
                   threads=args.threads)  # fmt: skip
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
