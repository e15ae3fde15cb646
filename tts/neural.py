"""The neural voice: FastPitch + HiFi-GAN exported to ONNX, run with onnxruntime (no torch, no NeMo).

    from awal.tts.neural import NeuralVoice

    voice = NeuralVoice("tts/bundled/awal-voice")
    samples, said = voice.speak("ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ", "zgh")          # one sentence, float32 at 22,050 Hz
    for chunk in voice.speak_chunks(sentence, "ary"):          # the same audio, in pieces: the
        play(chunk)                                             # first leaves after ~0.3 s of mel

A sentence goes through the front-end (:func:`awal.tts.frontend.encode`: unknown characters are
reported), its symbols become the acoustic model's token ids by name (``tokens`` in the voice's
``awal.json``, :mod:`awal.tts.export`), FastPitch predicts the whole mel at once (it is cheap), and the
vocoder turns the mel into audio piece by piece: :attr:`NeuralVoice.first_frames` frames first,
then :attr:`NeuralVoice.chunk_frames` at a time, each with :data:`CONTEXT_FRAMES` frames of mel on
either side so that the pieces join without seams (HiFi-GAN's receptive field is a few frames).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from awal.errors import InputError

__all__ = ["CONTEXT_FRAMES", "NeuralVoice"]

#: Mel frames of context given to the vocoder on each side of a piece.
CONTEXT_FRAMES = 12


@dataclass
class NeuralVoice:
    """A voice folder (:mod:`awal.tts.export`) behind the :class:`awal.tts.synthesize.Voice` interface.

    Attributes:
        folder: the voice folder (``awal.json``, ``fastpitch-<lang>.onnx``, ``hifigan.onnx``).
        threads: onnxruntime intra-op threads per model (1: what a busy server gives a request).
        first_frames: mel frames vocoded for the first piece (~12 ms each at 22,050 Hz, hop 256).
        chunk_frames: mel frames per later piece.
    """

    folder: str | Path
    threads: int = 1
    first_frames: int = 24
    chunk_frames: int = 96
    name: str = field(init=False)
    sample_rate: int = field(init=False)
    info: dict[str, Any] = field(init=False, repr=False)
    _sessions: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        from awal.tts.folder import read_voice_info

        self.folder = Path(self.folder)
        self.info = read_voice_info(self.folder)
        self.name = str(self.info.get("name") or self.folder.name)
        self.sample_rate = int(self.info["sample_rate"])
        self._hop = int(self.info["hop_length"])

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.info["languages"])

    def _session(self, file: str) -> Any:
        session = self._sessions.get(file)
        if session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            session = ort.InferenceSession(str(Path(self.folder) / file), options, providers=["CPUExecutionProvider"])
            self._sessions[file] = session
        return session

    def _language(self, lang: str) -> dict[str, Any]:
        from awal.languages import get_language

        entry = self.info["languages"].get(lang) or self.info["languages"].get(get_language(lang).family)
        if entry is None:
            raise InputError(f"voice {self.name} does not speak {lang!r}; it speaks {', '.join(self.languages)}")
        return dict(entry)

    def mel(self, sentence: str, lang: str, speed: float = 1.0) -> tuple[np.ndarray, str]:
        """(the mel [80, frames] FastPitch predicts for ``sentence``, the spoken text)."""
        from awal.tts.frontend import encode

        entry = self._language(lang)
        encoded = encode(sentence, lang)
        if encoded.symbol_set != entry["symbol_set"]:
            raise InputError(f"voice {self.name} reads {entry['symbol_set']}, the front-end gives {encoded.symbol_set}")
        if not encoded.symbols:
            return np.zeros((int(self.info["n_mels"]), 0), np.float32), encoded.text
        index = {t: i for i, t in enumerate(entry["tokens"])}
        ids = np.array([[index[s] for s in encoded.symbols]], dtype=np.int64)
        pitch = np.zeros(ids.shape, np.float32)  # the predicted pitch, unshifted
        pace = np.full(ids.shape, float(speed), np.float32)
        inputs = {"text": ids, "pitch": pitch, "pace": pace}
        spect, frames = self._session(entry["acoustic"]).run(["spect", "num_frames"], inputs)[:2]
        return spect[0, :, : int(np.asarray(frames).reshape(-1)[0])].astype(np.float32), encoded.text

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """Audio (float32) of a whole mel [80, frames]."""
        if mel.shape[1] == 0:
            return np.zeros(0, np.float32)
        audio = self._session(self.info["vocoder"]["file"]).run(["audio"], {"mel": mel[None].astype(np.float32)})[0]
        return audio.reshape(-1).astype(np.float32)

    def vocode_chunks(self, mel: np.ndarray) -> Iterator[np.ndarray]:
        """The audio of ``mel`` in pieces (:attr:`first_frames`, then :attr:`chunk_frames` frames),
        each vocoded with :data:`CONTEXT_FRAMES` of context on either side and cut at the piece's
        own frames, so that the pieces put together equal :meth:`vocode` up to edge effects."""
        total = mel.shape[1]
        start = 0
        size = self.first_frames
        while start < total:
            stop = min(total, start + size)
            lo, hi = max(0, start - CONTEXT_FRAMES), min(total, stop + CONTEXT_FRAMES)
            audio = self.vocode(mel[:, lo:hi])
            yield audio[(start - lo) * self._hop : (stop - lo) * self._hop]
            start, size = stop, self.chunk_frames

    def speak_chunks(self, sentence: str, lang: str, speed: float = 1.0) -> Iterator[tuple[np.ndarray, str]]:
        """``(samples, spoken text)`` pieces of one sentence, the first as early as possible."""
        mel, said = self.mel(sentence, lang, speed)
        for piece in self.vocode_chunks(mel):
            yield piece, said

    def speak(self, sentence: str, lang: str, speed: float = 1.0) -> tuple[np.ndarray, str]:
        """(float32 samples at :attr:`sample_rate`, the spoken text) of one sentence."""
        mel, said = self.mel(sentence, lang, speed)
        return self.vocode(mel), said
