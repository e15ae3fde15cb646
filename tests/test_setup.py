"""The setup step is idempotent, and CI runs exactly the README's two commands."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAMP = ROOT / ".venv" / ".awal-setup"


def _test_extras() -> str:
    """The extras `make test` installs (the Makefile's TEST_EXTRAS line)."""
    match = re.search(r"^TEST_EXTRAS := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile lost its TEST_EXTRAS line"
    return match.group(1)


def test_setup_again_is_up_to_date_and_changes_nothing():
    if not STAMP.is_file():
        pytest.skip(f"{STAMP} does not exist: this checkout's .venv was not made by scripts/setup.sh")
    # `make test` runs `scripts/setup.sh $(TEST_EXTRAS)` before the suite, so the stamp
    # records the current pyproject.toml. If it does not, running setup here would
    # reinstall the environment under the running suite: say so instead.
    extras = _test_extras()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    if f"{digest} {extras}" not in STAMP.read_text().splitlines():
        pytest.fail(
            f"{STAMP} does not record `{extras}` for the current pyproject.toml: run `make setup-full` "
            "(`make test` does) before the suite; not re-running setup under a running suite"
        )
    before = (STAMP.read_bytes(), STAMP.stat().st_mtime_ns)

    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh"), extras],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr
    assert "installing" not in proc.stderr, proc.stderr
    assert (STAMP.read_bytes(), STAMP.stat().st_mtime_ns) == before


# --- the README's two commands, as .ci/run extracts them -------------------------------


def readme_block(name: str) -> str:
    """The lines between <!-- NAME --> and <!-- /NAME --> in README.md, minus ``` fences
    (what .ci/run's readme_block does)."""
    out, inside = [], False
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line == f"<!-- {name} -->":
            inside = True
            continue
        if line == f"<!-- /{name} -->":
            inside = False
        if inside and not line.startswith("```"):
            out.append(line)
    return "\n".join(out)


def ci_readme_block(name: str) -> str:
    """Run the readme_block function defined in .ci/run itself (and nothing else of it)."""
    script = (
        "eval \"$(sed -n '/^readme_block()/,/^}/p' .ci/run)\"\n"
        'declare -F readme_block >/dev/null || { echo "no readme_block in .ci/run" >&2; exit 3; }\n'
        f"readme_block {name}\n"
    )
    proc = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.rstrip("\n")


def test_readme_commands():
    assert readme_block("run-command") == "make run"
    assert readme_block("test-command") == "make test"


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "run-command" in ci and "test-command" in ci
    assert ci_readme_block("run-command") == readme_block("run-command") == "make run"
    assert ci_readme_block("test-command") == readme_block("test-command") == "make test"
