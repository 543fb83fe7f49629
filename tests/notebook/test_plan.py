"""What moves and what stays: the planner's rules, one notebook pattern per test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dsprod.errors import NotebookError
from dsprod.notebook._plan import ExtractionPlan, plan_extraction
from dsprod.notebook._read import read_notebook
from dsprod.notebook._statements import render_import
from tests.helpers import CellSpec, code, md, write_notebook


def plan(
    tmp_path: Path, *cells: CellSpec, only: set[str] | None = None, parametrize: bool = False
) -> ExtractionPlan:
    """The plan, by default with parametrization off: the rules of what is state."""
    path = write_notebook(tmp_path / "nb.ipynb", *cells)
    selected = frozenset(only) if only is not None else None
    return plan_extraction(read_notebook(path), selected, parametrize=parametrize)


def moved(result: ExtractionPlan) -> list[str]:
    return [d.name for d in result.moved]


def refusal(result: ExtractionPlan, name: str) -> str:
    found = [f"{r.location}: {r.reason}" for r in result.refusals if r.name == name]
    assert found, f"{name} was not refused; refusals: {result.refusals}"
    return found[0]


def test_imports_are_copied_with_only_the_names_needed(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "import os.path\nimport numpy as np\nfrom collections import Counter, OrderedDict",
        "def f(xs):\n    return Counter(xs), np.array(xs), os.path.sep",
    )
    assert moved(result) == ["f"]
    assert sorted(render_import(k) for k in result.imports) == [
        "from collections import Counter",
        "import numpy as np",
        "import os.path",
    ]


def test_a_constant_moves_with_what_it_needs(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "import math",
        "SCALE = math.sqrt(2)\nHALF = SCALE / 2\nLABELS = {'a': HALF, 'b': [1, 2]}",
        "def f(x):\n    return x * LABELS['a']",
    )
    assert [d.name for d in result.constants] == ["SCALE", "HALF", "LABELS"]
    assert [render_import(k) for k in result.imports] == ["import math"]


@pytest.mark.parametrize(
    ("binding", "why"),
    [
        ("threshold = 0.5\nthreshold = 0.7", "is bound 2 times (cell 1:line 1, cell 1:line 2)"),
        (
            "import pandas as pd\nthreshold = pd.read_csv('x.csv')",
            "is computed by calling pd.read_csv()",
        ),
        ("threshold = [x for x in range(3)]", "is computed at run time"),
        ("a, threshold = 1, 2", "by unpacking"),
        ("for threshold in range(3):\n    pass", "by unpacking, several targets or a loop"),
    ],
)
def test_state_is_refused_with_the_variable_and_where_it_is_bound(
    tmp_path: Path, binding: str, why: str
) -> None:
    result = plan(tmp_path, binding, "def f(x):\n    return x > threshold")
    message = refusal(result, "f")
    assert message.startswith(f"{tmp_path / 'nb.ipynb'}:cell 2:line 1: uses `threshold`")
    assert why in message
    assert "make `threshold` a parameter of f" in message
    assert moved(result) == []


def test_a_definition_using_a_refused_one_is_refused_too(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "df = load()",
        "def g():\n    return df",
        "def h():\n    return g() + 1",
        "def k():\n    return 2",
    )
    assert moved(result) == ["k"]
    assert "uses `g`, which stays in the notebook" in refusal(result, "h")


def test_scope_rules_decide_what_is_free(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "import functools\nimport typing\nLIMIT = 3",
        # decorators, defaults, annotations, comprehensions, class bodies, nonlocal, lambdas:
        # every free name here is an import, a constant or a local.
        """
        @functools.lru_cache(maxsize=LIMIT)
        def f(x: typing.Any = LIMIT) -> list[int]:
            total = 0
            def inner():
                nonlocal total
                total += 1
            inner()
            return [y * total for y in range(x) if (z := y) >= 0]

        class C:
            size = LIMIT
            names = [n for n in range(size)]
            def m(self, key=lambda v: v + LIMIT):
                return key(self.size)
        """,
    )
    assert moved(result) == ["LIMIT", "f", "C"]
    assert result.refusals == ()


def test_class_body_names_are_not_visible_in_methods(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "size = compute()",
        "class C:\n    size = 3\n    def m(self):\n        return size",
    )
    assert "uses `size`" in refusal(result, "C")


def test_global_assignment_is_refused(tmp_path: Path) -> None:
    # The notebook reads `counter` too (a variable only functions use moves with them:
    # tests/notebook/test_resolve_shared.py).
    result = plan(
        tmp_path,
        "counter = 0",
        "def bump():\n    global counter\n    counter += 1",
        "bump()\nprint(counter)",
    )
    assert "assigns the notebook variable `counter`" in refusal(result, "bump")


def test_identical_redefinition_moves_once_and_different_ones_are_versions(
    tmp_path: Path,
) -> None:
    result = plan(
        tmp_path,
        "def f():\n    return 1",
        "def g():\n    return 1",
        "def f():\n    return 1",
        "def h():\n    return g()",
        "print(h())",
        "def g():\n    return 2",
    )
    assert moved(result) == ["f", "g_v1", "h", "g"]
    assert len([s for s in result.removed if s.cell in (0, 2)]) == 2
    # Each `def g` is replaced by an import of its version, where it stood.
    assert result.aliases == {(1, 1): ("g_v1", "g"), (5, 1): ("g", "g")}
    sources = {d.name: d.source for d in result.definitions}
    assert sources["g_v1"] == "def g_v1():\n    return 1"
    # h runs only while the first g is bound: it calls that version by its module name.
    assert sources["h"] == "def h():\n    return g_v1()"
    assert not result.params


def test_a_definition_that_runs_under_several_versions_takes_the_name(tmp_path: Path) -> None:
    cells = [
        "def g():\n    return 1",
        "def h():\n    return g()",
        "print(h())",
        "def g():\n    return 2",
        "print(h())",
    ]
    result = plan(tmp_path, *cells, parametrize=True)
    assert moved(result) == ["g_v1", "h", "g"]
    assert result.params == {"h": ("g",)}
    assert [e.text for e in result.edits[4]] == ["g=g"]
    # Without parametrization it stays, and says why.
    stays = plan(tmp_path, *cells)
    assert moved(stays) == ["g_v1", "g"]
    assert "uses `g`, which is bound to 2 versions (cell 1:line 1, cell 4:line 1)" in refusal(
        stays, "h"
    )


def test_an_evolving_function_calls_itself_and_a_kept_version_stops_all(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "def fact(n):\n    return 1 if n == 0 else n * fact(n - 1)",
        "def fact(n):\n    return 2 if n == 0 else n * fact(n - 1)",
    )
    sources = {d.name: d.source for d in result.definitions}
    assert sources["fact_v1"] == "def fact_v1(n):\n    return 1 if n == 0 else n * fact_v1(n - 1)"
    assert sources["fact"] == "def fact(n):\n    return 2 if n == 0 else n * fact(n - 1)"
    kept = plan(tmp_path, "def f():\n    return 1", "# dsprod: keep\ndef f():\n    return 2")
    assert moved(kept) == []


def test_keep_comment_and_tag_keep_a_definition(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "# dsprod: keep\ndef a():\n    return 1",
        "def b():  # dsprod: keep\n    return 2",
        code("def c():\n    return 3", tags=("dsprod-keep",)),
        "def d():\n    return 4",
        "def e():\n    return a()",
    )
    assert moved(result) == ["d"]
    assert [k.name for k in result.kept] == ["a", "b", "c"]
    assert "kept in the notebook" in refusal(result, "e")


def test_only_narrows_and_pulls_in_what_is_needed(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "def helper():\n    return 1",
        "def main():\n    return helper()",
        "def other():\n    return 2",
        only={"main"},
    )
    assert moved(result) == ["helper", "main"]


def test_only_with_an_unknown_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="--only names nope") as raised:
        plan(tmp_path, "def f():\n    return 1", only={"nope"})
    assert raised.value.hint == "defined here: f"


def test_magics_are_masked_and_defs_in_time_cells_found(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "%matplotlib inline\n!pip install x\nimport math\nfiles = !ls\nmath.sqrt?",
        "%%time\ndef f():\n    return math.pi",
        "%%capture\nclass K:\n    pass",
        "%%bash\necho 'def not_python(): pass'",
        "def g():\n    !ls\n    return 1",
        "def h():\n    return files",
    )
    assert moved(result) == ["f", "K"]
    assert "contains IPython syntax at" in refusal(result, "g")
    assert "uses `files`" in refusal(result, "h")
    skipped = [i for i in result.issues if not i.is_error]
    assert [str(i.location) for i in skipped] == [f"{tmp_path / 'nb.ipynb'}:cell 4:line 1"]


def test_unparsable_cells_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        md("intro"),
        "print 'python 2'",
        "def f():\n    return 1",
        "x = 1\nif x:\n  print 'hi'\nx = (",
        "def g():\n    return helper_from_py2()",
    )
    errors = [f"{i.location}: {i.reason}" for i in result.issues if i.is_error]
    assert len(errors) == 2
    assert errors[0].startswith(f"{tmp_path / 'nb.ipynb'}:cell 2:line 1: does not parse")
    assert errors[1].startswith(f"{tmp_path / 'nb.ipynb'}:cell 4:line 3: does not parse")
    assert moved(result) == ["f"]
    assert "never defined" in refusal(result, "g")


def test_unparsable_cell_that_may_bind_the_name_is_named(tmp_path: Path) -> None:
    result = plan(tmp_path, "print 'x'\nlookup = {}", "def f():\n    return lookup")
    assert "may be bound in" in refusal(result, "f") and "cell 1" in refusal(result, "f")


def test_display_star_imports_and_run_magic(tmp_path: Path) -> None:
    result = plan(tmp_path, "def show(x):\n    display(x)")
    assert [render_import(k) for k in result.imports] == ["from IPython.display import display"]
    starred = plan(tmp_path, "from math import *", "def f():\n    return sqrt(2)")
    assert [render_import(k) for k in starred.imports] == ["from math import *"]
    ran = plan(tmp_path, "%run utils.ipynb", "def f():\n    return helper()")
    assert "it may come from `%run` at" in refusal(ran, "f")


def test_equivalent_imports_of_one_name_are_one_import(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "import matplotlib.pyplot as plt",
        "from matplotlib import pyplot as plt",
        "def draw():\n    plt.plot([1])",
    )
    assert moved(result) == ["draw"]
    conflicting = plan(
        tmp_path, "import numpy as np", "import pandas as np", "def f():\n    return np"
    )
    assert "is imported differently" in refusal(conflicting, "f")


def test_every_cell_unparsable_is_an_error_when_one_defines_something(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match=r"cell 1:line 1: no code cell parses"):
        plan(tmp_path, "print 'a'", "print 'b'\ndef f():\n    pass")
    # Nothing to port for: nothing to extract (what a rerun sees once the Python 3 cells of
    # a notebook moved whole).
    assert plan(tmp_path, "print 'a'", "print 'b'").moved == ()


def test_a_function_whose_name_is_also_assigned_moves_and_the_assignment_stays(
    tmp_path: Path,
) -> None:
    result = plan(
        tmp_path,
        "def f():\n    return 1",
        "print(f())",
        "def g():\n    return f()",
        "f = 3",
        "print(f, g())",
    )
    # The def becomes an import where it stood; the assignment rebinds the name after it.
    assert moved(result) == ["f"] and result.aliases == {(0, 1): ("f", "f")}
    # g runs after the assignment: the notebook's f is state there.
    assert "uses `f`, which is bound to 2 versions (cell 1:line 1, cell 4:line 1)" in refusal(
        result, "g"
    )
    # Nothing reads the def before the assignment: it moves, and its import stands there.
    assert plan(tmp_path, "def f():\n    return 1", "f = 3").aliases == {(0, 1): ("f", "f")}


def test_used_names_include_magic_lines_and_later_cells(tmp_path: Path) -> None:
    result = plan(tmp_path, "def f(n):\n    return n", "def g():\n    return 0", "%timeit f(10)")
    assert "f" in result.used_names
    assert "g" not in result.used_names


def test_python_3_12_syntax_is_reported_on_older_pythons(tmp_path: Path) -> None:
    result = plan(tmp_path, "type Vector = list[float]", "def f():\n    return 1")
    assert moved(result) == ["f"]
    errors = [i for i in result.issues if i.is_error]
    if sys.version_info >= (3, 12):
        assert errors == []
    else:
        assert [str(e.location) for e in errors] == [f"{tmp_path / 'nb.ipynb'}:cell 1:line 1"]


def test_shell_text_and_r_cell_magics_in_a_python_notebook(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "ls -la | grep csv",
        "%%R\nlibrary(ggplot2)\nf <- function(x) x",
        "def g():\n    return 2",
    )
    assert moved(result) == ["g"]
    assert [(i.is_error, i.location.cell) for i in result.issues] == [(True, 1), (False, 2)]


def test_a_notebook_without_cells(tmp_path: Path) -> None:
    result = plan(tmp_path)
    assert result.moved == () and result.issues == () and result.refusals == ()


def test_a_name_set_only_through_global_in_a_function_is_state(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "def setup():\n    global state\n    state = {'a': 1}",
        "def get(key):\n    return state[key]",
        # The notebook reads `state` itself: without this read, setup and get would move
        # together with it (tests/notebook/test_resolve_shared.py).
        "setup()\nprint(get('a'), state)",
    )
    assert moved(result) == []
    assert "uses `state`, which is assigned through `global` in setup at" in refusal(result, "get")
    assert "assigns the notebook variable `state`" in refusal(result, "setup")


def test_a_name_bound_by_a_timed_line_is_seen_and_never_moved(tmp_path: Path) -> None:
    result = plan(
        tmp_path,
        "%time LIMIT = 10\n%timeit -n1 -r1 total = sum(range(3))",
        "def f():\n    return LIMIT",
        "%time not python at all",
        "def g():\n    return 1",
    )
    assert moved(result) == ["g"]
    assert "uses `LIMIT`, which is set on an IPython line at" in refusal(result, "f")
    assert not [i for i in result.issues if i.is_error]


def test_extract_parses_each_cell_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning again (a name the module blocks), planning the rewritten notebook (to locate
    what stays) and the tests generator all reuse the first parse of each cell."""
    import io

    from dsprod._output import Output
    from dsprod.notebook import _parse
    from dsprod.notebook._model import Cell, ParsedCell
    from dsprod.notebook.extract import ExtractOptions, extract_notebook

    parsed: list[str] = []
    original = _parse.parse_cell

    def counting(path: Path, cell: Cell) -> ParsedCell:
        parsed.append(cell.source)
        return original(path, cell)

    monkeypatch.setattr(_parse, "parse_cell", counting)
    # `taken` already exists in the target module, from elsewhere: the first plan moves it, the
    # merge blocks it, and a second round plans without it.
    (tmp_path / "lib.py").write_text("def taken():\n    return 0\n")
    cells = [
        "import math",
        "def taken():\n    return 1",
        "def area(r):\n    return math.pi * r * r",
        "area(2)",
        "x = 1\nx = 2\n\ndef reads_x():\n    return x",
    ]
    path = write_notebook(tmp_path / "nb.ipynb", *cells)
    sink = io.StringIO()
    result = extract_notebook(
        path,
        ExtractOptions(module="lib", format=False),
        output=Output(quiet=True, err=sink, out=sink),
    )
    assert result.extracted == ["area", "reads_x"]
    assert result.refused == ["taken"]
    # Each distinct source once; the rewritten cells (the new import) are new sources.
    assert sorted(set(parsed)) == sorted(parsed)
    assert set(cells) <= set(parsed)
