"""Starting ``awal serve`` for real in a subprocess, for the tests that talk to it over the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*extra: str) -> tuple[subprocess.Popen, str, IO[str]]:
    """(process, ``host:port``, its log) of ``awal serve *extra`` once ``/readyz`` answers 200."""
    port = free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"awal-serve-{port}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "awal.cli", "serve", "--port", str(port), *extra],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, f"127.0.0.1:{port}", log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    log.seek(0)
    pytest.fail(f"the server did not start:\n{log.read()}")
