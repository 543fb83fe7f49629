"""A variable only functions use, set through `global`: the functions take it with them.

Each case runs the notebook before and after extraction and compares what it prints
(tests/notebook/test_property.py's `check_extraction`, through test_params.run)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import write_notebook
from tests.notebook.test_params import messages, run

LOAD = "def load(text):\n    global TOKENS\n    TOKENS = text.split()"
PEEK = "def peek():\n    return TOKENS[0] if TOKENS else None"


def test_functions_that_alone_use_a_variable_move_with_it(tmp_path: Path) -> None:
    module, cells = run(
        tmp_path,
        "TOKENS = []",
        LOAD,
        PEEK,
        "print(peek())\nload('a b')\nprint(peek())\nload('c')\nprint(peek())",
        stay=set(),
        move={"load", "peek"},
    )
    assert "TOKENS = []" in module
    assert "def load(text):\n    global TOKENS\n    TOKENS = text.split()" in module
    assert "def peek():\n" in module, "no parameter: the module's TOKENS is theirs"
    assert cells == [
        "from analysis import load, peek",
        "print(peek())\nload('a b')\nprint(peek())\nload('c')\nprint(peek())",
    ]


def test_a_variable_with_no_assignment_outside_the_functions_moves_too(tmp_path: Path) -> None:
    module, _ = run(
        tmp_path,
        "def reset():\n    global session\n    session = object()",
        "def same():\n    return session is session",
        "reset()\nprint(same())",
        stay=set(),
        move={"reset", "same"},
    )
    assert "session" not in module.split("def reset")[0]


def test_a_cell_that_reads_the_variable_keeps_the_functions(tmp_path: Path) -> None:
    cells = ["TOKENS = []", LOAD, PEEK, "load('a')\nprint(TOKENS, peek())"]
    run(tmp_path, *cells, stay={"load"}, move={"peek"})  # peek takes TOKENS as a parameter
    assert "load not extracted: assigns the notebook variable `TOKENS` through `global`" in (
        messages(tmp_path, *cells)
    )


def test_one_user_staying_keeps_them_all(tmp_path: Path) -> None:
    cells = [
        "TOKENS = []",
        LOAD,
        "# dsprod: keep\n" + PEEK,
        "load('a')\nprint(peek())",
    ]
    run(tmp_path, *cells, stay={"load", "peek"}, move=set())
    assert (
        "load not extracted: shares the notebook variable `TOKENS` (set through `global`) with "
        "`peek`, which stays in the notebook"
    ) in messages(tmp_path, *cells)


def test_an_assignment_after_a_use_keeps_them(tmp_path: Path) -> None:
    # The module would set TOKENS when imported, before load() ran: the later reset is lost.
    cells = [LOAD, PEEK, "load('a b')\nprint(peek())", "TOKENS = []\nprint(peek())"]
    run(tmp_path, *cells, stay={"load"}, move={"peek"})


def test_a_default_value_reading_the_variable_keeps_them(tmp_path: Path) -> None:
    # The default is read where `first` is defined, after load() ran: ['a'], not the [] the
    # module would have when imported.
    cells = [
        "TOKENS = []",
        LOAD,
        "load('a')",
        "def first(tokens=TOKENS):\n    return tokens[0] if tokens else None",
        "print(first())",
    ]
    run(tmp_path, *cells, stay={"load", "first"}, move=set())


def test_a_variable_named_on_an_ipython_line_keeps_them(tmp_path: Path) -> None:
    cells = ["TOKENS = []", LOAD, PEEK, "load('a')\nprint(peek())", "%time len(TOKENS)"]
    assert "load not extracted: assigns the notebook variable `TOKENS`" in messages(
        tmp_path, *cells
    )


def test_only_one_of_them_takes_the_others_along(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb", "TOKENS = []", LOAD, PEEK, "def other():\n    return 1"
    )
    err = StringIO()
    options = ExtractOptions(format=False, only=frozenset({"peek"}))
    result = extract_notebook(nb, options, output=Output(err=err))
    assert sorted(result.extracted) == ["TOKENS", "load", "peek"]
