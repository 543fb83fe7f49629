"""Paths that used to crash or give the wrong reason: each now says what happened, where, and
what to do next, and changes nothing it should not."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest

import dsprod.notebook._tests as tests_module
from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import (
    code,
    dumps,
    make_project,
    notebook,
    read_cells,
    result,
    run_cli,
    snapshot,
    write_notebook,
)


def test_a_notebook_written_on_one_line_stays_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook saved by another tool as compact JSON used to come back corrupt: the rewrite
    copied the text before the first cell as if it were indentation."""
    make_project(tmp_path)
    document = notebook("import os", "def sep():\n    return os.sep", "sep()", "print(1)")
    nb = tmp_path / "compact.ipynb"
    nb.write_text(json.dumps(document), encoding="utf-8")
    outcome = run_cli(capsys, "extract", str(nb))
    assert outcome.code == 0, outcome.err
    cells = read_cells(nb)  # parses: valid JSON
    assert ["".join(c["source"]) for c in cells] == [
        "from mypkg.compact import sep",
        "sep()",
        "print(1)",
    ]
    assert [c["id"] for c in cells] == ["c1", "c2", "c3"]
    assert run_cli(capsys, "check", str(nb)).code == 0


def test_a_module_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check` does not read extracted modules (they are the project's code); `extract` and
    `check --fix`, which must, name the file and line and change nothing."""
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "prices.ipynb", "def f():\n    return 1", "f()")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    module = tmp_path / "src" / "mypkg" / "prices.py"
    module.write_bytes(module.read_bytes().replace(b"return 1", b"return 'caf\xe9'"))
    line = module.read_bytes().split(b"\n").index(b"    return 'caf\xe9'") + 1
    for args in (["check", str(nb)], ["check"], ["check", "--report"]):
        outcome = run_cli(capsys, *args)
        assert outcome.code == 0, (args, outcome.out + outcome.err)
    cells = json.loads(nb.read_text(encoding="utf-8"))
    cells["cells"].append(code("def g():\n    return 2") | {"id": "new", "source": ["def g():"]})
    nb.write_text(dumps(cells), encoding="utf-8")
    before = snapshot(tmp_path)
    for args in (["extract", str(nb)], ["check", "--fix", str(nb)]):
        outcome = run_cli(capsys, *args)
        assert outcome.code == 1, (args, outcome.err)
        assert f"{module}:{line}: the target module is not UTF-8 (byte 0xe9)" in outcome.err
        assert "next: save the module as UTF-8" in outcome.err
        assert "internal error" not in outcome.err
        assert snapshot(tmp_path) == before


def test_a_ruff_that_fails_is_an_error_not_an_unformatted_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('[tool.ruff]\nline-length = "long"\n')
    nb = write_notebook(tmp_path / "prices.ipynb", "def f( x ):\n    return x", "f(1)")
    before = snapshot(tmp_path)
    outcome = run_cli(capsys, "extract", str(nb))
    assert outcome.code == 1, outcome.err
    assert "prices.py: the project's ruff" in outcome.err
    assert 'line-length = "long"' in outcome.err  # ruff's own words
    assert "--no-format" in outcome.err
    assert snapshot(tmp_path) == before
    # Asked not to format, it extracts, as composed.
    outcome = run_cli(capsys, "extract", "--no-format", str(nb))
    assert outcome.code == 0, outcome.err
    assert "def f( x ):" in (tmp_path / "src" / "mypkg" / "prices.py").read_text()


CALLED = (
    "def area(r):\n    print('computing')\n    return 3 * r * r",
    code("area(2)", outputs=result("12")),
)


@pytest.mark.parametrize(
    ("prelude", "expected"),
    [
        # Printing on import or in a call used to corrupt the probe's answer (exit 3).
        ("print('loading the module')", "1 characterization test(s)"),
        # A module that fails on import used to be "arguments not literal, no recorded output".
        (
            "class Settings:\n    port = int('eighty')",
            "warning  no characterization tests: importing mypkg.prices with ",
        ),
    ],
)
def test_tests_probe_that_prints_or_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prelude: str, expected: str
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "prices.ipynb", prelude, *CALLED)
    outcome = run_cli(capsys, "extract", "--tests", str(nb))
    assert outcome.code == 0, outcome.err
    assert expected in outcome.err
    assert "internal error" not in outcome.err
    if "warning" in expected:
        assert "ValueError: invalid literal for int()" in outcome.err  # the module's words
        assert not (tmp_path / "tests").exists()


def test_tests_probe_that_runs_too_long(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call that does not return in time used to be an internal error (TimeoutExpired)."""
    monkeypatch.setattr(tests_module, "_PROBE_TIMEOUT", 1)
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "prices.ipynb",
        "import time",
        "def slow(x):\n    time.sleep(30)\n    return x",
        code("slow(2)", outputs=result("2")),
    )
    outcome = run_cli(capsys, "extract", "--tests", str(nb))
    assert outcome.code == 0, outcome.err
    assert "no characterization tests: importing mypkg.prices and calling it" in outcome.err
    assert f"took longer than 1 s with {sys.executable}" in outcome.err
    assert (tmp_path / "src" / "mypkg" / "prices.py").exists()  # the extraction stands


def test_an_interruption_while_mypy_checks_the_module_leaves_no_probe_in_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project's ruff and mypy settle the module in a thread while the notebook's text is
    # made; mypy reads the module from a probe file beside it. A Ctrl-C in the main thread
    # then left through os._exit before the thread removed the probe: one more stray .py in
    # the package after each interrupted run.
    import dsprod.notebook._stage as stage

    make_project(tmp_path)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.mypy]\n", encoding="utf-8")
    nb = write_notebook(tmp_path / "analysis.ipynb", "def f(x):\n    return x + 1", "f(1)")

    package = tmp_path / "src" / "mypkg"

    def interrupted(*_: object) -> None:
        # The Ctrl-C comes while mypy reads the probe (ruff runs first, in the same thread).
        deadline = time.monotonic() + 60
        while not list(package.glob("_dsprod_probe_*")) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert list(package.glob("_dsprod_probe_*")), "mypy never ran"
        raise KeyboardInterrupt

    monkeypatch.setattr(stage, "_notebook_side", interrupted)
    with pytest.raises(KeyboardInterrupt):
        extract_notebook(nb, ExtractOptions(), output=Output(err=io.StringIO()))
    assert sorted(p.name for p in package.iterdir()) == ["__init__.py"]
