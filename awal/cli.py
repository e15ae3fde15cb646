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
import sys
from typing import Callable, Iterator, Sequence, TextIO

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
    return parser


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
