"""The training summary every training writes beside its result: ``awal_training.json``.

One schema (:class:`TrainingSummary`), one writer (:func:`write_summary`), one reader
(:func:`read_summary`), for the four trainings of the recipes: the Whisper fine-tuning
(``whisper``: beside the Hugging Face folder ``<run>/hf`` that ``awal export asr`` converts),
FastPitch and HiFi-GAN (``fastpitch``, ``hifigan``: in the run folder, beside the ``.nemo``) and the
fast vocoder (``fast-vocoder``: beside ``vocoder.pt``). Export reads the Whisper summary's languages
and text profile; the model cards read the steps, throughput and data of each.

The JSON object is flat: the common fields below, then the kind's own (:attr:`TrainingSummary.details`:
``languages``, ``training_text_profile``, ``best``, ``config`` for Whisper; ``lang``, ``symbol_set``,
``tokens``, ``pitch_mean``, ``pitch_std`` for FastPitch; ``init_from`` for HiFi-GAN; ``architecture``,
``windows_per_s``, ``dev_loss`` ... for the fast vocoder). Standard library only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awal.errors import InputError

__all__ = ["KINDS", "TRAINING_JSON", "TrainingSummary", "read_summary", "write_summary"]

#: The file name, beside what the training produced.
TRAINING_JSON = "awal_training.json"
#: The trainings that write one.
KINDS = ("whisper", "fastpitch", "hifigan", "fast-vocoder")
_COMMON = ("kind", "global_step", "train_manifest", "train_utts_per_s", "wall_seconds_this_run", "result")


@dataclass(frozen=True)
class TrainingSummary:
    """What one training run produced and how it went.

    Attributes:
        kind: one of :data:`KINDS`.
        global_step: optimizer steps taken in all (resumed runs included).
        train_manifest: the training manifest(s), as the config gave them.
        train_utts_per_s: training throughput of the last run (None: not measured).
        wall_seconds_this_run: the last run's wall time.
        result: what the training wrote (the ``.nemo``, ``vocoder.pt``, the Hugging Face folder).
        details: the kind's own fields (see the module's docstring).
    """

    kind: str
    global_step: int
    train_manifest: str | None = None
    train_utts_per_s: float | None = None
    wall_seconds_this_run: float | None = None
    result: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown training kind {self.kind!r}; known: {', '.join(KINDS)}")
        clash = set(self.details) & set(_COMMON)
        if clash:
            raise ValueError(f"details repeat common fields: {sorted(clash)}")

    def to_json(self) -> dict[str, Any]:
        common = {name: getattr(self, name) for name in _COMMON}
        return {**common, **self.details}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrainingSummary:
        details = {k: v for k, v in data.items() if k not in _COMMON}
        step = data.get("global_step")
        rate = data.get("train_utts_per_s")
        wall = data.get("wall_seconds_this_run")
        return cls(
            kind=str(data.get("kind")),
            global_step=int(step) if isinstance(step, (int, float)) else 0,
            train_manifest=None if data.get("train_manifest") is None else str(data["train_manifest"]),
            train_utts_per_s=float(rate) if isinstance(rate, (int, float)) else None,
            wall_seconds_this_run=float(wall) if isinstance(wall, (int, float)) else None,
            result=None if data.get("result") is None else str(data["result"]),
            details=details,
        )



def write_summary(folder: str | os.PathLike[str], summary: TrainingSummary) -> Path:
    """Write ``folder/awal_training.json``; returns its path."""
    path = Path(folder) / TRAINING_JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary.to_json(), ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_summary(folder: str | os.PathLike[str], kind: str | None = None) -> TrainingSummary | None:
    """The summary in ``folder`` (None when there is none); one without a ``kind`` (written before
    summaries named theirs) is taken as ``kind``.

    Raises:
        InputError: the file is not JSON, not a summary, or (with ``kind``) of another kind.
    """
    path = Path(folder) / TRAINING_JSON
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as JSON ({exc})") from None
    if isinstance(data, dict) and kind is not None and "kind" not in data:
        data["kind"] = kind  # written before summaries named their kind
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise InputError(f"{path}: not a training summary (its kind must be one of {', '.join(KINDS)})")
    if kind is not None and data["kind"] != kind:
        raise InputError(f"{path}: a {data['kind']} training's summary, not a {kind} one")
    return TrainingSummary.from_json(data)
