"""What the manifest records as left in the notebook is located in the rewritten notebook: the
same as planning the rewritten notebook again finds, however it is found."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dsprod._output import Output
from dsprod._project import find_project
from dsprod.notebook._manifest import LeftEntry
from dsprod.notebook._parse import unparsed_definitions
from dsprod.notebook._plan import plan_extraction
from dsprod.notebook._read import notebook_from_text, read_notebook
from dsprod.notebook._record import left_behind
from dsprod.notebook._stage import Rendered, Stage, plan_stage, render_stage
from dsprod.notebook._target import resolve_target
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import CellSpec, make_project, md, write_notebook

NOTEBOOKS: dict[str, list[CellSpec]] = {
    "everything moves": [
        "import math",
        md("## Helpers"),
        "def area(r):\n    return math.pi * r**2",
        "LIMIT = 3\n\n\nclass Shape:\n    size = LIMIT",
        "print(area(2), Shape())",
    ],
    "refusals below removed cells": [
        "import math",
        "def area(r):\n    return math.pi * r**2",
        "SCALE = 2",
        "data = [1, 2]\ndata.append(3)",
        "def uses_data():\n    global data\n    data = []",
        "%time x = 1\ndef shell():\n    !ls\n    return 1",
        "def f():\n    return 1",
        "def f():\n    return 2",
        "print(area(2), uses_data(), shell(), f())",
    ],
    "a cell that does not parse": [
        "def helper():\n    return 1",
        "print 'python 2'\ndef old():\n    pass",
        "helper()",
    ],
    "a cell that does not parse below a removed one": [
        "def a():\n    return 1",
        "def b():\n    return 2",
        "print 'python 2'\ndef old():\n    pass",
        "a(), b()",
    ],
    "kept definitions and versions": [
        "def keep():  # dsprod: keep\n    return 1",
        "def g():\n    return 1",
        "g()",
        "def g():\n    return 2",
        "g()",
        "def h():\n    return keep()",
    ],
}


def _stage(path: Path) -> tuple[Stage, Rendered]:
    notebook = read_notebook(path)
    project = find_project(path.parent)
    target = resolve_target(path, None, project)
    output = Output(quiet=True, err=io.StringIO(), out=io.StringIO())
    stage = plan_stage(notebook, project, target, ExtractOptions(), output)
    return stage, render_stage(stage, ExtractOptions(format=False))


def _planned_again(stage: Stage, notebook_text: str) -> dict[str, LeftEntry]:
    """What the rewritten notebook's own plan leaves, located there."""
    rewritten = notebook_from_text(stage.notebook.path, notebook_text)
    plan = plan_extraction(rewritten, None, stage.blocked, stage.target.import_name)
    prefix = f"{stage.notebook.path}:"
    left = {
        r.name: LeftEntry(
            f"cell {r.location.cell}:line {r.location.line}", r.reason.replace(prefix, "")
        )
        for r in plan.refusals
    }
    for parsed in plan.parsed:
        for unparsed in unparsed_definitions(parsed):
            where = f"cell {unparsed.location.cell}:line {unparsed.location.line}"
            left.setdefault(unparsed.name, LeftEntry(where, f"{unparsed.why}; {unparsed.fix}"))
    return left


@pytest.mark.parametrize("cells", NOTEBOOKS.values(), ids=NOTEBOOKS.keys())
def test_left_entries_are_those_the_rewritten_notebook_plans(
    tmp_path: Path, cells: list[CellSpec]
) -> None:
    make_project(tmp_path)
    path = write_notebook(tmp_path / "analysis.ipynb", *cells)
    stage, rendered = _stage(path)
    text = rendered.notebook_text
    assert text != stage.notebook.text  # something moved
    expected = _planned_again(stage, text)
    # With the rewrite's cells (located from the plan) and without (the notebook read again).
    assert left_behind(stage, text, rendered.sources) == expected
    assert left_behind(stage, text) == expected


def test_left_entries_of_a_percent_script_are_those_it_plans(tmp_path: Path) -> None:
    make_project(tmp_path)
    path = tmp_path / "analysis.py"
    path.write_text(
        "# %%\ndef a():\n    return 1\n\n# %%\ndef b():\n    return 2\n\n"
        "# %%\nprint 'python 2'\ndef old():\n    pass\n\n# %%\nprint(a(), b())\n",
        encoding="utf-8",
    )
    stage, rendered = _stage(path)
    text = rendered.notebook_text
    assert left_behind(stage, text, rendered.sources) == _planned_again(stage, text)
    assert "old" in left_behind(stage, text, rendered.sources)


def test_a_rewrite_that_leaves_no_cell_that_parses_records_what_does_not_parse(
    tmp_path: Path,
) -> None:
    """The one cell that parses moves whole; what is left is Python 2. Planning the rewritten
    notebook refused it as "no code cell parses", and the extraction failed after the plan:
    nothing is left to refuse but the definitions in the cells that do not parse."""
    make_project(tmp_path)
    path = write_notebook(
        tmp_path / "analysis.ipynb", "def a():\n    return 1", "print 'x'\ndef old():\n    pass"
    )
    stage, rendered = _stage(path)
    left = left_behind(stage, rendered.notebook_text, rendered.sources)
    assert list(left) == ["old"]
    assert left["old"].where == "cell 1:line 2"
    assert left_behind(stage, rendered.notebook_text) == left
    result = extract_notebook(path, ExtractOptions(), output=Output(err=io.StringIO()))
    assert (result.error, result.extracted) == (None, ["a"])
    assert "def a():" in (tmp_path / "src" / "mypkg" / "analysis.py").read_text()
