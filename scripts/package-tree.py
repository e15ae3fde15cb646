#!/usr/bin/env python3
"""Lay out the import root as the wheel installs it, for the static tools: OUT/awal/ with
awal/ itself and each mapped folder ([tool.setuptools.package-dir] in pyproject.toml: asr/ as
awal/asr/, data_manifests/ as awal/data/, ...), every source file a link to the real one.

Python finds ``awal.asr`` through the editable install's finder, but import-linter (which walks
the root package's folder) and mypy (which maps paths to module names by folders) cannot follow
that mapping: `make lint` runs them inside this tree.

    scripts/package-tree.py build/package-tree
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

SOURCES = {".py", ".pyi", ".typed"}


def package_dirs(root: Path) -> dict[str, Path]:
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: root / folder for name, folder in config["tool"]["setuptools"]["package-dir"].items()}


def build(root: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    mapped = package_dirs(root)
    for name, folder in sorted(mapped.items()):
        target = out.joinpath(*name.split("."))
        for here, dirs, files in os.walk(folder):
            rel = Path(here).relative_to(folder)
            # a folder mapped to a package of its own is laid out from its own entry
            dirs[:] = [d for d in dirs if d != "__pycache__" and ".".join((name, *rel.parts, d)) not in mapped]
            (target / rel).mkdir(parents=True, exist_ok=True)
            for file in files:
                if Path(file).suffix in SOURCES:
                    os.symlink(Path(here, file).resolve(), target / rel / file)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(Path(__file__).resolve().parent.parent, Path(sys.argv[1]))
