"""A new body in the notebook for a symbol the module's other code calls (issue 15).

A function in the module reads the module's names, whatever the notebook binds: when the
notebook imports `f_3` and `f_3` calls the module's `f_2`, a later `def f_2` in the notebook
changes what the notebook's `f_2` is, never what `f_3` calls. The next extract must keep it
so: the module's `f_2` stays, and the new body moves as a version of its own. Each case runs
the notebook's cells before and after the second extraction and compares what they print.
"""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

from dsprod._output import Output
from dsprod.notebook.check import check_paths
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import add_cells, code_sources, snapshot
from tests.notebook.test_property import check_extraction
from tests.notebook.test_versions import run_cells


def extract_again(folder: Path, *added: str, before_last: bool = False) -> tuple[str, str, str]:
    """Add cells to the extracted notebook, extract it again, and check that every cell prints
    what it printed, that check accepts the result and that a third run changes nothing.
    Returns what the cells print, the module's text and what extract said."""
    nb = folder / "analysis.ipynb"
    add_cells(nb, *added, before_last=before_last)
    before = run_cells(folder, nb)
    err = StringIO()
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=err))
    assert result.error is None and not result.conflicts, err.getvalue()
    assert run_cells(folder, nb) == before, err.getvalue()
    assert check_paths([nb]) == []
    files = snapshot(folder)
    extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    assert snapshot(folder) == files, "a third run changed files"
    return before, (folder / "analysis.py").read_text(encoding="utf-8"), err.getvalue()


def call_module(folder: Path, expression: str) -> str:
    ran = subprocess.run(
        [sys.executable, "-B", "-c", f"import analysis; print(analysis.{expression})"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return ran.stdout


def test_a_new_body_for_a_name_only_the_module_calls_becomes_a_version(tmp_path: Path) -> None:
    # The counterexample hypothesis found: the notebook imports f_3 only; f_2 is reached
    # through the module's f_3. Replacing f_2's body made the earlier cell print 14, not 2.
    folder = tmp_path / "nb"
    cells = [
        "class K_1:\n    scale = 2\n\n    def __init__(self, v):\n        self.v = v\n\n"
        "    def value(self):\n        return self.v",
        "from collections import Counter\nfrom statistics import mean, median",
        "from collections import Counter",
        "def f_2(x, y=2):\n    return x\ndef f_3(x, y=2):\n    return f_2(x)",
        "print(callable(f_3))",
        "print(round(f_3(2), 6))",
    ]
    check_extraction(folder, cells, set(), {"K_1", "f_2", "f_3"}, parametrize=True)
    assert code_sources(folder / "analysis.ipynb")[0] == "from analysis import f_3"

    added = ("def f_2(x, y=2):\n    return x * 7", "print(f_2(3))")
    printed, module, said = extract_again(folder, *added)

    assert printed == "True\n2\n21\n"
    assert "def f_2(x, y=2):\n    return x\n" in module
    assert "def f_2_v1(x, y=2):\n    return x * 7" in module
    assert code_sources(folder / "analysis.ipynb")[-2:] == [
        "from analysis import f_2_v1 as f_2",
        "print(f_2(3))",
    ]
    assert call_module(folder, "f_3(2)") == "2\n"
    # Located, with the module's caller and what the notebook uses.
    assert ("analysis.ipynb:cell 6:line 1: f_2 stays in the module as it is (f_3 in ") in " ".join(
        said.split()
    )
    assert "uses it, and the notebook uses f_3)" in said
    assert "cell 6:line 1 as f_2_v1" in said


def test_a_chain_of_module_callers_holds_every_body_it_reaches(tmp_path: Path) -> None:
    # f_4 -> f_3 -> f_2 in the module; the notebook imports f_4 only, then gives both f_3 and
    # f_2 new bodies. f_3 is held by f_4, and so its old body, which calls f_2, still runs.
    folder = tmp_path / "nb"
    cells = [
        "def f_2(x):\n    return x + 1",
        "def f_3(x):\n    return f_2(x) * 10",
        "def f_4(x):\n    return f_3(x) + 1000",
        "print(f_4(1))",
    ]
    check_extraction(folder, cells, set(), {"f_2", "f_3", "f_4"}, parametrize=True)
    assert code_sources(folder / "analysis.ipynb")[0] == "from analysis import f_4"

    printed, module, said = extract_again(
        folder,
        "def f_3(x):\n    return f_2(x) * 100",
        "def f_2(x):\n    return x + 2",
        "print(f_4(1), f_3(1))",
    )

    assert printed == "1020\n1020 300\n"
    assert "def f_2(x):\n    return x + 1" in module
    assert "def f_2_v1(x):\n    return x + 2" in module
    # The new f_3 calls the notebook's new f_2 when it runs: in the module, f_2_v1.
    assert "def f_3_v1(x):\n    return f_2_v1(x) * 100" in module
    assert call_module(folder, "f_4(1)") == "1020\n"
    assert "the notebook uses f_4, which uses f_3)" in " ".join(said.split())


def test_a_body_reached_through_a_class_method_is_held(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    cells = [
        "def scale(v):\n    return v * 2",
        "class Box:\n    def __init__(self, v):\n        self.v = v\n\n"
        "    def value(self):\n        return scale(self.v)",
        "print(Box(3).value())",
    ]
    check_extraction(folder, cells, set(), {"scale", "Box"}, parametrize=True)

    printed, module, _ = extract_again(
        folder, "def scale(v):\n    return v * 3", "print(scale(3), Box(3).value())"
    )

    assert printed == "6\n9 6\n"
    assert "def scale(v):\n    return v * 2" in module
    assert "def scale_v1(v):\n    return v * 3" in module


def test_a_new_body_nothing_else_in_the_module_reads_replaces_the_old_one(tmp_path: Path) -> None:
    # The hand edit of a notebook that must keep working: `f` is redefined before any call, and
    # the only other symbol that reads f, h, is one the notebook does not use.
    folder = tmp_path / "nb"
    cells = [
        "def f(x):\n    return x + 1",
        "def g(x):\n    return x * 2",
        "def h(x):\n    return f(x)",
        "print(f(1), g(1))",
    ]
    check_extraction(folder, cells, set(), {"f", "g", "h"}, parametrize=True)
    nb = folder / "analysis.ipynb"
    assert code_sources(nb)[0] == "from analysis import f, g"

    printed, module, _ = extract_again(folder, "def f(x):\n    return x + 5", before_last=True)

    assert printed == "6 2\n"
    assert "def f(x):\n    return x + 5" in module and "return x + 1" not in module
    assert "f_v1" not in module
    assert "def f" not in "\n".join(code_sources(nb))


def test_new_bodies_for_a_caller_and_what_it_calls_both_replace_the_old_ones(
    tmp_path: Path,
) -> None:
    # g, which the notebook uses, calls f; both get new bodies before any call: the old g no
    # longer runs, so nothing holds the old f.
    folder = tmp_path / "nb"
    cells = ["def f(x):\n    return x + 1", "def g(x):\n    return f(x) * 2", "print(g(1))"]
    check_extraction(folder, cells, set(), {"f", "g"}, parametrize=True)

    printed, module, _ = extract_again(
        folder,
        "def f(x):\n    return x + 10",
        "def g(x):\n    return f(x) * 3",
        before_last=True,
    )

    assert printed == "33\n"
    assert "def f(x):\n    return x + 10" in module
    assert "def g(x):\n    return f(x) * 3" in module
    assert "_v1" not in module


def test_an_import_of_the_module_itself_reaches_every_symbol(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    cells = ["def f(x):\n    return x + 1", "def g(x):\n    return f(x) * 2", "print(f(1))"]
    check_extraction(folder, cells, set(), {"f", "g"}, parametrize=True)
    nb = folder / "analysis.ipynb"
    document = json.loads(nb.read_text(encoding="utf-8"))
    assert document["cells"][-1]["source"] == ["print(f(1))"]
    document["cells"][-1]["source"] = ["import analysis\n", "print(analysis.g(1))"]
    nb.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    printed, module, _ = extract_again(
        folder, "def f(x):\n    return x + 5", "print(f(1), analysis.g(1))"
    )

    assert printed == "4\n6 4\n"
    assert "def f(x):\n    return x + 1" in module and "def f_v1(x):\n    return x + 5" in module


def test_a_new_body_that_cannot_be_a_version_stays_in_the_notebook_and_says_why(
    tmp_path: Path,
) -> None:
    # `reset` assigns f through `global`: f is notebook state that no version can stand for,
    # so the new def moves under the module's name or not at all; g still calls the old f.
    folder = tmp_path / "nb"
    cells = ["def f(x):\n    return x\ndef g(x):\n    return f(x)", "print(g(2))"]
    check_extraction(folder, cells, set(), {"f", "g"}, parametrize=True)

    printed, module, said = extract_again(
        folder,
        "def f(x):\n    return x * 7",
        "def reset():\n    global f\n    f = abs",
        "print(f(3), g(2))",
    )

    assert printed == "2\n21 2\n"
    assert "def f(x):\n    return x\n" in module and "x * 7" not in module
    assert code_sources(folder / "analysis.ipynb")[2] == "def f(x):\n    return x * 7"
    assert (
        "analysis.ipynb:cell 3:line 1: f not extracted: would replace the module's f in "
        "nb/analysis.py:10, which other code there still runs for this notebook (g in "
        "nb/analysis.py:14 uses it, and the notebook uses g); rename the notebook's f, or "
        "change the module's by hand"
    ) in " ".join(said.split())


def test_a_new_value_for_a_constant_the_module_reads_stays_in_the_notebook(
    tmp_path: Path,
) -> None:
    # churned, in the module, reads the module's THRESHOLD whatever the notebook sets; a new
    # function that reads the notebook's THRESHOLD would move it over the module's.
    folder = tmp_path / "nb"
    cells = ["THRESHOLD = 0.5\ndef churned(c):\n    return c > THRESHOLD", "print(churned(0.6))"]
    check_extraction(folder, cells, set(), {"churned"}, parametrize=True)

    printed, module, said = extract_again(
        folder,
        "THRESHOLD = 0.7",
        "def h(c):\n    return c > THRESHOLD",
        "print(churned(0.6), h(0.6))",
    )

    assert printed == "True\nTrue False\n"
    assert "THRESHOLD = 0.5" in module and "def h" not in module
    assert (
        "h not extracted: uses `THRESHOLD`, which would replace the module's THRESHOLD in "
        "nb/analysis.py:7, which other code there still runs for this notebook (churned in "
        "nb/analysis.py:12 uses it, and the notebook uses churned); rename the notebook's "
        "THRESHOLD, or change the module's by hand"
    ) in " ".join(said.split())


def test_a_new_class_body_the_module_reads_becomes_a_version(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    cells = ["class K:\n    v = 1\ndef g():\n    return K.v", "print(g())"]
    check_extraction(folder, cells, set(), {"K", "g"}, parametrize=True)

    printed, module, _ = extract_again(folder, "class K:\n    v = 2", "print(g(), K.v)")

    assert printed == "1\n1 2\n"
    assert "class K:\n    v = 1" in module and "class K_v1:\n    v = 2" in module
    assert code_sources(folder / "analysis.ipynb")[-2] == "from analysis import K_v1 as K"


def test_a_star_import_reaches_the_replaced_body_itself(tmp_path: Path) -> None:
    # `from analysis import *` binds the module's own f, but no statement names it as
    # `from analysis import f` does (where the versions see it): the new bodies of f and g
    # replaced the module's, and the earlier cell's f(1) printed 101, not 2.
    folder = tmp_path / "nb"
    cells = ["def f(x):\n    return x + 1", "def g(x):\n    return 0", "print(f(1))"]
    check_extraction(folder, cells, set(), {"f", "g"}, parametrize=True)
    nb = folder / "analysis.ipynb"
    document = json.loads(nb.read_text(encoding="utf-8"))
    document["cells"][0]["source"] = ["from analysis import *"]
    nb.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    printed, module, said = extract_again(
        folder, "def f(x):\n    return x + 100\ndef g(x):\n    return 1", "print(f(1), g(1))"
    )

    assert printed == "2\n101 1\n"
    assert "def f(x):\n    return x + 1" in module and "def f_v1(x):\n    return x + 100" in module
    assert "through its import of the whole module" in " ".join(said.split())
