"""The one Whisper decoder (``awal.asr.decoder``: streaming, ``awal transcribe``, ``awal eval asr``)
against faster-whisper one by one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "ctranslate2")),
    reason="needs faster-whisper: pip install 'awal[serve]'",
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "audio"
CLIPS = [("ary_000218.wav", "ar"), ("zgh_000452.wav", "sn"), ("ary_000533.wav", "ar"), ("zgh_000590.wav", "sn")]


@pytest.fixture(scope="module")
def model():
    from awal.asr.model import WHISPER_BASE, load_whisper

    return load_whisper(WHISPER_BASE, cpu_threads=2)


def test_a_batch_decodes_as_faster_whisper_does_one_by_one(model) -> None:
    from awal.asr.decoder import BatchDecoder, DecodeRequest
    from awal.audio import load_audio

    audios = [load_audio(SAMPLES / name, sr=16000) for name, _ in CLIPS]
    hyps = BatchDecoder(model).decode([DecodeRequest(a, lang) for a, (_, lang) in zip(audios, CLIPS)])
    assert len(hyps) == len(CLIPS)
    compared = 0
    for audio, (_, lang), hyp in zip(audios, CLIPS, hyps):
        segments, _ = model.transcribe(audio, language=lang, beam_size=1, temperature=0.0, vad_filter=False,
                                       condition_on_previous_text=False, without_timestamps=True)  # fmt: skip
        segments = list(segments)
        assert hyp.text == " ".join(s.text.strip() for s in segments)  # the same greedy tokens
        assert hyp.avg_logprob == pytest.approx(segments[0].avg_logprob, abs=1e-3)
        assert hyp.no_speech_prob == pytest.approx(segments[0].no_speech_prob, abs=1e-3)
        # the words spell the text, in order, inside the window, moving forward
        assert "".join(w.word for w in hyp.words).split() == hyp.text.split()
        starts = [w.start for w in hyp.words]
        assert starts == sorted(starts)
        assert all(0 <= w.start <= w.end <= len(audio) / 16000 for w in hyp.words)
        # faster-whisper's own word timestamps, where it decodes the same words
        timed, _ = model.transcribe(audio, language=lang, beam_size=1, temperature=0.0, vad_filter=False,
                                    condition_on_previous_text=False, word_timestamps=True)  # fmt: skip
        theirs = [w for s in timed for w in s.words]
        if [w.word.strip() for w in theirs] == [w.word.strip() for w in hyp.words]:
            compared += 1
            for ours, ref in zip(hyp.words, theirs):
                assert abs(ours.start - ref.start) < 0.3 and abs(ours.end - ref.end) < 0.3
    assert compared >= 1  # word_timestamps=True changes what faster-whisper decodes on some clips


def test_a_beam_decodes_as_faster_whisper_beam_does(model) -> None:
    """``beam_size`` > 1 (``awal eval asr --beam-size``, ``awal transcribe --beam-size``): the tokens
    of faster-whisper's own beam search, batched or not."""
    from awal.asr.decoder import BatchDecoder, DecodeRequest
    from awal.audio import load_audio

    audios = [load_audio(SAMPLES / name, sr=16000) for name, _ in CLIPS[:2]]
    decoder = BatchDecoder(model)
    hyps = decoder.decode([DecodeRequest(a, lang) for a, (_, lang) in zip(audios, CLIPS)], beam_size=3)
    for audio, (_, lang), hyp in zip(audios, CLIPS, hyps):
        segments, _ = model.transcribe(audio, language=lang, beam_size=3, temperature=0.0, vad_filter=False,
                                       condition_on_previous_text=False, without_timestamps=True)  # fmt: skip
        assert hyp.text == " ".join(s.text.strip() for s in segments)
    with pytest.raises(ValueError, match="beam_size"):
        decoder.decode([DecodeRequest(audios[0], "ar")], beam_size=0)


def test_silence_and_long_windows(model) -> None:
    from awal.asr.decoder import BatchDecoder, DecodeRequest, compression_ratio

    decoder = BatchDecoder(model)
    (hyp,) = decoder.decode([DecodeRequest(np.zeros(16000, dtype=np.float32), "ar")])
    assert hyp.words == () or all(w.end <= 1.0 for w in hyp.words)
    with pytest.raises(ValueError, match="longer than 30 s"):
        decoder.decode([DecodeRequest(np.zeros(31 * 16000, dtype=np.float32), "ar")])
    assert compression_ratio("ha " * 100) > 2.4 > compression_ratio("salam 3likom, kidayr?")


def test_windows_without_a_language_are_detected_among_their_candidates(model) -> None:
    from awal.asr.decoder import BatchDecoder, DecodeRequest
    from awal.audio import load_audio

    audios = [load_audio(SAMPLES / name, sr=16000) for name, _ in CLIPS[:2]]
    decoder = BatchDecoder(model)
    requests = [DecodeRequest(audios[0], None, ("ar", "sn")), DecodeRequest(audios[1], "sn"),
                DecodeRequest(audios[1], None, ("ha", "sn"))]  # fmt: skip
    hyps = decoder.decode(requests)
    for request, hyp, audio in zip(requests, hyps, [audios[0], audios[1], audios[1]]):
        if request.language is not None:
            assert hyp.language == request.language
            continue
        # Whisper's own detection on the same audio, restricted to the candidates
        _, _, probs = model.detect_language(audio=audio)
        expected = max((p, tok) for tok, p in probs if tok in request.candidates)[1]
        assert hyp.language == expected
        # and the text is what decoding in that language gives
        (alone,) = decoder.decode([DecodeRequest(audio, expected)])
        assert hyp.text == alone.text
    with pytest.raises(ValueError, match="candidates"):
        DecodeRequest(audios[0], None)


def test_punctuation_joins_its_word_as_faster_whisper_joins_it() -> None:
    from awal.asr.decoder import _merge_punctuation

    def word(text: str, start: float) -> dict:
        return {"word": text, "start": start, "end": start + 0.2, "probability": 0.9}

    merged = _merge_punctuation([word(" Hello", 0.0), word(",", 0.2), word(' "', 0.4), word("world", 0.5),
                                 word(".", 0.7), word(" (", 0.9)])  # fmt: skip
    assert [w["word"] for w in merged] == [" Hello,", ' "world.', " ("]
    assert [w["start"] for w in merged] == [0.0, 0.5, 0.9]  # the word's own times, not the mark's
