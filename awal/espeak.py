"""espeak-ng, driven as a program: finding it, probing its Arabic voice, speaking a text.

The synthetic corpus (:mod:`awal.data.synthetic`) and the TTS baseline backend
(:mod:`awal.tts.espeak`) speak through here. What espeak-ng is given to read for a line, and with
which voice, is :func:`awal.text.voicing.espeak_request`, for both. No Python dependency beyond
numpy and soundfile: espeak-ng writes a WAV to stdout.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import shutil
import subprocess
from collections.abc import Mapping

import numpy as np

from awal.errors import InputError
from awal.text.voicing import DARIJA_LETTERS, DARIJA_LETTERS_FALLBACK, ESPEAK_VOICE

__all__ = [
    "ESPEAK_RATE", "EspeakNotFoundError", "darija_letters", "espeak_version", "find_espeak", "ipa", "speak",
]  # fmt: skip

logger = logging.getLogger(__name__)

#: The rate espeak-ng writes.
ESPEAK_RATE = 22050

_INSTALL_HINT = "install it with `sudo apt-get install espeak-ng` (Debian/Ubuntu), or run scripts/setup.sh"


class EspeakNotFoundError(InputError):
    """espeak-ng (or its Arabic voice) is not installed; the message says how to install it."""


def find_espeak() -> str:
    """The espeak-ng executable, with its Arabic voice; :class:`EspeakNotFoundError` if not."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise EspeakNotFoundError(f"espeak-ng is not installed: {_INSTALL_HINT}")
    proc = subprocess.run([exe, "-v", ESPEAK_VOICE, "-q", "-x", "ب"], capture_output=True, timeout=60, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        detail = proc.stderr.decode("utf-8", "replace").strip() or "no phonemes"
        raise EspeakNotFoundError(f"espeak-ng has no working Arabic voice ({detail}): {_INSTALL_HINT}")
    return exe


@functools.lru_cache(maxsize=None)
def espeak_version(exe: str) -> str:
    """``1.51`` (espeak-ng's version), or ``unknown``."""
    proc = subprocess.run([exe, "--version"], capture_output=True, timeout=60, check=False)
    match = re.search(r"speak NG text-to-speech:\s*(\S+)", proc.stdout.decode("utf-8", "replace"), re.IGNORECASE)
    return match.group(1) if match else "unknown"


@functools.lru_cache(maxsize=None)
def darija_letters(exe: str) -> Mapping[str, str]:
    """:data:`~awal.text.voicing.DARIJA_LETTERS` when this espeak-ng reads گ as /g/ and
    پ as /p/ inside words (1.51 does), else the ك/ب fallback."""
    proc = subprocess.run([exe, "-v", ESPEAK_VOICE, "-q", "-x", "گلس پاپا"], capture_output=True, timeout=60)
    phonemes = proc.stdout.decode("utf-8", "replace").split()
    if len(phonemes) == 2 and phonemes[0].startswith("g") and phonemes[1].lstrip("'").startswith("p"):
        return DARIJA_LETTERS
    logger.warning("this espeak-ng does not read گ/پ as /g/ /p/: voicing them as ك/ب")
    return DARIJA_LETTERS_FALLBACK


def speak(exe: str, text: str, voice: str = ESPEAK_VOICE, *, pitch: int = 50, rate: int = 175) -> np.ndarray:
    """espeak-ng's float32 samples at :data:`ESPEAK_RATE` for ``text`` (espeak input: an
    :class:`~awal.text.voicing.EspeakRequest`'s) read by ``voice`` (``ar``, ``ar+m3``) at pitch
    ``-p`` (0-99) and rate ``-s`` (words per minute).

    Raises:
        RuntimeError: espeak-ng failed or wrote no audio (the message has its error).
    """
    import soundfile as sf

    cmd = [exe, "-v", voice, "-p", str(pitch), "-s", str(rate), "-b", "1", "--stdout"]
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=600, check=False)
    if proc.returncode != 0 or len(proc.stdout) <= 44:
        error = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"espeak-ng failed on {text!r} with {voice}: {error or 'no audio'}")
    samples, got = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    if got != ESPEAK_RATE:  # a future espeak-ng with another rate: follow it
        from awal.audio import resample

        samples = resample(samples, got, ESPEAK_RATE)
    return np.asarray(samples, dtype=np.float32)


def ipa(exe: str, text: str, voice: str = ESPEAK_VOICE) -> str:
    """The IPA phonemes espeak-ng would speak for ``text`` (espeak input, as for :func:`speak`)
    with ``voice``: ``espeak-ng -q --ipa``, its clauses (one per output line) joined with
    ``", "`` so that a voice driven by them pauses where espeak-ng would.

    >>> ipa(find_espeak(), "[[az'ul]] [[f@l:'awn]]")  # doctest: +SKIP
    'azˈul fəllˈawn'

    Raises:
        RuntimeError: espeak-ng failed (the message has its error).
    """
    cmd = [exe, "-v", voice, "-q", "--ipa", "-b", "1"]
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=600, check=False)
    if proc.returncode != 0:
        error = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"espeak-ng --ipa failed on {text!r} with {voice}: {error or proc.returncode}")
    clauses = (" ".join(line.split()) for line in proc.stdout.decode("utf-8", "replace").splitlines())
    return ", ".join(c for c in clauses if c)
