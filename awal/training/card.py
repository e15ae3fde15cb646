"""What the recipes' model cards share: percentages as the cards print them, and the bundling rule.

A trained model replaces the bundled one only when it measures better (:func:`bundle_when_better`),
so that a new binary lands in git only with better metrics.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["bundle_when_better", "pct"]


def pct(value: float | None) -> str:
    """``0.045`` -> ``4.5%``; ``None`` -> ``n/a``."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def bundle_when_better(model: Path, dest: Path, score: Callable[[Path], float | None], what: str,
                       stages: str, margin: float = 0.0) -> bool:  # fmt: skip
    """Copy ``model`` to ``dest`` when its ``score`` (lower is better: the ASR model's mean CER, a
    voice's mean round-trip CER) is lower than ``dest``'s by more than ``margin`` (or ``dest`` has
    none); ``stages``: the recipe stages that write the metrics, named when ``model`` has none.
    (A margin: every bundled binary stays in git's history, so a gain within the test sets' noise
    does not replace one.)"""
    new, old = score(model), score(dest)
    if new is None:
        raise SystemExit(f"{model}: no metrics in awal.json (run stages {stages} first)")
    if old is not None and new >= old - margin:
        by = f" by more than {100 * margin:.1f} points" if margin else ""
        print(f"kept {dest}: its {what} {pct(old)} is not worse than {pct(new)}{by}")
        return False
    tmp = dest.with_name(dest.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(model, tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    print(f"bundled {model} -> {dest}: {what} {pct(new)}" + (f" (was {pct(old)})" if old is not None else ""))
    return True
