"""The project's own promises: the README's commands are what CI runs, and the code is linted."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"<!-- command: (\w+) -->\s*```(?:bash|sh)\n(.*?)```", text, re.S)
    return dict((name, body.strip()) for name, body in blocks)


def test_ci_runs_exactly_the_readme_commands():
    commands = readme_commands()
    assert set(commands) == {"install_and_run", "test"}
    ci = (REPO / ".ci" / "run").read_text()
    for name, command in commands.items():
        assert command in ci, f"README command {name!r} is not what .ci/run runs"


def test_lint_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.fail("ruff is part of the test extra: pip install -e '.[test]'")
    proc = subprocess.run(
        [ruff, "check", "src", "tests", "benchmarks", "docs"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(
        [ruff, "format", "--check", "src", "tests", "benchmarks", "docs"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
