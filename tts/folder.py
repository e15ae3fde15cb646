"""The voice folder's contract: ``awal.json``, read and validated here, written by export.

A voice folder holds one FastPitch per language (``fastpitch-<lang>.onnx``), the vocoder they share
(``hifigan.onnx``) and ``awal.json``, what the runtime (:class:`awal.tts.neural.NeuralVoice`) needs.
:func:`awal.tts.export.export_tts` writes it (:func:`write_voice_json`); the recipe's card stage adds
``metrics`` (:func:`write_metrics`); everything else reads it (:func:`read_voice_info`).

``awal.json`` (format 1)::

    {"format": 1, "kind": "tts", "backend": "fastpitch-hifigan-onnx", "name": "awal-voice", "sample_rate": 22050,
     "hop_length": 256, "n_mels": 80, "vocoder": {"file": "hifigan.onnx", "source": ...},
     "languages": {"zgh": {"acoustic": "fastpitch-zgh.onnx", "symbol_set": "zgh-tfng-graphemes-1",
                           "tokens": [" ", ",", ..., "<pad>", "<oov>"], "source": ...}},
     "metrics": {...} | null, "awal_version": "..."}

``tokens`` are the acoustic model's inputs in id order, so the runtime maps the front-end's symbols
by name, never by a shifted number. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awal.errors import InputError

__all__ = ["AWAL_JSON", "BACKEND", "VOICE_FORMAT", "read_voice_info", "write_metrics", "write_voice_json"]

#: The file, in the voice folder, that describes the voice.
AWAL_JSON = "awal.json"
#: The version of the layout this module writes (and the only one it reads).
VOICE_FORMAT = 1
#: The runtime a voice folder is for.
BACKEND = "fastpitch-hifigan-onnx"


def write_voice_json(folder: str | Path, *, name: str, shape: Mapping[str, int], vocoder: Mapping[str, Any],
                     languages: Mapping[str, Any], metrics: Mapping[str, Any] | None) -> Path:  # fmt: skip
    """Write ``folder/awal.json``; ``shape``: the mel's ``sample_rate``, ``hop_length``, ``n_mels``."""
    from awal import __version__

    data = {
        "format": VOICE_FORMAT, "kind": "tts", "backend": BACKEND, "name": name, **shape, "vocoder": dict(vocoder),
        "languages": dict(languages), "metrics": dict(metrics) if metrics else None, "awal_version": __version__,
    }  # fmt: skip
    return _write(Path(folder) / AWAL_JSON, data)


def write_metrics(folder: str | Path, metrics: Mapping[str, Any] | None) -> None:
    """Replace the ``metrics`` of the voice's ``awal.json`` (the recipe's card stage), keeping the rest."""
    data = read_voice_info(folder)
    data["metrics"] = dict(metrics) if metrics else None
    _write(Path(folder) / AWAL_JSON, data)


def _write(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read_voice_info(folder: str | Path) -> dict[str, Any]:
    """The ``awal.json`` of a voice folder, checked.

    Raises:
        InputError: no such folder, no ``awal.json``, or one this version cannot read.
    """
    path = Path(folder) / AWAL_JSON
    if not path.is_file():
        raise InputError(f"{folder}: not a voice folder (no awal.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("kind") != "tts" or data.get("backend") != BACKEND:
        raise InputError(f"{path}: not a {BACKEND} voice (kind {data.get('kind')!r}, backend {data.get('backend')!r})")
    if data.get("format") != VOICE_FORMAT:
        raise InputError(f"{path}: voice format {data.get('format')!r}; this awal reads format {VOICE_FORMAT}")
    for name in [data["vocoder"]["file"], *(v["acoustic"] for v in data["languages"].values())]:
        if not (Path(folder) / name).is_file():
            raise InputError(f"{folder}: {name} is missing")
    return data
