"""Packed utterances: several short utterances of a manifest joined into one longer one.

    python -m awal.data.pack train.jsonl [more.jsonl ...] --out packed/ [--name train] [--count 1500]
                                  [--items 2 4] [--max-seconds 28] [--pause 0.3 1.2] [--seed 0]

Whisper decodes windows of up to 30 s, and in serving a window often holds several sentences (a
long file's VAD chunks are merged up to 30 s; a stream's window holds what was said since the
last endpoint). A model fine-tuned only on one short sentence per window learns to stop after the
first sentence and drops the rest. Packs teach it to go on: each is 2-4 utterances of the same
language (``--items``), in random order, joined by pauses drawn from ``--pause`` seconds, at most
``--max-seconds`` long, with their texts joined by a space. Packs are fixed files (written once,
``<out>/audio/<name>-pack-NNNNNN.wav`` + ``<out>/<name>.jsonl``), so a frozen encoder's outputs for them
are computed once and cached like any other utterance's. Each source utterance is used at most
once until all have been, then the next pass reshuffles. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awal.errors import InputError
from awal.manifest import ManifestRecord, read_manifest, write_manifest

__all__ = ["PackOptions", "pack_manifest"]

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class PackOptions:
    """How to pack (see the module docstring)."""

    count: int = 1000
    items: tuple[int, int] = (2, 4)
    max_seconds: float = 28.0
    pause: tuple[float, float] = (0.3, 1.2)
    seed: int = 0

    def __post_init__(self) -> None:
        lo, hi = self.items
        if not 2 <= lo <= hi:
            raise InputError(f"items must be 2 <= low <= high, got {self.items}")
        if not 0 <= self.pause[0] <= self.pause[1] or not 0 < self.max_seconds <= 30:
            raise InputError("pause must be 0 <= low <= high and max_seconds in (0, 30]")
        if self.count < 1:
            raise InputError(f"count must be at least 1, got {self.count}")


def _plan(records: Sequence[ManifestRecord], options: PackOptions) -> list[list[int]]:
    """Indices of the records in each pack (same language, within the length, no repeats in a pass)."""
    rng = random.Random(f"awal-pack/{options.seed}")
    by_lang: dict[str | None, list[int]] = {}
    for i, record in enumerate(records):
        by_lang.setdefault(record.lang, []).append(i)
    langs = sorted(by_lang, key=str)
    weights = [len(by_lang[lang]) for lang in langs]
    pools: dict[str | None, list[int]] = {lang: [] for lang in langs}
    packs: list[list[int]] = []
    attempts = 0
    while len(packs) < options.count:
        attempts += 1
        if attempts > options.count * 20:
            raise InputError(f"cannot make {options.count} packs: the utterances are too long for "
                             f"{options.max_seconds:g} s")  # fmt: skip
        lang = rng.choices(langs, weights)[0]
        want = rng.randint(*options.items)
        pack: list[int] = []
        total = 0.0
        for _ in range(want * 3):  # a few tries to fill the pack within the length
            if len(pack) == want:
                break
            if not pools[lang]:
                pools[lang] = rng.sample(by_lang[lang], len(by_lang[lang]))
            i = pools[lang][-1]
            extra = records[i].duration + (options.pause[1] if pack else 0.0)
            if total + extra > options.max_seconds:
                break
            pools[lang].pop()
            pack.append(i)
            total += extra
        if len(pack) >= options.items[0]:
            packs.append(pack)
    return packs


def pack_manifest(manifests: str | Path | Sequence[str | Path], out_dir: str | Path,
                  options: PackOptions | None = None, progress: bool = False, name: str = "train") -> Path:  # fmt: skip
    """Write ``options.count`` packs of the manifests' utterances; return ``<out_dir>/<name>.jsonl``."""
    from awal.audio import load_audio, write_audio

    options = options or PackOptions()
    sources = [manifests] if isinstance(manifests, (str, Path)) else list(manifests)
    limit = options.max_seconds / options.items[0]
    records = [r for m in sources for r in read_manifest(m) if r.duration <= limit]
    if len(records) < options.items[0]:
        raise InputError(f"{', '.join(map(str, sources))}: too few utterances short enough to pack")
    packs = _plan(records, options)
    out = Path(out_dir).resolve()
    (out / "audio").mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"awal-pack-pauses/{options.seed}")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(packs), unit="pack", desc="packing")
    rows = []
    for n, pack in enumerate(packs, start=1):
        parts: list[np.ndarray] = []
        for k, i in enumerate(pack):
            if k:
                parts.append(np.zeros(int(rng.uniform(*options.pause) * SAMPLE_RATE), dtype=np.float32))
            r = records[i]
            parts.append(load_audio(r.audio_filepath, sr=SAMPLE_RATE, offset=r.offset, duration=r.duration))
        audio = np.concatenate(parts)
        path = out / "audio" / f"{name}-pack-{n:06d}.wav"
        write_audio(path, audio, SAMPLE_RATE)
        first = records[pack[0]]
        rows.append(ManifestRecord(
            audio_filepath=str(path), duration=round(len(audio) / SAMPLE_RATE, 4),
            text=" ".join(records[i].text.strip() for i in pack), lang=first.lang,
            speaker=first.speaker, extra={"packed_from": [Path(records[i].audio_filepath).name for i in pack]},
        ))  # fmt: skip
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    target = out / f"{name}.jsonl"
    write_manifest(target, rows, relative_to=out)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.data.pack", description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="+", help="NeMo manifests (their short utterances are packed)")
    parser.add_argument("--out", required=True, help="folder for audio/ and <name>.jsonl")
    parser.add_argument("--name", default="train", help="the manifest's name (default train)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--items", type=int, nargs=2, default=(2, 4), metavar=("LO", "HI"))
    parser.add_argument("--max-seconds", type=float, default=28.0)
    parser.add_argument("--pause", type=float, nargs=2, default=(0.3, 1.2), metavar=("LO", "HI"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        options = PackOptions(args.count, tuple(args.items), args.max_seconds, tuple(args.pause), args.seed)
        target = pack_manifest(args.manifests, args.out, options, progress=True, name=args.name)
    except InputError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
