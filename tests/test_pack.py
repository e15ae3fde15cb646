"""awal.data.pack: several short utterances joined into one window, with their texts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "samples" / "audio" / "heldout.jsonl"


def test_packs_join_audio_and_text_per_language(tmp_path: Path) -> None:
    from awal.audio import load_audio
    from awal.data.pack import PackOptions, pack_manifest
    from awal.manifest import read_manifest, validate_manifest

    sources = {Path(r.audio_filepath).name: r for r in read_manifest(HELDOUT)}
    target = pack_manifest(HELDOUT, tmp_path / "packed", PackOptions(count=4, items=(2, 2), pause=(0.5, 0.5), seed=3))
    assert validate_manifest(target, check_audio=True).ok
    packs = list(read_manifest(target))
    assert len(packs) == 4
    used: list[str] = []
    for pack in packs:
        parts = [sources[name] for name in pack.extra["packed_from"]]
        assert len(parts) == 2 and {p.lang for p in parts} == {pack.lang}  # one language per pack
        assert pack.text == " ".join(p.text for p in parts)
        assert pack.duration == pytest.approx(sum(p.duration for p in parts) + 0.5, abs=2e-3)
        audio = load_audio(pack.audio_filepath, sr=16000)
        first = load_audio(parts[0].audio_filepath, sr=16000, duration=parts[0].duration)
        assert np.allclose(audio[: len(first)], first, atol=1e-4)  # the first utterance, then the pause
        assert np.abs(audio[len(first) : len(first) + 8000]).max() == 0
        used += [(pack.lang, name) for name in pack.extra["packed_from"]]
    for lang in {lang for lang, _ in used}:  # per language, every utterance once before any repeats
        names = [name for code, name in used if code == lang]
        k = sum(1 for r in sources.values() if r.lang == lang)
        assert len(set(names[:k])) == len(names[:k])
    again = pack_manifest(HELDOUT, tmp_path / "again", PackOptions(count=4, items=(2, 2), pause=(0.5, 0.5), seed=3))
    assert [r.text for r in read_manifest(again)] == [r.text for r in packs]  # deterministic for a seed


def test_bad_options_and_the_command(tmp_path: Path) -> None:
    from awal.data.pack import PackOptions, pack_manifest

    with pytest.raises(InputError, match="items"):
        PackOptions(items=(1, 3))
    with pytest.raises(InputError, match="too few utterances short enough"):
        pack_manifest(HELDOUT, tmp_path / "x", PackOptions(count=2, max_seconds=3.0))
    done = subprocess.run([sys.executable, "-m", "awal.data.pack", str(HELDOUT), "--out", str(tmp_path / "cli"),
                           "--name", "test", "--count", "2", "--items", "2", "3"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli" / "test.jsonl").is_file() and len(list((tmp_path / "cli" / "audio").glob("*.wav"))) == 2
    bad = subprocess.run([sys.executable, "-m", "awal.data.pack", str(HELDOUT), "--out", str(tmp_path / "b"),
                          "--items", "1", "2"], capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert bad.returncode == 2 and "items" in bad.stderr
