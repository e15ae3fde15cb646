"""Stage 1 of the ASR recipe: the tokenizer, and how the training text fits it.

A pretrained Whisper must keep its own tokenizer (its embeddings are indexed by it), and Whisper's
byte-level BPE encodes any script, so the recipe trains no tokenizer; a model trained from scratch
(``model.init_from: null``) keeps whisper-base's too, so that CTranslate2 and faster-whisper treat
it as a multilingual Whisper. What this stage does is check the text against it: every utterance's
label sequence (prompt, text in its training script, end token) must fit the decoder's positions,
and tokens per utterance per language tell the cost of each script (Tifinagh is about four BPE
tokens per letter group where IRCAM Latin is one; docs/models.md).

    python -m awal.asr.train.tokens --config-path DIR --config-name base_cpu \\
        model.train_ds.manifest_filepath=[a.jsonl,b.jsonl] --out tokens.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from awal.asr.train.data import TokenPlan
from awal.errors import InputError
from awal.manifest import read_manifest

__all__ = ["token_report"]


def _tokenizer(init_from: str | None) -> Any:
    from transformers import WhisperTokenizerFast  # type: ignore[attr-defined]

    from awal.asr.train.module import WHISPER_BASE, base_checkpoint

    source = base_checkpoint() if init_from in (None, WHISPER_BASE) else init_from
    return WhisperTokenizerFast.from_pretrained(source)


def token_report(manifests: Iterable[str | Path], plan: TokenPlan, tokenizer: Any, limit: int = 448) -> dict[str, Any]:
    """Per language: utterances, label tokens (mean, max), and the utterances over ``limit``."""
    lengths: dict[str, list[int]] = {}
    too_long: list[dict[str, Any]] = []
    for manifest in manifests:
        for record in read_manifest(manifest):
            lang = plan.language_of(record.lang)
            prompt = plan.prompt_ids(tokenizer, lang)
            body = tokenizer.encode(" " + plan.training_text(record.text, lang), add_special_tokens=False)
            # the labels: the prompt after its first token, the text, timestamps, the end token
            n = len(prompt) + len(body) + (2 if plan.timestamps else 0)
            lengths.setdefault(lang, []).append(n)
            if n > limit:
                too_long.append({"manifest": str(manifest), "audio_filepath": record.audio_filepath, "tokens": n})
    report: dict[str, Any] = {"limit": limit, "languages": {}, "too_long": too_long}
    for lang, ns in sorted(lengths.items()):
        report["languages"][lang] = {
            "utterances": len(ns),
            "script": plan.scripts.get(lang),
            "whisper_token": plan.whisper_tokens[lang],
            "tokens_mean": round(statistics.fmean(ns), 2),
            "tokens_max": max(ns),
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awal.asr.train.tokens", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-path", required=True, help="the recipe's conf/ folder")
    parser.add_argument("--config-name", required=True, help="a config in it (smoke, base_cpu, ...)")
    parser.add_argument("--out", help="write the report as JSON here")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides (model.train_ds.manifest_filepath=...)")
    args = parser.parse_args(argv)

    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(Path(args.config_path).resolve()), version_base=None):
        cfg = compose(config_name=args.config_name, overrides=args.overrides)
    manifests = cfg.model.train_ds.manifest_filepath
    manifests = [manifests] if isinstance(manifests, str) else list(manifests)
    languages = OmegaConf.to_container(cfg.model.languages, resolve=True)
    plan = TokenPlan.from_config(languages, bool(cfg.model.get("timestamps", False)))  # type: ignore[arg-type]
    report = token_report(manifests, plan, _tokenizer(cfg.model.get("init_from")))
    for lang, row in report["languages"].items():
        print(
            f"{lang}  <|{row['whisper_token']}|>  script {row['script']}  {row['utterances']} utterances  "
            f"tokens per utterance: mean {row['tokens_mean']}, max {row['tokens_max']}"
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if report["too_long"]:
        n, limit = len(report["too_long"]), report["limit"]
        print(f"{n} utterances need more than {limit} decoder positions", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
