"""Round-trip intelligibility of a voice, its synthesis half: speak a manifest's sentences.

    awal eval tts --voice tts/bundled/awal-voice --manifest data/voice-zgh/test.jsonl
    awal eval tts --voice espeak --manifest data/voice-zgh/test.jsonl

:func:`speak_manifest` speaks each manifest line's sentence (``text_raw`` when there is one, else
``text``) with the voice at 16 kHz into a folder, and writes the manifest of that speech (the
line's ``text`` as the reference). A sentence the voice cannot say is counted in the failures with
its reason and the rest go on. ``awal eval tts`` (the command, which may use both floors) then has
the ASR model transcribe and score that manifest (``awal eval asr``'s evaluation, profile
``scoring``) and prints :meth:`SpokenSet.report`: the voice, its backend, its synthesis real-time
factor on this machine, and the recognizer's WER/CER. The synthesis side never imports the
recognizer: the two meet in the command (and in the demo and the tests).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awal.errors import InputError

__all__ = ["SAMPLE_RATE", "SpokenSet", "speak_manifest"]

#: The rate the speech is written at (what the recognizer reads).
SAMPLE_RATE = 16000


@dataclass
class SpokenSet:
    """A manifest's sentences as one voice spoke them."""

    voice: str
    backend: str
    source: str  # the manifest the sentences came from
    manifest: Path  # the manifest of the speech: audio_filepath, duration, text (reference), lang
    utterances: int  # lines of the source manifest
    failures: list[dict[str, Any]] = field(default_factory=list)
    synth_seconds: float = 0.0
    spoken_seconds: float = 0.0

    def report(self, heard: Mapping[str, Any], asr_model: str) -> dict[str, Any]:
        """The round-trip report from ``heard``, the ASR evaluation of :attr:`manifest`."""
        rtf = round(self.synth_seconds / self.spoken_seconds, 4) if self.spoken_seconds else None
        return {"voice": self.voice, "backend": self.backend, "asr_model": asr_model, "manifest": self.source,
                "utterances": self.utterances, "synthesis_errors": len(self.failures), "failures": self.failures[:20],
                "wer": heard["wer"], "cer": heard["cer"], "per_language": heard.get("per_language"),
                "synthesis_rtf": rtf, "spoken_seconds": round(self.spoken_seconds, 1)}  # fmt: skip


def speak_manifest(voice: str | os.PathLike[str], manifest: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                   *, lang: str | None = None, progress: bool = True) -> SpokenSet:  # fmt: skip
    """Speak every sentence of ``manifest`` with ``voice`` (a name or folder,
    :func:`awal.tts.synthesize.load_voice`) into ``out_dir``; ``lang`` overrides each line's.

    Raises:
        InputError: an empty manifest, a line without a language, a voice that could say nothing.
    """
    from tqdm import tqdm

    from awal.audio import write_audio
    from awal.tts.synthesize import SpeechOptions, load_voice, synthesize

    rows = [json.loads(line) for line in Path(manifest).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise InputError(f"{manifest}: no utterances")
    engine = load_voice(str(voice), lang or rows[0].get("lang"))
    out = Path(out_dir)
    spoken = SpokenSet(engine.name, "espeak" if engine.name == "espeak" else "fastpitch-hifigan-onnx", str(manifest),
                       out / "spoken.jsonl", len(rows))  # fmt: skip
    lines = []
    for i, row in enumerate(tqdm(rows, desc=f"speak ({engine.name})", unit="utt", disable=not progress)):
        row_lang = lang or row.get("lang")
        if not row_lang:
            raise InputError(f"{manifest}: line {i + 1} has no lang; give lang")
        sentence = row.get("text_raw") or row["text"]
        started = time.perf_counter()
        try:
            speech = synthesize(sentence, row_lang, engine, SpeechOptions(rate=SAMPLE_RATE))
        except InputError as exc:
            spoken.failures.append({"line": i + 1, "text": sentence, "error": str(exc)})
            continue
        spoken.synth_seconds += time.perf_counter() - started
        spoken.spoken_seconds += speech.duration
        path = out / f"{i:05d}.wav"
        write_audio(path, speech.samples, SAMPLE_RATE)
        lines.append(json.dumps({"audio_filepath": str(path), "duration": round(speech.duration, 4),
                                 "text": row["text"], "lang": row_lang}, ensure_ascii=False))  # fmt: skip
    if not lines:
        raise InputError(f"{manifest}: the voice could say none of the sentences ({spoken.failures[0]['error']})")
    spoken.manifest.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return spoken
