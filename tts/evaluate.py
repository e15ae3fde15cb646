"""Round-trip intelligibility of a voice: synthesize held-out sentences, transcribe them, score CER.

    awal eval tts --voice tts/bundled/awal-voice --manifest data/voice-zgh/test.jsonl
    awal eval tts --voice espeak --manifest data/voice-zgh/test.jsonl

Each manifest line's sentence (``text_raw`` when there is one, else ``text``) is spoken by the
voice at 16 kHz, the audio is transcribed by an ASR model (default: the bundled
``whisper-base-awal``) and scored against the manifest's ``text`` by :func:`awal.asr.evaluate.evaluate_asr`
(profile ``scoring``; its per-utterance errors go to ``details``). A sentence the voice cannot say
is counted in ``synthesis_errors`` with its reason and the evaluation goes on. The report adds the
voice, its backend, and its synthesis real-time factor on this machine.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from awal.errors import InputError

__all__ = ["round_trip"]


def round_trip(voice: str | os.PathLike[str], manifest: str | os.PathLike[str], *, asr_model: str | None = None,
               lang: str | None = None, details: str | os.PathLike[str] | None = None, progress: bool = True,
               ) -> dict[str, Any]:  # fmt: skip
    """The round-trip report of ``voice`` (a name or folder, :func:`awal.tts.synthesize.load_voice`) on ``manifest``."""
    from tqdm import tqdm

    from awal.asr.evaluate import evaluate_asr
    from awal.asr.model import DEFAULT_MODEL
    from awal.audio import write_audio
    from awal.tts.synthesize import SpeechOptions, load_voice, synthesize

    rows = [json.loads(line) for line in Path(manifest).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise InputError(f"{manifest}: no utterances")
    first_lang = lang or rows[0].get("lang")
    engine = load_voice(str(voice), first_lang)
    failures: list[dict[str, Any]] = []
    spoken_seconds = synth_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="awal-roundtrip-") as tmp:
        lines = []
        for i, row in enumerate(tqdm(rows, desc=f"speak ({engine.name})", unit="utt", disable=not progress)):
            row_lang = lang or row.get("lang")
            if not row_lang:
                raise InputError(f"{manifest}: line {i + 1} has no lang; give lang")
            sentence = row.get("text_raw") or row["text"]
            started = time.perf_counter()
            try:
                speech = synthesize(sentence, row_lang, engine, SpeechOptions(rate=16000))
            except InputError as exc:
                failures.append({"line": i + 1, "text": sentence, "error": str(exc)})
                continue
            synth_seconds += time.perf_counter() - started
            spoken_seconds += speech.duration
            path = Path(tmp) / f"{i:05d}.wav"
            write_audio(path, speech.samples, 16000)
            lines.append(json.dumps({"audio_filepath": str(path), "duration": round(speech.duration, 4),
                                     "text": row["text"], "lang": row_lang}, ensure_ascii=False))  # fmt: skip
        if not lines:
            raise InputError(f"{manifest}: the voice could say none of the sentences ({failures[0]['error']})")
        spoken = Path(tmp) / "spoken.jsonl"
        spoken.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        model = asr_model or DEFAULT_MODEL
        report = evaluate_asr(model, spoken, details=details, progress=progress, context="short"
                              if _short_contexts(model) else "full")  # fmt: skip
    backend = "espeak" if engine.name == "espeak" else "fastpitch-hifigan-onnx"
    return {"voice": engine.name, "backend": backend, "asr_model": str(model), "manifest": str(manifest),
            "utterances": len(rows), "synthesis_errors": len(failures), "failures": failures[:20],
            "wer": report["wer"], "cer": report["cer"], "per_language": report.get("per_language"),
            "synthesis_rtf": round(synth_seconds / spoken_seconds, 4) if spoken_seconds else None,
            "spoken_seconds": round(spoken_seconds, 1)}  # fmt: skip


def _short_contexts(model: str) -> bool:
    """Whether the ASR model was trained with short encoder contexts (then it is scored as served)."""
    from awal.asr.model import resolve_model

    info = Path(resolve_model(model)) / "awal.json"
    return info.is_file() and bool(json.loads(info.read_text(encoding="utf-8")).get("encoder_context"))
