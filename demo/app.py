"""The public Gradio app: Transcribe (file upload, and a microphone whose words appear while you
speak), Synthesize, Round trip, About. ``awal demo`` starts it.

Named API endpoints (``gradio_client``): ``/transcribe`` (file, language, script -> text, words,
files), ``/synthesize`` (text, language, voice -> audio file), ``/round_trip`` (text, language,
voice -> audio, transcript, CER). The queue lets several visitors in at once, within the
:class:`~awal.demo.core.DemoLimits` (jobs at once, jobs waiting, microphones, upload size). A visitor's
mistake comes back as a message (``gr.Error``); anything else is logged here and the page says only
that something went wrong, never a traceback. ``--auth`` puts a login in front of the page and the API;
a public deployment wants more (docs/demo.md).
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from awal.demo.core import EXAMPLES, LANGUAGES, SCRIPTS, SPEECH_LANGUAGES, Demo, DemoConfig, LiveTranscript, span
from awal.errors import InputError

__all__ = ["build_app", "main"]

log = logging.getLogger("awal.demo")
F = TypeVar("F", bound=Callable[..., Any])

ABOUT = """
### About these models

**Recognition**: `whisper-base-awal`, OpenAI's Whisper base (MIT) fine-tuned by awal's recipe on
**synthetic speech** of real Darija sentences (the Darija Open Dataset, CC BY-NC 4.0) and Tamazight
sentences (Common Voice, CC0): espeak-ng's voices, and Kokoro-82M's (a neural voice trained on
people) reading espeak-ng's phonemes, through simulated rooms, telephone codecs and noise.
{held_out} It has **never heard a human voice say Darija or Tamazight**: on real speech, yours
included, expect more errors than that. Kabyle is not in it.

**Synthesis**: espeak-ng (the default voice of every language: it measures best in the round
trip) and `awal-voice`, a FastPitch + HiFi-GAN voice **trained on one synthetic espeak-ng speaker**
(Darija and Tamazight), exported to ONNX. Both sound like espeak-ng: robotic, not a native speaker.

**The round trip** speaks a sentence and transcribes it back with the recognition model; the CER
says how much of it came back. Both models know espeak-ng's voices well, so it flatters them.

**Real models**: fine-tune on real corpora with the recipes (`recipes/asr/whisper`,
`recipes/tts/fastpitch_hifigan`), then point the demo at them:

    awal demo --asr-model path/to/exported-asr-model --tts-voice path/to/exported-voice

Source, recipes, model cards and figures: the awal repository (README, docs/demo.md).
"""


#: Press the microphone's Stop button, where it is recording (its stop_recording event then runs).
STOP_RECORDING = "() => { document.querySelector('#mic button.stop-button')?.click(); }"


def held_out(model: str | None) -> str:
    """What the recognition model measured on its held-out sentences, as it is served, read from its
    folder's ``awal.json`` (the model card's figures): "On held-out synthetic sentences it makes 4.5%
    (Darija) and 8.8% (Tamazight) character errors."; empty when the folder records none."""
    from awal.asr.folder import read_awal_json
    from awal.asr.model import DEFAULT_MODEL, resolve_model
    from awal.languages import get_language

    info = read_awal_json(resolve_model(model or DEFAULT_MODEL))
    metrics = info.metrics or {}
    parts = []
    for code in sorted(info.languages):
        row = metrics.get(f"{code}_short" if info.context_bucket_s else code) or metrics.get(code)
        if isinstance(row, Mapping) and isinstance(row.get("cer"), (int, float)):
            parts.append(f"{100 * row['cer']:.1f}% ({get_language(code).name})")
    if not parts:
        return ""
    said = f"On held-out synthetic sentences it makes {_listed(parts)} character errors."
    unseen: dict[str, list[float]] = {}  # the test suite's voices reserved for evaluation, by language
    for row in metrics.get("suite") or ():
        if isinstance(row, Mapping) and str(row.get("set", "")).startswith("unseen-") and row.get("cer") is not None:
            unseen.setdefault(str(row["lang"]), []).append(float(row["cer"]))
    if unseen:
        cers = [f"{100 * sum(c) / len(c):.1f}% ({get_language(code).name})" for code, c in sorted(unseen.items())]
        voices = max(len(c) for c in unseen.values())
        said += (f" On {voices} synthetic voices it never heard in training (reserved for evaluation) it makes "
                 f"{_listed(cers)} character errors.")  # fmt: skip
    return said


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _guarded(fn: F) -> F:
    """Visitor mistakes become ``gr.Error`` messages; other failures are logged, and the page
    says only that something went wrong."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except InputError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("demo: %s failed", fn.__name__)
            raise gr.Error("Something went wrong on our side; it has been logged. Please try again.") from None

    return wrapper  # type: ignore[return-value]


def build_app(demo: Demo) -> Any:
    """The Gradio ``Blocks`` of ``demo`` (queued; not launched)."""
    import gradio as gr

    @_guarded
    def transcribe(path: str | None, language: str, script: str) -> tuple[str, list[list[Any]], list[str]]:
        view = demo.transcribe_file(path, language or "auto", script)
        txt, sub = demo.save_transcript(view)
        return view.text, view.words, [str(txt), str(sub)]

    @_guarded
    def listen(chunk: Any, live: LiveTranscript | None, language: str, script: str) -> tuple[LiveTranscript, str]:
        live = demo.live_push(live, chunk, language or "ary", script)
        return live, live.text

    @_guarded
    def stop(live: LiveTranscript | None) -> tuple[LiveTranscript, str]:
        done = demo.live_stop(live)
        text = done.text or "(nothing was heard)"
        return LiveTranscript(), text

    @_guarded
    def synthesize(text: str, language: str, voice: str) -> str:
        speech = demo.synthesize(text, language or "ary", voice)
        return str(demo.save_speech(speech))

    @_guarded
    def round_trip(text: str, language: str, voice: str) -> tuple[str, str, str]:
        result = demo.round_trip(text, language or "ary", voice)
        verdict = f"**CER {100 * result.cer:.1f}%** (WER {100 * result.wer:.1f}%)"
        return str(demo.save_speech(result.speech, "round-trip")), result.heard.text, verdict

    voices = [("The language's default", "default"), ("espeak-ng", "espeak"), ("awal-voice (neural)", "awal-voice")]
    if demo.config.tts_voice:
        voices.append((f"{demo.config.tts_voice} (--tts-voice)", demo.config.tts_voice))
    languages, scripts, speech_languages = list(LANGUAGES), list(SCRIPTS), list(SPEECH_LANGUAGES)
    limits = demo.limits
    chars = limits.max_text_chars
    # the CPU-bound jobs share one concurrency group: `concurrency` of them at once in all, not per endpoint
    work = "work"

    player = gr.WaveformOptions(show_recording_waveform=False)  # the browser's own <audio> player

    with gr.Blocks(title="awal: Darija and Tamazight speech", delete_cache=(3600, 3600)) as app:
        gr.Markdown("# awal: speech recognition and synthesis for Darija and Tamazight")
        with gr.Tab("Transcribe", id="transcribe"):
            with gr.Row():
                language = gr.Dropdown(languages, value="ary", label="Language", elem_id="asr-language")
                script = gr.Dropdown(scripts, value="default", label="Output script", elem_id="asr-script")
            with gr.Row():
                with gr.Column():
                    mic = gr.Audio(sources=["microphone"], streaming=True, type="numpy",
                                   label="Microphone: words appear while you speak", elem_id="mic")  # fmt: skip
                    live_text = gr.Textbox(label="Live transcript", lines=3, elem_id="live-transcript")
                with gr.Column():
                    upload = gr.File(label=f"Audio file (wav, flac, mp3, ogg, ...; up to {span(limits.max_audio_s)}, "
                                     f"{limits.max_file_mb:g} MB)", type="filepath", elem_id="upload")  # fmt: skip
                    go = gr.Button("Transcribe the file", variant="primary", elem_id="transcribe-button")
            text = gr.Textbox(label="Transcript", lines=3, elem_id="transcript")
            words = gr.Dataframe(headers=["word", "start (s)", "end (s)", "probability"], label="Word timings",
                                 interactive=False, elem_id="words")  # fmt: skip
            files = gr.File(label="Download the transcript (txt, srt)", file_count="multiple", elem_id="downloads")
            live = gr.State(None, delete_callback=demo.live_forget)  # the page closed mid-recording
            go.click(transcribe, [upload, language, script], [text, words, files], api_name="transcribe",
                     concurrency_id=work)  # fmt: skip
            listening = mic.stream(listen, [mic, live, language, script], [live, live_text], stream_every=0.5,
                                   api_visibility="private", concurrency_limit=limits.max_streams)  # fmt: skip
            # a failed chunk (the recording's limit reached, ...) stops the recording: one message, not
            # one per chunk while the browser goes on sending
            listening.failure(None, js=STOP_RECORDING)
            mic.stop_recording(stop, [live], [live, live_text], api_visibility="private")
        with gr.Tab("Synthesize", id="synthesize"):
            with gr.Row():
                say = gr.Textbox(label=f"Text (any script: Arabic, Latin/Arabizi, Tifinagh; up to {chars} characters)",
                                 lines=3, value=EXAMPLES[0][0], max_length=chars, elem_id="tts-text")  # fmt: skip
                with gr.Column():
                    say_language = gr.Dropdown(speech_languages, value="ary", label="Language", elem_id="tts-language")
                    voice = gr.Dropdown(voices, value="default", label="Voice", elem_id="tts-voice")
            speak = gr.Button("Speak", variant="primary", elem_id="speak-button")
            spoken = gr.Audio(label="Speech (play or download)", type="filepath", elem_id="speech",
                              waveform_options=player)  # fmt: skip
            gr.Examples([list(example) for example in EXAMPLES], [say, say_language], label="Examples")
            speak.click(synthesize, [say, say_language, voice], [spoken], api_name="synthesize", concurrency_id=work)
        with gr.Tab("Round trip", id="round-trip"):
            gr.Markdown("Speak a sentence, transcribe it back, and see how much of it came back (CER).")
            with gr.Row():
                rt_text = gr.Textbox(label="Sentence", value=EXAMPLES[2][0], lines=2, max_length=chars,
                                     elem_id="rt-text")  # fmt: skip
                with gr.Column():
                    rt_language = gr.Dropdown(speech_languages, value="zgh", label="Language", elem_id="rt-language")
                    rt_voice = gr.Dropdown(voices, value="default", label="Voice", elem_id="rt-voice")
            rt_go = gr.Button("Speak and transcribe", variant="primary", elem_id="rt-button")
            rt_audio = gr.Audio(label="What was spoken", type="filepath", elem_id="rt-audio", waveform_options=player)
            rt_heard = gr.Textbox(label="What was heard", elem_id="rt-heard")
            rt_score = gr.Markdown(elem_id="rt-score")
            gr.Examples([list(example) for example in EXAMPLES], [rt_text, rt_language], label="Examples")
            rt_go.click(round_trip, [rt_text, rt_language, rt_voice], [rt_audio, rt_heard, rt_score],
                        api_name="round_trip", concurrency_id=work)  # fmt: skip
        with gr.Tab("About", id="about"):
            gr.Markdown(ABOUT.format(held_out=held_out(demo.config.asr_model)), elem_id="about")
    app.queue(default_concurrency_limit=limits.concurrency, max_size=limits.queue_size)
    return app


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a service manager, ``kill``) ends the demo as Ctrl-C does: Gradio closes its server
    on KeyboardInterrupt and ``launch`` returns, so that the demo's folder is removed; by default
    SIGTERM ends the process at once, with nothing cleaned up."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread sets handlers
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(host: str = "127.0.0.1", port: int = 7860, share: bool = False, config: DemoConfig | None = None) -> None:
    """Build and launch the app; blocks until interrupted (Ctrl-C, SIGTERM), then closes the demo
    (its engine's worker, its folder of answers)."""
    demo = Demo(config)
    app = None
    try:
        with _sigterm_interrupts():
            app = build_app(demo)
            app.launch(server_name=host, server_port=port, share=share, show_error=False,
                       allowed_paths=[str(demo.out_dir)], max_file_size=demo.limits.max_file_bytes,
                       auth=list(demo.config.auth) or None,
                       auth_message="This demo asks for a login: ask whoever runs it.")  # fmt: skip
    except KeyboardInterrupt:  # before Gradio's own wait caught it (while starting): its server may be up
        log.info("demo: stopped while starting")
        if app is not None:
            app.close()
    finally:
        demo.close()
