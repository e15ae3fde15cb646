"""Predicted naturalness of speech, without a reference: DNSMOS.

    from awal.tts.quality import MosPredictor
    mos = MosPredictor()(samples, 22050)      # Mos(ovrl=.., sig=.., bak=.., p808=..)

DNSMOS (Microsoft's Deep Noise Suppression challenge) predicts, from the audio alone, the scores
listeners give in ITU-T P.835 tests: ``sig`` the speech itself (distortion, robotic or buzzy
voice), ``bak`` the background (noise), ``ovrl`` the whole, and a P.808 overall MOS (``p808``),
each on the 1-5 scale. Its ONNX models ship inside the ``speechmos`` wheel (MIT, Microsoft's
models and scoring), so it runs offline: the ``quality`` extra. It was chosen over the other
predictors on PyPI because its weights are in the package: ``nisqa`` ships none, and UTMOS,
SCOREQ, WV-MOS, SQUIM and torchmetrics' DNSMOS fetch theirs at run time (docs/tts.md, "Predicted MOS").

What it measures and what it does not: DNSMOS was trained on English and other languages' speech
through real rooms and devices; it hears timbre, buzz, noise and band limits, not whether the
words are Darija. Intelligibility is the round trip's CER (``awal eval tts``). Audio at another
rate is resampled to 16 kHz first; telephone audio (8 kHz) is scored as it would be heard, its
missing upper band included.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from awal.errors import InputError

__all__ = ["MODEL", "Mos", "MosPredictor", "mean_mos", "manifest_mos"]

#: What :class:`MosPredictor` runs, as reports name it.
MODEL = "DNSMOS P.835 + P.808 (speechmos 0.0.1.1)"
_RATE = 16000
_INSTALL = "predicted MOS needs the quality extra: pip install 'awal[quality]' (speechmos)"


@dataclass(frozen=True)
class Mos:
    """DNSMOS scores of one clip, 1-5."""

    ovrl: float
    sig: float
    bak: float
    p808: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items()}


class MosPredictor:
    """DNSMOS, loaded once (two ONNX models); call it on each clip."""

    def __init__(self) -> None:
        if importlib.util.find_spec("speechmos") is None:
            raise InputError(_INSTALL)
        from speechmos.dnsmos import DNSMOS

        models = importlib.resources.files("speechmos")
        self._model = DNSMOS(str(models / "dnsmos_models" / "sig_bak_ovr.onnx"),
                             str(models / "dnsmos_models" / "model_v8.onnx"))  # fmt: skip

    def __call__(self, samples: np.ndarray, sr: int) -> Mos:
        """Scores of ``samples`` (mono, any rate, float in [-1, 1] or int16)."""
        from awal.audio import resample

        audio = np.asarray(samples)
        if audio.dtype == np.int16:
            audio = audio.astype(np.float32) / 32768
        audio = audio.astype(np.float32).reshape(-1)
        if audio.size < sr // 10:
            raise InputError(f"too short to score: {audio.size / sr:.2f} s (at least 0.1 s)")
        audio = resample(audio, sr, _RATE)
        scores: dict[str, Any] = self._model(np.clip(audio, -1.0, 1.0), _RATE, False)
        return Mos(float(scores["ovrl_mos"]), float(scores["sig_mos"]), float(scores["bak_mos"]),
                   float(scores["p808_mos"]))  # fmt: skip


def mean_mos(scores: Iterable[Mos]) -> dict[str, Any]:
    """The mean of each score over clips, with their count and the model's name."""
    rows = list(scores)
    if not rows:
        raise InputError("no clips to average")
    means = {name: round(float(np.mean([getattr(m, name) for m in rows])), 3) for name in Mos.__dataclass_fields__}
    return {**means, "clips": len(rows), "model": MODEL}


def manifest_mos(manifest: str | os.PathLike[str], *, progress: bool = True,
                 predictor: MosPredictor | None = None) -> dict[str, Any]:  # fmt: skip
    """:func:`mean_mos` of every clip of a manifest (``audio_filepath``, relative to its folder)."""
    from tqdm import tqdm

    from awal.audio import load_audio
    from awal.manifest import read_manifest

    predictor = predictor or MosPredictor()
    rows = list(read_manifest(manifest))
    scores = []
    for row in tqdm(rows, desc="predicted MOS", unit="clip", disable=not progress):
        audio = load_audio(row.audio_filepath, sr=_RATE, offset=row.offset, duration=row.duration)
        scores.append(predictor(audio, _RATE))
    return mean_mos(scores)
