"""Names a `%run` line brings in: what the file it runs imports moves as that import; what
it binds any other way stays notebook state."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import code_sources, write_notebook

# Runs a notebook's code cells in order, as a kernel would: `%run FILE` executes FILE (a
# script here) in the notebook's namespace; the other magics are not used below.
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for cell in json.load(open(sys.argv[1], encoding="utf-8"))["cells"]:
    for line in "".join(cell["source"]).split("\\n"):
        if line.startswith("%run "):
            exec(open(line.split()[1], encoding="utf-8").read(), namespace)
    code = "\\n".join(l for l in "".join(cell["source"]).split("\\n") if not l.startswith("%"))
    exec(code, namespace)
"""

POINT = (
    "@dataclass\nclass Point:\n    x: int\n\n    def norm(self):\n        return sqrt(self.x**2)"
)


def extract(folder: Path, *cells: str) -> tuple[str, str]:
    """Extract the notebook `cells` in `folder`, checking that it prints what it printed
    before; the messages and the module's text."""
    nb = write_notebook(folder / "nb.ipynb", *cells)
    (folder / ".git").mkdir(exist_ok=True)
    before = _run(folder, nb)
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False), output=Output(err=err))
    assert _run(folder, nb) == before
    module = folder / "nb.py"
    return err.getvalue(), module.read_text(encoding="utf-8") if module.exists() else ""


def _run(folder: Path, nb: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-B", "-c", RUNNER, str(nb)],  # -B: see test_versions.run_cells
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_what_the_run_file_imports_moves_as_that_import(tmp_path: Path) -> None:
    (tmp_path / "utils.py").write_text(
        "from dataclasses import dataclass\nfrom math import sqrt\n", encoding="utf-8"
    )
    messages, module = extract(tmp_path, "%run utils.py", POINT, "print(Point(3).norm())")
    assert "not extracted" not in messages
    assert "from dataclasses import dataclass" in module
    assert "from math import sqrt" in module
    assert "class Point:" in module
    assert code_sources(tmp_path / "nb.ipynb") == [
        "%run utils.py",
        "from nb import Point",
        "print(Point(3).norm())",
    ]


def test_a_run_notebook_counts_too(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "utils.ipynb", "# shared imports", "from math import sqrt\nimport json"
    )
    nb = write_notebook(
        tmp_path / "nb.ipynb", "%run -i utils.ipynb", "def dump(x):\n    return json.dumps(x)"
    )
    err, out = StringIO(), StringIO()
    options = ExtractOptions(format=False, dry_run=True)
    extract_notebook(nb, options, output=Output(err=err, out=out))
    assert "not extracted" not in err.getvalue()
    assert "+import json\n" in out.getvalue()


def test_a_name_the_run_file_binds_otherwise_stays_state(tmp_path: Path) -> None:
    (tmp_path / "utils.py").write_text(
        "from math import sqrt\nimport dataclasses\nfrom dataclasses import dataclass\n"
        "def dataclass(cls):\n"
        "    print('made', cls.__name__)\n"
        "    return dataclasses.dataclass(cls)\n",
        encoding="utf-8",
    )
    messages, module = extract(tmp_path, "%run utils.py", POINT, "print(Point(3).norm())")
    assert "Point not extracted: uses `dataclass`, which is not defined in the notebook; it " in (
        messages
    )
    assert "may come from `%run` at" in messages
    assert module == ""


def test_a_later_run_file_rebinds_what_an_earlier_one_imported(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from math import sqrt\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def sqrt(v):\n    return -v\n", encoding="utf-8")
    messages, _ = extract(
        tmp_path,
        "%run a.py\n%run b.py",
        "def root(v):\n    return sqrt(v)",
        "print(root(4))",
    )
    # sqrt is b's function, state: root takes it as a parameter.
    assert "root not extracted" not in messages
    assert code_sources(tmp_path / "nb.ipynb")[-1] == "print(root(4, sqrt=sqrt))"


def test_a_run_file_dsprod_cannot_read_whole_tells_nothing(tmp_path: Path) -> None:
    # A file that runs another file, star-imports, or is missing, could bind any name.
    imports = "from dataclasses import dataclass\n"
    (tmp_path / "utils.py").write_text(imports, encoding="utf-8")
    write_notebook(tmp_path / "outer.ipynb", "%run utils.py\n" + imports)
    (tmp_path / "star.py").write_text(imports + "from mymod import *\n", encoding="utf-8")
    # `-n` is an option dsprod does not read; a `%cd` may make the name relative to another
    # folder. Each of these files would otherwise give `dataclass` as an import.
    runs = ("%run outer.ipynb", "%run missing.py", "%run -n utils.py", "%cd ..\n%run utils.py")
    for run in (*runs, "%run star.py"):
        folder = tmp_path / run.replace(" ", "").replace(".", "_").replace("\n", "")
        nb = write_notebook(folder / "nb.ipynb", run, "@dataclass\nclass Q:\n    x: int")
        for name in ("outer.ipynb", "utils.py", "star.py"):
            (folder / name).write_bytes((tmp_path / name).read_bytes())
        err = StringIO()
        extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
        assert (
            "Q not extracted: uses `dataclass`, which is not defined in the notebook; it may come "
            "from `%run`"
        ) in err.getvalue(), run
    # And the plain `%run utils.py` does give it.
    nb = write_notebook(
        tmp_path / "plain" / "nb.ipynb", "%run utils.py", "@dataclass\nclass Q:\n    x: int"
    )
    (tmp_path / "plain" / "utils.py").write_text(imports, encoding="utf-8")
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    assert "not extracted" not in err.getvalue()
