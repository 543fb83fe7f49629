"""The refusals of `dsprod update` about the recorded version point at the right fix.

They come before copier runs, so the project is only what they read: a committed answers file
(no rendering: these tests stay cheap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsprod.scaffold._history import SOURCE, materialise
from dsprod.scaffold._template import Template
from tests.scaffold._releases import (
    Releases,
    commit_all,
    git,
    replace_once,
)
from tests.scaffold.test_update import dsprod_v2, refused

__all__ = ["dsprod_v2"]  # a fixture used here


def record(project: Path, commit: str) -> None:
    replace_once(project / ".copier-answers.yml", "_commit: v1.0.0\n", f"_commit: {commit}\n")
    commit_all(project, f"_commit: {commit}")


def test_a_committed_bad_version_is_told_the_last_good_one(
    capsys: pytest.CaptureFixture[str], committed: Path, dsprod_v2: Template
) -> None:
    record(committed, "banana")
    err = refused(capsys, committed)
    assert "records the template version 'banana', which is not a version" in err
    # The bad edit is committed: `git checkout --` would do nothing; the history has the value.
    assert "git checkout --" not in err
    assert "last recorded v1.0.0: set `_commit: v1.0.0`" in err


def test_a_version_without_its_v_is_told_the_tag(
    capsys: pytest.CaptureFixture[str], committed: Path, dsprod_v2: Template
) -> None:
    record(committed, "1.0.0")
    err = refused(capsys, committed)
    assert "did you mean v1.0.0?" in err
    assert "set `_commit: v1.0.0`" in err


def test_an_empty_version_is_not_taken_for_dsprod_0_1(
    capsys: pytest.CaptureFixture[str], committed: Path, dsprod_v2: Template
) -> None:
    record(committed, "''")
    err = refused(capsys, committed)
    assert "has an empty _commit" in err
    assert "0.1.0" not in err
    assert "set `_commit: v1.0.0`" in err


def test_a_development_build_with_released_files_is_told_that_release(
    capsys: pytest.CaptureFixture[str],
    committed: Path,
    releases: Releases,
    dsprod_v2: Template,
) -> None:
    # A development dsprod still numbered 1.0.0 whose template was then released as 2.0.0.
    materialise(releases.v2)
    tree = git(Path(SOURCE).expanduser(), "rev-parse", "v2.0.0^{tree}").strip()
    record(committed, f"v1.0.0+dev.{tree[:12]}")
    err = refused(capsys, committed)
    assert "a dsprod build that was not released" in err
    assert "its files are those of release v2.0.0" in err
    assert "set `_commit: v2.0.0`" in err
