"""Evolving definitions: one name, several bodies; each cell keeps calling its version. Each
case runs the notebook before and after extraction and compares what it prints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsprod._output import Output
from dsprod.notebook.check import check_paths
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import add_cells, code_sources, snapshot, write_notebook
from tests.notebook.test_property import RUNNER, Generated, check_extraction, notebooks


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


def test_versions_that_call_versions_call_the_one_of_their_time(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        "def f(x):\n    return x + 1",
        "def g(x):\n    return f(x) * 2",
        "print(g(1), f(1))",
        "def f(x):\n    return x + 10",
        "def g(x):\n    return f(x) * 3",
        "print(g(1), f(1))",
        # h is defined while the first f is bound, and runs only once the second is.
        "def h():\n    return f(0)",
        "print(h())",
        stay=set(),
        move={"f", "g", "h"},
    )
    assert "def g_v1(x):\n    return f_v1(x) * 2" in module
    assert "def g(x):\n    return f(x) * 3" in module
    assert "def h():\n    return f(0)" in module
    assert cells[:2] == [
        "from analysis import h\nfrom analysis import f_v1 as f",
        "from analysis import g_v1 as g",
    ]
    assert cells[3:5] == ["from analysis import f", "from analysis import g"]


def test_a_definition_that_may_run_under_either_version_is_not_bound_to_one(
    tmp_path: Path,
) -> None:
    cells = [
        "def f():\n    return 1",
        "def g():\n    return f()",
        "h = g  # a value: called whenever",
        "%timeit -n1 -r1 g()",
        "def f():\n    return 2",
        "print(h(), g())",
    ]
    # Parametrized, g would take f; used as a value, nothing would pass it: g stays.
    module, after = run(tmp_path, *cells, stay={"g"}, move={"f"})
    assert "f_v1" in module and "def g" not in module
    assert after[1] == cells[1]


def test_a_later_run_adds_a_version_and_check_accepts_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nb"
    first = ["def f(x):\n    return x + 1", "print(f(1))", "def f(x):\n    return x + 2"]
    check_extraction(folder, [*first, "print(f(1))"], set(), {"f"}, parametrize=True)
    nb = folder / "analysis.ipynb"
    manifest = json.loads((folder / ".dsprod" / "manifest.json").read_text(encoding="utf-8"))
    symbols = manifest["modules"]["analysis.py"]["symbols"]
    assert {n: s["notebook"] for n, s in symbols.items()} == {
        "f": "analysis.ipynb",
        "f_v1": "analysis.ipynb",
    }
    # The notebook grows a third body after extraction: a version of its own, under a new
    # name; the module's f and f_v1 stay as they were, and so does every cell before.
    add_cells(nb, "def f(x):\n    return x + 3", "print(f(1))")
    before = run_cells(folder, nb)
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    assert result.extracted == ["f_v2"]
    assert code_sources(nb)[-2:] == ["from analysis import f_v2 as f", "print(f(1))"]
    assert run_cells(folder, nb) == before == "2\n3\n4\n"
    assert check_paths([nb]) == []
    again = snapshot(folder)
    extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    assert snapshot(folder) == again


def test_a_name_whose_versions_stay_is_left_under_its_own_name(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    cells = [
        "def f(x):\n    return x + 1",
        "print(f(1))",
        # IPython syntax inside: this version cannot move, so neither can the first.
        "def f(x):\n    !echo hi\n    return x + 2",
        "print(f(1))",
    ]
    check_extraction(folder, cells, {"f"}, set(), parametrize=True)
    manifest = json.loads((folder / ".dsprod" / "manifest.json").read_text(encoding="utf-8"))
    left = manifest["notebooks"]["analysis.ipynb"]["left"]
    assert list(left) == ["f"] and left["f"]["where"] == "cell 3:line 1"
    assert "contains IPython syntax" in left["f"]["reason"]
    assert check_paths([folder / "analysis.ipynb"]) == []


def run_cells(folder: Path, nb: Path) -> str:
    # -B: no bytecode cache. A test rewrites the module within the second, often at the same
    # size (`x + 1` -> `x + 5`), and a .pyc stamped with the old mtime and size would still
    # pass for the new source: the cells would run the old body.
    ran = subprocess.run(
        [sys.executable, "-B", "-c", RUNNER, str(nb)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return ran.stdout


def test_a_version_no_cell_reads_still_gets_its_import(tmp_path: Path) -> None:
    # Nothing reads the first f before the second binds the name; its import stands there all
    # the same, so a later run sees every binding where this one did.
    module, cells = run(
        tmp_path,
        "def f():\n    return 1\n\n\ndef f():\n    return 2",
        "print(f())",
        stay=set(),
        move={"f"},
    )
    assert "def f_v1():\n    return 1" in module and "def f():\n    return 2" in module
    assert cells == ["from analysis import f_v1 as f\n\nfrom analysis import f", "print(f())"]
    nb = write_notebook(
        tmp_path / "m" / "nb.ipynb", "def f():\n    return 1\n\n\ndef f():\n    return 2"
    )
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    assert (
        "nb.ipynb:cell 1:line 1: f is defined with 2 different bodies; each moves, and each def "
        "is now an import of its version, so every cell calls the one it called before: cell "
        "1:line 1 as f_v1, cell 1:line 5 as f"
    ) in " ".join(err.getvalue().split())


def test_only_moves_every_version_of_a_name_and_what_it_needs(tmp_path: Path) -> None:
    cells = [
        "def f(x):\n    return x + 1",
        "def g(x):\n    return f(x)",
        "print(g(1))",
        "def f(x):\n    return x + 2",
        "print(f(1))",
        "def other():\n    return 0",
    ]
    nb = write_notebook(tmp_path / "nb.ipynb", *cells)
    err = StringIO()
    options = ExtractOptions(format=False, only=frozenset({"g"}))
    result = extract_notebook(nb, options, output=Output(err=err))
    assert sorted(result.extracted) == ["f", "f_v1", "g"]
    assert code_sources(nb)[-1] == "def other():\n    return 0"


def test_a_later_run_reads_the_last_version_as_a_version(tmp_path: Path) -> None:
    # Found by the property test: nothing calls the last f, and K's method may run under
    # either version. A second run saw `from analysis import f` as a module symbol a new def
    # would replace, made K's f the first version, and moved K.
    cells = [
        "def f(x):\n    return 1",
        "print(f(0))",
        "class K:\n    def value(self):\n        return f(0)",
        "def f(x):\n    return 2",
    ]
    check_extraction(tmp_path / "nb", cells, stay={"K"}, move=set())


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=notebooks(), body=st.sampled_from(["x * 7", "x + y", "-x"]), data=st.data())
def test_a_body_added_after_extraction_becomes_a_version(
    generated: Generated, body: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After any generated notebook is extracted, it grows another body for a function that
    moved (one the notebook may reach only through the module's other functions: issue 15):
    the next run moves it too, every cell prints what it printed, and the run after is a
    no-op."""
    folder = tmp_path_factory.mktemp("nb")
    check_extraction(folder, generated.cells, generated.stuck, generated.move, parametrize=True)
    nb = folder / "analysis.ipynb"
    module = folder / "analysis.py"
    text = module.read_text(encoding="utf-8") if module.exists() else ""
    moved = sorted(n for n in re.findall(r"^def (f_\d+)\(x", text, re.M))
    assume(moved)
    name = data.draw(st.sampled_from(moved))
    add_cells(nb, f"def {name}(x, y=2):\n    return {body}", f"print({name}(3))")
    before = run_cells(folder, nb)
    options = ExtractOptions(format=False)
    extract_notebook(nb, options, output=Output(err=StringIO()))
    assert run_cells(folder, nb) == before
    assert not any(re.search(rf"^def {name}\b", s, re.M) for s in code_sources(nb))
    files = snapshot(folder)
    extract_notebook(nb, options, output=Output(err=StringIO()))
    assert snapshot(folder) == files, "a second run changed files"


def test_a_new_version_never_takes_the_name_of_one_the_module_has(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    cells = [
        "def f(x):\n    return 1",
        "def h():\n    return f(0)",  # never called: it calls the f of its cell, f_v1
        "def f(x):\n    return 2",
        "print(f(0))",
    ]
    check_extraction(folder, cells, set(), {"f", "h"}, parametrize=True)
    nb = folder / "analysis.ipynb"
    # The user drops the import of f_v1, which no cell reads; h, in the module, calls it.
    sources = code_sources(nb)
    assert sources[0] == "from analysis import f_v1 as f"
    document = json.loads(nb.read_text(encoding="utf-8"))
    document["cells"][0]["source"] = "print('start')"
    nb.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    add_cells(nb, "def f(x):\n    return 3", "print(f(0))")
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    assert result.extracted == ["f_v2"]
    text = (folder / "analysis.py").read_text(encoding="utf-8")
    assert "def f_v1(x):\n    return 1" in text and "def f_v2(x):\n    return 3" in text
    assert run_cells(folder, nb) == "start\n2\n3\n"
    called = subprocess.run(
        [sys.executable, "-c", "import analysis; print(analysis.h())"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    assert called.stdout == "1\n"


def test_a_function_the_notebook_wraps_by_assignment_moves(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        "import functools",
        "def f(x):\n    return x + 1",
        "f = functools.lru_cache(maxsize=None)(f)",
        "print(f(1), f.cache_info().hits)",
        stay=set(),
        move={"f"},
    )
    assert "def f(x):\n    return x + 1" in module
    # The assignment reads the def's f: an import of it stands where the def stood.
    assert cells[1:] == [
        "from analysis import f",
        "f = functools.lru_cache(maxsize=None)(f)",
        "print(f(1), f.cache_info().hits)",
    ]


def test_a_version_is_never_imported_before_its_def(tmp_path: Path) -> None:
    # g's import takes the place of the first moved code; f must not come with it, which would
    # bind f (the function) over the notebook's f = 1 before cell 3 prints it.
    _, cells = run(
        tmp_path,
        "f = 1",
        "def g():\n    return 2",
        "print(f, g())",
        "def f():\n    return 3",
        "print(f())",
        "f = 4",
        "print(f)",
        stay=set(),
        move={"f", "g"},
    )
    assert cells[1] == "from analysis import g" and cells[3] == "from analysis import f"


def test_each_call_passes_what_the_version_it_reaches_needs(tmp_path: Path) -> None:
    # Two versions read different notebook variables: each becomes a keyword-only parameter
    # of its version, and each call passes what the version it calls needs; g, which calls
    # the first version by its module name, passes it on.
    module, cells = run(
        tmp_path,
        "scale = [2]\noffset = [5]",
        "def f(x):\n    return x * scale[0]",
        "def g(x):\n    return f(x) + 1",
        "print(f(1), g(1))",
        "def f(x):\n    return x + offset[0]",
        "scale = [3]\noffset = [6]",
        "print(f(1))",
        stay=set(),
        move={"f", "g"},
    )
    assert "def f_v1(x, *, scale):" in module and "def f(x, *, offset):" in module
    assert "def g(x, *, scale):\n    return f_v1(x, scale=scale) + 1" in module
    assert cells[2] == "print(f(1, scale=scale), g(1, scale=scale))"
    assert cells[-1] == "print(f(1, offset=offset))"


def test_a_use_that_may_reach_versions_needing_different_state_keeps_them(
    tmp_path: Path,
) -> None:
    # The lambda may run under either version: no one set of arguments fits both.
    cells = [
        "a = [1]\nb = [2]",
        "def f():\n    return a[0]",
        "later = lambda: f()",
        "def f():\n    return b[0]",
        "a = [3]\nb = [4]",
        "print(later(), f())",
    ]
    module, after = run(tmp_path, *cells, stay={"f"}, move=set())
    assert module == "" and after == cells
    nb = write_notebook(tmp_path / "m" / "nb.ipynb", *cells)
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    assert "is one of several versions of `f`, and the use at" in err.getvalue()
    assert "which need different notebook variables (f: `b`; f_v1: `a`)" in err.getvalue()


def test_a_use_that_may_reach_versions_needing_the_same_state_passes_it(
    tmp_path: Path,
) -> None:
    module, cells = run(
        tmp_path,
        "a = [1]",
        "def f():\n    return a[0]",
        "later = lambda: f()",
        "def f():\n    return a[0] * 10",
        "a = [4]",
        "print(later(), f())",
        stay=set(),
        move={"f"},
    )
    assert "def f_v1(*, a):" in module and "def f(*, a):" in module
    assert cells[2] == "later = lambda: f(a=a)"


def test_a_caller_of_versions_that_stay_takes_the_name_as_a_parameter(tmp_path: Path) -> None:
    # Both versions of f stay (IPython syntax in one); g named the first one, and now reads
    # the notebook's f when called instead: each call passes the f bound then.
    module, cells = run(
        tmp_path,
        "def f(x):\n    return x + 1",
        "def g(x):\n    return f(x) * 2",
        "print(g(1))",
        "def f(x):\n    !echo hi\n    return x + 2",
        stay={"f"},
        move={"g"},
    )
    assert "def g(x, *, f):\n    return f(x) * 2" in module
    assert cells[2] == "print(g(1, f=f))"


def test_a_new_body_after_the_modules_import_is_told_as_such(tmp_path: Path) -> None:
    # The module's f is one body and the notebook's def the other: "defined with 1 different
    # bodies" said nothing true, and the refusal named a version no cell knows (f_v1).
    nb = write_notebook(tmp_path / "nb.ipynb", "def f(x):\n    return x + 1", "print(f(1))")
    extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    add_cells(
        nb, "import random\nX = random.random()", "def f(x):\n    return x + X", "print(f(1))"
    )
    err = StringIO()
    options = ExtractOptions(format=False, parametrize=False, dry_run=True)
    extract_notebook(nb, options, output=Output(err=err))
    said = " ".join(err.getvalue().split())
    assert (
        "nb.ipynb:cell 4:line 1: f not extracted: is defined again after its import from the "
        "module, and the new body at cell 4:line 1 uses `X`"
    ) in said, said
    assert "f_v1" not in said
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    said = " ".join(err.getvalue().split())
    assert (
        "nb.ipynb:cell 4:line 1: f is defined again after its import from the module; the new "
        "body moves, and each def is now an import of its version, so every cell calls the one "
        "it called before: cell 4:line 1 as f_v1"
    ) in said, said


def test_a_def_after_an_assignment_that_stays_is_not_told_as_after_an_import(
    tmp_path: Path,
) -> None:
    # One body, as after the module's import, but the earlier binding is notebook state.
    nb = write_notebook(
        tmp_path / "a" / "nb.ipynb",
        "number = len",
        "print(number([1]))",
        "def number(x):\n    return 2",
        "print(number(1))",
    )
    err = StringIO()
    extract_notebook(nb, ExtractOptions(format=False, dry_run=True), output=Output(err=err))
    said = " ".join(err.getvalue().split())
    assert (
        "nb.ipynb:cell 3:line 1: number is bound before its def by code that stays in the "
        "notebook; the def moves"
    ) in said, said
    assert "import from the module" not in said
    nb = write_notebook(
        tmp_path / "b" / "nb.ipynb",
        "number = len\nprint(number([1]))",
        "S = 1",
        "S = 2",
        "def number(x):\n    return S",
        "print(number(1))",
    )
    err = StringIO()
    options = ExtractOptions(format=False, dry_run=True, parametrize=False)
    extract_notebook(nb, options, output=Output(err=err))
    said = " ".join(err.getvalue().split())
    assert (
        "nb.ipynb:cell 4:line 1: number not extracted: is bound before its def by code that "
        "stays in the notebook, and the def at cell 4:line 1 uses `S`"
    ) in said, said
