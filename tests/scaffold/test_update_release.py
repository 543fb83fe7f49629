"""The release step, and the lines of the template that change with every release."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod
from dsprod.scaffold._template import Template
from tests.helpers import run_cli
from tests.scaffold._env import ROOT
from tests.scaffold._releases import Releases, commit_all, git, make_releases, replace_once
from tests.scaffold.test_update import dsprod_v2, generate

__all__ = ["dsprod_v2"]  # a fixture used here


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    return make_releases(tmp_path_factory.mktemp("releases"))


@pytest.mark.slow  # runs the release script as a process, as nox does
def test_release_template_tags_the_version_of_the_checkout(tmp_path: Path) -> None:
    # The checkout says 9.9.9; the dsprod this Python imports says something else.
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "template", checkout / "template")
    (checkout / "tools").mkdir()
    shutil.copyfile(ROOT / "tools" / "release_template.py", checkout / "tools" / "release.py")
    init = checkout / "cli" / "dsprod" / "__init__.py"
    init.parent.mkdir(parents=True)
    text = (ROOT / "cli" / "dsprod" / "__init__.py").read_text(encoding="utf-8")
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "9.9.9"', text), "utf-8")
    assert dsprod.__version__ != "9.9.9"
    git(checkout, "init", "-q")
    commit_all(checkout, "A release")

    done = subprocess.run(
        [sys.executable, "tools/release.py"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "template released as v9.9.9" in done.stdout
    heads = git(checkout, "bundle", "list-heads", "template-history.bundle")
    assert "refs/tags/v9.9.9" in heads
    assert f"refs/tags/v{dsprod.__version__}" not in heads


def test_the_readme_does_not_change_with_each_release() -> None:
    # A user who edits the README's intro must not get a conflict on every update.
    readme = (ROOT / "template" / "project" / "README.md.jinja").read_text(encoding="utf-8")
    assert "template_version" not in readme


def test_an_edit_next_to_the_dsprod_pin_is_no_conflict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    # The hook's `dsprod==X.Y.Z` changes with every release; the line under it is the user's
    # to edit (which files the hook checks).
    project = generate(tmp_path, releases.v1_copy(tmp_path / "v1"))
    config = project / ".pre-commit-config.yaml"
    files = r"        files: (\.ipynb|(^|/)\.dsprod/manifest\.json)$"
    replace_once(config, files, files.replace(r"\.ipynb|", r"\.ipynb|\.qmd|"))
    commit_all(project, "The hook checks Quarto files too")

    result = run_cli(capsys, "update", str(project))

    assert result.code == 0, result.err
    text = config.read_text(encoding="utf-8")
    assert '"dsprod==2.0.0"' in text
    assert r"\.qmd|" in text
    assert "<<<<<<<" not in text
