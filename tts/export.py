"""Export the TTS recipe's models to the voice folder the runtime reads (ONNX; no torch, no NeMo).

    awal export tts --fastpitch zgh=exp/.../fastpitch-zgh.nemo --fastpitch ary=... \\
        --vocoder exp/.../hifigan.nemo --out voices/awal-voice

writes::

    OUT/fastpitch-<lang>.onnx   one acoustic model per language (inputs text, pitch, pace; NeMo's export)
    OUT/hifigan.onnx           the vocoder shared by them (mel [1, 80, frames] -> audio [1, 1, samples])
    OUT/awal.json              what the runtime needs (:mod:`awal.tts.folder`)

Weights are stored as float16 and computed in float32 (:func:`store_half`: half the size).
``tokens`` are the acoustic model's inputs in id order (NeMo's tokenizer: space, the front-end's
symbols, padding, OOV), so the runtime maps the front-end's symbols by name, never by a shifted
number. ``--vocoder universal`` exports the universal HiFi-GAN as it is (no fine-tuning);
``--vocoder .../vocoder.pt`` the recipe's fast vocoder (:mod:`awal.tts.train.fast_vocoder`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awal.errors import InputError
from awal.tts.folder import write_voice_json

__all__ = ["export_tts"]


def _export_fastpitch(nemo: Path, out: Path) -> dict[str, Any]:
    from nemo.collections.tts.models import FastPitchModel

    if nemo.suffix == ".ckpt":  # a checkpoint of a run, finished or not
        model = FastPitchModel.load_from_checkpoint(str(nemo), map_location="cpu").eval()
    else:
        model = FastPitchModel.restore_from(str(nemo), map_location="cpu").eval()
    lang = model.cfg.get("lang")
    if lang is None:
        raise InputError(f"{nemo}: not a FastPitch of the awal recipe (its config has no lang)")
    model.export(str(out))
    return {"lang": str(lang), "symbol_set": str(model.cfg.get("symbol_set")), "tokens": list(model.vocab.tokens),
            "sample_rate": int(model.cfg.sample_rate), "hop_length": int(model.cfg.n_window_stride),
            "n_mels": int(model.cfg.n_mel_channels)}  # fmt: skip


def _vocoder_generator(source: str) -> Any:
    if source == "universal":
        from nemo.collections.tts.modules.hifigan_modules import Generator

        from awal.tts.train.hifigan import V1, universal_generator_state

        generator = Generator(**V1)
        generator.load_state_dict(universal_generator_state())
        return generator
    path = Path(source)
    if path.suffix == ".pt":  # the recipe's fast vocoder (awal.tts.train.fast_vocoder)
        if not path.is_file():
            raise InputError(f"--vocoder {source}: no such file")
        from awal.tts.train.fast_vocoder import load_generator

        return load_generator(path)
    if path.suffix != ".nemo":
        raise InputError(f"--vocoder {source!r}: give universal, a HiFi-GAN .nemo or a fast vocoder's vocoder.pt")
    from nemo.collections.tts.models import HifiGanModel

    return HifiGanModel.restore_from(str(path), map_location="cpu").generator


def store_half(path: Path, min_size: int = 1024) -> None:
    """Store the float32 weights of the ONNX model at ``path`` as float16, each followed by a Cast
    back to float32: half the file, the same float32 arithmetic (onnxruntime folds the casts when
    it loads the model). Weights round to ~3 significant digits: the vocoder's output moves by
    about 1% of its peak (-40 dB), the acoustic model's mel by less than its own error."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    halves, casts = [], []
    for weight in list(graph.initializer):
        if weight.data_type != TensorProto.FLOAT or int(np.prod(weight.dims)) < min_size:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(weight).astype(np.float16), f"{weight.name}__fp16")
        halves.append(half)
        casts.append(helper.make_node("Cast", [half.name], [weight.name], to=TensorProto.FLOAT,
                                      name=f"{weight.name}__to_fp32"))  # fmt: skip
        graph.initializer.remove(weight)
    graph.initializer.extend(halves)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.save(model, str(path))


def _export_vocoder(source: str, out: Path) -> None:
    import torch

    class Vocoder(torch.nn.Module):  # NeMo's typed modules take keyword arguments only; ONNX passes positions
        def __init__(self, generator: Any) -> None:
            super().__init__()
            self.generator = generator

        def forward(self, mel: Any) -> Any:
            return self.generator(x=mel)

    generator = _vocoder_generator(source).eval()
    generator.remove_weight_norm()
    mel = torch.randn(1, 80, 64)
    with torch.inference_mode():
        torch.onnx.export(Vocoder(generator), (mel,), str(out), input_names=["mel"], output_names=["audio"],
                          dynamic_axes={"mel": {2: "frames"}, "audio": {2: "samples"}}, opset_version=17,
                          dynamo=False)  # fmt: skip


def export_tts(fastpitch: Mapping[str, str | Path], vocoder: str, out_dir: str | Path,
               metrics: Mapping[str, Any] | None = None, name: str | None = None) -> Path:  # fmt: skip
    """Write the voice folder ``out_dir`` (see the module docstring); returns it."""
    out = Path(out_dir)
    if not fastpitch:
        raise InputError("give at least one acoustic model (--fastpitch LANG=FILE.nemo)")
    out.mkdir(parents=True, exist_ok=True)
    languages: dict[str, Any] = {}
    shape: dict[str, int] = {}
    for lang, nemo in fastpitch.items():
        path = Path(nemo)
        if not path.is_file():
            raise InputError(f"{path}: no such FastPitch .nemo (or .ckpt)")
        info = _export_fastpitch(path, out / f"fastpitch-{lang}.onnx")
        store_half(out / f"fastpitch-{lang}.onnx")
        if info["lang"] != lang:
            raise InputError(f"{path} was trained for {info['lang']!r}, not {lang!r}")
        frame = {k: info.pop(k) for k in ("sample_rate", "hop_length", "n_mels")}
        if shape and frame != shape:
            raise InputError(f"{path}: its mel ({frame}) differs from the other languages' ({shape})")
        shape = frame
        info.pop("lang")
        languages[lang] = {"acoustic": f"fastpitch-{lang}.onnx", **info, "source": str(path.resolve())}
    _export_vocoder(vocoder, out / "hifigan.onnx")
    store_half(out / "hifigan.onnx")
    write_voice_json(out, name=name or out.name, shape=shape, vocoder={
        "file": "hifigan.onnx", "source": vocoder if vocoder == "universal" else str(Path(vocoder).resolve())},
        languages=languages, metrics=metrics)  # fmt: skip
    return out
