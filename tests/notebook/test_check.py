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
    result = run_cli(capsys, "check", "shapes.ipynb")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        "shapes.ipynb:cell 3:line 1: function `area` is defined in a notebook; "
        "fix: `dsprod extract shapes.ipynb` moves it into the package"
    )
    assert lines[1].startswith("shapes.ipynb:cell 4:line 3: class `Box` is defined")
    assert "found  2 problem(s)" in result.err
    assert nb.exists()


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
    assert len(lines) == 2
    assert lines[0].startswith("broken.ipynb: broken.ipynb:1:12: not valid JSON")
    assert "fix: open it in Jupyter" in lines[0]
    assert lines[1].startswith("defs.ipynb:cell 1:line 1: function `f`")


def test_percent_scripts_are_notebooks_and_other_python_files_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "analysis.py").write_text("# %%\nimport math\n\n# %%\ndef f():\n    return 1\n")
    (tmp_path / "library.py").write_text("def g():\n    return 2\n")
    result = run_cli(capsys, "check", "analysis.py", "library.py")
    assert result.code == 1
    [finding] = result.out.splitlines()
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
        "to src/mypkg/shapes.py: this copy shadows the module's; fix: delete it, or run "
        "`dsprod extract shapes.ipynb`"
    )


def test_a_hand_edit_is_a_finding_until_recorded(
    extracted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, module = extracted
    module.write_text(module.read_text().replace("a**0.5", "a**0.5  # square root"))
    result = run_cli(capsys, "check", "src/mypkg/shapes.py")
    assert result.code == 1
    assert result.out == (
        "src/mypkg/shapes.py: changed since dsprod wrote it (side edited by hand), and the edit "
        "is not recorded in .dsprod/manifest.json; fix: `dsprod check --fix src/mypkg/shapes.py` "
        "records it\n"
    )
    manifest_before = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())

    fixed = run_cli(capsys, "check", "--fix", "src/mypkg/shapes.py")

    assert fixed.code == 0, fixed.out + fixed.err
    assert "record  src/mypkg/shapes.py" in fixed.err
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    entry, old = manifest["modules"]["src/mypkg/shapes.py"], manifest_before["modules"]
    assert entry["sha256"] != old["src/mypkg/shapes.py"]["sha256"]
    # The symbol keeps the hash dsprod wrote: it stays protected as a hand edit.
    assert entry["symbols"] == old["src/mypkg/shapes.py"]["symbols"]
    assert run_cli(capsys, "check", "src/mypkg/shapes.py").code == 0


def test_the_manifest_and_its_modules_must_agree(
    extracted: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, module = extracted
    module.write_text(module.read_text().split("def side")[0])
    result = run_cli(capsys, "check", ".dsprod/manifest.json")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(
        ".dsprod/manifest.json: lists `side` in src/mypkg/shapes.py, which no longer defines it"
    )
    assert lines[1].startswith("src/mypkg/shapes.py: changed since dsprod wrote it")
    module.unlink()
    gone = run_cli(capsys, "check", ".dsprod/manifest.json")
    assert gone.out.startswith(
        ".dsprod/manifest.json: lists src/mypkg/shapes.py, which does not exist; the notebooks "
        "that import mypkg.shapes are broken; fix: restore it (git checkout -- src/mypkg/shapes.py)"
    )


def test_fix_extracts_the_notebooks_with_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1", "f()")
    result = run_cli(capsys, "check", "--fix", "nb.ipynb")
    assert result.code == 0, result.out + result.err
    assert "extract  f (nb.ipynb:cell 1:line 1)" in result.err
    assert (tmp_path / "src" / "mypkg" / "nb.py").exists()
    stuck = write_notebook(tmp_path / "state.ipynb", "data = load()", "def g():\n    return data")
    again = run_cli(capsys, "check", "--fix", str(stuck.name))
    assert again.code == 1
    assert "g not extracted: uses `data`" in again.err
    assert again.out.startswith("state.ipynb:cell 2:line 1: function `g` is defined")


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
    assert [line.split(":")[0] for line in result.out.splitlines()] == ["a/nb.ipynb"]


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1")
    result = run_cli(capsys, "check", "--json", "nb.ipynb")
    assert result.code == 1
    [finding] = json.loads(result.out)
    assert finding["where"] == "nb.ipynb:cell 1:line 1"
    assert finding["message"] == "function `f` is defined in a notebook"
    assert finding["fix"].startswith("`dsprod extract nb.ipynb`")
