"""CTranslate2 Whisper -> Hugging Face ``WhisperForConditionalGeneration``.

Fine-tuning needs PyTorch weights, and the Whisper awal installs (``whisper-base``, see
:mod:`awal.asr.model`) exists only as a CTranslate2 ``model.bin``. This module reads that file
itself and writes a Hugging Face model folder (``config.json``, ``generation_config.json``,
``model.safetensors``, the tokenizer and the feature extractor) that
``WhisperForConditionalGeneration.from_pretrained`` and ``WhisperProcessor.from_pretrained``
load. CTranslate2's own converter does the opposite direction (``awal export``).

The ``model.bin`` format (``ctranslate2/specs/model_spec.py``, ``ModelSpec._serialize``;
little-endian; a *string* is ``uint16`` length including a final NUL, the UTF-8 bytes, NUL)::

    uint32 binary_version (4 to 6 here)   string spec_name ("WhisperSpec")   uint32 spec_revision
    uint32 n_variables, then each:  string name, uint8 rank, uint32 dims[rank],
                                    uint8 dtype_id (float32 int8 int16 int32 float16 bfloat16),
                                    uint32 n_bytes, the raw row-major data
    uint32 n_aliases, then each:    string alias, string name of the variable it shares

The names (``WhisperSpec``, from ``ctranslate2/converters/transformers.py``, ``WhisperLoader``)
map back as in :func:`hf_state_dict`: fused projections are split (self-attention
``linear_0`` = q|k|v, cross-attention ``linear_1`` = k|v; Whisper's key projections have no
bias and CTranslate2 stores zeros there), layer norms' ``gamma``/``beta`` become
``weight``/``bias``, and the tied output projection is an alias of the token embeddings.
Weights are upcast to float32 (float16 -> float32 is exact). int8/int16 weights are
dequantized with their stored scales, which is not exact: convert from a float model when
there is one.

The numbers of heads are read from the file (``encoder/num_heads``, ``decoder/num_heads``),
every size from the weights' shapes, and the token ids from ``tokenizer.json`` and the
CTranslate2 ``config.json`` (``suppress_ids``, ``suppress_ids_begin``, ``lang_ids``,
``alignment_heads``), which become the generation config's ``suppress_tokens``,
``begin_suppress_tokens``, ``lang_to_id`` and ``alignment_heads``.

Command line::

    python -m awal.asr.train.ct2_to_hf whisper-base OUT_DIR      # or a CTranslate2 folder
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from awal.asr.export import NON_LANGUAGE_TOKENS
from awal.asr.model import BUNDLED_MODELS, ModelError, resolve_model

__all__ = [
    "CT2FormatError",
    "CT2Model",
    "WhisperDims",
    "convert_ct2_to_hf",
    "hf_state_dict",
    "main",
    "read_ct2_model",
    "whisper_dims",
]

log = logging.getLogger(__name__)

#: Type ids of ``model.bin`` variables (the order of CTranslate2's C++ ``DataType`` enum).
CT2_DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
#: Binary versions whose layout this reader knows (4 added the dtype ids; 6 is current).
SUPPORTED_BINARY_VERSIONS = range(4, 7)
_NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "int8": np.dtype("i1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "float16": np.dtype("<f2"),
    "bfloat16": np.dtype("<u2"),  # raw bits, widened to float32 on read
}
# CTranslate2 activation ids (ctranslate2/specs/common_spec.py, Activation): Whisper uses GELU (erf).
_GELU = 3
_LANGUAGE_TOKEN = re.compile(r"^<\|[a-z]{2,3}(?:_[a-z]+)?\|>$")


class CT2FormatError(ValueError):
    """A ``model.bin`` this module cannot read or map to Whisper; the message names the file."""


@dataclass(frozen=True, eq=False)
class CT2Model:
    """The content of a CTranslate2 ``model.bin``.

    ``variables`` maps every name, aliases included (they share the array of their target),
    to a numpy array in the stored dtype (bfloat16 widened to float32); scalars are 0-d arrays.
    """

    path: Path
    binary_version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        """The variable ``name``; :class:`CT2FormatError` naming the file when it is absent."""
        try:
            return self.variables[name]
        except KeyError:
            raise CT2FormatError(f"{self.path}: no variable {name!r} (spec {self.spec} rev {self.revision})") from None

    def scalar(self, name: str) -> int:
        """An integer attribute stored as a 0-d variable (``encoder/num_heads``, ...)."""
        return int(self.get(name).reshape(()))

    def float32(self, name: str) -> np.ndarray:
        """The variable ``name`` as float32, dequantized with ``<name>_scale`` when it has one."""
        value = self.get(name)
        scale = self.variables.get(f"{name}_scale")
        if scale is not None:
            scale = scale.astype(np.float32)
            if scale.ndim == 0:  # int16: one scale for the tensor
                return value.astype(np.float32) / scale
            shape = (-1,) + (1,) * (value.ndim - 1)  # int8: one scale per output row (conv: per channel)
            return value.astype(np.float32) / scale.reshape(shape)
        if value.dtype.kind != "f":
            raise CT2FormatError(f"{self.path}: {name!r} is {value.dtype} without a scale")
        return value.astype(np.float32)

    @property
    def quantized(self) -> bool:
        """True when some weights are stored as integers with scales (dequantizing is lossy)."""
        return any(name.endswith("_scale") for name in self.variables)


def _read_exact(f: IO[bytes], n: int, path: Path) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CT2FormatError(f"{path}: truncated at byte {f.tell()} (wanted {n} more bytes)")
    return data


def read_ct2_model(path: str | os.PathLike[str]) -> CT2Model:
    """Read a CTranslate2 ``model.bin`` (or the folder holding it). See the module docs for the layout."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.bin"
    if not path.is_file():
        raise CT2FormatError(f"{path}: no such file")

    with path.open("rb") as f:

        def unpack(fmt: str) -> int:
            return int(struct.unpack("<" + fmt, _read_exact(f, struct.calcsize(fmt), path))[0])

        def string() -> str:
            raw = _read_exact(f, unpack("H"), path)
            if not raw.endswith(b"\0"):
                raise CT2FormatError(f"{path}: malformed string before byte {f.tell()}")
            return raw[:-1].decode("utf-8")

        version = unpack("I")
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise CT2FormatError(
                f"{path}: model.bin binary version {version}; this reader knows versions "
                f"{SUPPORTED_BINARY_VERSIONS.start}-{SUPPORTED_BINARY_VERSIONS.stop - 1}"
            )
        spec, revision = string(), unpack("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(unpack("I")):
            name = string()
            shape = tuple(unpack("I") for _ in range(unpack("B")))
            type_id = unpack("B")
            if type_id >= len(CT2_DTYPES):
                raise CT2FormatError(f"{path}: variable {name!r} has unknown dtype id {type_id}")
            dtype_name = CT2_DTYPES[type_id]
            dtype = _NUMPY_DTYPES[dtype_name]
            n_bytes = unpack("I")
            expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if n_bytes != expected:
                raise CT2FormatError(f"{path}: variable {name!r} {shape} {dtype_name} has {n_bytes} bytes")
            array = np.frombuffer(_read_exact(f, n_bytes, path), dtype=dtype).reshape(shape)
            if dtype_name == "bfloat16":
                array = (array.astype(np.uint32) << 16).view(np.float32)
            variables[name] = array
        aliases: dict[str, str] = {}
        for _ in range(unpack("I")):
            alias, target = string(), string()
            aliases[alias] = target
        if f.read(1):
            raise CT2FormatError(f"{path}: unexpected bytes after the alias table")

    for alias, target in aliases.items():
        if target not in variables:
            raise CT2FormatError(f"{path}: alias {alias!r} points to missing variable {target!r}")
        variables[alias] = variables[target]
        for suffix in ("_scale", "_zero"):  # as CTranslate2's loader does for quantized weights
            if target + suffix in variables and alias + suffix not in variables:
                variables[alias + suffix] = variables[target + suffix]
    return CT2Model(
        path=path, binary_version=version, spec=spec, revision=revision, variables=variables, aliases=aliases
    )


@dataclass(frozen=True)
class WhisperDims:
    """The architecture of a Whisper model, read from a ``model.bin``."""

    n_mels: int
    d_model: int
    encoder_layers: int
    decoder_layers: int
    encoder_heads: int
    decoder_heads: int
    encoder_ffn_dim: int
    decoder_ffn_dim: int
    vocab_size: int
    max_source_positions: int
    max_target_positions: int
    tied_embeddings: bool


def _count_layers(ct2: CT2Model, scope: str) -> int:
    pattern = re.compile(rf"^{scope}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in ct2.variables if (m := pattern.match(name))}
    if not indices or indices != set(range(len(indices))):
        raise CT2FormatError(f"{ct2.path}: {scope} layers {sorted(indices)} are not 0..n-1")
    return len(indices)


def whisper_dims(ct2: CT2Model) -> WhisperDims:
    """The architecture of ``ct2`` (a ``WhisperSpec``), checking what HF Whisper cannot represent."""
    if ct2.spec != "WhisperSpec":
        raise CT2FormatError(f"{ct2.path}: spec {ct2.spec!r}, not a Whisper model (WhisperSpec)")
    for flag, wanted in (("decoder/pre_norm", 1), ("decoder/activation", _GELU), ("decoder/scale_embeddings", 0)):
        if flag in ct2.variables and ct2.scalar(flag) != wanted:
            raise CT2FormatError(f"{ct2.path}: {flag} = {ct2.scalar(flag)}, Whisper has {wanted}")
    if "decoder/projection/bias" in ct2.variables and np.any(ct2.float32("decoder/projection/bias")):
        raise CT2FormatError(f"{ct2.path}: the output projection has a bias, which Whisper's proj_out lacks")
    conv1 = ct2.get("encoder/conv1/weight")
    d_model = int(conv1.shape[0])
    tied = (
        ct2.aliases.get("decoder/projection/weight") == "decoder/embeddings/weight"
        or "decoder/projection/weight" not in ct2.variables
    )
    return WhisperDims(
        n_mels=int(conv1.shape[1]),
        d_model=d_model,
        encoder_layers=_count_layers(ct2, "encoder"),
        decoder_layers=_count_layers(ct2, "decoder"),
        encoder_heads=ct2.scalar("encoder/num_heads"),
        decoder_heads=ct2.scalar("decoder/num_heads"),
        encoder_ffn_dim=int(ct2.get("encoder/layer_0/ffn/linear_0/weight").shape[0]),
        decoder_ffn_dim=int(ct2.get("decoder/layer_0/ffn/linear_0/weight").shape[0]),
        vocab_size=int(ct2.get("decoder/embeddings/weight").shape[0]),
        max_source_positions=int(ct2.get("encoder/position_encodings/encodings").shape[0]),
        max_target_positions=int(ct2.get("decoder/position_encodings/encodings").shape[0]),
        tied_embeddings=tied,
    )


def _linear(ct2: CT2Model, src: str, dst: str, out: dict[str, np.ndarray]) -> None:
    out[f"{dst}.weight"] = ct2.float32(f"{src}/weight")
    if f"{src}/bias" in ct2.variables:
        out[f"{dst}.bias"] = ct2.float32(f"{src}/bias")


def _layer_norm(ct2: CT2Model, src: str, dst: str, out: dict[str, np.ndarray]) -> None:
    out[f"{dst}.weight"] = ct2.float32(f"{src}/gamma")
    out[f"{dst}.bias"] = ct2.float32(f"{src}/beta")


def _split_linear(ct2: CT2Model, src: str, dsts: Sequence[str], out: dict[str, np.ndarray]) -> None:
    """Split a fused linear (rows = the outputs of ``dsts`` in order); a ``k_proj`` keeps no bias.

    Whisper's key projections have no bias; CTranslate2 stores zeros in their slice of the
    fused bias. A nonzero key bias would not matter either: it adds ``q . b_k`` to every
    score of a query, which the softmax cancels. It is dropped, with a debug log.
    """
    weights = np.split(ct2.float32(f"{src}/weight"), len(dsts), axis=0)
    biases = np.split(ct2.float32(f"{src}/bias"), len(dsts)) if f"{src}/bias" in ct2.variables else [None] * len(dsts)
    for dst, weight, bias in zip(dsts, weights, biases):
        out[f"{dst}.weight"] = weight
        if bias is None:
            continue
        if dst.endswith("k_proj"):
            if np.any(bias):
                log.debug("%s: dropping a nonzero key bias (softmax-invariant)", dst)
            continue
        out[f"{dst}.bias"] = bias


def hf_state_dict(ct2: CT2Model, dims: WhisperDims | None = None) -> dict[str, np.ndarray]:
    """The ``WhisperForConditionalGeneration`` state dict (float32 numpy arrays) of ``ct2``.

    ============================================================  =========================================
    CTranslate2 (``WhisperSpec``)                                  Hugging Face
    ============================================================  =========================================
    ``encoder/conv{1,2}/{weight,bias}``                            ``model.encoder.conv{1,2}.*``
    ``encoder/position_encodings/encodings``                       ``model.encoder.embed_positions.weight``
    ``{enc,dec}/layer_i/self_attention/linear_0`` (q|k|v)          ``....layers.i.self_attn.{q,k,v}_proj``
    ``{enc,dec}/layer_i/self_attention/linear_1``                  ``....layers.i.self_attn.out_proj``
    ``{enc,dec}/layer_i/self_attention/layer_norm/{gamma,beta}``   ``....layers.i.self_attn_layer_norm``
    ``decoder/layer_i/attention/linear_0`` (q)                     ``....layers.i.encoder_attn.q_proj``
    ``decoder/layer_i/attention/linear_1`` (k|v)                   ``....layers.i.encoder_attn.{k,v}_proj``
    ``decoder/layer_i/attention/linear_2``                         ``....layers.i.encoder_attn.out_proj``
    ``decoder/layer_i/attention/layer_norm``                       ``....layers.i.encoder_attn_layer_norm``
    ``{enc,dec}/layer_i/ffn/linear_{0,1}``                         ``....layers.i.fc{1,2}``
    ``{enc,dec}/layer_i/ffn/layer_norm``                           ``....layers.i.final_layer_norm``
    ``{enc,dec}/layer_norm``                                       ``model.{encoder,decoder}.layer_norm``
    ``decoder/embeddings/weight``                                  ``model.decoder.embed_tokens.weight``
    ``decoder/position_encodings/encodings``                       ``model.decoder.embed_positions.weight``
    ``decoder/projection/weight`` (alias of the embeddings)        ``proj_out.weight`` (tied)
    ============================================================  =========================================
    """
    dims = whisper_dims(ct2) if dims is None else dims
    out: dict[str, np.ndarray] = {}
    enc, dec = "model.encoder", "model.decoder"
    _linear(ct2, "encoder/conv1", f"{enc}.conv1", out)
    _linear(ct2, "encoder/conv2", f"{enc}.conv2", out)
    out[f"{enc}.embed_positions.weight"] = ct2.float32("encoder/position_encodings/encodings")
    for i in range(dims.encoder_layers):
        src, dst = f"encoder/layer_{i}", f"{enc}.layers.{i}"
        attn = f"{dst}.self_attn"
        _split_linear(ct2, f"{src}/self_attention/linear_0", [f"{attn}.{x}_proj" for x in "qkv"], out)
        _linear(ct2, f"{src}/self_attention/linear_1", f"{attn}.out_proj", out)
        _layer_norm(ct2, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm", out)
        _linear(ct2, f"{src}/ffn/linear_0", f"{dst}.fc1", out)
        _linear(ct2, f"{src}/ffn/linear_1", f"{dst}.fc2", out)
        _layer_norm(ct2, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm", out)
    _layer_norm(ct2, "encoder/layer_norm", f"{enc}.layer_norm", out)

    out[f"{dec}.embed_tokens.weight"] = ct2.float32("decoder/embeddings/weight")
    out[f"{dec}.embed_positions.weight"] = ct2.float32("decoder/position_encodings/encodings")
    for i in range(dims.decoder_layers):
        src, dst = f"decoder/layer_{i}", f"{dec}.layers.{i}"
        attn, cross = f"{dst}.self_attn", f"{dst}.encoder_attn"
        _split_linear(ct2, f"{src}/self_attention/linear_0", [f"{attn}.{x}_proj" for x in "qkv"], out)
        _linear(ct2, f"{src}/self_attention/linear_1", f"{attn}.out_proj", out)
        _layer_norm(ct2, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm", out)
        _linear(ct2, f"{src}/attention/linear_0", f"{cross}.q_proj", out)
        _split_linear(ct2, f"{src}/attention/linear_1", [f"{cross}.k_proj", f"{cross}.v_proj"], out)
        _linear(ct2, f"{src}/attention/linear_2", f"{cross}.out_proj", out)
        _layer_norm(ct2, f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm", out)
        _linear(ct2, f"{src}/ffn/linear_0", f"{dst}.fc1", out)
        _linear(ct2, f"{src}/ffn/linear_1", f"{dst}.fc2", out)
        _layer_norm(ct2, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm", out)
    _layer_norm(ct2, "decoder/layer_norm", f"{dec}.layer_norm", out)
    if dims.tied_embeddings:
        out["proj_out.weight"] = out[f"{dec}.embed_tokens.weight"]
    else:
        out["proj_out.weight"] = ct2.float32("decoder/projection/weight")
    return out


# --- tokens and configs ---------------------------------------------------------------------


def _token_ids(ct2_dir: Path) -> dict[str, int]:
    """Token -> id of the special tokens, from ``tokenizer.json`` (else CTranslate2's vocabulary)."""
    tokenizer = ct2_dir / "tokenizer.json"
    if tokenizer.is_file():
        added = json.loads(tokenizer.read_text(encoding="utf-8")).get("added_tokens", [])
        return {tok["content"]: int(tok["id"]) for tok in added}
    vocabulary = ct2_dir / "vocabulary.json"
    if vocabulary.is_file():
        tokens = json.loads(vocabulary.read_text(encoding="utf-8"))
        return {tok: i for i, tok in enumerate(tokens) if tok.startswith("<|") and tok.endswith("|>")}
    raise CT2FormatError(f"{ct2_dir}: neither tokenizer.json nor vocabulary.json")


def _special(ids: dict[str, int], token: str, where: Path) -> int:
    if token not in ids:
        raise CT2FormatError(f"{where}: the tokenizer has no {token}")
    return ids[token]


def _generation_settings(ct2_dir: Path, dims: WhisperDims) -> dict[str, Any]:
    """The token ids and generation settings of the model in ``ct2_dir``."""
    ids = _token_ids(ct2_dir)
    config_path = ct2_dir / "config.json"
    ct2_config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    id_to_token = {i: t for t, i in ids.items()}
    if ct2_config.get("lang_ids"):
        missing = [i for i in ct2_config["lang_ids"] if i not in id_to_token]
        if missing:
            raise CT2FormatError(f"{config_path}: lang_ids {missing[:5]} are not tokenizer special tokens")
        lang_to_id = {id_to_token[i]: int(i) for i in ct2_config["lang_ids"]}
    else:
        lang_to_id = {t: i for t, i in ids.items() if t not in NON_LANGUAGE_TOKENS and _LANGUAGE_TOKEN.match(t)}
    eot = _special(ids, "<|endoftext|>", ct2_dir)
    heads = ct2_config.get("alignment_heads") or [
        [layer, head]
        for layer in range(dims.decoder_layers // 2, dims.decoder_layers)
        for head in range(dims.decoder_heads)
    ]
    return {
        "eot": eot,
        "sot": _special(ids, "<|startoftranscript|>", ct2_dir),
        "lang_to_id": dict(sorted(lang_to_id.items(), key=lambda kv: kv[1])),
        "task_to_id": {
            "transcribe": _special(ids, "<|transcribe|>", ct2_dir),
            "translate": _special(ids, "<|translate|>", ct2_dir),
        },
        "no_timestamps": _special(ids, "<|notimestamps|>", ct2_dir),
        "prev_sot": ids.get("<|startofprev|>"),
        "suppress_tokens": [int(i) for i in ct2_config.get("suppress_ids", [])],
        "begin_suppress_tokens": [int(i) for i in ct2_config.get("suppress_ids_begin", [220, eot])],
        "alignment_heads": [[int(layer), int(head)] for layer, head in heads],
    }


def convert_ct2_to_hf(ct2_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Write the Hugging Face model, tokenizer and feature extractor of a CTranslate2 Whisper.

    ``ct2_dir`` holds ``model.bin`` (float16/float32/bfloat16 convert exactly; int8/int16 are
    dequantized), ``tokenizer.json`` and CTranslate2's ``config.json``; a
    ``preprocessor_config.json`` there is used for the feature extractor, else Whisper's
    defaults with the model's number of mel bins. Returns ``out_dir``, which
    ``WhisperForConditionalGeneration.from_pretrained`` and ``WhisperProcessor.from_pretrained``
    then load (weights in float32).
    """
    import torch
    from transformers import (  # type: ignore[attr-defined]  # WhisperTokenizerFast: a lazy alias in transformers 5
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    tokenizer_file = ct2_dir / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise CT2FormatError(f"{ct2_dir}: no tokenizer.json (the Hugging Face tokenizer is built from it)")
    ct2 = read_ct2_model(ct2_dir)
    if ct2.quantized:
        log.warning("%s: quantized weights are dequantized: the converted model is not exact", ct2.path)
    dims = whisper_dims(ct2)
    gen = _generation_settings(ct2_dir, dims)

    config = WhisperConfig(
        vocab_size=dims.vocab_size,
        num_mel_bins=dims.n_mels,
        d_model=dims.d_model,
        encoder_layers=dims.encoder_layers,
        decoder_layers=dims.decoder_layers,
        encoder_attention_heads=dims.encoder_heads,
        decoder_attention_heads=dims.decoder_heads,
        encoder_ffn_dim=dims.encoder_ffn_dim,
        decoder_ffn_dim=dims.decoder_ffn_dim,
        max_source_positions=dims.max_source_positions,
        max_target_positions=dims.max_target_positions,
        activation_function="gelu",
        scale_embedding=False,
        tie_word_embeddings=dims.tied_embeddings,
        pad_token_id=gen["eot"],
        bos_token_id=gen["eot"],
        eos_token_id=gen["eot"],
        decoder_start_token_id=gen["sot"],
        suppress_tokens=gen["suppress_tokens"],
        begin_suppress_tokens=gen["begin_suppress_tokens"],
    )
    model = WhisperForConditionalGeneration(config)
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in hf_state_dict(ct2, dims).items()}
    if dims.tied_embeddings:
        state.pop("proj_out.weight")  # tied: the model shares the decoder's embeddings
    result = model.load_state_dict(state, strict=False)
    missing = [key for key in result.missing_keys if not (dims.tied_embeddings and key == "proj_out.weight")]
    if missing or result.unexpected_keys:
        raise CT2FormatError(f"{ct2.path}: missing {missing}, unexpected {result.unexpected_keys}")
    if dims.tied_embeddings:
        model.tie_weights()
        if model.proj_out.weight.data_ptr() != model.model.decoder.embed_tokens.weight.data_ptr():
            raise CT2FormatError(f"{ct2.path}: proj_out is not tied to the embeddings after loading")

    model.generation_config = GenerationConfig(
        decoder_start_token_id=gen["sot"],
        bos_token_id=gen["eot"],
        eos_token_id=gen["eot"],
        pad_token_id=gen["eot"],
        max_length=dims.max_target_positions,
        suppress_tokens=gen["suppress_tokens"],
        begin_suppress_tokens=gen["begin_suppress_tokens"],
        alignment_heads=gen["alignment_heads"],
        lang_to_id=gen["lang_to_id"],
        task_to_id=gen["task_to_id"],
        is_multilingual=bool(gen["lang_to_id"]),
        no_timestamps_token_id=gen["no_timestamps"],
        prev_sot_token_id=gen["prev_sot"],
        max_initial_timestamp_index=50,
        return_timestamps=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)

    tokenizer = WhisperTokenizerFast(tokenizer_file=str(tokenizer_file))
    preprocessor = ct2_dir / "preprocessor_config.json"
    if preprocessor.is_file():
        feature_extractor = WhisperFeatureExtractor.from_pretrained(ct2_dir)
        if feature_extractor.feature_size != dims.n_mels:
            raise CT2FormatError(
                f"{preprocessor}: feature_size {feature_extractor.feature_size}, the model has {dims.n_mels} mel bins"
            )
    else:
        feature_extractor = WhisperFeatureExtractor(feature_size=dims.n_mels)
    WhisperProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer).save_pretrained(out_dir)
    # preprocessor_config.json too: faster-whisper and transformers 4.x read that file.
    feature_extractor.save_pretrained(out_dir)
    return out_dir


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m awal.asr.train.ct2_to_hf SOURCE OUT_DIR``: SOURCE is a folder or a bundled model name."""
    parser = argparse.ArgumentParser(
        prog="python -m awal.asr.train.ct2_to_hf",
        description="CTranslate2 Whisper -> Hugging Face WhisperForConditionalGeneration",
    )
    parser.add_argument("source", help="a CTranslate2 Whisper folder, or a bundled model name (whisper-base)")
    parser.add_argument("out_dir", help="the Hugging Face model folder to write")
    args = parser.parse_args(argv)
    try:
        source = resolve_model(args.source) if args.source in BUNDLED_MODELS else args.source
        if not Path(source).is_dir():
            parser.error(f"{source}: not a folder")
        out = convert_ct2_to_hf(source, args.out_dir)
    except (CT2FormatError, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
