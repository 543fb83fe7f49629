"""`--verify` and `--tests` with a real Jupyter kernel (ipykernel, driven by nbclient)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    CellSpec,
    code,
    code_sources,
    make_project,
    printed,
    result,
    run_cli,
    snapshot,
    write_notebook,
)

pytestmark = pytest.mark.slow


def without_home(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if not name.startswith("home/")}


def test_a_faithful_extraction_verifies_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "notebooks" / "shapes.ipynb",
        "%env DSPROD_EXAMPLE=1\nimport math\nSCALE = 3",
        "def area(r):\n    return math.pi * r**2 * SCALE\n\nprint(area(1))",
        "class Box:\n    def __init__(self, w):\n        self.w = w\n    def __repr__(self):\n"
        "        return f'Box({self.w})'",
        "boxes = [Box(i) for i in range(3)]\nboxes",
        "%%time\nprint(sum(area(i) for i in range(4)))",
        "object()",  # an address: normalised
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 0, outcome.err
    # Six cells, one of which (the class) leaves the notebook.
    assert "identical  notebooks/shapes.ipynb: 5 cells show the same as before" in outcome.err
    # `import math` served only area and left with it; the module's import took the place of
    # SCALE, the first moved code.
    assert code_sources(nb)[:2] == [
        "%env DSPROD_EXAMPLE=1\nfrom mypkg.shapes import Box, area",
        "print(area(1))",
    ]


def test_a_change_of_behaviour_is_reported_with_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `globals()` reads the notebook's namespace at run time, which no static analysis sees:
    # once in a module, the function looks at the module's globals instead.
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "threshold = 5",
        "def limit():\n    return globals().get('threshold', 'missing')",
        "print(limit())",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 1
    assert "nb.ipynb:cell 3: shows something else after extraction" in outcome.err
    assert "-[stdout] 5" in outcome.out and "+[stdout] missing" in outcome.out
    # A difference without a new failure keeps the extraction, for the user to judge.
    assert (tmp_path / "nb.py").exists()


def test_cells_that_change_on_every_run_are_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Unseeded randomness: the original notebook itself shows another number each time.
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "import random\n\ndef double(x):\n    return 2 * x",
        "print(double(2))",
        "print(random.random())",
        "threshold = 5\ndef limit():\n    return globals().get('threshold', 'missing')",
        "print(limit())",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    # The random cell is set aside; the real difference (globals()) is still reported.
    assert "nb.ipynb:cell 3: shows something else on every run" in outcome.err
    assert "nb.ipynb:cell 3: shows something else after extraction" not in outcome.err
    assert "nb.ipynb:cell 5: shows something else after extraction" in outcome.err
    assert outcome.code == 1


def test_a_new_failure_puts_everything_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "factor = 2",
        "def double(x):\n    return eval('x * factor')",
        "print(double(21))",
    )
    before = snapshot(tmp_path)
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 1
    assert "nb.ipynb:cell 3: fails after extraction (NameError: name 'factor' is not defined)" in (
        outcome.err
    )
    assert "restore" in outcome.err
    # The kernel may leave IPython's profile folder in HOME; the project is as it was.
    assert without_home(snapshot(tmp_path)) == without_home(before)


def test_a_notebook_failing_before_extraction_is_compared_up_to_the_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "def f(x):\n    return x + 1",
        "print(f(1))",
        "open('missing.csv')",
        "print('never reached')",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 0, outcome.err
    assert (
        "nb.ipynb:cell 3: the notebook fails here before extraction (FileNotFoundError"
        in outcome.err
    )
    assert "compared the 2 cells before it" in outcome.err  # the import cell and print


def test_nothing_compared_is_said_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "rows = open('missing.csv').read()",
        "def f(x):\n    return x + 1",
        "print(f(1))",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 1, outcome.err
    assert (
        "nb.ipynb: nothing compared, the extraction is not verified: it fails at cell 1 before "
        "extraction (FileNotFoundError" in outcome.err
    )
    assert "next: make the notebook run further" in outcome.err
    assert "identical" not in outcome.err
    assert (tmp_path / "nb.py").exists()  # no new failure: the extraction stands


def test_warnings_are_compared_as_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "import warnings",
        # ruff reformats the line the warning quotes; the DeprecationWarning shows only while
        # the function lives in __main__.
        "def old(x):\n    warnings.warn('old is deprecated',   DeprecationWarning)\n    return x",
        "def careful(x):\n    warnings.warn(  'careful with ' + str(x)  )\n    return x",
        "print(old(1))",
        "for i in range(2):\n    careful(1)\nprint('ok')",
        "import sys\nprint('real', file=sys.stderr)",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 0, outcome.out + outcome.err
    assert "identical  nb.ipynb: 4 cells show the same as before" in outcome.err
    assert (
        "warnings  nb.ipynb:cell 4: no longer warns DeprecationWarning: old is deprecated "
        "(Python shows a DeprecationWarning only for code in __main__" in outcome.err
    )
    assert "cell 5" not in outcome.err  # the same warning, quoting a reformatted line


def test_verify_with_dry_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1")
    before = snapshot(tmp_path)
    outcome = run_cli(capsys, "extract", "--verify", "--dry-run", str(nb))
    assert outcome.code == 1
    assert "cannot be combined with --dry-run" in outcome.err
    assert snapshot(tmp_path) == before


CHARACTERIZED: list[CellSpec] = [
    "import math",
    "def area(r):\n    return math.pi * r**2",
    code("area(2)", outputs=result("12.566370614359172")),
    code(
        "print(area(1))\nprint(area(3))", outputs=printed("3.141592653589793\n28.274333882308138\n")
    ),
    "def label(x, brackets='<>'):\n    return brackets[0] + str(x) + brackets[1]",
    code("label('a', brackets='[]')", outputs=result("'[a]'")),
    code("label([1, 2])", outputs=result("'<[1, 2]>'")),
    "def pairs(n):\n    return [(i, i * 0.5) for i in range(n)]",
    code("pairs(2)", outputs=result("[(0, 0.0), (1, 0.5)]")),
    "import random\n\ndef noisy():\n    return random.random()",
    code("noisy()", outputs=result("0.1234")),
    code("values = [1, 2]\narea(values[0])", outputs=result("3.141592653589793")),
    code("label('no output recorded')"),
]


def test_characterization_tests_pass_and_catch_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "geometry.ipynb", *CHARACTERIZED)
    outcome = run_cli(capsys, "extract", "--tests", str(nb))
    assert outcome.code == 0, outcome.err
    generated = tmp_path / "tests" / "test_geometry.py"
    assert "6 characterization test(s); 3 of 8 cell call(s) skipped" in outcome.err
    text = generated.read_text()
    assert "from mypkg.geometry import area, label, pairs" in text
    assert "assert area(2) == pytest.approx(12.566370614359172)" in text
    assert "noisy" not in text  # random: skipped

    def pytest_on(test_file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
            cwd=tmp_path,
            env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )

    passed = pytest_on(generated)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "6 passed" in passed.stdout

    module = tmp_path / "src" / "mypkg" / "geometry.py"
    module.write_text(module.read_text().replace("math.pi * r**2", "3.14 * r**2"))
    failed = pytest_on(generated)
    assert failed.returncode == 1
    assert "3 failed, 3 passed" in failed.stdout


def test_an_existing_hand_written_test_file_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    (tmp_path / "tests").mkdir()
    mine = tmp_path / "tests" / "test_geometry.py"
    mine.write_text("def test_mine():\n    assert True\n")
    nb = write_notebook(tmp_path / "geometry.ipynb", *CHARACTERIZED[:3])
    outcome = run_cli(capsys, "extract", "--tests", str(nb))
    assert outcome.code == 0
    assert "tests/test_geometry.py exists and was not written by dsprod; left alone" in outcome.err
    assert mine.read_text() == "def test_mine():\n    assert True\n"


def test_check_fix_passes_verify_and_tests_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    write_notebook(tmp_path / "geometry.ipynb", *CHARACTERIZED[:4])
    outcome = run_cli(capsys, "check", "--fix", "--verify", "--tests", "geometry.ipynb")
    assert outcome.code == 0, outcome.out + outcome.err
    assert "identical  geometry.ipynb" in outcome.err
    assert json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())["modules"]
    assert (tmp_path / "tests" / "test_geometry.py").exists()


@pytest.mark.parametrize(
    ("script", "said", "hint"),
    [
        (
            "echo 'No module named ipykernel_launcher' >&2\nexit 1",
            "No module named ipykernel_launcher",
            "next: install ipykernel there: {python} -m pip install ipykernel",
        ),
        # ipykernel imports, but the kernel stops at start (a broken startup file, say): the
        # "install ipykernel" hint would be wrong.
        (
            'if [ "$1" = "-m" ]; then echo "startup.py: bad setting" >&2; exit 1; fi\n'
            f'exec {sys.executable} "$@"',
            "startup.py: bad setting",
            "next: fix what the kernel says above",
        ),
    ],
)
def test_a_kernel_that_does_not_start_is_a_clear_error_with_the_right_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], script: str, said: str, hint: str
) -> None:
    make_project(tmp_path)
    python = tmp_path / ".venv" / "bin" / "python"  # the project's interpreter, faked
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\n{script}\n")
    python.chmod(0o755)
    nb = write_notebook(tmp_path / "nb.ipynb", "def f():\n    return 1", "f()")
    before = snapshot(tmp_path)
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 1
    assert f"cannot run a Jupyter kernel with {python}" in outcome.err
    assert said in outcome.err
    assert hint.format(python=python) in outcome.err
    if "install ipykernel" not in hint:
        assert "pip install ipykernel" not in outcome.err
    assert "Traceback" not in outcome.err
    assert without_home(snapshot(tmp_path)) == without_home(before)


def test_timings_are_normalised_and_a_timeout_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "def f(n):\n    return sum(range(n))",
        "%time f(10**5)",
        "%%time\nprint(f(10))",
        "import time\ntime.sleep(30)",
        "print('not reached')",
    )
    outcome = run_cli(capsys, "extract", "--verify", "--timeout", "3", str(nb))
    assert outcome.code == 0, outcome.out + outcome.err
    assert (
        "nb.ipynb:cell 4: the notebook fails here before extraction (CellTimeoutError: ran "
        "longer than 3 s)"
    ) in outcome.err
    assert "compared the 3 cells before it" in outcome.err
    assert "identical  nb.ipynb: 3 cells show the same as before" in outcome.err


def test_tests_come_from_the_verify_run_when_outputs_were_stripped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As nbstripout (a hook of generated projects) commits notebooks: no outputs at all.
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "notebooks" / "geometry.ipynb",
        "import math\n\ndef area(r):\n    return math.pi * r**2",
        "area(2)",
        "print(area(1))",
    )
    outcome = run_cli(capsys, "extract", "--verify", "--tests", str(nb))

    assert outcome.code == 0, outcome.err
    text = (tmp_path / "tests" / "test_geometry.py").read_text()
    assert "assert area(2) == pytest.approx(12.566370614359172)" in text
    assert "3.141592653589793" in text  # the printed line
    assert "2 characterization test(s)" in outcome.err


def test_evolving_definitions_verify_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two versions of clean, a report that runs under each (a parameter), a version that
    # calls the other name's version of its time, and a wrap by assignment.
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "notebooks" / "evolve.ipynb",
        "import functools",
        "def clean(x):\n    return x + 1",
        "def report(x):\n    return f'<{clean(x)}>'",
        "print(report(1), clean(2))",
        "def clean(x, k=2):\n    return x * k",
        "def twice(x):\n    return clean(clean(x))",
        "print(report(1), twice(3))",
        "clean = functools.lru_cache(maxsize=None)(clean)",
        "print(clean(5), report(5))",
    )
    outcome = run_cli(capsys, "extract", "--verify", str(nb))
    assert outcome.code == 0, outcome.err
    assert "identical  notebooks/evolve.ipynb: 7 cells show the same as before" in outcome.err
    assert "evolve.ipynb:cell 2:line 1: clean is defined with 2" in outcome.err
    sources = code_sources(nb)
    assert "from mypkg.evolve import clean_v1 as clean" in sources[1]
    assert "print(report(1, clean=clean), twice(3))" in sources
