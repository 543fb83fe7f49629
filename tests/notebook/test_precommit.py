"""End to end with real pre-commit: the dsprod-check hook refuses a commit, extraction fixes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import make_project, write_notebook

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def dsprod_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree, uncommitted changes included, as a git repository pre-commit can use."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path_factory.mktemp("dsprod-repo")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    identity = {"NAME": "t", "EMAIL": "t@example.com"}
    env = os.environ | {
        f"GIT_{who}_{k}": v for who in ("AUTHOR", "COMMITTER") for k, v in identity.items()
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=copy, env=env, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=copy, capture_output=True, text=True, check=True
    ).stdout.strip()
    return copy, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Shared by the tests of one run, so the hook environment is built once.
    return tmp_path_factory.mktemp("pre-commit-home")


def test_the_hook_refuses_a_definition_and_extraction_lets_the_commit_through(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dsprod_repository: tuple[Path, str],
    pre_commit_home: Path,
) -> None:
    path, sha = dsprod_repository
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    project = make_project(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: dsprod-check\n"
    )
    assert git(project, "init", "-q").returncode == 0
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    assert git(project, "add", "-A").returncode == 0
    assert git(project, "commit", "-q", "-m", "project").returncode == 0, "clean project commits"

    write_notebook(
        project / "notebooks" / "eda.ipynb",
        "import math",
        "def area(r):\n    return math.pi * r**2",
        "print(area(2))",
    )
    git(project, "add", "-A")
    refused = git(project, "commit", "-m", "add a notebook")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "dsprod check" in output and "Failed" in output
    assert "notebooks/eda.ipynb:cell 2:line 1: function `area` is defined in a notebook" in output

    extracted = subprocess.run(
        [sys.executable, "-m", "dsprod", "extract", "notebooks/eda.ipynb"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert extracted.returncode == 0, extracted.stderr
    git(project, "add", "-A")
    accepted = git(project, "commit", "-m", "add a notebook, its code in the package")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    tracked = git(project, "ls-files").stdout.split()
    assert "src/mypkg/eda.py" in tracked and ".dsprod/manifest.json" in tracked
