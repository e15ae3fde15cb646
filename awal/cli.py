"""The ``awal`` command.

Subcommands are declared here and their work is imported only when they run, so that
``awal --help`` is fast and needs neither torch nor NeMo. Text commands read stdin and
write stdout, one output line per input line, UTF-8.

Exit codes: 0 success, 1 failure while working, 2 bad input or usage (unknown language,
invalid UTF-8 with its line number, missing file).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from dataclasses import replace
from typing import Any, Callable, Iterator, Sequence, TextIO

from awal.errors import InputError
from awal.text.normalize import PROFILES

__all__ = ["main"]

EXIT_USAGE = 2


def _utf8_lines(stream, name: str = "<stdin>") -> Iterator[str]:
    """Yield the lines of a binary stream without their line ending; a line that is not
    valid UTF-8 raises :class:`InputError` naming the line number."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{name}: line {number}: not valid UTF-8 ({err.reason} at byte {err.start})") from None
        yield line.rstrip("\r\n")


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as f:
            return list(_utf8_lines(f, path))
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}") from None


def _map_lines(fn: Callable[[str], str], stdin, stdout: TextIO) -> None:
    interactive = stdout.isatty()
    for line in _utf8_lines(stdin):
        stdout.write(fn(line) + "\n")
        if interactive:  # a person typing sees each line at once
            stdout.flush()


# --- subcommands ---------------------------------------------------------------------------


def _cmd_languages(args: argparse.Namespace) -> int:
    from awal.languages import languages

    for lang in languages():
        scripts = ",".join(s.lower() for s in lang.scripts)
        print(
            f"{lang.code}\t{lang.name}\t{lang.native_name}\tscripts={scripts}\t"
            f"default={lang.default_script.lower()}\twhisper={lang.whisper_token}"
        )
    return 0


def _cmd_normalize(args: argparse.Namespace) -> int:
    from awal.languages import get_language
    from awal.text.normalize import normalize

    language = get_language(args.lang)
    _map_lines(lambda line: normalize(line, language, args.profile), args.stdin, sys.stdout)
    return 0


def _cmd_translit(args: argparse.Namespace) -> int:
    from awal.text.translit import transliterator

    convert = transliterator(args.lang, args.to, scheme=args.scheme, lexicon=args.lexicon)
    _map_lines(convert, args.stdin, sys.stdout)
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from awal.languages import get_language
    from awal.scoring import score

    get_language(args.lang)
    refs, hyps = _read_lines(args.ref), _read_lines(args.hyp)
    if len(refs) != len(hyps):
        raise InputError(f"{args.ref} has {len(refs)} lines but {args.hyp} has {len(hyps)}")
    report = score(refs, hyps, args.lang, args.profile)
    if args.details:
        with open(args.details, "w", encoding="utf-8") as f:
            for number, utt in enumerate(report.utterances, start=1):
                f.write(json.dumps({"line": number, **utt.to_dict()}, ensure_ascii=False) + "\n")
    print(json.dumps(report.summary(), ensure_ascii=False))
    return 0


def _prepare_options(args: argparse.Namespace, lang: str):
    from awal.data.base import PrepareOptions

    return PrepareOptions(
        lang=lang,
        script=args.script,
        profile=args.profile,
        min_duration=args.min_duration,
        max_duration=args.max_duration,
        min_sample_rate=args.min_sample_rate,
        audio_mode="convert" if args.convert else "reference",
        sample_rate=args.sample_rate,
        split_seed=args.seed,
        split_fractions=(args.dev_fraction, args.test_fraction),
        jobs=args.jobs,
    )


def _report(report) -> int:
    """Print where the manifests went and what was rejected (the whole list is in the folder)."""
    for split, path in report.manifests.items():
        s = report.stats["splits"][split]
        print(f"{split}\t{s['utterances']} utterances\t{s['hours']:.3f} h\t{s['speakers']} speakers\t{path}")
    reasons = ", ".join(f"{n} {r}" for r, n in sorted(report.stats["rejected"].items()))
    print(f"rejected\t{report.rejected}{' (' + reasons + ')' if reasons else ''}\t{report.out_dir / 'rejected.jsonl'}")
    return 0


def _channel_options(args: argparse.Namespace) -> Any:
    """``--channels`` and its settings as a ``ChannelOptions``, or None (no channel)."""
    asked = [args.reverb, args.rt60, args.codec_prob, args.clip_prob, args.codecs]
    if not args.channels and all(x is None for x in asked):
        return None
    from awal.data.channels import ChannelOptions, available_codecs

    defaults = ChannelOptions()
    return ChannelOptions(
        reverb_prob=defaults.reverb_prob if args.reverb is None else args.reverb,
        rt60=tuple(args.rt60) if args.rt60 else defaults.rt60,
        codec_prob=defaults.codec_prob if args.codec_prob is None else args.codec_prob,
        codecs=tuple(args.codecs.split(",")) if args.codecs else available_codecs(),
        clip_prob=defaults.clip_prob if args.clip_prob is None else args.clip_prob,
    )


def _cmd_prepare(args: argparse.Namespace) -> int:
    corpus = args.corpus
    if corpus == "synthetic":
        from awal.data.synthetic import SyntheticOptions, excluded_sentences, prepare_synthetic

        options = SyntheticOptions(
            lang=args.lang,
            hours=args.hours,
            seed=args.seed,
            telephone=args.telephone,
            telephone_rate=args.telephone_rate,
            heldout_fraction=args.heldout,
            dev_fraction=args.dev,
            snr_db=tuple(args.snr),
            noise=tuple(args.noise.split(",")),
            speed=tuple(args.speed),
            level_db=tuple(args.level),
            sample_rate=args.sample_rate,
            jobs=args.jobs,
            profile=args.profile,
            lexicon=tuple(args.lexicon),
            exclude=excluded_sentences(args.exclude),
            families=tuple(args.families.split(",")),
            speakers=tuple(x for x in (args.speakers or "").split(",") if x),
            kokoro_voices=args.kokoro_voices,
            piper_voices=args.piper_voices,
            kokoro_blends=args.kokoro_blends,
            tempo=tuple(args.tempo),
            evaluation=args.evaluation,
            channel=_channel_options(args),
            spelling=args.spelling,
            dictionary=tuple(args.dictionary),
        )
        if args.voices:  # None: the defaults (every variant, pitch and rate)
            options = replace(options, voices=tuple(args.voices.split(",")))
        if args.pitches:
            options = replace(options, pitches=tuple(int(x) for x in args.pitches.split(",")))
        if args.rates:
            options = replace(options, rates=tuple(int(x) for x in args.rates.split(",")))
        return _report(prepare_synthetic(args.text, args.out, options))
    if corpus == "test-suite":
        from awal.data.testsets import SuiteOptions, build_suite

        within = (int(args.within_split[0]), args.within_split[1], args.within_split[2]) if args.within_split else None
        suite = SuiteOptions(lang=args.lang, sentences=args.sentences, seed=args.seed,
                             kokoro_voices=args.kokoro_voices, ordinary=args.ordinary,
                             lexicon=tuple(args.lexicon), dictionary=tuple(args.dictionary),
                             within_split=within, jobs=args.jobs)  # fmt: skip
        for name, manifest in build_suite(args.text, args.out, suite).items():
            lines = sum(1 for _ in manifest.open(encoding="utf-8"))
            print(f"{args.lang}\t{name}\t{lines} utterances\t{manifest}")
        return 0
    if corpus == "common-voice":
        from awal.data.common_voice import prepare_common_voice

        splits = "validated" if args.splits == "validated" else tuple(args.splits.split(","))
        return _report(
            prepare_common_voice(
                args.root, args.out, _prepare_options(args, args.lang), splits=splits, variant=args.variant
            )
        )
    if corpus == "dvoice":
        from awal.data.dvoice import prepare_dvoice

        options = _prepare_options(args, args.lang or "ary")
        return _report(prepare_dvoice(args.root, args.out, options, splits=tuple(args.splits.split(","))))
    if corpus == "kaldi":
        from awal.data.kaldi import prepare_kaldi

        return _report(
            prepare_kaldi(
                args.root,
                args.out,
                _prepare_options(args, args.lang),
                split=args.split,
                audio_dir=args.audio_dir,
                base_dir=args.base_dir,
                run_commands=not args.no_commands,
            )
        )
    if corpus == "table":
        from awal.data.table import prepare_table

        table_options = {
            "path_column": args.path_column,
            "text_column": args.text_column,
            "speaker_column": args.speaker_column,
            "split_column": args.split_column,
            "id_column": args.id_column,
            "delimiter": args.delimiter,
            "base_dir": args.base_dir,
            "encoding": args.encoding,
        }
        return _report(prepare_table(args.root, args.out, _prepare_options(args, args.lang), **table_options))
    if corpus == "hf-audio":
        from awal.data.hf_audio import PRESETS, prepare_hf_audio

        lang = args.lang or (PRESETS[args.preset].lang if args.preset else None)
        if not lang:
            raise InputError("hf-audio: give --lang (or a --preset that sets it)")
        hf_options = {
            "preset": args.preset,
            "text_column": args.text_column,
            "audio_column": args.audio_column,
            "split": tuple(args.split.split(",")) if args.split else None,
            "id_column": args.id_column,
            "speaker_column": args.speaker_column,
            "subset": args.subset,
            "keep_train": args.keep_train,
        }
        options = _prepare_options(args, lang)
        return _report(prepare_hf_audio(args.root, args.out, options, audio_dir=args.audio_dir, **hf_options))
    raise InputError(f"unknown corpus {corpus!r}")


def _json_file(path: str | None):
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read JSON from {path}: {err}") from None


def _cmd_export_asr(args: argparse.Namespace) -> int:
    from awal.asr.export import export_asr

    languages = dict(pair.split("=", 1) for pair in args.language) if args.language else None
    out = export_asr(
        args.checkpoint,
        args.out,
        quantization=args.quantization,
        languages=languages,
        profile=args.profile,
        data_summary=_json_file(args.data_summary),
        metrics=_json_file(args.metrics),
    )
    print(out)
    return 0


def _cmd_export_tts(args: argparse.Namespace) -> int:
    from awal.tts.export import export_tts

    pairs = [pair.split("=", 1) for pair in args.fastpitch]
    if any(len(p) != 2 for p in pairs):
        raise InputError("--fastpitch takes LANG=FILE.nemo")
    print(export_tts(dict(pairs), args.vocoder, args.out, metrics=_json_file(args.metrics), name=args.name))
    return 0


def _cmd_eval_tts(args: argparse.Namespace) -> int:
    """The round trip: the voice speaks the manifest (awal.tts), the recognizer hears it (awal.asr)."""
    import tempfile

    from awal.asr.evaluate import evaluate_asr
    from awal.asr.folder import read_awal_json
    from awal.asr.model import DEFAULT_MODEL, resolve_model
    from awal.tts.evaluate import speak_manifest

    model = args.asr_model or DEFAULT_MODEL
    # a model trained with short encoder contexts is scored as it is served
    context = "short" if read_awal_json(resolve_model(model)).context_bucket_s else "full"
    predictor = None
    if args.mos:  # loaded first: a missing package is said before any synthesis
        from awal.tts.quality import MosPredictor, manifest_mos

        predictor = MosPredictor()
    with tempfile.TemporaryDirectory(prefix="awal-roundtrip-") as tmp:
        spoken = speak_manifest(args.voice, args.manifest, tmp, lang=args.lang, progress=not args.no_progress)
        heard = evaluate_asr(model, spoken.manifest, details=args.details, progress=not args.no_progress,
                             context=context)  # fmt: skip
        report = spoken.report(heard, str(model))
        if predictor is not None:
            report["mos"] = manifest_mos(spoken.manifest, progress=not args.no_progress, predictor=predictor)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _cmd_eval_mos(args: argparse.Namespace) -> int:
    """The predicted MOS of a manifest's audio (awal.tts.quality): any speech, a voice's or a corpus's."""
    from awal.tts.quality import manifest_mos

    print(json.dumps(manifest_mos(args.manifest, progress=not args.no_progress), ensure_ascii=False))
    return 0


def _cmd_eval_asr(args: argparse.Namespace) -> int:
    from awal.asr.evaluate import evaluate_asr, evaluate_suite, suite_table

    if (args.manifest is None) == (args.suite is None):
        raise InputError("give --manifest (one test set) or --suite (a test suite), not both")
    if args.suite is not None:
        from pathlib import Path

        report = evaluate_suite(args.model, args.suite, baseline=args.baseline, details_dir=args.details,
                                cpu_threads=args.threads, device=args.device,
                                progress=not args.no_progress)  # fmt: skip
        if args.report:
            Path(args.report).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(suite_table(report), end="")
        return 0

    result = evaluate_asr(
        args.model,
        args.manifest,
        lang=args.lang,
        profile=args.profile,
        script=args.script,
        beam_size=args.beam_size,
        batch_size=args.batch_size,
        details=args.details,
        compute_type=args.compute_type,
        device=args.device,
        cpu_threads=args.threads,
        progress=not args.no_progress,
        context=args.context,
        context_bucket_s=args.context_bucket,
    )
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from pathlib import Path

    from awal.asr.transcribe import TranscribeOptions, Transcriber, output_path, render, transcribe_files

    options = TranscribeOptions(
        language=args.language,
        script=args.script,
        word_timestamps=args.word_timestamps,
        vad=args.vad,
        batch_size=args.batch_size,
        beam_size=args.beam_size,
    )
    out_dir = Path(args.output_dir) if args.output_dir else None
    jsonl = out_dir / "transcripts.jsonl" if out_dir and args.format == "jsonl" else None
    done: set[str] = set()
    if jsonl is not None and jsonl.is_file():
        for line in jsonl.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if not row.get("error"):
                done.add(row.get("path"))

    def finished(path: str) -> bool:
        """A re-run skips what an earlier run wrote (a transcript with no error)."""
        if out_dir is None:
            return False
        if jsonl is not None:
            return path in done
        return output_path(path, out_dir, args.format).is_file()

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    engine = Transcriber(args.model, device=args.device, compute_type=args.compute_type, cpu_threads=args.threads)
    failed = written = 0
    sink = jsonl.open("a", encoding="utf-8") if jsonl is not None else None
    try:
        for result in transcribe_files(args.paths, engine, options, skip=finished, progress=not args.no_progress):
            if result.error:
                failed += 1
                print(f"awal transcribe: {result.path}: {result.error}", file=sys.stderr)
                if sink is not None:  # recorded, and retried by the next run
                    sink.write(render(result, "jsonl"))
                continue
            text = render(result, args.format)
            if sink is not None:
                sink.write(text)
                sink.flush()
            elif out_dir is not None:
                target = output_path(result.path, out_dir, args.format)
                tmp = target.with_name(target.name + ".tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(target)  # a killed run never leaves a half transcript that looks done
            else:
                if args.format in ("txt", "srt", "vtt") and len(args.paths) + failed > 1:
                    print(f"==> {result.path} <==")
                sys.stdout.write(text)
                sys.stdout.flush()
            written += 1
    finally:
        if sink is not None:
            sink.close()
    if out_dir is not None:
        print(f"{written} transcribed, {failed} failed -> {out_dir}", file=sys.stderr)
    return 1 if failed else 0


_FORMAT_BY_SUFFIX = {".wav": "wav", ".pcm": "pcm", ".raw": "pcm", ".ul": "mulaw", ".mulaw": "mulaw",
                     ".ulaw": "mulaw", ".al": "alaw", ".alaw": "alaw"}  # fmt: skip


def _cmd_synthesize(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from awal.tts.synthesize import SpeechOptions, encode_audio, stream, wav_header

    text = args.text if args.text is not None else args.stdin.read().decode("utf-8")
    out = Path(args.out)
    fmt = args.format or _FORMAT_BY_SUFFIX.get(out.suffix.lower(), "wav")
    options = SpeechOptions(rate=args.rate, speed=args.speed)
    if not out.parent.is_dir():  # said before any audio is made, naming the folder (not a traceback)
        raise InputError(f"--out {out}: the folder {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    said: list[str] = []
    samples = rate = 0
    try:
        with open(tmp, "wb") as f:
            if fmt == "wav":
                f.write(wav_header(0))  # rewritten with the length at the end
            for speech in stream(text, args.lang, args.voice, options):
                f.write(encode_audio(speech.samples, fmt))
                said.append(speech.text)
                samples, rate = samples + len(speech.samples), speech.sample_rate
            if fmt == "wav":
                f.seek(0)
                f.write(wav_header(rate, samples * 2))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"{out}: {samples / rate:.2f} s, {rate} Hz, {fmt}; said: {' '.join(said)}", file=sys.stderr)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import logging

    try:
        from awal.demo.app import main as demo_main
        from awal.demo.core import DemoConfig, DemoLimits
    except ImportError as exc:
        print(f"error: the demo needs the demo extra ({exc.name} is missing): scripts/setup.sh serve,demo",
              file=sys.stderr)  # fmt: skip
        return 2
    env_auth = os.environ.get("AWAL_DEMO_AUTH")
    try:
        auth = args.auth or ([_demo_login(env_auth)] if env_auth else [])  # (--auth is checked by argparse)
        given = {name: getattr(args, name) for name in _DEMO_LIMITS if getattr(args, name) is not None}
        limits = DemoLimits(**given)  # the defaults are DemoLimits'
    except argparse.ArgumentTypeError as exc:
        print(f"error: AWAL_DEMO_AUTH: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo_main(args.host, args.port, args.share,
              DemoConfig(asr_model=args.asr_model, tts_voice=args.tts_voice, threads=args.threads, limits=limits,
                         auth=tuple(auth)))  # fmt: skip
    return 0


_DEMO_LIMITS = ("max_file_mb", "max_audio_s", "max_stream_s", "max_text_chars", "concurrency", "queue_size",
                "max_streams")  # fmt: skip


def _demo_login(text: str) -> tuple[str, str]:
    """``USER:PASS`` (the password may hold colons) as Gradio's ``(user, password)``."""
    user, colon, password = text.partition(":")
    if not (user and colon and password):
        raise argparse.ArgumentTypeError("expected USER:PASS, both non-empty")
    return user, password


def _cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from awal.service import create_app, serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(
        args.model,
        api_keys=args.api_key,
        max_sessions=args.max_sessions,
        idle_timeout=args.idle_timeout,
        keepalive_timeout=args.keepalive_timeout,
        max_backlog=args.max_backlog,
        device=args.device,
        compute_type=args.compute_type,
        threads=args.threads,
        tts_voice=args.tts_voice,
        max_upload_mb=args.max_upload_mb,
        max_audio_s=args.max_audio_s,
        docs=args.docs,
    )
    serve(app, args.host, args.port, drain_timeout=args.drain_timeout, log_level="info", ws_max_size=2**22)
    return 0


def _cmd_stream(args: argparse.Namespace) -> int:
    import asyncio

    from awal.service.client import ListenClient, StreamRequest, format_message

    request = StreamRequest(
        args.url, api_key=args.api_key or os.environ.get("AWAL_API_KEY") or None, language=args.language,
        script=args.script, interim_results=args.interim, endpointing_ms=args.endpointing,
        vad_events=args.vad_events, realtime=args.realtime, chunk_ms=args.chunk_ms,
    )  # fmt: skip
    client = ListenClient(request)
    errors = 0

    async def run() -> None:
        nonlocal errors
        async for message in client.messages(args.file):
            errors += message.get("type") == "Error"
            line = json.dumps(message, ensure_ascii=False) if args.json else format_message(message)
            if line is not None:
                print(line, file=sys.stderr if message.get("type") == "Error" and not args.json else sys.stdout,
                      flush=True)  # fmt: skip

    try:
        asyncio.run(run())
    except OSError as exc:  # refused, unreachable
        raise InputError(f"cannot stream to {args.url}: {exc}") from None
    except Exception as exc:  # websockets' handshake refusals (wrong key: HTTP 403)
        if type(exc).__module__.startswith("websockets"):
            raise InputError(f"{args.url} refused the stream: {exc}") from None
        raise
    if client.close_code not in (1000, 1001):
        print(f"closed with {client.close_code} {client.close_reason}".rstrip(), file=sys.stderr)
        return 1
    if client.close_code == 1001:
        print("the server shut down; the results above cover all the audio it received", file=sys.stderr)
    return 1 if errors else 0


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awal",
        description="Speech recognition and synthesis for Moroccan Darija and Tamazight.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("languages", help="list the languages awal knows")
    p.set_defaults(func=_cmd_languages)

    text = sub.add_parser("text", help="text tools: normalize, transliterate (stdin -> stdout)")
    text_sub = text.add_subparsers(dest="text_command", metavar="TOOL", required=True)

    p = text_sub.add_parser("normalize", help="normalize text with a profile, one line per line")
    p.add_argument("--lang", required=True, help="language code (ary, zgh, kab, shi, tzm, rif)")
    p.add_argument("--profile", default="scoring", choices=PROFILES, help="normalization profile (default: scoring)")
    p.set_defaults(func=_cmd_normalize)

    p = text_sub.add_parser("translit", help="transliterate text, one line per line; source script found per token")
    p.add_argument("--lang", required=True, help="language code")
    p.add_argument("--to", required=True, type=str.lower, choices=("arab", "latn", "tfng"), help="target script")
    p.add_argument(
        "--scheme",
        default="auto",
        choices=("auto", "ircam", "informal"),
        help="Tamazight Latin input: strict IRCAM, informal (gh ch sh kh 3 7), or auto per token",
    )
    p.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="Darija spellings that override the rules: TSV arabizi<TAB>arabic or a DODa CSV (repeatable)",
    )
    p.set_defaults(func=_cmd_translit)

    p = sub.add_parser("score", help="WER/CER of hypotheses against references, as JSON")
    p.add_argument("--lang", required=True, help="language code")
    p.add_argument("--ref", required=True, help="reference text, one utterance per line")
    p.add_argument("--hyp", required=True, help="hypotheses, one per line, in the same order")
    p.add_argument("--profile", default="scoring", choices=PROFILES, help="normalization profile (default: scoring)")
    p.add_argument("--details", metavar="FILE", help="write per-line alignments as JSON lines")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("transcribe", help="transcribe audio files, folders or manifests")
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files, folders (searched), NeMo manifests")
    p.add_argument("--model", help="a model folder, whisper-base-awal (default), whisper-base, or a hub id")
    p.add_argument("--language", default="auto", help="ary, zgh, shi, tzm, rif, kab, or auto (default)")
    p.add_argument("--script", type=str.lower, choices=("arab", "latn", "tfng"), help="output script")
    p.add_argument("--format", default="txt", choices=("txt", "json", "jsonl", "srt", "vtt"))
    p.add_argument("--output-dir", help="write one file per input (jsonl: transcripts.jsonl); re-runs skip done ones")
    p.add_argument("--batch-size", type=int, default=8,
                   help="inputs of <=30 s, or VAD chunks of a longer one, decoded together (default 8; "
                        "1: one by one with faster-whisper's transcribe)")  # fmt: skip
    p.add_argument("--beam-size", type=int, default=1, help="1: greedy (default); 5: Whisper's beam")
    p.add_argument("--word-timestamps", action="store_true", help="words with start and end times")
    p.add_argument("--vad", action=argparse.BooleanOptionalAction, default=True, help="skip non-speech (Silero)")
    p.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default int8)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: CTranslate2's choice)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_transcribe)

    p = sub.add_parser("synthesize", help="speak Darija, Tamazight or Kabyle text, in any script it is written in")
    p.add_argument("text", nargs="?", help="the text (default: read from stdin)")
    p.add_argument("--lang", required=True, help="ary, zgh (shi, tzm, rif) or kab")
    p.add_argument("--voice", help="a voice name (default: the language's default voice; 'espeak')")
    p.add_argument("--out", required=True, help="the audio file to write")
    p.add_argument("--rate", type=int, choices=(8000, 16000, 22050, 24000), help="sample rate (default: the voice's)")
    p.add_argument("--format", choices=("wav", "mulaw", "alaw", "pcm"),
                   help="wav (16-bit), mulaw / alaw (G.711 bytes), pcm (16-bit LE, no header); default: from --out's "
                        "extension (.ul .al .pcm), else wav")  # fmt: skip
    p.add_argument("--speed", type=float, default=1.0, help="0.25-4.0 (default 1.0)")
    p.set_defaults(func=_cmd_synthesize)

    p = sub.add_parser("serve", help="the recognition service: WebSocket streaming (Deepgram-compatible) and more")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--model", help="a model folder, whisper-base-awal (default), whisper-base, or a hub id")
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a key clients must present (repeatable; also AWAL_API_KEYS); none: the service is open",
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        help="streams decoded at once (a multichannel call takes one per channel); more are refused "
        "(close code 1013; default 64)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        metavar="S",
        help="close a stream that sent neither audio nor KeepAlive for S seconds (Error idle_timeout, "
        "close code 1011; default 10)",
    )
    p.add_argument(
        "--keepalive-timeout",
        type=float,
        metavar="S",
        help="close a stream that sent no audio for S seconds, KeepAlive or not (default 60)",
    )
    p.add_argument(
        "--max-backlog",
        type=float,
        metavar="S",
        help="seconds of a stream's audio not decoded yet above which the server stops reading it "
        "(backpressure; default 30)",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default int8)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: CTranslate2's choice)")
    p.add_argument(
        "--drain-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="on SIGTERM/Ctrl-C, seconds open streams get to receive their final results (default 30)",
    )
    p.add_argument(
        "--tts-voice",
        metavar="DIR",
        help="a neural voice folder (awal export tts) to serve by its name and as the default voice",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        metavar="MB",
        help="largest POST /v1/audio/transcriptions body, refused (413) before it is read; also "
        "AWAL_MAX_UPLOAD_MB (default 100: 4x OpenAI's 25, 50 min of 16 kHz WAV, hours compressed)",
    )
    p.add_argument(
        "--max-audio-s",
        type=float,
        metavar="S",
        help="longest audio transcribed by POST, from the file's header, refused (413) before decoding; "
        "also AWAL_MAX_AUDIO_S (default 10800 = 3 h: a long meeting, ~15-30 CPU-minutes)",
    )
    p.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve /docs, /redoc and /openapi.json (open to anyone: no key asked); also AWAL_DOCS=1 (default off)",
    )
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("demo", help="the public Gradio demo: transcribe (file, microphone), synthesize, round trip")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--share",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="a public gradio.live link (needs the network; default --no-share)",
    )
    p.add_argument("--asr-model", help="a model folder or name (default: the bundled whisper-base-awal)")
    p.add_argument("--tts-voice", metavar="DIR", help="a voice folder (awal export tts) offered and used by default")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for recognition (default: CTranslate2's choice)")
    p.add_argument("--auth", action="append", type=_demo_login, metavar="USER:PASS",
                   help="a login the page and its API ask for (repeatable; also AWAL_DEMO_AUTH, kept out of ps); "
                        "none: the demo is open. Put TLS in front (docs/demo.md)")  # fmt: skip
    limits = p.add_argument_group("limits (docs/demo.md: the defaults suit a 2-core machine)")
    limits.add_argument("--max-file-mb", type=float, metavar="MB", help="largest upload (default 64)")
    limits.add_argument(
        "--max-audio-s", type=float, metavar="S", help="longest file transcribed, read from its header (default 300)"
    )
    limits.add_argument("--max-stream-s", type=float, metavar="S", help="longest microphone recording (default 300)")
    limits.add_argument(
        "--max-text-chars", type=int, metavar="N", help="longest text synthesized or round-tripped (default 300)"
    )
    limits.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="transcriptions and syntheses run at once, all together (default 2)",
    )
    limits.add_argument(
        "--queue-size",
        type=int,
        metavar="N",
        help="jobs waiting at most; more visitors are told the queue is full (default 16)",
    )
    limits.add_argument("--max-streams", type=int, metavar="N", help="microphones at once (default 4)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("stream", help="stream an audio file to a running server (/v1/listen) and print its results")
    p.add_argument("file", metavar="FILE", help="audio file; channels are kept (a stereo call: one transcript each)")
    p.add_argument("--url", default="ws://127.0.0.1:8000", help="the server (default ws://127.0.0.1:8000)")
    p.add_argument("--api-key", help="the key the server wants (also AWAL_API_KEY)")
    p.add_argument("--realtime", action="store_true", help="send the audio at its real pace (as a live call)")
    p.add_argument("--language", default="ary", help="ary (default), zgh, ... or auto")
    p.add_argument("--script", type=str.lower, choices=("arab", "latn", "tfng"), help="output script")
    p.add_argument("--interim", action=argparse.BooleanOptionalAction, default=True, help="partial results")
    p.add_argument("--endpointing", type=int, metavar="MS", help="silence that ends an utterance (server default)")
    p.add_argument("--vad-events", action="store_true", help="also print SpeechStarted events")
    p.add_argument("--chunk-ms", type=int, help="frame length (default 20 with --realtime, else 100)")
    p.add_argument("--json", action="store_true", help="print the server's messages as JSON lines")
    p.set_defaults(func=_cmd_stream)

    _add_prepare(sub)

    export = sub.add_parser("export", help="export a trained model to its serving format")
    export_sub = export.add_subparsers(dest="kind", metavar="KIND", required=True)
    p = export_sub.add_parser("asr", help="a Hugging Face Whisper checkpoint -> CTranslate2 for faster-whisper")
    p.add_argument("checkpoint", help="a Hugging Face Whisper folder (save_pretrained)")
    p.add_argument("--out", required=True, help="the model folder to write")
    p.add_argument("--quantization", default="int8", choices=("int8", "int8_float16", "float16", "float32"))
    p.add_argument(
        "--profile",
        choices=PROFILES,
        help="normalization of the training text (default: the checkpoint's awal_training.json, else scoring)",
    )
    p.add_argument(
        "--language",
        action="append",
        metavar="CODE=TOKEN",
        help="awal language and the Whisper token the model uses for it, e.g. zgh=sn (repeatable; "
        "default: the checkpoint's awal_training.json, else every registry language with its registry token)",
    )
    p.add_argument("--data-summary", metavar="FILE", help="JSON describing the training data, kept in awal.json")
    p.add_argument("--metrics", metavar="FILE", help="JSON with the model's measured metrics, kept in awal.json")
    p.set_defaults(func=_cmd_export_asr)
    p = export_sub.add_parser(
        "tts",
        help="FastPitch (.nemo per language) + HiFi-GAN -> an ONNX voice folder",
        description="Export the TTS recipe's models to a voice folder the runtime reads "
        "with onnxruntime (no torch, no NeMo): fastpitch-<lang>.onnx, hifigan.onnx, awal.json.",
    )
    p.add_argument(
        "--fastpitch",
        action="append",
        required=True,
        metavar="LANG=FILE.nemo",
        help="an acoustic model and its language (repeat for each language)",
    )
    p.add_argument(
        "--vocoder",
        default="universal",
        help="a HiFi-GAN .nemo, the recipe's fast vocoder (vocoder.pt), or universal (default)",
    )
    p.add_argument("--out", required=True, help="the voice folder to write")
    p.add_argument("--name", help="the voice's name (default: the folder's)")
    p.add_argument("--metrics", metavar="JSON", help="metrics to record in awal.json (a JSON file)")
    p.set_defaults(func=_cmd_export_tts)

    evaluate = sub.add_parser("eval", help="evaluate a model on a manifest")
    eval_sub = evaluate.add_subparsers(dest="kind", metavar="KIND", required=True)
    p = eval_sub.add_parser("asr", help="WER/CER of an ASR model on a NeMo manifest, as JSON")
    p.add_argument("--model", required=True, help="a model folder, whisper-base, or a hub id")
    p.add_argument("--manifest", help="NeMo manifest with audio_filepath, text, lang")
    p.add_argument("--suite", metavar="DIR", help="a test suite (awal prepare test-suite): a table of every set")
    p.add_argument("--baseline", metavar="MODEL", help="with --suite: a model scored beside it (e.g. whisper-base)")
    p.add_argument("--report", metavar="FILE", help="with --suite: write the scores as JSON")
    p.add_argument("--lang", help="language of every utterance (default: each line's lang)")
    p.add_argument("--profile", default="scoring", choices=PROFILES, help="normalization before scoring")
    p.add_argument("--script", help="write hypotheses in this script before scoring (default: the reference's)")
    p.add_argument("--beam-size", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=1, help="clips decoded together (helps on GPUs)")
    p.add_argument("--compute-type", default="int8", help="CTranslate2 compute type (default int8)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: CTranslate2's choice)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--details", metavar="FILE", help="write per-utterance errors as JSON lines (--suite: a folder)")
    p.add_argument("--context", default="full", choices=("full", "short"),
                   help="encoder input: 30 s (faster-whisper's transcribe) or each clip's short context "
                        "(the streaming engine's, for a model trained with encoder_context)")  # fmt: skip
    p.add_argument("--context-bucket", type=float, metavar="S", help="short contexts' step (default: the model's)")
    p.set_defaults(func=_cmd_eval_asr)
    p = eval_sub.add_parser(
        "tts",
        help="round-trip CER and predicted MOS of a voice: synthesize, transcribe, score (JSON)",
        description="Speak each sentence of a manifest with the voice, transcribe it with an "
        "ASR model and score the transcripts against the text (CER/WER as JSON), and predict the "
        "speech's mean opinion score (DNSMOS: sig, bak, ovrl, p808; 1-5).",
    )
    p.add_argument("--voice", required=True, help="espeak, awal-voice (the bundled one), or a voice folder")
    p.add_argument("--manifest", required=True, help="a manifest with text (or text_raw) and lang")
    p.add_argument("--asr-model", help="the ASR model (default: the bundled whisper-base-awal)")
    p.add_argument("--lang", help="language of every sentence (default: each line's lang)")
    p.add_argument("--details", metavar="FILE", help="write per-utterance errors as JSON lines")
    p.add_argument("--mos", action=argparse.BooleanOptionalAction, default=True,
                   help="the predicted MOS of the speech (DNSMOS; the quality extra), beside the CER")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_eval_tts)
    p = eval_sub.add_parser(
        "mos",
        help="predicted MOS of a manifest's audio (JSON)",
        description="Predict the mean opinion score of every clip of a manifest without a reference "
        "(DNSMOS: sig, bak, ovrl, p808; 1-5; the quality extra) and print the means as JSON: e.g. a "
        "teacher voice's corpus from awal prepare synthetic, or recordings.",
    )
    p.add_argument("--manifest", required=True, help="a NeMo manifest (audio_filepath, duration)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_eval_mos)
    return parser


def _add_prepare(sub) -> None:
    prepare = sub.add_parser(
        "prepare",
        help="turn a corpus into NeMo manifests with a validation report",
        description="Read a corpus in its published layout and write <split>.jsonl NeMo manifests, "
        "rejected.jsonl (every item left out, with the reason), stats.json and stats.png.",
    )
    corpora = prepare.add_subparsers(dest="corpus", metavar="CORPUS", required=True)

    def corpus_parser(name: str, help: str, *, root_help: str, lang_required: bool = True):
        p = corpora.add_parser(name, help=help)
        p.add_argument("--root", required=True, help=root_help)
        p.add_argument("--out", required=True, help="output folder for the manifests and the report")
        p.add_argument("--lang", required=lang_required, help="language code of the corpus (ary, zgh, kab, ...)")
        g = p.add_argument_group("text and audio")
        g.add_argument("--script", help="script of the manifest text (arab, latn, tfng); default: the language's")
        g.add_argument("--profile", default="display", choices=PROFILES, help="normalization of the text")
        g.add_argument("--min-duration", type=float, default=0.2, help="seconds (default 0.2)")
        g.add_argument("--max-duration", type=float, default=30.0, help="seconds (default 30)")
        g.add_argument("--min-sample-rate", type=int, default=8000, help="Hz (default 8000)")
        g.add_argument("--convert", action="store_true", help="write 16 kHz mono wav files instead of referencing")
        g.add_argument("--sample-rate", type=int, default=16000, help="rate of converted audio (default 16000)")
        g = p.add_argument_group("split (when the corpus has none)")
        g.add_argument("--seed", type=int, default=0, help="seed of the speaker-disjoint split")
        g.add_argument("--dev-fraction", type=float, default=0.05)
        g.add_argument("--test-fraction", type=float, default=0.05)
        p.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core)")
        p.set_defaults(func=_cmd_prepare)
        return p

    p = corpora.add_parser(
        "synthetic",
        help="speak real text with espeak-ng into a speech corpus (varied voices, noise, telephone)",
        description="Voice sentences with espeak-ng (Darija with its Arabic voice; Tamazight and Kabyle "
        "through awal's phoneme transliteration), with varied speakers and augmentation; a share of the "
        "sentences is held out for test and never heard in train or dev. Deterministic for a seed.",
    )
    p.add_argument("--lang", required=True, help="ary, zgh (shi, tzm, rif) or kab")
    p.add_argument("--text", required=True, nargs="+", help="sentence files: one per line, or DODa CSVs")
    p.add_argument("--out", required=True, help="output folder (audio/, manifests, report)")
    p.add_argument("--hours", required=True, type=float, help="total duration to synthesize")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--telephone", action="store_true", help="8 kHz band, G.711 mu-law round trip")
    p.add_argument("--telephone-rate", type=int, default=16000, choices=(8000, 16000))
    p.add_argument("--heldout", type=float, default=0.1, help="share of sentences held out for test")
    p.add_argument("--dev", type=float, default=0.05, help="share of sentences for dev")
    p.add_argument("--snr", type=float, nargs=2, default=(10.0, 40.0), metavar=("LO", "HI"), help="dB")
    p.add_argument("--noise", default="none,white,pink,babble", help="noise kinds drawn from (and overlap)")
    p.add_argument("--speed", type=float, nargs=2, default=(0.9, 1.1), metavar=("LO", "HI"))
    p.add_argument(
        "--families",
        default="espeak",
        help="voice families drawn from, comma-separated: espeak, kokoro, piper (docs/data.md)",
    )
    p.add_argument(
        "--speakers",
        help="neural speakers to use, comma-separated (kokoro-jf_nezumi, kokoro-af_heart+hm_omega@0.40, "
        "piper-en_US-joe-medium); default: every speaker of the family that may train",
    )
    p.add_argument("--kokoro-voices", metavar="DIR", help="extra Kokoro style vectors (scripts/kokoro-voices.sh)")
    p.add_argument("--piper-voices", metavar="DIR", help="extra Piper voices (*.onnx with *.onnx.json)")
    p.add_argument("--kokoro-blends", type=int, default=0, help="blends of two Kokoro styles added as speakers")
    p.add_argument("--tempo", type=float, nargs=2, default=(0.9, 1.1), metavar=("LO", "HI"), help="neural pace")
    p.add_argument(
        "--evaluation",
        action="store_true",
        help="a test-only corpus (every sentence once, in test) where reserved voices may speak",
    )
    p.add_argument(
        "--spelling",
        default="as-written",
        choices=("as-written", "ordinary"),
        help="Darija transcripts: the spoken text, or ordinary Arabic-script spelling from the Arabizi",
    )
    p.add_argument(
        "--dictionary",
        action="append",
        default=[],
        metavar="PATH",
        help="DODa word lists (files or folders) for --spelling ordinary",
    )
    p.add_argument(
        "--channels",
        action="store_true",
        help="rooms, clipping and codecs drawn per utterance (defaults: reverb 0.5, codec 0.5, clip 0.1)",
    )
    p.add_argument("--reverb", type=float, metavar="P", help="probability of a simulated room (implies --channels)")
    p.add_argument("--rt60", type=float, nargs=2, metavar=("LO", "HI"), help="reverberation time, s (0.15 0.9)")
    p.add_argument("--codecs", help="codecs drawn from, comma-separated (default: every one this machine encodes)")
    p.add_argument("--codec-prob", type=float, metavar="P", help="probability of a codec (implies --channels)")
    p.add_argument("--clip-prob", type=float, metavar="P", help="probability of clipping (implies --channels)")
    p.add_argument("--voices", help="espeak-ng variants drawn from, comma-separated (default: all 14; m3: one voice)")
    p.add_argument("--pitches", help="espeak-ng pitches (0-99) drawn from (default: 30,40,50,60,70)")
    p.add_argument("--rates", help="espeak-ng speaking rates (words/minute) drawn from (default: 135,155,175,195)")
    p.add_argument("--level", type=float, nargs=2, default=(-32.0, -20.0), metavar=("LO", "HI"), help="RMS, dBFS")
    p.add_argument("--sample-rate", type=int, default=16000, help="rate of the written audio (22050: espeak's own)")
    p.add_argument("--profile", default="display", choices=PROFILES, help="normalization of the manifest text")
    p.add_argument("--lexicon", action="append", default=[], metavar="FILE", help="Darija lexicon for Arabizi")
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core)")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="FILE",
        help="sentences never to voice: another corpus's synthetic.json (its test and dev) or a text file",
    )
    p.set_defaults(func=_cmd_prepare)

    p = corpora.add_parser(
        "test-suite",
        help="held-out sentences heard in every condition: espeak-ng, unseen voices, telephone, ordinary spelling",
        description="Draw held-out sentences from the text and have them spoken into one test set per "
        "condition (docs/data.md, 'Test suite'); awal eval asr --suite scores a model on all of them. "
        "Training corpora leave them out with --exclude OUT/LANG/suite.json.",
    )
    p.add_argument("--lang", required=True, help="ary, zgh (shi, tzm, rif) or kab")
    p.add_argument("--text", required=True, nargs="+", help="sentence files: one per line, or DODa CSVs")
    p.add_argument("--out", required=True, help="the suite folder (OUT/LANG/SET/test.jsonl)")
    p.add_argument("--sentences", type=int, default=40, help="held-out sentences (default 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kokoro-voices", metavar="DIR", help="the 54 Kokoro styles (two more unseen voices)")
    p.add_argument("--ordinary", metavar="TSV", help="Darija: ordinary-spelling sentences (ordinary, arabizi)")
    p.add_argument(
        "--dictionary",
        action="append",
        default=[],
        metavar="PATH",
        help="Darija: DODa word lists; sets spoken from the Arabizi, transcribed in ordinary spelling",
    )
    p.add_argument(
        "--within-split",
        nargs=3,
        type=float,
        metavar=("SEED", "HELDOUT", "DEV"),
        help="draw from the test split of `awal prepare synthetic --seed --heldout --dev` on the text",
    )
    p.add_argument("--lexicon", action="append", default=[], metavar="FILE", help="Darija lexicon for Arabizi")
    p.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core)")
    p.set_defaults(func=_cmd_prepare)

    p = corpus_parser("common-voice", "Common Voice (any locale)", root_help="the locale folder (with clips/)")
    p.add_argument("--splits", default="train,dev,test", help="train,dev,test (default) or validated")
    p.add_argument("--variant", help="keep one value of the variant column (zgh: e.g. Tachelhit)")

    p = corpus_parser("dvoice", "DVoice Darija", root_help="the folder with texts/ and wavs/", lang_required=False)
    p.add_argument("--splits", default="train,dev,test")

    p = corpus_parser("kaldi", "a Kaldi data dir (wav.scp, text, utt2spk, segments)", root_help="the data dir")
    p.add_argument("--split", choices=("train", "dev", "test"), help="the split this data dir is")
    p.add_argument("--audio-dir", help="where audio made by wav.scp commands goes (default: OUT/source_audio)")
    p.add_argument("--base-dir", help="folder relative wav.scp paths are resolved against")
    p.add_argument("--no-commands", action="store_true", help="do not run wav.scp pipe commands (report them)")

    p = corpus_parser("table", "any CSV/TSV with audio paths and transcripts", root_help="the table file")
    p.add_argument("--path-column", required=True)
    p.add_argument("--text-column", required=True)
    p.add_argument("--speaker-column")
    p.add_argument("--split-column")
    p.add_argument("--id-column")
    p.add_argument("--delimiter", help="default: sniffed (comma or tab)")
    p.add_argument("--base-dir", help="folder relative paths are resolved against (default: the table's)")
    p.add_argument("--encoding", default="utf-8")

    p = corpus_parser(
        "hf-audio",
        "a Hugging Face audio dataset saved on disk (parquet or arrow)",
        root_help="the dataset folder",
        lang_required=False,
    )
    p.add_argument("--preset", choices=("doda-audio", "casablanca"), help="column names and language of a known corpus")
    p.add_argument("--text-column")
    p.add_argument("--audio-column", default="audio")
    p.add_argument("--split", help="split(s) to read, comma-separated (default: all)")
    p.add_argument("--id-column")
    p.add_argument("--speaker-column")
    p.add_argument("--subset", help="a subset folder (casablanca: the country, e.g. Morocco)")
    p.add_argument("--audio-dir", help="where the decoded audio goes (default: OUT/source_audio)")
    p.add_argument("--keep-train", action="store_true", help="keep a lone train split whole instead of splitting it")


def main(argv: Sequence[str] | None = None) -> int:
    from awal.paths import configure_caches

    configure_caches()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from awal import __version__

        print(f"awal {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    args.stdin = sys.stdin.buffer
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        return args.func(args)
    except InputError as err:  # unknown language/profile/script, bad line, missing file
        print(f"awal: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
