"""Slow tier: a project generated for a Python other than the tests' passes its first-run checks
on that Python.

The template offers python_version 3.10 to 3.13, and the lowest one decides requires-python,
ruff's target and mypy's python_version. Each version costs minutes (an install, then every
check), so one stands for the others: 3.13, the newest, where deprecations turn into errors
first. The project is made as a user would: `dsprod new -d python_version=3.13`, whose `uv lock`
must resolve for 3.13, then `uv sync --locked` (what CI installs) with that interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaffold._env import TEST_BIN, Generated, run, tool_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

pytestmark = pytest.mark.slow

PYTHON = "3.13"
# Read now: the tests' HOME is a new folder each. pyenv's shims are on PATH here, but a shim
# for a version that is not selected only prints an error, so each candidate is asked.
_PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def find_python(version: str) -> Path | None:
    """An interpreter of `version`: on PATH, or installed by pyenv."""
    candidates = [Path(p) / f"python{version}" for p in os.environ.get("PATH", "").split(":")]
    candidates += sorted(_PYENV.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        if not candidate.is_file():
            continue
        done = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Generated:
    python = find_python(PYTHON)
    if python is None:
        pytest.skip(f"no Python {PYTHON} here (on PATH or under {_PYENV}/versions)")
    base = tmp_path_factory.mktemp(f"python-{PYTHON}")
    # The interpreter's folder first on PATH: `uv lock` needs a Python that requires-python
    # accepts, and may not download one. dsprod (the dev group's) comes from the wheel.
    env = tool_env(
        base / "home",
        python.parent,
        PIP_FIND_LINKS=str(wheel.parent),
        UV_FIND_LINKS=str(wheel.parent),
    )
    answers = ["-d", f"python_version={PYTHON}", "-d", "service=fastapi"]
    made = run([sys.executable, "-m", "dsprod", "new", "proj", "--defaults", *answers], cwd=base,
               env=env)  # fmt: skip
    project = base / "proj"
    assert (project / "uv.lock").is_file(), made.stderr
    run([TEST_BIN / "uv", "sync", "--locked", "--python", python], cwd=project, env=env)
    return Generated(project, project / ".venv", env)


def test_the_project_is_for_that_python(generated: Generated) -> None:
    done = generated.run(generated.bin("python"), "-c", "import sys; print(sys.version)")
    assert done.stdout.startswith(f"{PYTHON}.")
    pyproject = tomllib.loads((generated.project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={PYTHON}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + PYTHON.replace(".", "")
    assert pyproject["tool"]["mypy"]["python_version"] == PYTHON


@pytest.mark.parametrize(
    "check",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"], ["pytest", "-q"]],
    ids=["ruff", "format", "mypy", "pytest"],
)
def test_first_run_checks_pass(generated: Generated, check: list[str]) -> None:
    done = generated.run(generated.bin(check[0]), *check[1:], check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]


def test_the_example_notebook_runs(generated: Generated) -> None:
    # The project's own session: its kernel runs on that Python, and the notebook trains and
    # evaluates with the package's code.
    done = generated.run(generated.bin("nox"), "-s", "notebooks", check=False)
    assert done.returncode == 0, done.stderr[-6000:]
    session = generated.project / ".nox" / "notebooks" / "bin" / "python"
    version = generated.run(session, "-c", "import sys; print(sys.version)").stdout
    assert version.startswith(f"{PYTHON}."), version
    assert (generated.project / "build" / "notebooks" / "01-explore-demo-data.html").is_file()
