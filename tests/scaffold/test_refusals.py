"""Bad answers and bad destinations: a clear error, exit 1, and nothing written anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dsprod.scaffold import new as new_module
from tests.helpers import run_cli, snapshot


def listing(folder: Path) -> list[str]:
    """Every path under `folder`, except dsprod's per-user template history under the test's
    HOME: a cache any dsprod command may create (scaffold/_history.py), not a project file."""
    cache = folder / "home" / ".local"
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p != cache and cache not in p.parents
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("package_name=class", '"class" is a Python keyword'),
        ("package_name=my-pkg", "did you mean my_pkg?"),
        ("package_name=json", "standard-library module"),
        ("package_name=pydantic", "dependency of the project"),
        ("package_name=2fast", "not a Python identifier"),
        ("package_name=" + "x" * 41, "longer than 40 characters"),
        ("project_name=-dash", "not a valid distribution name"),
        ("author_email=nobody", "not an e-mail address"),
        ("python_version=3.9", "'3.9' is not in"),
        ("ci=jenkins", "'jenkins' is not in"),
        ("kubernetes=true", "answer service=fastapi too"),
    ],
)
def test_invalid_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, answer: str, expected: str
) -> None:
    before = listing(tmp_path)
    result = run_cli(capsys, "new", "proj", "--defaults", "-d", answer)
    assert result.code == 1, result.err
    name = answer.split("=", maxsplit=1)[0]
    assert f"error: invalid answer for {name}: " in result.err
    assert expected in result.err
    assert f"next: answer it with -d {name}=VALUE" in result.err
    assert listing(tmp_path) == before  # no project, no staging folder left behind


def test_folders_made_for_a_refused_project_are_removed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "work").mkdir()
    result = run_cli(capsys, "new", "work/2026/q1/proj", "--defaults", "-d", "ci=jenkins")
    assert result.code == 1
    assert listing(tmp_path / "work") == []


def test_unknown_question(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "new", "proj", "--defaults", "-d", "colour=blue")
    assert result.code == 1
    assert "the template has no question 'colour'" in result.err
    assert "answer one of: project_name, package_name," in result.err
    assert not (tmp_path / "proj").exists()


@pytest.mark.parametrize("value", ["novalue", "=x"])
def test_malformed_data_is_a_usage_error(capsys: pytest.CaptureFixture[str], value: str) -> None:
    result = run_cli(capsys, "new", "proj", "--defaults", "-d", value)
    assert result.code == 2
    assert "is not NAME=VALUE" in result.err


def test_existing_project_is_left_alone(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    dest = tmp_path / "proj"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "new", "proj", "--defaults")
    assert result.code == 1
    assert "error: proj is not empty" in result.err
    assert "next: choose a folder that does not exist yet, or empty this one" in result.err
    assert snapshot(tmp_path) == before
    assert listing(tmp_path) == ["home", "proj", "proj/notes.txt", "tmp"]


def test_destination_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "proj").write_text("x")
    result = run_cli(capsys, "new", "proj", "--defaults")
    assert result.code == 1
    assert "proj exists and is not a folder" in result.err


def test_read_only_parent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    # Permission bits do not stop root (CI runs as root): ask os.access what it would say.
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != parent and real(p, mode))
    result = run_cli(capsys, "new", "locked/proj", "--defaults")
    assert result.code == 1
    assert "cannot create locked/proj: locked is not a writable folder" in result.err
    assert listing(parent) == []


def test_needs_a_terminal_or_defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "new", "proj")  # pytest's stdin is not a terminal
    assert result.code == 1
    assert "no terminal to ask the template's questions on" in result.err
    assert "next: dsprod new proj --defaults" in result.err
    assert not (tmp_path / "proj").exists()


def test_interrupted_render_leaves_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copier

    real = copier.run_copy

    def interrupted(src: str, dst: Path, **kwargs: object) -> object:
        real(src, dst, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # Ctrl-C after Copier wrote every file, before the move

    monkeypatch.setattr(copier, "run_copy", interrupted)
    result = run_cli(capsys, "new", "proj", "--defaults")
    assert result.code == 130
    assert listing(tmp_path) == ["home", "tmp"]


def test_failure_while_moving_into_place(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process fills the destination between the check and the move.
    real = new_module._move_into_place

    def racing(staging: Path, dest: Path) -> None:
        dest.mkdir()
        (dest / "theirs.txt").write_text("x")
        real(staging, dest)

    monkeypatch.setattr(new_module, "_move_into_place", racing)
    result = run_cli(capsys, "new", "proj", "--defaults")
    assert result.code == 1
    assert "was filled by something else" in result.err
    assert listing(tmp_path) == ["home", "proj", "proj/theirs.txt", "tmp"]
