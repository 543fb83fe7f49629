"""Imports that only the moved code used leave the notebook with it: the module has its own copy,
and an import the notebook no longer reads is what ruff's F401 flags in the commit hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CellSpec, code_sources, make_project, run_cli, write_notebook
from tests.notebook.test_property import RUNNER, check_extraction

AREA = "def area(r):\n    return math.pi * r**2"


def extract(
    folder: Path, capsys: pytest.CaptureFixture[str], *cells: CellSpec, args: tuple[str, ...] = ()
) -> tuple[list[str], str]:
    """Extract a notebook outside any project: its code sources after, and the module's text."""
    nb = write_notebook(folder / "nb.ipynb", *cells)
    result = run_cli(capsys, "extract", *args, str(nb))
    assert result.code == 0, result.err
    return code_sources(nb), (folder / "nb.py").read_text(encoding="utf-8")


# --- what leaves ----------------------------------------------------------------------------


def test_an_import_only_the_moved_code_used_leaves_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(tmp_path, capsys, "import math", "x = 2", AREA, "print(area(x))")
    assert "import math\n" in module and "def area(r):" in module
    # The import's cell, now empty, is removed; the module's import takes the place of `area`.
    assert sources == ["x = 2", "from nb import area", "print(area(x))"]


def test_an_import_after_the_definitions_it_serves_leaves_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(tmp_path, capsys, AREA, "import math", "print(area(2))")
    assert "import math\n" in module
    assert sources == ["from nb import area", "print(area(2))"]


def test_an_import_only_a_moved_constant_used_leaves_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(
        tmp_path,
        capsys,
        "import math",
        "SCALE = math.sqrt(2)",
        "def f(x):\n    return x * SCALE",
        "print(f(1))",
    )
    assert "import math\n" in module and "SCALE = math.sqrt(2)" in module
    assert sources == ["from nb import f", "print(f(1))"]


def test_every_import_of_a_cell_leaves_and_its_magics_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(
        tmp_path,
        capsys,
        "%matplotlib inline\nimport functools\nimport math",
        "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return math.floor(x)",
        "print(f(2.5))",
    )
    assert "import functools\nimport math\n" in module
    assert sources == ["%matplotlib inline", "from nb import f", "print(f(2.5))"]


def test_an_aliased_import_only_the_moved_code_used_leaves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(
        tmp_path,
        capsys,
        "import numpy as np",
        "def norm(xs):\n    return float(np.sqrt(np.sum(np.square(xs))))",
        "print(norm([3, 4]))",
    )
    assert "import numpy as np\n" in module
    assert sources == ["from nb import norm", "print(norm([3, 4]))"]


def test_a_from_import_whose_names_all_served_the_moved_code_leaves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, module = extract(
        tmp_path,
        capsys,
        "from statistics import mean as average, median",
        "def spread(xs):\n    return average(xs) - median(xs)",
        "print(spread([1, 2, 6]))",
    )
    assert "from statistics import mean as average\nfrom statistics import median\n" in module
    assert sources == ["from nb import spread", "print(spread([1, 2, 6]))"]


# --- what stays -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "args"),
    [
        pytest.param("print(math.pi)", (), id="a-cell-that-stays"),
        pytest.param("# dsprod: keep\ndef kept():\n    return math.e", (), id="a-kept-definition"),
        pytest.param(
            # `__name__` is the notebook's own: g stays (and reads math there).
            "def g():\n    return math.e if __name__ else 0",
            (),
            id="a-refused-one",
        ),
        pytest.param("def g():\n    return math.e", ("--only", "area"), id="one-not-selected"),
    ],
)
def test_an_import_the_notebook_still_reads_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str, args: tuple[str, ...]
) -> None:
    sources, module = extract(
        tmp_path, capsys, "import math", AREA, reader, "print(area(2))", args=args
    )
    assert "import math\n" in module  # the module has its own copy all the same
    assert sources == ["import math", "from nb import area", reader, "print(area(2))"]


@pytest.mark.parametrize(
    ("imports", "body", "module_import", "reader"),
    [
        (
            "from statistics import mean, median",
            "return mean(xs)",
            "from statistics import mean\n",
            "median([1, 2, 3])",
        ),
        ("import math, statistics", "return statistics.mean(xs)", "import statistics\n", "math.pi"),
    ],
)
def test_a_statement_with_one_name_the_notebook_still_reads_stays_whole(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    imports: str,
    body: str,
    module_import: str,
    reader: str,
) -> None:
    used = f"print(f([1, 2]), {reader})"
    sources, module = extract(tmp_path, capsys, imports, f"def f(xs):\n    {body}", used)
    assert module_import in module  # the module imports only what it needs
    # Not split: dsprod leaves the user's import statements whole.
    assert sources == [imports, "from nb import f", used]


@pytest.mark.parametrize(
    "reader",
    [
        pytest.param("%timeit math.sqrt(2)", id="line-magic"),
        pytest.param("!echo {math.pi}", id="shell"),
        pytest.param("math.sqrt?", id="help"),
        pytest.param('print "legacy", math.pi', id="unparsable-cell"),
        pytest.param("%%bash\necho math", id="non-python-cell-magic"),
    ],
)
def test_an_import_read_where_dsprod_cannot_parse_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str
) -> None:
    # Masked lines and cells that do not parse are searched word by word: a name that may be
    # read there is read.
    sources, module = extract(tmp_path, capsys, "import math", AREA, reader, "print(area(2))")
    assert "import math\n" in module
    assert sources == ["import math", "from nb import area", reader, "print(area(2))"]


@pytest.mark.parametrize(
    "imports",
    [
        pytest.param('import math; print("ready")', id="sharing-its-line"),
        pytest.param("%time import math", id="on-a-magic-line"),
    ],
)
def test_an_import_dsprod_would_have_to_cut_out_of_a_line_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], imports: str
) -> None:
    sources, module = extract(tmp_path, capsys, imports, AREA, "print(area(2))")
    assert "import math\n" in module
    assert sources == [imports, "from nb import area", "print(area(2))"]


def test_an_import_of_the_target_module_is_not_an_import_to_prune(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a second run, the first run's `from nb import ...` stays where it is."""
    nb = write_notebook(tmp_path / "nb.ipynb", "import math", AREA, "print(area(2))")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb) == ["from nb import area", "print(area(2))"]
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb) == ["from nb import area", "print(area(2))"]


def test_new_code_must_import_again_what_left_with_earlier_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The notebook no longer imports math after the first run: a new definition that reads it
    is refused, with the fix, until the notebook imports it again."""
    nb = write_notebook(tmp_path / "nb.ipynb", "import math", AREA, "print(area(2))")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    perimeter = ["def perimeter(r):\n    return 2 * math.pi * r", "print(perimeter(1))"]
    write_notebook(nb, *code_sources(nb), *perimeter)
    before = nb.read_bytes()

    refused = run_cli(capsys, "extract", str(nb))

    assert refused.code == 0, refused.err
    assert "cell 3:line 1: perimeter not extracted: uses `math`, which is never defined" in (
        refused.err
    )
    assert "import or define `math` in the notebook" in refused.err
    assert nb.read_bytes() == before

    write_notebook(nb, "from nb import area", "print(area(2))", "import math", *perimeter)
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb) == [
        "from nb import area",
        "print(area(2))",
        "from nb import perimeter",
        "print(perimeter(1))",
    ]


# --- the notebook still does what it did -------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "move"),
    [
        pytest.param(["import math", AREA, "print(round(area(2), 6))"], {"area"}, id="alone"),
        pytest.param(
            ["import math\nimport json", AREA, "print(round(area(2), 6), json.dumps([1]))"],
            {"area"},
            id="beside-one-that-stays",
        ),
        pytest.param(
            [
                "from statistics import mean, median",
                "def f(xs):\n    return mean(xs)",
                "print(f([1, 2]), median([1, 2, 3]))",
            ],
            {"f"},
            id="partial-from-import",
        ),
        pytest.param(
            ["import math", AREA, "%timeit -n1 -r1 math.sqrt(2)\nprint(round(area(2), 6))"],
            {"area"},
            id="read-by-a-magic",
        ),
        pytest.param(
            [
                "import json as js",
                'SCALE = js.loads("[2]")[0]',
                "def f(x):\n    return x * SCALE",
                "print(f(3))",
            ],
            {"f"},
            id="only-a-constant",
        ),
        pytest.param(
            [
                "%matplotlib inline\nimport functools\nimport math",
                "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return math.floor(x)",
                "print(f(2.5))",
            ],
            {"f"},
            id="a-whole-cell-of-imports",
        ),
        pytest.param([AREA, "import math", "print(round(area(2), 6))"], {"area"}, id="after"),
    ],
)
def test_the_notebook_prints_the_same_after_its_imports_are_pruned(
    tmp_path: Path, cells: list[CellSpec], move: set[str]
) -> None:
    check_extraction(tmp_path / "nb", cells, stay=set(), move=move)


def test_a_numpy_alias_that_left_still_runs(tmp_path: Path) -> None:
    cells = [
        "import numpy as np",
        "def norm(xs):\n    return float(np.sqrt(np.sum(np.square(xs))))",
        "print(norm([3, 4]))",
    ]
    check_extraction(tmp_path / "nb", cells, stay=set(), move={"norm"})


# --- where the module's import goes, and what stays -------------------------------------------
# It takes the place of the first moved definition, not of a removed notebook import: these
# were the ways the other choice went wrong.


def test_a_comment_above_a_removed_import_is_not_lost(tmp_path: Path) -> None:
    cells = [
        "# Imports\nimport math\nimport json",
        AREA,
        "print(round(area(2), 6), json.dumps([1]))",
    ]
    check_extraction(tmp_path / "nb", cells, stay=set(), move={"area"})


def test_the_rewritten_notebook_passes_isort(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.ruff.lint]\nselect = ["F", "I"]\n')
        fh.write('\n[tool.ruff.lint.isort]\nknown-first-party = ["mypkg"]\n')
    nb = write_notebook(
        tmp_path / "notebooks" / "nb.ipynb",
        "import math\nimport sys",
        AREA,
        "print(area(2), sys.platform)",
    )
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb)[0] != "import math\nimport sys"  # math left
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(nb)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_the_module_import_does_not_move_above_the_path_set_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "notebooks" / "nb.ipynb",
        "import math\nimport sys\n\nsys.path.insert(0, '../src')",
        AREA,
        "print(round(area(2), 6))",
    )
    assert run_cli(capsys, "extract", str(nb)).code == 0
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ran = subprocess.run(
        [sys.executable, "-B", "-c", RUNNER, str(nb)],  # -B: see test_versions.run_cells
        cwd=nb.parent,
        env={**environment, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "12.566371\n"
