"""Where awal and the libraries it drives keep their caches.

Libraries write caches under ``$HOME`` by default (Hugging Face, matplotlib,
onnxruntime, numba, torch). awal points them all into one folder of its own:
``$AWAL_CACHE_DIR`` when set; else ``.cache/`` in the checkout when awal runs from a
source checkout (an editable install); else ``~/.cache/awal``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import MutableMapping

__all__ = ["CACHE_VARIABLES", "cache_dir", "configure_caches"]

#: Environment variable -> subfolder of the cache folder.
CACHE_VARIABLES: dict[str, str] = {
    "HF_HOME": "huggingface",
    "MPLCONFIGDIR": "matplotlib",
    "NUMBA_CACHE_DIR": "numba",
    "TORCH_HOME": "torch",
    "XDG_CACHE_HOME": "xdg",
    "NEMO_CACHE_DIR": "nemo",
    "GRADIO_TEMP_DIR": "gradio",
}


def _checkout_root() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "awal" / "__init__.py").is_file():
        return root
    return None


def cache_dir(environ: MutableMapping[str, str] | None = None) -> Path:
    """The folder awal's caches go to (see the module docs)."""
    env = os.environ if environ is None else environ
    if env.get("AWAL_CACHE_DIR"):
        return Path(env["AWAL_CACHE_DIR"])
    root = _checkout_root()
    return root / ".cache" if root else Path.home() / ".cache" / "awal"


def configure_caches(environ: MutableMapping[str, str] | None = None) -> Path:
    """Point the libraries' cache variables into :func:`cache_dir` unless already set.

    Call it before importing the libraries (the ``awal`` command does). Returns the folder.
    """
    env = os.environ if environ is None else environ
    base = cache_dir(env)
    for var, sub in CACHE_VARIABLES.items():
        env.setdefault(var, str(base / sub))
    return base
