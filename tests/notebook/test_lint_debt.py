"""Promoted code passes the project's own lint and type check the day it is extracted: dsprod
writes it at the project's ruff fixed point and records what is left as debt, in a project
made by `dsprod new` (its real ruff and mypy configuration)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CellSpec, code_sources, md, run_cli, write_notebook

# Traits of real notebooks: `(object)` bases, `from __future__`, CamelCase functions, untyped
# defs, a block of constants, section comments, `%matplotlib inline`, an unused import.
AUTHORED: list[CellSpec] = [
    md("# An analysis"),
    "from __future__ import print_function, division\n%matplotlib inline\nimport math\n"
    "import matplotlib\nimport os, sys",
    "# constants\nLIMIT = 10\nnoise = 0.5\nSCALE = 2\n\n\n# helpers",
    "class Point(object):\n    def __init__(self, x, y):\n        self.x = x; self.y = y\n\n"
    "    def norm(self):\n        return math.sqrt(self.x**2 + self.y**2)",
    "def ScaleIt(value):\n    return value * SCALE if value < LIMIT else matplotlib.__name__",
    'def described():\n    """A line with a trailing space \n    and another."""\n    return 1',
    "print(described())",
    "print(ScaleIt(3), Point(3, 4).norm(), noise)",
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, "-m", "dsprod", "-q", "new", str(base / "proj"), "--defaults"],
        check=True,
        capture_output=True,
    )
    return base / "proj"


@pytest.fixture
def project(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(generated, root)
    monkeypatch.chdir(root)
    return root


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_extracted_code_passes_the_projects_lint_and_mypy_and_its_hooks_change_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(project / "notebooks" / "analysis.ipynb", *AUTHORED)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    module = project / "src" / "proj" / "analysis.py"
    text = module.read_text()
    # The project's ruff fixes ran: no `(object)` base, no `__future__` import left.
    assert "class Point:" in text and "__future__" not in text
    # What no fix can change is recorded at the top, with the tools' own per-file switches.
    assert text.startswith("# Lint debt of code promoted from notebooks")
    assert "# ruff: noqa: " in text and "N802" in text.split("\n")[1]
    assert '# mypy: disable-error-code="' in text and "no-untyped-def" in text
    # The project's lint is green on everything, notebooks included...
    checked = ruff(project, "check", ".")
    assert checked.returncode == 0, checked.stdout
    assert ruff(project, "format", "--check", ".").returncode == 0
    # ...and its hooks would change nothing dsprod wrote: not ruff's, not the whitespace
    # fixers' (which rewrite strings too: W291 in a docstring is fixed, not recorded).
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "W291" not in text.split("\n")[1]
    before = {p: p.read_text() for p in (module, nb)}
    assert ruff(project, "check", "--fix", str(module), str(nb)).returncode == 0
    assert ruff(project, "format", str(module)).returncode == 0
    assert {p: p.read_text() for p in before} == before
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", str(module.relative_to(project))],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert typed.returncode == 0, typed.stdout
    # The report shows the ledger; the hook passes.
    report = run_cli(capsys, "check", "--report")
    assert report.code == 0
    assert "src/proj/analysis.py: lint debt: ruff " in report.out


def test_the_notebook_import_adds_no_lint_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(project / "notebooks" / "analysis.ipynb", *AUTHORED)
    assert run_cli(capsys, "extract", str(nb)).code == 0
    sources = code_sources(nb)
    # `import matplotlib` served only ScaleIt: it left with it, although `%matplotlib inline`
    # names it (the magic's own name is not a use).
    assert sources[0] == (
        "from __future__ import print_function, division\n%matplotlib inline\nimport os, sys"
    )
    # The import went to the top of the constants' cell, not between constants (E402).
    assert sources[1].startswith("from proj.analysis import Point, ScaleIt, described\n")
    assert "noise = 0.5" in sources[1]
    # Without the ledger, the rewritten notebook has only the author's own finding (F401 on
    # `import os, sys`) under the notebooks' rules: no E402, no new F401.
    probe = project / "notebooks" / "probe.ipynb"
    probe.write_text(nb.read_text())
    found = ruff(project, "check", "--output-format", "json", "--exit-zero", str(probe))
    assert {(d["code"], d["location"]["row"]) for d in json.loads(found.stdout)} == {
        ("F401", 3)  # `import os, sys` in the first cell: the author's, not dsprod's
    }


def test_notebook_debt_is_recorded_and_shrinks(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        project / "notebooks" / "eda.ipynb", "import os\nimport sys\nprint(sys.argv)"
    )
    py2 = write_notebook(project / "notebooks" / "old.ipynb", 'print "hello"', "x = 1")
    assert ruff(project, "check", ".").returncode == 1  # the authors' findings, before
    for path in (nb, py2):
        assert run_cli(capsys, "extract", str(path)).code == 0
    ledger = (project / ".dsprod" / "ruff-debt.toml").read_text()
    assert '"../notebooks/eda.ipynb" = ["F401"]' in ledger
    assert '"../notebooks/old.ipynb",  # ruff cannot read it: cell 1' in ledger
    assert ruff(project, "check", ".").returncode == 0
    report = run_cli(capsys, "check", "--report")
    assert "notebooks/eda.ipynb: lint debt: ruff F401" in report.out
    assert "notebooks/old.ipynb: not linted: ruff cannot read it" in report.out
    # The author cleans up; `check --fix` measures again and the entries go.
    write_notebook(nb, "import sys\nprint(sys.argv)")
    write_notebook(py2, 'print("hello")', "x = 1")
    fixed = run_cli(capsys, "check", "--fix")
    assert fixed.code == 0, fixed.out + fixed.err
    ledger = (project / ".dsprod" / "ruff-debt.toml").read_text()
    assert "eda.ipynb" not in ledger and "old.ipynb" not in ledger
    assert ruff(project, "check", ".").returncode == 0


def test_module_debt_shrinks_when_the_code_gets_clean(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(project / "notebooks" / "calc.ipynb", "def Double(x):\n    return 2 * x")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    module = project / "src" / "proj" / "calc.py"
    assert "# ruff: noqa: N802" in module.read_text()
    # The author renames and types it by hand: the debt goes on the next measure.
    module.write_text(
        module.read_text()
        .replace("def Double(x):", "def double(x: int) -> int:")
        .replace('"Double"', '"double"')
    )
    assert run_cli(capsys, "check", "--fix").code == 0
    text = module.read_text()
    assert "noqa" not in text and "mypy:" not in text and "Lint debt" not in text
    assert ruff(project, "check", str(module)).returncode == 0
