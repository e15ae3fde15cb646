"""NeMo's and Lhotse's own readers load what awal prepare writes, audio included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from awal.data.base import PrepareOptions, Utterance
from awal.data.prepare import prepare
from awal.manifest import read_manifest

nemo_adapters = pytest.importorskip("nemo.collections.common.data.lhotse.nemo_adapters")
lhotse = pytest.importorskip("lhotse")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    rate = 16000
    utts = []
    for i, text in enumerate(["ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵡⴰⵢⵜ", "ⴰⴳⵯⵔⵔⴰⵡ"]):
        t = np.arange(int((1 + i) * rate)) / rate
        path = root / f"{i}.wav"
        sf.write(path, (0.2 * np.sin(2 * np.pi * (200 + 50 * i) * t)).astype(np.float32), rate)
        utts.append(Utterance(f"utt{i}", str(path), text, speaker=f"s{i}", split="train"))
    # a segment of a longer recording, as Kaldi segments give
    utts.append(Utterance("seg", str(root / "2.wav"), "ⴰⵣⵓⵍ", speaker="s2", split="train", offset=0.5, duration=1.0))
    prepare(utts, root / "out", PrepareOptions(lang="zgh"), corpus="replica")
    return root / "out" / "train.jsonl"


def test_nemo_lhotse_adapter_reads_every_field_and_the_audio(prepared: Path) -> None:
    cuts = lhotse.CutSet(nemo_adapters.LazyNeMoIterator(str(prepared)))
    ours = {rec.extra["id"]: rec for rec in read_manifest(prepared)}
    seen = 0
    for cut in cuts:
        rec = ours[cut.custom["id"]]
        (sup,) = cut.supervisions
        assert sup.text == rec.text and sup.language == "zgh"
        assert cut.duration == pytest.approx(rec.duration)
        assert cut.sampling_rate == 16000
        audio = cut.load_audio()
        assert audio.shape == (1, round(rec.duration * 16000))
        assert np.abs(audio).max() == pytest.approx(0.2, abs=0.01)
        assert cut.custom["text_raw"] == rec.extra["text_raw"] and cut.custom["speaker"] == rec.speaker
        seen += 1
    assert seen == len(ours) == 4


def test_nemo_asr_dataset_reads_manifest_and_audio(prepared: Path) -> None:
    from nemo.collections.asr.data.audio_to_text import AudioToCharDataset

    records = list(read_manifest(prepared))
    labels = sorted({ch for rec in records for ch in rec.text})
    # "base": NeMo's plain character parser (its default "en" parser keeps English letters only)
    dataset = AudioToCharDataset(manifest_filepath=str(prepared), labels=labels, sample_rate=16000, parser="base")
    assert len(dataset) == len(records)
    by_duration = sorted(records, key=lambda r: r.duration)
    lengths = sorted(int(dataset[i][1]) for i in range(len(dataset)))
    assert lengths == [round(r.duration * 16000) for r in by_duration]
    # the characters come back as the labels of the manifest text (NeMo's char parser)
    texts = {"".join(labels[int(t)] for t in dataset[i][2][: int(dataset[i][3])]) for i in range(len(dataset))}
    assert texts == {rec.text for rec in records}
