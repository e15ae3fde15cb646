"""The streaming engine (``awal.asr.streaming``): real audio pushed in small chunks through a real model.

whisper-base (from its PyPI packages) decodes here; what is asserted is the engine's behaviour:
partial results before the audio ends, finals at endpoints, nothing on silence or tones, a
bounded buffer, Finalize, batching across sessions, and no audio lost at close.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from awal.errors import InputError

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(p) is None for p in ("faster_whisper", "ctranslate2", "onnxruntime")),
    reason="needs faster-whisper: pip install 'awal[serve]'",
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "audio"
SR = 16000
CHUNK = 1600  # 100 ms, as a telephony gateway sends


def clip(name: str) -> np.ndarray:
    from awal.audio import load_audio

    return load_audio(SAMPLES / name, sr=SR)


def quiet(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 3e-4).astype(np.float32)


@pytest.fixture(scope="module")
def engine():
    from awal.asr.streaming.engine import StreamingEngine

    return StreamingEngine("whisper-base", cpu_threads=2)


def stream(engine, session, audio: np.ndarray) -> list[tuple[float, object]]:
    """Push ``audio`` in 100 ms chunks, stepping the engine after each; (stream time, event) pairs."""
    out = []
    for i in range(0, len(audio), CHUNK):
        for event in session.push(audio[i : i + CHUNK]):
            out.append((session.now, event))
        for event in engine.step().get(session, []):
            out.append((session.now, event))
    return out


def test_partials_then_finals_at_each_endpoint(engine) -> None:
    from awal.asr.streaming.session import Result, SpeechStarted, StreamOptions

    audio = np.concatenate([quiet(1.0), clip("ary_000218.wav"), quiet(1.2, 1), clip("ary_000533.wav"), quiet(1.2, 2)])
    session = engine.open(StreamOptions(language="ary", vad_events=True, endpointing_ms=500))
    events = stream(engine, session, audio)
    session.close()
    events += [(session.now, e) for e in engine.drain().get(session, [])]
    results = [(t, e) for t, e in events if isinstance(e, Result)]
    interim = [(t, e) for t, e in results if not e.is_final]
    assert interim, "no partial results"
    first_speech_end = 1.0 + len(clip("ary_000218.wav")) / SR
    assert interim[0][0] < first_speech_end  # a partial while the first utterance is still being spoken
    assert [e for _, e in events if isinstance(e, SpeechStarted)][:1]
    speech_finals = [e for _, e in results if e.speech_final]
    assert len(speech_finals) == 2  # one per utterance, at its endpoint
    finals = [e for _, e in results if e.is_final]
    words = [w for e in finals for w in e.words]
    assert words and all(0 <= w.start <= w.end <= len(audio) / SR + 0.01 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    letters = [ch for w in words for ch in w.word if ch.isalpha()]
    assert sum("ARABIC" in unicodedata.name(ch) for ch in letters) / len(letters) > 0.9
    for e in finals:
        assert e.language == "ary" and 0 <= e.confidence <= 1
        assert e.transcript == " ".join(w.word.strip() for w in e.words)


def test_silence_and_dtmf_tones_emit_nothing(engine) -> None:
    from awal.asr.streaming.session import StreamOptions

    t = np.arange(int(0.4 * SR)) / SR
    tone = (0.2 * (np.sin(2 * np.pi * 697 * t) + np.sin(2 * np.pi * 1209 * t))).astype(np.float32)  # DTMF "1"
    audio = np.concatenate([quiet(1.0), tone, quiet(0.3), tone, quiet(0.3), tone, quiet(1.5)])
    session = engine.open(StreamOptions(language="ary"))
    events = stream(engine, session, audio)
    session.close()
    events += [(0, e) for e in engine.drain().get(session, [])]
    assert events == []
    assert session.buffered_seconds <= 0.31  # only the VAD padding is kept


def test_the_buffer_stays_bounded_on_long_speech(engine) -> None:
    from awal.asr.streaming.session import Result, StreamOptions

    speech = np.concatenate([clip(p.name) for p in sorted(SAMPLES.glob("ary_*.wav"))] * 3)  # ~27 s, no pauses
    options = StreamOptions(language="ary", max_window_s=8.0, step_s=1.0, interim_results=False)
    session = engine.open(options)
    most = 0.0
    finals = []
    for i in range(0, len(speech), CHUNK):
        session.push(speech[i : i + CHUNK])
        finals += [e for e in engine.step().get(session, []) if isinstance(e, Result) and e.is_final]
        most = max(most, session.buffered_seconds)
    assert most <= options.max_window_s + options.step_s + 0.5
    assert finals and all(e.is_final for e in finals)


def test_finalize_flushes_without_closing_and_close_loses_nothing(engine) -> None:
    from awal.asr.streaming.session import Result, StreamOptions

    session = engine.open(StreamOptions(language="ary", endpointing_ms=2000))
    speech = np.concatenate([quiet(0.5), clip("ary_000218.wav")])
    stream(engine, session, speech)
    session.finalize()
    flushed = [e for e in engine.drain().get(session, []) if isinstance(e, Result)]
    assert flushed and flushed[-1].is_final and flushed[-1].from_finalize and not session.closed
    more = np.concatenate([clip("ary_000533.wav")])
    stream(engine, session, more)
    session.close()  # no endpoint was reached: the last words come from the close
    last = [e for e in engine.drain().get(session, []) if isinstance(e, Result) and e.is_final]
    assert last and last[-1].words and last[-1].words[-1].end > len(speech) / SR
    assert session not in engine.sessions


def test_what_arrives_while_a_final_pass_runs_gets_its_own_final(engine) -> None:
    """An endpoint's final pass is in flight (a busy server) while the caller says more, ending
    with a close: the words after the pass's window are not lost."""
    from awal.asr.streaming.session import Result, StreamOptions

    session = engine.open(StreamOptions(language="ary", endpointing_ms=300, interim_results=False))
    first = np.concatenate([quiet(0.3), clip("ary_000218.wav"), quiet(0.6, 1)])
    for i in range(0, len(first), CHUNK):
        session.push(first[i : i + CHUNK])  # no engine step yet: the endpoint's pass is due
    assert session.pending() == "final"
    request, start = session.window()  # the worker takes the window ...
    taken_until = start + len(request.audio) / SR
    for i in range(0, len(second := clip("ary_000533.wav")), CHUNK):
        session.push(second[i : i + CHUNK])  # ... the caller goes on speaking ...
    session.close()  # ... and hangs up before the pass returns
    (hyp,) = engine.decoder.decode([request])
    results = [e for e in session.apply(hyp, request, start, "final") if isinstance(e, Result)]
    assert results[0].speech_final and not results[0].from_finalize
    assert session.pending() == "final"  # the close still wants its pass
    last = [e for e in engine.drain().get(session, []) if isinstance(e, Result)]
    assert last and last[-1].is_final and last[-1].from_finalize and not last[-1].speech_final
    assert last[-1].words and all(w.start >= taken_until - 0.05 for w in last[-1].words)
    assert session not in engine.sessions


def test_sessions_are_decoded_together(engine) -> None:
    from awal.asr.streaming.session import StreamOptions

    a = engine.open(StreamOptions(language="ary"))
    b = engine.open(StreamOptions(language="zgh", script="latn"))
    audio_a, audio_b = clip("ary_000533.wav"), clip("zgh_000452.wav")
    calls = []
    original = engine.decoder.decode

    def counting(requests):
        calls.append(len(requests))
        return original(requests)

    engine.decoder.decode = counting
    try:
        for i in range(0, 2 * SR, CHUNK):
            a.push(audio_a[i : i + CHUNK])
            b.push(audio_b[i : i + CHUNK])
        events = engine.step()
    finally:
        engine.decoder.decode = original
    assert calls == [2]  # one decoding call for both sessions
    assert set(events) <= {a, b}
    a.close()
    b.close()
    engine.drain()


def test_options_are_checked(engine) -> None:
    from awal.asr.streaming.session import StreamOptions

    with pytest.raises(InputError, match="endpointing"):
        StreamOptions(endpointing_ms=5)
    with pytest.raises(InputError):
        engine.open(StreamOptions(language="xx"))


def test_auto_language_is_detected_per_utterance(engine) -> None:
    from awal.asr.decoder import Hypothesis
    from awal.asr.streaming.agreement import TimedWord
    from awal.asr.streaming.session import Result, SessionLanguage, StreamOptions, StreamSession
    from awal.text.translit import converter

    to_tifinagh = converter("zgh", "Tfng")
    session = StreamSession(StreamOptions(language="auto", endpointing_ms=300),
                            [SessionLanguage("ary", "ar"), SessionLanguage("zgh", "sn", to_tifinagh)])  # fmt: skip
    assert session.auto and session.language == ""
    speech = np.concatenate([quiet(0.3), clip("zgh_000452.wav")])
    for i in range(0, len(speech), CHUNK):
        session.push(speech[i : i + CHUNK])
    request, start = session.window()
    assert request.language is None and set(request.candidates) == {"ar", "sn"}  # to be detected

    def heard(*words: str) -> Hypothesis:
        timed = tuple(TimedWord(0.3 + i * 0.5, 0.7 + i * 0.5, " " + w, 0.9) for i, w in enumerate(words))
        return Hypothesis(" ".join(words), timed, -0.2, 0.01, 1.0, language="sn")

    session.apply(heard("azul", "fell"), request, start, "interim")
    assert session.language == "zgh" and session.window()[0].language is None  # nothing final yet
    events = session.apply(heard("azul", "fell", "awn"), *session.window(), "interim")
    final = [e for e in events if isinstance(e, Result) and e.is_final]
    assert final and final[0].language == "zgh" and final[0].words[0].word.strip() == to_tifinagh("azul")
    assert session.window()[0].language == "sn"  # words are final: the utterance's language is fixed
    request, start = session.window()
    session.apply(heard("azul", "fell", "awn"), request, start, "final")
    assert session.window()[0].language is None  # the next utterance is detected again

    # and through the engine, with a real model: each result says the language it was decoded in
    live = engine.open(StreamOptions(language="auto"))
    events = stream(engine, live, np.concatenate([quiet(0.5), clip("ary_000218.wav"), quiet(1.0, 1)]))
    results = [e for _, e in events if isinstance(e, Result) and e.words]
    assert results and {r.language for r in results} <= set(engine.info.languages)
    assert len({r.language for r in results if r.is_final}) == 1  # one utterance, one language
    live.close()
    engine.drain()


@pytest.mark.skipif(not (ROOT / "asr" / "bundled" / "whisper-base-awal" / "model.bin").is_file(),
                    reason="the bundled model is not in this checkout")  # fmt: skip
def test_a_pause_is_decoded_at_once_so_the_endpoint_needs_no_pass() -> None:
    """Settle pass: ~0.1 s into a pause the window is decoded; when the endpoint comes, the
    utterance is closed with those words right in ``push`` (no decoding after the endpoint), and
    they are (nearly) the words a final pass gives: the window only lacks trailing silence."""
    from dataclasses import replace

    from awal.asr.streaming.engine import StreamingEngine
    from awal.asr.streaming.session import Result, StreamOptions
    from awal.scoring import score

    engine = StreamingEngine(cpu_threads=2)  # the bundled model

    audio = np.concatenate([quiet(0.5), clip("ary_000218.wav"), quiet(2.5, 1)])
    # a long endpointing: a pass of this CPU (under any load) fits in it, so the settle pass is run
    options = StreamOptions(language="ary", endpointing_ms=1500, interim_results=False)
    texts = {}
    for settle in (96, 0):
        session = engine.open(replace(options, settle_ms=settle))
        closed_in_push = []
        finals = []
        for i in range(0, len(audio), CHUNK):
            for event in session.push(audio[i : i + CHUNK]):
                if isinstance(event, Result) and event.speech_final:
                    closed_in_push.append(event)
                    finals.append(event)
            finals += [e for e in engine.step().get(session, []) if isinstance(e, Result) and e.is_final]
        session.close()
        finals += [e for e in engine.drain().get(session, []) if isinstance(e, Result) and e.is_final]
        texts[settle] = " ".join(e.transcript for e in finals if e.transcript)
        if settle:
            assert engine.pass_seconds < session.settle_budget_s
            assert len(closed_in_push) == 1  # closed by the endpoint itself (its words may be final already)
        assert sum(e.speech_final for e in finals) == 1
    assert texts[0] and score([texts[0]], [texts[96]], "ary").cer <= 0.2, texts
    # the settle pass is asked for once per pause, ~0.1 s into it (with step_s long, nothing else
    # would decode the pause before the endpoint)
    for settle in (96, 0):
        session = engine.open(replace(options, settle_ms=settle, step_s=10.0))
        kinds = []
        for i in range(0, len(audio), CHUNK):
            session.push(audio[i : i + CHUNK])
            kinds.append(session.pending())
            engine.step()
        session.close()
        engine.drain()
        assert kinds.count("settle") == (1 if settle else 0), kinds
