"""The espeak-ng voice: the always-available baseline backend, through the same front-end.

A sentence goes through :func:`awal.tts.frontend.encode` (the ``tts`` profile, the canonical script,
unknown characters reported) like any voice's input, then through
:func:`awal.text.voicing.espeak_request` (the same spoken text, what espeak-ng's Arabic voice reads
for it, with which voice: the one dispatch the synthetic corpus speaks through too) to espeak-ng
(:mod:`awal.espeak`). espeak-ng writes 22,050 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from awal.espeak import ESPEAK_RATE, darija_letters, find_espeak, speak
from awal.text.voicing import espeak_request
from awal.tts.frontend import encode

__all__ = ["EspeakVoice"]

#: espeak-ng's default speaking rate (words per minute) at speed 1.0.
BASE_RATE = 160


@dataclass
class EspeakVoice:
    """espeak-ng's ``ar`` voice (variant, pitch) for every language awal has a front-end for."""

    variant: str = "m3"
    pitch: int = 50
    name: str = "espeak"
    sample_rate: int = ESPEAK_RATE
    _exe: str | None = field(default=None, repr=False)

    def speak(self, sentence: str, lang: str, speed: float = 1.0) -> tuple[np.ndarray, str]:
        """(float32 samples at :attr:`sample_rate`, the spoken text) of one sentence.

        Raises:
            UnknownCharactersError: characters the language's symbols do not have.
            EspeakNotFoundError: espeak-ng or its Arabic voice is missing.
        """
        encoded = encode(sentence, lang)
        if not encoded.symbols:
            return np.zeros(0, dtype=np.float32), encoded.text
        if self._exe is None:
            self._exe = find_espeak()
        rate = int(round(BASE_RATE * speed))
        request = espeak_request(
            sentence, lang, variant=self.variant, pitch=self.pitch, rate=rate, letters=darija_letters(self._exe)
        )
        if not request.espeak_input:  # letters espeak-ng has no reading for (چ ژ alone)
            return np.zeros(0, dtype=np.float32), request.text
        audio = speak(self._exe, request.espeak_input, request.voice, pitch=request.pitch, rate=request.rate)
        return audio, request.text
