"""The file `extract --tests` writes: clean under the template's ruff configuration, and never
overwritten once the user edited it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from tests.helpers import CellSpec, code, make_project, result, run_cli, write_notebook

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).parents[2] / "template" / "project" / "pyproject.toml.jinja"
RUFF = Path(sys.executable).with_name("ruff")

LONG = "x" * 120
CELLS: list[CellSpec] = [
    "def banner(n):\n    return 'x' * n",
    code("banner(120)", outputs=result(repr(LONG))),
    "def label(x):\n    return f'<{x}>'",
    code("label(3)", outputs=result("'<3>'")),
]
AREA: list[CellSpec] = [
    "import math\n\ndef area(r):\n    return math.pi * r**2",
    code("area(2)", outputs=result("12.566370614359172")),
]


def template_ruff(project: Path) -> None:
    """The generated project's ruff configuration: the template's, rendered."""
    text = TEMPLATE.read_text(encoding="utf-8")
    section = text[text.index("[tool.ruff]") :]
    rendered = jinja2.Template(section).render(python_version="3.11", package_name="mypkg")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + rendered, encoding="utf-8")
    (project / ".dsprod").mkdir(exist_ok=True)
    (project / ".dsprod" / "ruff-debt.toml").write_text("", encoding="utf-8")


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), *args, "tests"], cwd=project, capture_output=True, text=True, check=False
    )


def test_generated_tests_pass_lint_and_an_edited_file_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    template_ruff(tmp_path)
    nb = tmp_path / "notebooks" / "shapes.ipynb"
    write_notebook(nb, *CELLS)
    generated = tmp_path / "tests" / "test_shapes.py"

    first = run_cli(capsys, "extract", "--tests", str(nb))
    assert first.code == 0, first.err
    text = generated.read_text()
    assert "import pytest" not in text  # nothing uses it: the project's F401
    assert f'== "{LONG}"  # noqa: E501' in text  # a value no line can hold
    checked = ruff(tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    formatted = ruff(tmp_path, "format", "--check")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr

    # Unedited: the next --tests run writes it again, with the new function's test.
    write_notebook(nb, *CELLS, *AREA)
    second = run_cli(capsys, "extract", "--tests", str(nb))
    assert second.code == 0, second.err
    text = generated.read_text()
    assert "assert area(2) == pytest.approx(12.566370614359172)" in text
    assert "import pytest" in text
    assert ruff(tmp_path, "check").returncode == 0

    # Edited: left alone, and the run says what to do.
    mine = text + "\n\ndef test_mine() -> None:\n    assert label(0) == '<0>'\n"
    generated.write_text(mine)
    half: list[CellSpec] = [
        "def half(x):\n    return x / 2",
        code("half(3)", outputs=result("1.5")),
    ]
    write_notebook(nb, *CELLS, *AREA, *half)
    third = run_cli(capsys, "extract", "--tests", str(nb))
    assert third.code == 0, third.err
    assert generated.read_text() == mine
    assert "tests/test_shapes.py was edited since dsprod wrote it; left alone" in third.err
    assert "rename it (e.g. test_shapes_pinned.py) and run again" in third.err
