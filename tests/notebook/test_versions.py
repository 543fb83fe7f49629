"""Evolving definitions: one name, several bodies; each cell keeps calling its version. Each
case runs the notebook before and after extraction and compares what it prints."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import code_sources, write_notebook
from tests.notebook.test_property import check_extraction


def run(tmp_path: Path, *cells: str, stay: set[str], move: set[str]) -> tuple[str, list[str]]:
    folder = tmp_path / "nb"
    check_extraction(folder, list(cells), stay, move, parametrize=True)
    module = folder / "analysis.py"
    text = module.read_text(encoding="utf-8") if module.exists() else ""
    return text, code_sources(folder / "analysis.ipynb")


def test_every_cell_calls_the_version_it_called_before(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        "def clean(x):\n    return x + 1",
        "print(clean(1))",
        "def fact(n):\n    return 1 if n == 0 else n * fact(n - 1)",
        "def report(x):\n    return f'{clean(x)}'",
        "print(report(1), fact(3))",
        "x = 1\ndef clean(x, k=2):\n    return x * k",
        "print(clean(1), report(1))",
        "def fact(n):\n    return 2 if n == 0 else n * fact(n - 1)",
        "print(fact(3))",
        "def clean(x):\n    return x + 1",  # the first body again: the same version
        "print(clean(1), report(2))",
        stay=set(),
        move={"clean", "fact", "report"},
    )
    assert "def clean_v1(x, k=2):" in module
    assert "def fact_v1(n):\n    return 1 if n == 0 else n * fact_v1(n - 1)" in module
    # report calls whichever clean is bound when it runs: it takes it as a parameter.
    assert "def report(x, *, clean):" in module
    # Each `def` is replaced where it stood by an import of its version.
    assert cells[0] == "from analysis import report\nfrom analysis import clean"
    assert cells[2] == "from analysis import fact_v1 as fact"
    assert cells[4] == "x = 1\nfrom analysis import clean_v1 as clean"
    assert cells[5] == "print(clean(1), report(1, clean=clean))"
    assert cells[-2] == "from analysis import clean"


def test_a_class_version_naming_itself_keeps_every_version_in_the_notebook(
    tmp_path: Path,
) -> None:
    # `Box.make` of the first version builds whatever `Box` is bound when it is called: its
    # instances outlive the second `class Box`, so no single version can be named. The
    # versions of a name move together or not at all.
    cells = [
        "class Box:\n    size = 1\n\n    def make(self):\n        return Box()",
        "old = Box()",
        "class Box:\n    size = 2\n\n    def make(self):\n        return Box()",
        "print(old.make().size)",
    ]
    module, after = run(tmp_path, *cells, stay={"Box"}, move=set())
    assert module == "" and after == cells
    nb = write_notebook(tmp_path / "m" / "nb.ipynb", *cells)
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    assert (
        "Box not extracted: is defined with 2 different bodies, which move together, and the "
        "one at cell 1:line 1 uses `Box`, which is bound to 2 versions"
    ) in err.getvalue()
