"""`dsprod check`: one finding per problem, located, with the command that fixes it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import CellSpec, code, make_project, md, run_cli, write_notebook

CLEAN = ["from mypkg.shapes import area", "print(area(2))"]
WITH_DEFS: list[CellSpec] = [
    md("# Shapes"),
    "import math",
    "def area(r):\n    return math.pi * r**2",
    "x = 1\n\nclass Box:\n    pass",
    "# dsprod: keep\ndef plot():\n    pass",
    code("def draw():\n    pass", tags=("dsprod-keep",)),
]


def test_definitions_are_findings_and_kept_ones_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *WITH_DEFS)
    before = nb.read_bytes()
    result = run_cli(capsys, "check", "shapes.ipynb")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 4  # each problem, then its next step
    assert lines[0] == "shapes.ipynb:cell 3:line 1: function `area` is defined in a notebook"
    assert lines[1].startswith("  next: `dsprod extract shapes.ipynb` moves it into the package")
    assert lines[2].startswith("shapes.ipynb:cell 4:line 3: class `Box` is defined")
    assert "found  2 problem(s)" in result.err
    assert nb.read_bytes() == before  # check reads; it never rewrites the notebook


def test_a_clean_notebook_passes_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(
        tmp_path / "clean.ipynb", *CLEAN, "%matplotlib inline\nx = [i for i in range(3)]"
    )
    result = run_cli(capsys, "check", "clean.ipynb")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_keeps_going_past_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    write_notebook(tmp_path / "defs.ipynb", "def f():\n    return 1")
    write_notebook(tmp_path / "clean.ipynb", *CLEAN)
    write_notebook(tmp_path / "r.ipynb", "f <- function(x) x", language="R")
    result = run_cli(capsys, "check", "broken.ipynb", "defs.ipynb", "clean.ipynb", "r.ipynb")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 4
    # Located once, where the JSON breaks.
    assert lines[0].startswith("broken.ipynb:1:12: not valid JSON")
    assert lines[0].count("broken.ipynb") == 1
    assert lines[1].startswith("  next: open it in Jupyter")
    assert lines[2].startswith("defs.ipynb:cell 1:line 1: function `f`")


def test_percent_scripts_are_notebooks_and_other_python_files_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "analysis.py").write_text("# %%\nimport math\n\n# %%\ndef f():\n    return 1\n")
    (tmp_path / "library.py").write_text("def g():\n    return 2\n")
    result = run_cli(capsys, "check", "analysis.py", "library.py")
    assert result.code == 1
    [finding, _] = result.out.splitlines()
    assert finding.startswith("analysis.py:cell 2:line 1: function `f` is defined in a notebook")


@pytest.fixture
def extracted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "shapes.ipynb",
        "import math",
        "def area(r):\n    return math.pi * r**2",
        "def side(a):\n    return a**0.5",
        "print(area(1), side(4))",
    )
    assert run_cli(capsys, "extract", "shapes.ipynb").code == 0
    assert run_cli(capsys, "check", "shapes.ipynb", "src/mypkg/shapes.py").code == 0
    return nb, tmp_path / "src" / "mypkg" / "shapes.py"


def test_a_redefined_extracted_name_shadows_the_module(
    extracted: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    nb, _ = extracted
    document = json.loads(nb.read_text())
    # Extraction left two cells: the module's import (where `area` was) and the print.
    assert len(document["cells"]) == 2
    document["cells"][-1]["source"] = ["def area(r):\n", "    return 3 * r * r"]
    nb.write_text(json.dumps(document, indent=1))
    result = run_cli(capsys, "check", "shapes.ipynb")
    assert result.code == 1
    assert result.out.startswith(
        "shapes.ipynb:cell 2:line 1: function `area` is defined again here, but it was extracted "
        "to src/mypkg/shapes.py: this copy shadows the module's\n  next: delete it, or run "
        "`dsprod extract shapes.ipynb`"
    )


def test_a_hand_edit_of_a_module_never_stops_a_commit(
    extracted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, module = extracted
    module.write_text(module.read_text().replace("a**0.5", "a**0.5  # square root"))
    manifest_before = (tmp_path / ".dsprod" / "manifest.json").read_text()
    for files in (["src/mypkg/shapes.py"], [".dsprod/manifest.json"], []):
        result = run_cli(capsys, "check", *files)
        assert result.code == 0, result.out + result.err
        assert result.out == ""
    # Nor a symbol deleted by hand, nor the module itself: the project's tests and the
    # notebooks' import check see what that breaks, not a commit hook.
    module.write_text(module.read_text().split("def side")[0])
    assert run_cli(capsys, "check", ".dsprod/manifest.json").code == 0
    module.unlink()
    assert run_cli(capsys, "check", ".dsprod/manifest.json").code == 0
    assert (tmp_path / ".dsprod" / "manifest.json").read_text() == manifest_before


def test_what_extract_leaves_is_recorded_and_only_new_definitions_stop_a_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1", "f()")
    result = run_cli(capsys, "check", "--fix", "nb.ipynb")
    assert result.code == 0, result.out + result.err
    assert "extract  f (nb.ipynb:cell 1:line 1)" in result.err
    assert (tmp_path / "src" / "mypkg" / "nb.py").exists()
    stuck = write_notebook(
        tmp_path / "state.ipynb",
        # `data` is bound nowhere: g cannot take it as a parameter (nothing could pass it).
        "print('no data yet')",
        "def g():\n    return data",
        "def h(x):\n    !ls\n    return 1",
    )
    again = run_cli(capsys, "check", "--fix", str(stuck.name))
    assert again.code == 0, again.out + again.err
    assert "g not extracted: uses `data`" in again.err
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    left = manifest["notebooks"]["state.ipynb"]["left"]
    assert sorted(left) == ["g", "h"]
    assert left["g"]["where"] == "cell 2:line 1"
    assert "uses `data`" in left["g"]["reason"]
    assert "contains IPython syntax" in left["h"]["reason"]
    # The hook passes, and says what is left; --report lists it with the reasons.
    hook = run_cli(capsys, "check", "state.ipynb")
    assert hook.code == 0 and hook.out == ""
    assert "2 definition(s) left in notebooks" in hook.err
    report = run_cli(capsys, "check", "--report")
    assert report.code == 0
    assert "state.ipynb:cell 2:line 1: g left in the notebook: uses `data`" in report.out
    # A definition written afterwards still stops the commit, located.
    cells = [*_sources(stuck), "def fresh():\n    return 3"]
    write_notebook(stuck, *cells)
    late = run_cli(capsys, "check", "state.ipynb")
    assert late.code == 1
    assert late.out.startswith("state.ipynb:cell 4:line 1: function `fresh` is defined")
    assert "`g`" not in late.out and "`h`" not in late.out


def _sources(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_without_files_it_checks_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "init", "-q"], check=True)
    write_notebook(tmp_path / "a" / "nb.ipynb", "def f():\n    return 1")
    write_notebook(tmp_path / ".venv" / "lib" / "x.ipynb", "def g():\n    return 1")
    write_notebook(tmp_path / "ignored" / "y.ipynb", "def h():\n    return 1")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    result = run_cli(capsys, "check")
    assert result.code == 1
    problems = [line for line in result.out.splitlines() if not line.startswith("  next:")]
    assert [line.split(":")[0] for line in problems] == ["a/nb.ipynb"]


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1")
    result = run_cli(capsys, "check", "--json", "nb.ipynb")
    assert result.code == 1
    document = json.loads(result.out)
    assert list(document) == ["problems"]  # `debt` too with --report
    [problem] = document["problems"]
    assert problem["where"] == "nb.ipynb:cell 1:line 1"
    assert problem["message"] == "function `f` is defined in a notebook"
    assert problem["next"].startswith("`dsprod extract nb.ipynb`")
