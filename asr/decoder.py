"""The one Whisper decoder: windows of at most 30 s decoded in batches, with word times.

Every path that turns audio into text goes through :class:`BatchDecoder`, so that a CER measured
is the CER served: the streaming engine (one window per session with new audio), batch
transcription (``awal transcribe``: short inputs, and the speech windows of long ones), and
evaluation (``awal eval asr``). The windows' log-mel features (faster-whisper's, zero-padded to
30 s, or to each window's short context for a model trained so) go through the encoder as one
batch per input length, whatever their languages; windows without a language (``language=auto``)
get Whisper's language detection on that encoder output, restricted to the languages allowed;
then the decoder runs, greedily unless a beam is asked for, one batch per language with its
prompt (``<|startoftranscript|><|xx|><|transcribe|><|notimestamps|>``, the tokens
faster-whisper's ``transcribe`` suppresses), at most ``max_new_tokens`` tokens, and
CTranslate2's cross-attention alignment gives word times (the same computation as
faster-whisper's ``word_timestamps``). Every hypothesis carries the language it was decoded in
and the scores the callers' guards read: average log-probability, no-speech probability,
compression ratio. No temperature fallback, no sampling: the same audio gives the same tokens.

Script-safe decoding: one decoder writes several scripts (the bundled model: Darija in Arabic
script, Tamazight in IRCAM Latin), and on hard audio it can slip a letter of one into the other
(``أه ṭوموبيل``). Given the script the model writes each language in (``scripts``: Whisper code ->
``Arab``/``Latn``/``Tfng``, :meth:`awal.asr.folder.ModelInfo.output_scripts`), the decoder also
suppresses, for that language, every token whose bytes can only write characters foreign to
its script (:func:`awal.text.scripts.foreign_bytes`: whole foreign letters, and lead bytes that
start nothing else the script needs), and drops any foreign character a hypothesis still
assembles from pieces it could not suppress (:func:`awal.text.scripts.strip_foreign`;
:attr:`BatchDecoder.guard_acted` counts those hypotheses, ~never).
"""

from __future__ import annotations

import functools
import logging
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from awal.asr.streaming.agreement import TimedWord
from awal.text.scripts import foreign_bytes, strip_foreign

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = ["BatchDecoder", "DecodeRequest", "Hypothesis", "compression_ratio", "token_bytes"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
N_FRAMES = 3000


def compression_ratio(text: str) -> float:
    """Whisper's repetition gauge: bytes over zlib-compressed bytes (above ~2.4: a loop)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


@dataclass(frozen=True)
class DecodeRequest:
    """One window to decode: 16 kHz mono float32 of at most 30 s, and the Whisper language code;
    ``None`` to detect it among ``candidates`` (Whisper codes)."""

    audio: np.ndarray
    language: str | None
    candidates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.language is None and not self.candidates:
            raise ValueError("a request without a language needs candidates to detect it among")


@dataclass(frozen=True)
class Hypothesis:
    """What the decoder heard in one window; word times are seconds from the window's start."""

    text: str
    words: tuple[TimedWord, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    language: str = ""  # the Whisper code it was decoded in (detected, for requests without one)
    language_probability: float = 1.0  # of that detection, among the candidates (1.0 when given)


class BatchDecoder:
    """Batched decoding (greedy, or beam search) with word times over a loaded faster-whisper model."""

    def __init__(self, model: WhisperModel, max_new_tokens: int = 128, context_bucket_s: float | None = None,
                 scripts: Mapping[str, str] | None = None) -> None:  # fmt: skip
        """``max_new_tokens``: the most text tokens a window gets (a bound on a decoding loop's
        cost). ``context_bucket_s``: encode each window with a short context
        of this granularity (:func:`awal.asr.features.context_frames`), for a model trained so
        (its ``awal.json`` ``encoder_context``); None: 30 s, as faster-whisper does.
        ``scripts``: Whisper code -> the script the model writes that language in
        (:meth:`awal.asr.folder.ModelInfo.output_scripts`); a language listed there decodes
        script-safe (the module docstring), one not listed as the model would."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.max_new_tokens = max_new_tokens
        self.context_bucket_s = context_bucket_s
        self._tokenizer_class = Tokenizer
        self._tokenizers: dict[str, Any] = {}
        base = self._tokenizer("en" if "en" in model.supported_languages else model.supported_languages[0])
        # what WhisperModel.transcribe suppresses by default (suppress_tokens=[-1]); CTranslate2 adds
        # the model's own suppress_ids from its config.json
        self.suppress = list(get_suppressed_tokens(base, (-1,)) or [])
        self.scripts = dict(scripts or {})
        self._by_script: dict[str, list[int]] = {}  # output script -> its foreign tokens
        self._by_language: dict[str, list[int]] = {}  # Whisper code -> all it suppresses
        self.guard_acted = 0  # hypotheses the text guard had to clean (strip_foreign)
        for language in self.scripts:  # built once, with the model, not on a first request
            self.suppressed(language)

    def script_suppressed(self, script: str) -> list[int]:
        """The text tokens of the model's vocabulary that can only write characters foreign to
        ``script`` (:func:`awal.text.scripts.foreign_bytes` on each token's bytes); made once
        per script."""
        if script not in self._by_script:
            eot = self._tokenizer(self.model.supported_languages[0]).eot
            vocab = self.model.hf_tokenizer
            self._by_script[script] = [
                i for i in range(eot) if (data := token_bytes(vocab.id_to_token(i))) and foreign_bytes(data, script)
            ]
        return self._by_script[script]

    def suppressed(self, language: str) -> list[int]:
        """Every token ``language`` (a Whisper code) is decoded without: faster-whisper's default
        set, and those foreign to the language's script (when :attr:`scripts` names it)."""
        if language not in self._by_language:
            script = self.scripts.get(language)
            extra = self.script_suppressed(script) if script else []
            self._by_language[language] = sorted(set(self.suppress) | set(extra))
        return self._by_language[language]

    def guard(self, text: str, language: str) -> tuple[str, bool]:
        """``text`` decoded in ``language`` without characters foreign to its script (a no-op for
        a language :attr:`scripts` does not name), and whether any were dropped."""
        script = self.scripts.get(language)
        if not script:
            return text, False
        clean, dropped = strip_foreign(text, script)
        return clean, dropped > 0

    def _tokenizer(self, language: str) -> Any:
        if language not in self._tokenizers:
            self._tokenizers[language] = self._tokenizer_class(
                self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language
            )
        return self._tokenizers[language]

    def _features(self, audio: np.ndarray) -> tuple[np.ndarray, int]:
        """(the encoder's input, its content frames): faster-whisper's features, zero-padded to
        30 s, or to the window's short context."""
        from awal.asr.features import context_frames, encoder_input

        width = context_frames(len(audio), self.context_bucket_s)
        return encoder_input(self.model.feature_extractor(np.asarray(audio, dtype=np.float32)), width)

    def decode(self, requests: Sequence[DecodeRequest], word_times: bool = True,
               beam_size: int = 1) -> list[Hypothesis]:  # fmt: skip
        """One hypothesis per request, in order; ``word_times=False`` skips the alignment (the
        hypotheses then have no words); ``beam_size`` 1 is greedy, more a beam search (Whisper's
        patience and length penalty, 1.0)."""
        if beam_size < 1:
            raise ValueError(f"beam_size must be at least 1, got {beam_size}")
        for request in requests:
            if len(request.audio) > 30 * SAMPLE_RATE:
                raise ValueError(f"a window of {len(request.audio) / SAMPLE_RATE:.1f} s is longer than 30 s")
        if not requests:
            return []
        inputs = [self._features(r.audio) for r in requests]
        by_width: dict[int, list[int]] = {}
        for i, (features, _) in enumerate(inputs):
            by_width.setdefault(features.shape[-1], []).append(i)
        out: list[Hypothesis | None] = [None] * len(requests)
        for rows in by_width.values():  # one encoder batch per input length
            hyps = self._decode_equal([requests[i] for i in rows], [inputs[i] for i in rows], word_times, beam_size)
            for i, hyp in zip(rows, hyps):
                out[i] = hyp
        return [h for h in out if h is not None]

    def _decode_equal(self, requests: Sequence[DecodeRequest], inputs: Sequence[tuple[np.ndarray, int]],
                      word_times: bool, beam_size: int = 1) -> list[Hypothesis]:  # fmt: skip
        """Requests whose encoder inputs have one length."""
        feats, frames = zip(*inputs)
        encoded = _Encoded(self.model, np.stack(feats))
        languages = [r.language for r in requests]
        confidence = [1.0] * len(requests)
        unknown = [i for i, lang in enumerate(languages) if lang is None]
        if unknown:
            for i, scores in zip(unknown, self.model.model.detect_language(encoded.subset(unknown))):
                allowed = set(requests[i].candidates)
                found = [(tok[2:-2], p) for tok, p in scores if tok[2:-2] in allowed]  # "<|ar|>" -> "ar"
                languages[i] = found[0][0] if found else requests[i].candidates[0]
                total = sum(p for _, p in found)
                confidence[i] = round(found[0][1] / total, 4) if found and total > 0 else 0.0
        out: list[Hypothesis | None] = [None] * len(requests)
        by_language: dict[str, list[int]] = {}
        for i, lang in enumerate(languages):
            assert lang is not None
            by_language.setdefault(lang, []).append(i)
        for language, indices in by_language.items():
            hyps = self._decode_language(language, encoded, indices, [requests[i].audio for i in indices],
                                         [frames[i] for i in indices], word_times, beam_size)  # fmt: skip
            for i, hyp in zip(indices, hyps):
                out[i] = replace(hyp, language_probability=confidence[i])
        return [h for h in out if h is not None]

    def _decode_language(self, language: str, encoded: _Encoded, indices: list[int], audios: list[np.ndarray],
                         frames: list[int], word_times: bool = True,
                         beam_size: int = 1) -> list[Hypothesis]:  # fmt: skip
        tokenizer = self._tokenizer(language)
        encoder_output = encoded.subset(indices)
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        results = self.model.model.generate(
            encoder_output,
            [prompt] * len(audios),
            beam_size=beam_size,
            max_length=len(prompt) + self.max_new_tokens,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self.suppressed(language),
        )
        tokens = [[t for t in r.sequences_ids[0] if t < tokenizer.eot] for r in results]
        with_text = [i for i, t in enumerate(tokens) if t] if word_times else []
        words: dict[int, list[dict]] = {}
        if with_text:
            subset = encoder_output
            if len(with_text) != len(audios):
                subset = encoded.subset([indices[i] for i in with_text])
            aligned = self.model.model.align(
                subset, tokenizer.sot_sequence, [tokens[i] for i in with_text], [frames[i] for i in with_text]
            )
            for i, result in zip(with_text, aligned):
                words[i] = _words(tokenizer, tokens[i], result, self.model.tokens_per_second)
        hyps = []
        for i, (result, toks) in enumerate(zip(results, tokens)):
            text, acted = self.guard(tokenizer.decode(toks).strip(), language)
            length = len(audios[i]) / SAMPLE_RATE
            timed_words = []
            for w in words.get(i, []):
                word, word_acted = self.guard(w["word"], language)
                acted = acted or word_acted
                if word.strip():
                    timed_words.append(TimedWord(round(min(w["start"], length), 3), round(min(w["end"], length), 3),
                                                 word, round(float(w["probability"]), 4)))  # fmt: skip
            timed = tuple(timed_words)
            if acted:
                self.guard_acted += 1
                log.warning("dropped characters foreign to %s from a hypothesis in %r: %r",
                            self.scripts[language], language, text)  # fmt: skip
            n = len(result.sequences_ids[0])
            # CTranslate2's score is the log-probability over the length; Whisper's is over length + 1
            avg = result.scores[0] * n / (n + 1) if result.scores else 0.0
            hyps.append(Hypothesis(text, timed, float(avg), float(result.no_speech_prob), compression_ratio(text),
                                   language))  # fmt: skip
        return hyps


@functools.lru_cache(maxsize=1)
def _byte_of() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet, which Whisper's tokenizer spells its tokens in: the
    character that stands for each byte."""
    shown = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    hidden = [b for b in range(256) if b not in shown]
    return {**{chr(b): b for b in shown}, **{chr(256 + n): b for n, b in enumerate(hidden)}}


def token_bytes(token: str | None) -> bytes:
    """The bytes a byte-level BPE token writes (``"ĠØ§"``, a space and ``ا``, -> ``b" \\xd8\\xa7"``); empty for a token
    outside that alphabet (a special token)."""
    table = _byte_of()
    if not token or any(ch not in table for ch in token):
        return b""
    return bytes(table[ch] for ch in token)


class _Encoded:
    """The encoder's output for a batch of windows, computed once; any subset of its rows.

    On the CPU the rows are sliced from one encoder call; on a GPU (whose output stays on the
    device) a subset other than the whole batch is encoded again from its features.
    """

    def __init__(self, model: WhisperModel, features: np.ndarray) -> None:
        self.model, self.features = model, features
        self.output = model.encode(features)
        self._array = np.asarray(self.output) if model.model.device == "cpu" else None

    def subset(self, rows: Sequence[int]) -> Any:
        if list(rows) == list(range(len(self.features))):
            return self.output
        import ctranslate2

        if self._array is not None:
            return ctranslate2.StorageView.from_array(np.ascontiguousarray(self._array[list(rows)]))
        return self.model.encode(self.features[list(rows)])


def _words(tokenizer: Any, text_tokens: list[int], result: Any, tokens_per_second: float) -> list[dict]:
    """Words with times from one alignment result (faster-whisper's ``find_alignment``, per item)."""
    probs = result.text_token_probs
    text_indices = np.array([pair[0] for pair in result.alignments])
    time_indices = np.array([pair[1] for pair in result.alignments])
    words, word_tokens = tokenizer.split_to_word_tokens(text_tokens + [tokenizer.eot])
    if len(word_tokens) <= 1:
        return []
    boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times = time_indices[jumps] / tokens_per_second
    starts, ends = jump_times[boundaries[:-1]], jump_times[boundaries[1:]]
    timed = [
        {"word": w, "start": float(s), "end": float(e), "probability": float(np.mean(probs[i:j]))}
        for w, s, e, i, j in zip(words, starts, ends, boundaries[:-1], boundaries[1:])
    ]
    return _merge_punctuation(timed)


#: faster-whisper's defaults: punctuation that joins the next word, and the previous one.
PREPENDED = "\"'“¿([{-"
APPENDED = "\"'.。,，!！?？:：”)]}、"


def _merge_punctuation(words: list[dict]) -> list[dict]:
    """Punctuation joined to its word as faster-whisper does (``love`` ``.`` -> ``love.``, with the
    word's times): an opening mark to the word after it, a closing one to the word before it."""
    out: list[dict] = []
    pending: list[dict] = []  # opening marks waiting for their word
    for word in words:
        text = word["word"]
        if text.startswith(" ") and text.strip() and text.strip() in PREPENDED:
            pending.append(word)
            continue
        if pending:
            word = {**word, "word": "".join(p["word"] for p in pending) + text}
            pending = []
        if out and text in APPENDED and not out[-1]["word"].endswith(" "):
            out[-1] = {**out[-1], "word": out[-1]["word"] + text}
            continue
        out.append(word)
    return out + pending  # opening marks with no word after them stay words of their own
