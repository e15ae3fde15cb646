"""Shared test setup: library caches in a throwaway folder, and the real ``awal`` command.

Kept free of heavy imports: ``pytest_configure`` must run before any test module imports
a library that reads its cache variable at import time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every variable awal.paths.CACHE_VARIABLES knows, plus awal's own (listed here rather than
# imported so that conftest imports nothing from awal before the variables are set).
_CACHE_VARIABLES = (
    "AWAL_CACHE_DIR",
    "HF_HOME",
    "MPLCONFIGDIR",
    "NUMBA_CACHE_DIR",
    "TORCH_HOME",
    "XDG_CACHE_HOME",
    "NEMO_CACHE_DIR",
    "GRADIO_TEMP_DIR",
)

_cache_root: str | None = None
_saved_env: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Point every library cache (and awal's) into one temporary folder, never $HOME."""
    global _cache_root
    if _cache_root is not None:
        return
    _cache_root = tempfile.mkdtemp(prefix="awal-test-caches-")
    for var in _CACHE_VARIABLES:
        _saved_env[var] = os.environ.get(var)
        folder = Path(_cache_root) / var.lower()
        folder.mkdir()
        os.environ[var] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _cache_root
    if _cache_root is None:
        return
    for var, value in _saved_env.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value
    shutil.rmtree(_cache_root, ignore_errors=True)
    _cache_root = None


def _awal_executable() -> Path:
    """The ``awal`` console script installed beside the running interpreter."""
    bindir = Path(sys.executable).parent
    for name in ("awal", "awal.exe"):
        if (bindir / name).is_file():
            return bindir / name
    pytest.fail(f"no awal console script beside {sys.executable}: install the project (make setup-dev)")


@pytest.fixture(scope="session")
def awal_cmd() -> list[str]:
    """argv prefix that runs the real, installed ``awal`` command."""
    return [str(_awal_executable())]


@pytest.fixture
def run_awal(awal_cmd):
    """``run_awal(*args, input=bytes|str, check=False)`` -> CompletedProcess, output decoded.

    Input text is sent as UTF-8 bytes exactly as given (no newline translation); stdout
    and stderr are decoded as strict UTF-8, so output that is not UTF-8 fails the test.
    """

    def run(*args: str, input: bytes | str | None = None, check: bool = False, cwd=None, env=None):
        data = input.encode("utf-8") if isinstance(input, str) else input
        proc = subprocess.run(
            [*awal_cmd, *map(str, args)],
            input=data if data is not None else b"",
            capture_output=True,
            check=False,
            cwd=cwd,
            env=env,
            timeout=120,
        )
        result = subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(result.args)} exited {result.returncode}\nstderr:\n{result.stderr}")
        return result

    return run
