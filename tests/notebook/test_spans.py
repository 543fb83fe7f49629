"""Where each top-level name of a written module is, found without parsing what the notebook's
cells parsed already: always what a parse of the whole text finds."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod.notebook._manifest import digest
from dsprod.notebook._module import ModuleText, symbol_sources
from dsprod.notebook._spans import Entry, WrittenModule, known_statements
from tests.helpers import make_project, run_cli, write_notebook

MODULES = {
    "docstring with text at column 0": '''
        """Code promoted from notebooks by dsprod.

        Source: a.ipynb
        Edit this module freely.
        """

        import math

        __all__: list[str] = ["f", "g"]

        LIMIT = 2
        A = B = 3


        def f(x):
            return x
    ''',
    "decorators, one of them on several lines": """
        import functools


        @functools.lru_cache(
            maxsize=None,
        )
        # a comment between
        @staticmethod
        def f(x):
            return x


        @dataclass
        class C:
            x: int = 0
    """,
    "a string with lines at column 0 inside a function": '''
        def f():
            text = """
        first = 1
        def g(): pass
        """
            return text


        def h():
            return 2
    ''',
    "clauses and comments at column 0": """
        try:
            import numpy
        except ImportError:
            numpy = None
        else:
            pass
        finally:
            done = True
        # a comment
        if numpy:
            X = 1
        elif done:
            X = 2
        else:
            X = 3
        # trailing comment
    """,
    "a body with a comment at column 0": """
        def f():
            x = 1
        # at column 0, inside f
            return x
        Y: int = f()
    """,
    "many pieces that do not parse alone": "x = (\n"
    + "".join(f"a{n},\n" for n in range(20))
    + ")\ndef f():\n    return x\n",
    "empty": "",
}


@pytest.mark.parametrize("text", MODULES.values(), ids=MODULES.keys())
def test_spans_without_known_statements_are_those_of_a_whole_parse(text: str) -> None:
    text = textwrap.dedent(text).lstrip("\n")
    assert WrittenModule(text).spans() == ModuleText(text, ast.parse(text)).spans()


def test_known_statements_give_the_spans_of_a_whole_parse() -> None:
    cell = textwrap.dedent(
        """
        # helpers
        @decorate(
            1,
        )
        def f(x):
            return x
            # the end of f

        LIMIT = A = 2
        """
    ).strip("\n")
    tree = ast.parse(cell)
    lines = cell.split("\n")
    known = known_statements(
        [("\n".join(lines[0:7]), cell, tree.body[0], 1, 7), (lines[8], cell, tree.body[1], 9, 9)]
    )
    # From the statement's first line, the comment above it left out.
    assert set(known) == {"\n".join(lines[1:7]), lines[8]}
    # A source that is not its cell's lines (given parameters) is not known.
    assert not known_statements([("LIMIT = A = 3", cell, tree.body[1], 9, 9)])
    assert not known_statements([(cell + " ", cell, tree.body[0], 1, 9)])
    assert known_statements([(cell, cell, tree.body[0], 1, 9)])
    module = '"""Doc.\n\nText at column 0.\n"""\n\n' + "\n".join(lines[1:7]) + "\n\n\n"
    module += lines[8] + "\n\n\n" + "\n".join(lines[1:7]) + "\n"
    assert WrittenModule(module, known).spans() == ModuleText(module, ast.parse(module)).spans()


def test_the_manifest_hashes_what_a_whole_parse_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(
        tmp_path / "shapes.ipynb",
        "import functools\nimport math",
        "# the area\n@functools.cache\ndef area(r):\n    return math.pi * r**2\n    # done",
        "SCALE = 3\n\n\ndef scaled(x):\n    '''Doc.\nAt column 0.\n'''\n    return x * SCALE",
        "def uses_state():\n    return value\n\nvalue = id(object())\nuses_state()",
        "print(area(2), scaled(1))",
    )
    assert run_cli(capsys, "extract", str(nb)).code == 0
    text = (tmp_path / "src" / "mypkg" / "shapes.py").read_text(encoding="utf-8")
    written = symbol_sources(ModuleText(text, ast.parse(text)))
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["modules"].values()
    hashes = {name: symbol["sha256"] for name, symbol in entry["symbols"].items()}
    assert set(hashes) == {"area", "SCALE", "scaled", "uses_state"}
    assert hashes == {name: digest(written[name]) for name in hashes}


_names = st.lists(
    st.text(
        alphabet=st.characters(categories=["L", "N", "Mn", "Pc"], include_characters="\\\n \"'"),
        max_size=4,
    ),
    max_size=5,
)
_gaps = st.sampled_from(["", " ", "\n", "\n    ", ",", ", ", ",\n    ", ",\n", " \n"])


@settings(max_examples=300)
@given(_names, st.data(), st.sampled_from(["__all__", "__all__: list[str]", "__all__ : list"]))
def test_all_as_dsprod_writes_it_is_where_a_whole_parse_finds_it(
    names: list[str], data: st.DataObject, target: str
) -> None:
    """`__all__` on one line or one name a line, trailing commas or none, names that are any
    word characters (and names that are not: quotes, backslashes, line breaks); and what
    follows it (another statement, on its line or the next)."""
    items = "".join(data.draw(_gaps) + f'"{name}"' for name in names) + data.draw(_gaps)
    after = data.draw(st.sampled_from(["", "\n", "\nX = 1\n", "; X = 1", " + Y\n", "\n\n\nZ = 2"]))
    text = f"{target} = [{items}]{after}"
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    assert WrittenModule(text).spans() == ModuleText(text, tree).spans()


_LINES = [
    "",
    "   ",
    "\t",
    "x = 1",
    "A = B = (",
    "    2,",
    ")",
    "def f():",
    "    return 1",
    "    ",
    "# comment",
    "@decorate",
    "@decorate(",
    "async def g():",
    "class C:",
    "    y = 2",
    '"""Doc.',
    'at column 0"""',
    "if x:",
    "else:",
    "    pass",
    "try:",
    "except E:",
    "import math",
    "x = 1  ",
    "x = 1\r",
    "_z: int = 3",
    "\x0c",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(_LINES), max_size=14), st.booleans())
def test_spans_and_sources_of_any_module_are_those_of_a_whole_parse(
    lines: list[str], know: bool
) -> None:
    """Modules of lines that start pieces or continue them, blank lines with and without
    spaces, decorators, clauses, a string across lines; every statement known, or none."""
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    module = ModuleText(text, tree)
    known: dict[str, list[Entry]] = {}
    if know:
        split = text.split("\n")
        known = known_statements(
            (source, text, n, _first(n), n.end_lineno or n.lineno)
            for n in tree.body
            for source in ("\n".join(split[_first(n) - 1 : n.end_lineno]),)
        )
    written = WrittenModule(text, known)
    assert written.spans() == module.spans()
    assert symbol_sources(written) == symbol_sources(module)


def _first(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])
