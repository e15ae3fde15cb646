"""Stage 3 of the TTS recipe: FastPitch's mels of the training audio, for fine-tuning the vocoder.

    python -m awal.tts.train.mels exp/fastpitch-zgh/run/fastpitch-zgh.nemo data/tts-zgh/train.jsonl \\
        --out data/mels-zgh/train.jsonl

Each utterance goes through FastPitch teacher-forced: the aligner's durations and the measured
pitch, so that the predicted mel lines up frame by frame with the recorded audio. HiFi-GAN then
learns to turn FastPitch's (slightly smoothed) mels into the real audio. Writes one ``.npy`` per
utterance (80 x frames, float32) and a manifest with ``mel_filepath`` beside ``audio_filepath``,
as NeMo's ``VocoderDataset`` reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["generate_mels", "main"]


def _dataset(model: Any, manifest: Path, sup_data_path: str | None) -> Any:
    from nemo.collections.tts.data.dataset import TTSDataset
    from omegaconf import OmegaConf

    container = OmegaConf.to_container(model.cfg.validation_ds.dataset, resolve=True)
    assert isinstance(container, dict)
    params: dict[str, Any] = {str(k): v for k, v in container.items() if k != "_target_"}
    params["manifest_filepath"] = str(manifest)
    params["max_duration"] = None  # every utterance of the manifest gets its mel
    params["min_duration"] = None
    if sup_data_path:
        params["sup_data_path"] = sup_data_path
    return TTSDataset(text_tokenizer=model.vocab, **params)


def generate_mels(nemo: str | Path, manifest: str | Path, out: str | Path, sup_data_path: str | None = None) -> Path:
    import torch
    from nemo.collections.tts.models import FastPitchModel
    from tqdm import tqdm

    manifest, out = Path(manifest), Path(out)
    mel_dir = out.parent / f"mels-{out.stem}"
    mel_dir.mkdir(parents=True, exist_ok=True)
    model = FastPitchModel.restore_from(str(nemo), map_location="cpu").eval()
    dataset = _dataset(model, manifest, sup_data_path)
    rows = []
    with torch.inference_mode():
        for i in tqdm(range(len(dataset)), desc="mels", unit="utt"):
            audio, audio_len, text, text_len, _, _, _, prior, pitch = dataset[i][:9]
            spec, spec_len = model.preprocessor(input_signal=audio[None], length=audio_len[None])
            mels = model(text=text[None], durs=None, pitch=pitch[None], speaker=None, pace=1.0, spec=spec,
                         attn_prior=prior[None], mel_lens=spec_len, input_lens=text_len[None])[0]  # fmt: skip
            sample = dataset.data[i]
            path = mel_dir / f"{Path(sample['audio_filepath']).stem}.npy"
            np.save(path, mels[0, :, : int(spec_len[0])].float().numpy())
            rows.append(json.dumps({"audio_filepath": sample["audio_filepath"], "duration": sample["duration"],
                                    "mel_filepath": str(path.resolve()), "text": sample["original_text"]},
                                   ensure_ascii=False))  # fmt: skip
    out.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.tts.train.mels", description=__doc__.split("\n\n")[0])
    parser.add_argument("fastpitch", help="the FastPitch .nemo (stage 2)")
    parser.add_argument("manifest", help="a TTS manifest (stage 0)")
    parser.add_argument("--out", required=True, help="the vocoder manifest to write (mels beside it)")
    parser.add_argument("--sup-data-path", help="the pitch cache (default: the one FastPitch trained with)")
    args = parser.parse_args(argv)
    print(generate_mels(args.fastpitch, args.manifest, args.out, args.sup_data_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
