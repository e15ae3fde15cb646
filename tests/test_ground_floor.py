"""The ground floor stays light (no torch, NeMo, Gradio, ...) and keeps caches out of $HOME.

Imports are checked in fresh interpreters: this test process has already imported
whatever other test modules needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from awal.paths import CACHE_VARIABLES, cache_dir, configure_caches

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "nemo", "gradio", "faster_whisper", "transformers")


def modules_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter and return the names in its sys.modules."""
    program = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, encoding="utf-8", timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def ground_floor_modules() -> list[str]:
    names = ["awal", "awal.cli", "awal.errors", "awal.languages", "awal.scoring", "awal.manifest", "awal.paths"]
    names += ["awal.text"] + sorted(
        f"awal.text.{p.stem}" for p in (ROOT / "awal" / "text").glob("*.py") if p.stem != "__init__"
    )
    if (ROOT / "awal" / "audio.py").is_file():
        names.append("awal.audio")
    return names


def test_corpus_preparation_imports_no_heavy_library():
    # awal.data stands on the core alone: pyarrow (parquet corpora) and matplotlib (the
    # stats plot) load only when a preparation needs them.
    names = sorted(f"awal.data.{p.stem}" for p in (ROOT / "data_manifests").glob("*.py"))
    assert "awal.data.prepare" in names and "awal.data.synthetic" in names
    loaded = modules_after("".join(f"import {name}\n" for name in names))
    assert not top_level(loaded) & {*HEAVY, "pyarrow", "matplotlib", "lhotse"}


def test_ground_floor_imports_no_heavy_library():
    names = ground_floor_modules()
    assert "awal.text.normalize" in names and "awal.text.translit" in names
    code = "".join(f"import {name}\n" for name in names) + "import awal.cli\nawal.cli.build_parser()\n"
    loaded = modules_after(code)
    assert set(names) <= loaded
    assert not top_level(loaded) & set(HEAVY), sorted(top_level(loaded) & set(HEAVY))


def test_help_imports_neither_heavy_libraries_nor_numpy():
    code = (
        "import awal.cli\n"
        "try:\n"
        "    awal.cli.main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "else:\n"
        "    raise AssertionError('--help did not exit')\n"
    )
    loaded = modules_after(code)
    assert "awal.cli" in loaded
    assert not top_level(loaded) & {*HEAVY, "numpy"}, sorted(top_level(loaded) & {*HEAVY, "numpy"})


# --- awal.paths -------------------------------------------------------------------------


def test_cache_dir_honours_awal_cache_dir(tmp_path):
    assert cache_dir({"AWAL_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c"


def test_cache_dir_falls_back_to_checkout_cache():
    import awal

    if ROOT not in Path(awal.__file__).resolve().parents:
        pytest.skip(f"awal is imported from {awal.__file__}, not from this checkout")
    assert cache_dir({}) == ROOT / ".cache"
    assert cache_dir({"AWAL_CACHE_DIR": ""}) == ROOT / ".cache"  # empty means unset


def test_configure_caches_sets_every_variable_without_overriding(tmp_path):
    base = tmp_path / "awal-cache"
    env = {"AWAL_CACHE_DIR": str(base), "HF_HOME": "/already/set/hf"}
    before = dict(os.environ)

    returned = configure_caches(env)

    assert returned == base
    assert set(CACHE_VARIABLES) <= set(env)
    assert env["HF_HOME"] == "/already/set/hf"
    for var, sub in CACHE_VARIABLES.items():
        if var != "HF_HOME":
            assert env[var] == str(base / sub), var
    assert len({env[var] for var in CACHE_VARIABLES}) == len(CACHE_VARIABLES)  # one folder each
    assert dict(os.environ) == before  # the dict given, not the process environment

    again = dict(env)
    configure_caches(again)
    assert again == env  # a second call changes nothing


def test_cache_variables_cover_the_libraries_awal_drives():
    expected = {
        "HF_HOME",
        "MPLCONFIGDIR",
        "NUMBA_CACHE_DIR",
        "TORCH_HOME",
        "XDG_CACHE_HOME",
        "NEMO_CACHE_DIR",
        "GRADIO_TEMP_DIR",
    }
    assert expected <= set(CACHE_VARIABLES)


def test_test_session_caches_are_outside_home():
    home = Path.home().resolve()
    for var in (*CACHE_VARIABLES, "AWAL_CACHE_DIR"):
        assert var in os.environ, var
        assert home not in Path(os.environ[var]).resolve().parents, (var, os.environ[var])


def test_awal_command_writes_nothing_to_home(run_awal, tmp_path):
    # A user's environment with none of the cache variables set: awal points them into its
    # own cache folder, and $HOME stays untouched.
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in CACHE_VARIABLES}
    env.update(HOME=str(home), AWAL_CACHE_DIR=str(tmp_path / "awal-cache"))
    ref = tmp_path / "ref.txt"
    ref.write_text("واش نتا مزيان\n", encoding="utf-8")
    for args, stdin in [
        (("text", "normalize", "--lang", "ary", "--profile", "tts"), "250 درهم\n"),
        (("text", "translit", "--lang", "zgh", "--to", "latn"), "ⴰⵣⵓⵍ\n"),
        (("score", "--lang", "ary", "--ref", ref, "--hyp", ref), None),
    ]:
        result = run_awal(*args, input=stdin, env=env)
        assert result.returncode == 0, result.stderr
    assert list(home.iterdir()) == []
