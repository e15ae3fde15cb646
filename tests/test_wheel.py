"""The package as users install it: one import root, ``awal``, from a built wheel.

The design's top-level folders (asr/, tts/, data_manifests/, demo/) are subpackages of ``awal``
through setuptools' package-dir mapping (pyproject.toml). The checkout's editable install finds
them through its finder; these tests build the wheel, install it into a fresh virtual environment
(its third-party libraries borrowed from this one's site-packages, never its editable ``awal``)
and run the command there, from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "audio" / "zgh_000042.wav"

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_folder_is_in_the_wheel_list():
    config = _setuptools()
    found = set()
    for name, folder in config["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            found.add(".".join((name, *init.parent.relative_to(base).parts)))
    listed = set(config["packages"])
    assert listed == found, {"missing from the list": sorted(found - listed), "no such folder": sorted(listed - found)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools builds in the checkout's build/lib, which keeps files of modules moved or deleted
    # since the last build: they would land in the wheel
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("awal-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    # this environment's third-party libraries as a plain path entry: its .pth files (the editable
    # install's finder among them) are not processed there, so awal can come only from the wheel
    (site / "borrowed-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
         str(wheel)], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv


def _run(venv: Path, *args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, env=env, timeout=600, **kwargs)


def test_the_wheel_holds_one_import_root(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    roots = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert roots == {"awal"}
    for path in ("awal/asr/streaming/engine.py", "awal/tts/synthesize.py", "awal/data/synthetic.py",
                 "awal/demo/app.py", "awal/service/app.py", "awal/training/metadata.py",
                 "awal/asr/bundled/whisper-base-awal/model.bin", "awal/tts/bundled/awal-voice/awal.json"):  # fmt: skip
        assert path in names, path


def test_the_installed_wheel_runs_without_the_checkout(fresh_venv: Path, tmp_path: Path):
    python, awal = fresh_venv / "bin" / "python", fresh_venv / "bin" / "awal"
    where = _run(fresh_venv, str(python), "-c", "import json, awal, awal.asr, awal.tts, awal.data, awal.demo, "
                 "awal.service; import importlib.util as u; print(json.dumps([awal.__file__, awal.asr.__file__, "
                 "u.find_spec('asr') is None, u.find_spec('tts') is None]))", cwd=tmp_path)  # fmt: skip
    assert where.returncode == 0, where.stderr
    core, asr, no_asr, no_tts = json.loads(where.stdout)
    assert Path(core).is_relative_to(fresh_venv) and Path(asr).is_relative_to(fresh_venv)
    assert no_asr and no_tts  # nothing named asr or tts is installed

    for command in ([str(awal), "--help"], [str(python), "-m", "awal", "--help"]):
        result = _run(fresh_venv, *command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "transcribe" in result.stdout and "synthesize" in result.stdout

    heard = _run(fresh_venv, str(awal), "transcribe", str(SAMPLE), "--language", "zgh", "--format", "json",
                 "--output-dir", str(tmp_path / "out"), cwd=tmp_path)  # fmt: skip
    assert heard.returncode == 0, heard.stderr
    (transcript,) = (tmp_path / "out").glob("*.json")
    assert json.loads(transcript.read_text(encoding="utf-8"))["text"].strip()

    for voice in ("espeak", "awal-voice"):
        wav = tmp_path / f"{voice}.wav"
        spoken = _run(fresh_venv, str(awal), "synthesize", "ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ", "--lang", "zgh", "--voice", voice,
                      "--out", str(wav), cwd=tmp_path)  # fmt: skip
        assert spoken.returncode == 0, spoken.stderr
        assert wav.stat().st_size > 10_000

    # the recipes' entry points run as modules of the installed package
    entry = _run(fresh_venv, str(python), "-m", "awal.data.pack", "--help", cwd=tmp_path)
    assert entry.returncode == 0 and "usage" in entry.stdout.lower(), entry.stderr
