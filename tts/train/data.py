"""Speech manifests -> what the TTS recipe trains on (stage 0 of recipes/tts/fastpitch_hifigan).

    python -m awal.tts.train.data data/synthetic-zgh/train.jsonl --lang zgh --out data/tts-zgh/train.jsonl

Each utterance's text goes through the voice's front-end (:func:`awal.tts.frontend.encode`), so that
training reads exactly the symbols the runtime will give the model: the manifest's ``text`` (and
NeMo's ``normalized_text``) is the symbol string. The audio is trimmed of leading and trailing
silence (keeping :data:`KEEP_SILENCE` s) and written at the voice's rate (22,050 Hz, the HiFi-GAN
vocoder's), with an absolute path (NeMo's TTS datasets do not resolve relative ones).
Utterances whose text the front-end refuses go to ``rejected.jsonl`` beside the output with the
reason; none is dropped silently.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awal.audio import load_audio, write_audio
from awal.errors import InputError
from awal.manifest import resolve_audio_path
from awal.tts.frontend import encode

__all__ = ["SAMPLE_RATE", "TtsDataReport", "prepare_tts_manifest", "trim_silence"]

#: The rate every voice of the recipe is trained at (the universal HiFi-GAN's).
SAMPLE_RATE = 22050
#: Silence kept before and after the speech when trimming (seconds).
KEEP_SILENCE = 0.05
#: Frames quieter than the loudest by this much (dB) count as silence.
TRIM_DB = 40.0


@dataclass(frozen=True)
class TtsDataReport:
    manifest: Path
    utterances: int
    hours: float
    rejected: int


def trim_silence(samples: np.ndarray, rate: int, top_db: float = TRIM_DB, keep: float = KEEP_SILENCE) -> np.ndarray:
    """``samples`` without the silence before and after the speech, ``keep`` seconds left each side."""
    import librosa

    if not len(samples):
        return samples
    _, (start, end) = librosa.effects.trim(samples, top_db=top_db, frame_length=1024, hop_length=256)
    pad = int(keep * rate)
    return samples[max(0, start - pad) : min(len(samples), end + pad)]


def prepare_tts_manifest(source: str | Path, lang: str, out: str | Path, rate: int = SAMPLE_RATE) -> TtsDataReport:
    """Write ``out`` (and its ``audio-<name>/`` folder) from the speech manifest ``source``."""
    source, out = Path(source), Path(out)
    audio_dir = out.parent / f"audio-{out.stem}"
    audio_dir.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    rejected: list[str] = []
    seconds = 0.0
    with source.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            text = item.get("text_raw") or item["text"]
            try:
                encoded = encode(text, lang)
            except InputError as exc:
                rejected.append(json.dumps({"line": number, "text": text, "reason": str(exc)}, ensure_ascii=False))
                continue
            if not encoded.symbols:
                reason = {"line": number, "text": text, "reason": "nothing to say"}
                rejected.append(json.dumps(reason, ensure_ascii=False))
                continue
            path = resolve_audio_path(item["audio_filepath"], source)
            samples = trim_silence(load_audio(path, sr=rate), rate)
            target = (audio_dir / Path(path).name).with_suffix(".wav").resolve()
            write_audio(target, samples, rate)
            symbols = "".join(encoded.symbols)
            duration = len(samples) / rate
            seconds += duration
            rows.append(json.dumps({
                "audio_filepath": str(target), "duration": round(duration, 4), "text": symbols,
                "normalized_text": symbols, "text_raw": text, "lang": lang, "symbol_set": encoded.symbol_set,
            }, ensure_ascii=False))  # fmt: skip
    out.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    if rejected:
        (out.parent / f"rejected-{out.stem}.jsonl").write_text("".join(r + "\n" for r in rejected), encoding="utf-8")
    return TtsDataReport(out, len(rows), seconds / 3600, len(rejected))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.tts.train.data", description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", help="a speech manifest (awal prepare ...)")
    parser.add_argument("--lang", required=True, help="the voice's language (ary, zgh, kab)")
    parser.add_argument("--out", required=True, help="the TTS manifest to write")
    args = parser.parse_args(argv)
    try:
        report = prepare_tts_manifest(args.manifest, args.lang, args.out)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{report.manifest}\t{report.utterances} utterances\t{report.hours:.3f} h\t{report.rejected} rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
