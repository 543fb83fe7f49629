"""The "smaller ones" of issue 12: each found by a user, each pinned here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    code,
    make_project,
    md,
    read_cells,
    run_cli,
    snapshot,
    write_notebook,
)

CELLS = ("import math", "def area(r):\n    return math.pi * r**2", "print(area(2))")


# --- check: each finding once, and a file that does not exist --------------------------------


def test_check_reports_a_finding_once_when_given_a_file_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *CELLS)

    # By a relative and an absolute path, as two hooks or a user and a script may pass it.
    result = run_cli(capsys, "check", "notebooks/shapes.ipynb", str(nb))

    assert result.code == 1
    lines = [line for line in result.out.splitlines() if line.strip()]
    assert len(lines) == 2, result.out  # the problem and its next step
    assert "function `area` is defined in a notebook" in lines[0]
    assert "1 problem(s)" in result.err


def test_check_of_a_file_that_does_not_exist_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path / "ok.ipynb", md("# fine"), "x = 1")
    for args in (["typo.py"], ["ok.ipynb", "typo.py", "gone.ipynb"]):
        result = run_cli(capsys, "check", *args)
        assert result.code == 1, result.err
        missing = ", ".join(a for a in args if a != "ok.ipynb")
        assert f"error: {missing}: no such file" in result.err
        assert "next: check the path" in result.err


# --- a definition in a cell that does not parse -----------------------------------------------

PY2_CELLS: tuple[Any, ...] = (
    md("# 2014 analysis"),
    "import math",
    "def area(r):\n    return math.pi * r**2",
    "# helpers\ndef shout(x):\n    print x.upper()\n\n"
    'class Legacy:\n    def method(self):\n        print "no"',
    code('def kept_by_tag():\n    print "tag"', tags=("dsprod-keep",)),
    'def kept_by_comment():  # dsprod: keep\n    print "comment"',
    'if True:\n    def nested():\n        print "indented: not top level"',
    "area(2)",
)


def test_check_reports_a_def_in_a_cell_that_does_not_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "legacy.ipynb", *PY2_CELLS)
    result = run_cli(capsys, "check", "legacy.ipynb")
    assert result.code == 1
    found = [line for line in result.out.splitlines() if "does not parse" in line]
    assert len(found) == 2, result.out
    assert found[0].startswith(
        "legacy.ipynb:cell 4:line 2: function `shout` is defined in a notebook, and its cell "
        "does not parse as Python 3 ("
    )
    assert found[0].endswith(", at line 3"), result.out
    assert "at line 3\n  next: make the cell parse on Python 3." in result.out
    assert found[1].startswith("legacy.ipynb:cell 4:line 5: class `Legacy` is defined")
    for quiet in ("kept_by_tag", "kept_by_comment", "nested", "method"):
        assert quiet not in result.out
    assert nb.exists()


def test_extract_reports_a_def_in_a_cell_that_does_not_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "legacy.ipynb", *PY2_CELLS)
    original = read_cells(nb)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert f"{nb}:cell 4:line 3: does not parse as Python 3" in result.err
    assert (
        f"{nb}:cell 4:line 2: shout not extracted: its cell does not parse as Python 3"
        in result.err
    )
    assert f"{nb}:cell 4:line 5: Legacy not extracted" in result.err
    assert "make the cell parse on Python 3." in result.err and "and run again" in result.err
    assert "kept_by_tag not extracted" not in result.err
    # The cell is left exactly as it was; the rest of the notebook was processed.
    assert {c["id"]: c for c in read_cells(nb)}["c3"] == original[3]
    assert "def area" in (tmp_path / "legacy.py").read_text(encoding="utf-8")


# --- extract switches --------------------------------------------------------------------------


def test_extract_accepts_quiet_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        tmp_path / "shapes.ipynb", *CELLS, 'def legacy():\n    print "py2"', "rows = [1]"
    )
    result = run_cli(capsys, "extract", "-q", str(nb))
    assert result.code == 0, result.err
    assert "extract  area" not in result.err and "create" not in result.err
    # Problems are still shown.
    assert f"{nb}:cell 4:line 2: does not parse" in result.err
    assert "def area" in (tmp_path / "shapes.py").read_text(encoding="utf-8")
    assert run_cli(capsys, "extract", "--quiet", "--dry-run", str(nb)).code == 0
    # What extract left (`legacy`, in a cell that does not parse) is recorded: check passes.
    assert run_cli(capsys, "check", "-q", "shapes.ipynb").code == 0


@pytest.mark.parametrize("only", ["", ",", " , "])
def test_an_empty_only_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], only: str
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "--only", only, str(nb))
    assert result.code == 2
    assert "--only" in result.err and "names no definition" in result.err
    assert snapshot(tmp_path) == before


# --- a folder that cannot be written -----------------------------------------------------------


def _deny_access(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """`folder` is read-only as for a non-root user (tests may run as root)."""
    denied = folder.resolve()
    real_access = os.access

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if Path(path).resolve() == denied and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_read_only_notebook_folder_refused_before_any_extract_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *CELLS)
    before = snapshot(tmp_path)
    _deny_access(monkeypatch, tmp_path / "notebooks")
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 1
    assert f"error: cannot write in {tmp_path / 'notebooks'}: permission denied" in result.err
    assert "extract  area" not in result.err
    next_line = next(line for line in result.err.splitlines() if "next:" in line)
    assert "--module" not in next_line  # the module is not what cannot be written
    assert "rewrites the notebook in place" in next_line
    assert snapshot(tmp_path) == before


def test_read_only_package_folder_suggests_another_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *CELLS)
    before = snapshot(tmp_path)
    _deny_access(monkeypatch, tmp_path / "src" / "mypkg")
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 1
    assert "extract  area" not in result.err
    assert "--module" in next(line for line in result.err.splitlines() if "next:" in line)
    assert snapshot(tmp_path) == before
    # --dry-run writes nothing, so it is not refused.
    assert run_cli(capsys, "extract", "--dry-run", str(nb)).code == 0


# --- nbformat 3 --------------------------------------------------------------------------------


def _v3_notebook(path: Path) -> Path:
    cells = [
        {
            "cell_type": "code",
            "collapsed": False,
            "input": ["import math\n"],
            "language": "python",
            "metadata": {},
            "outputs": [],
            "prompt_number": 1,
        },
        {
            "cell_type": "code",
            "collapsed": False,
            "input": ["def area(r):\n", "    return math.pi * r**2"],
            "language": "python",
            "metadata": {},
            "outputs": [],
            "prompt_number": 2,
        },
        {
            "cell_type": "code",
            "collapsed": False,
            "input": ["area(2)"],
            "language": "python",
            "metadata": {},
            "outputs": [],
            "prompt_number": 3,
        },
    ]
    document = {
        "metadata": {"name": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{"cells": cells, "metadata": {}}],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def test_a_v3_notebook_says_how_to_convert_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = _v3_notebook(tmp_path / "old one.ipynb")
    command = "jupyter nbconvert --to notebook --nbformat 4 --inplace 'old one.ipynb'"

    extracted = run_cli(capsys, "extract", "old one.ipynb")
    assert extracted.code == 0, extracted.err
    assert "warning  old one.ipynb: nbformat 3 notebook" in extracted.err
    assert command in extracted.err
    assert json.loads(nb.read_text(encoding="utf-8"))["nbformat"] == 3  # the format is kept

    checked = run_cli(capsys, "check", "old one.ipynb")
    assert checked.code == 1
    assert "old one.ipynb: nbformat 3 notebook: dsprod reads it, but ruff" in checked.out
    assert f"next: convert it: {command}" in checked.out


def test_a_v4_notebook_has_no_format_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path / "new.ipynb", md("# fine"), "x = 1")
    result = run_cli(capsys, "check", "new.ipynb")
    assert result.code == 0, result.out + result.err
    assert "nbformat" not in result.out + result.err


# --- the status line of a wrapped import -------------------------------------------------------


@pytest.mark.parametrize("switches", [[], ["--autoreload"]])
def test_status_line_of_a_wrapped_import_shows_the_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], switches: list[str]
) -> None:
    names = [f"function_number_{i}" for i in range(12)]
    nb = write_notebook(
        tmp_path / "wide.ipynb",
        *(f"def {name}():\n    return {i}" for i, name in enumerate(names)),
        f"print({', '.join(names)})",
    )
    result = run_cli(capsys, "extract", *switches, str(nb))
    assert result.code == 0, result.err
    update = next(line for line in result.err.splitlines() if "update" in line)
    assert update.endswith(f"wide.ipynb: from wide import {', '.join(sorted(names))}"), update
    # The notebook itself still gets the wrapped form, which fits the line length.
    first = "".join(read_cells(nb)[0]["source"])
    assert "from wide import (\n    function_number_0,\n" in first
