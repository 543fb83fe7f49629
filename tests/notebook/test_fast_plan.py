"""The plan's shortcuts give what the plain code gives: a plain cell's parse (`parse_cell`,
with compile's own call), the scope summary of a statement (`_scope.summary`, which
`cell_statements` uses for every statement), the statements of a cell (`cell_statements`,
which splits only a cell with comments into lines), a definition's source
(`Planner._definition`, a whole cell without a split and a join), the rewrite when no
definition takes parameters (`Parametrizer.rewrite`, which then looks at no statement) or
wants any (`Parametrizer.solve`), the versions a definition reads when no name evolves
(`_check`, without `_versions_read`), a statement's hash (by where it stands), the names the
notebook still reads (`_usage.used_after`, which skips hashing the statements that leave) and
the walk of an assigned value (`_expr.suspects`, with a stack instead of a call per node, and
no level of every node kept)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod.notebook._edits import Edit
from dsprod.notebook._expr import suspects
from dsprod.notebook._model import Cell, Notebook, ParsedCell, Statement
from dsprod.notebook._params import Parametrizer
from dsprod.notebook._parse import parse_cell
from dsprod.notebook._plan import Definition, ExtractionPlan, plan_extraction
from dsprod.notebook._planner import Planner
from dsprod.notebook._resolve import _CONSTANT_NODES, Resolution
from dsprod.notebook._scope import (
    ScopeSummary,
    _is_global,
    _Visitor,
    child_fields,
    summarize,
    summary,
)
from dsprod.notebook._statements import (
    DEF_TYPES,
    _trailing_comments,
    cell_statements,
    statement_start,
)
from dsprod.notebook._usage import used_after

# Statements that reach every rule of the walk: nested functions, classes and comprehensions,
# `global` and `nonlocal` (at every depth), `:=`, names read again and read before they are
# bound, lambdas in defaults, a class body's names that its methods cannot see.
EDGE_CASES = [
    "x = y + y",
    "pass",
    "import a.b as c, d.e",
    "from m import *",
    "x += x",
    "global g\ng = 1",
    "def f(a, /, b=c, *d, e=f, **g) -> h:\n    global k, j\n    k = a + m\n    j += 1\n"
    "    def inner():\n        nonlocal b\n        global q\n        b = q = r\n    return k",
    "class C(Base, metaclass=M):\n    x = 1\n    y = x\n    def m(self):\n        return x, y\n"
    "    z = [x for _ in range(3)]\n    def n(self):\n        global y\n        y = 2",
    "[y for x in xs if (y := x) for z in x if z]",
    "{k: v for k, v in d.items() if (w := k)}",
    "f = lambda a, b=c: a + b + d",
    "def f():\n    x = 1\n    def g():\n        def h():\n            return x + y\n        y = 1\n"
    "        return h\n    return g",
    "def f():\n    global x\n    def g():\n        return x\n    x = 1",
    "def f():\n    def g():\n        global x\n        x = 1\n    return x",
    "def f():\n    x = 1\n    class C:\n        x = 2\n"
    "        def m(self):\n            return x\n",
    "try:\n    pass\nexcept E as e:\n    print(e)",
    "match p:\n    case {'a': A, **rest}:\n        pass\n    case [B, *others] | C(d=D) as whole:\n"
    "        pass",
    "def gen():\n    yield from (x for x in y if x in z)",
    "async def f():\n    async with a as b:\n        await b\n"
    "    async for c in d:\n        e = [c async for c in d]",
    "@decorator(arg)\ndef f(x: Annotation = default):\n"
    "    nonlocal_ish = 1\n    return nonlocal_ish",
    "x: int = y",
    "del x, y[z]",
    "print(f'{a!r:{b}}')",
    "for i, (j, k) in enumerate(x):\n    total += j * k\nelse:\n    done = True",
    "with open(p) as (a, b), other():\n    pass",
]


def _summarize_as_before(node: ast.AST) -> ScopeSummary:
    """`summarize` as it was: `_is_global` asked for every read of every inner scope."""
    visitor = _Visitor()
    visitor.visit(node)
    module = visitor.module
    reads = dict.fromkeys(module.reads)
    writes: dict[str, None] = {}
    for scope in visitor.scopes[1:]:
        for name in scope.reads:
            if name not in reads and _is_global(scope, name):
                reads[name] = None
        writes.update((n, None) for n in scope.writes if n in scope.declared_global)
    binds = frozenset(module.bound | writes.keys())
    return ScopeSummary(binds, tuple(reads), frozenset(writes))


def _statements(source: str) -> list[ast.stmt]:
    return ast.parse(textwrap.dedent(source)).body


def test_the_summary_is_the_walk_resolved_read_by_read() -> None:
    for source in EDGE_CASES:
        for node in _statements(source):
            expected = _summarize_as_before(node)
            assert summarize(node) == expected, source
            binds, reads, writes = summary(node)
            assert (binds, tuple(dict.fromkeys(reads)), writes) == expected, source


def test_declarations_reach_the_summary() -> None:
    (f,) = _statements(EDGE_CASES[6])
    found = summarize(f)
    assert found.global_writes == {"k", "j", "q"}
    assert {"k", "j", "q", "f"} <= found.binds
    assert "b" not in found.binds and "r" in found.reads and "m" in found.reads


_NAMES = st.sampled_from(["a", "b", "x", "self", "cls"])


@st.composite
def _function(draw: st.DrawFn, depth: int = 0) -> str:
    """A function whose body binds, declares and reads a few names, perhaps with an inner
    function or class of the same kind."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["read", "bind", "global", "nonlocal", "comp", "inner"]))
        name = draw(_NAMES)
        if kind == "read":
            lines.append(f"print({name}, {draw(_NAMES)})")
        elif kind == "bind":
            lines.append(f"{name} = {draw(_NAMES)}")
        elif kind == "global":
            lines.append(f"global {name}")
        elif kind == "nonlocal" and depth:
            lines.append(f"nonlocal {name}")
        elif kind == "comp":
            lines.append(f"z = [{name} for {draw(_NAMES)} in {draw(_NAMES)}]")
        elif kind == "inner" and depth < 2:
            header = draw(st.sampled_from(["def inner():", "class Inner:"]))
            body = draw(_function(depth + 1)).split("\n", 1)[1]
            lines += [header, *body.split("\n")]
    return "def f():\n" + "\n".join("    " + line for line in lines)


@settings(max_examples=300, deadline=None)
@given(_function())
def test_the_summary_of_any_nesting_is_as_before(source: str) -> None:
    try:
        nodes = _statements(source)
    except SyntaxError:
        return  # `nonlocal` of a name with no binding, `global` after use: not a notebook's
    for node in nodes:
        assert summarize(node) == _summarize_as_before(node)


def _used_as_before(statements: list[Statement], removed: set[Statement]) -> set[str]:
    used: set[str] = set()
    for statement in statements:
        if statement not in removed:
            used |= statement.reads
    return used


def _cell(index: int, source: str) -> ParsedCell:
    return ParsedCell(Cell(index, "code", source), ast.parse(source), frozenset(), False)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_names_read_after_removal_are_as_before(data: st.DataObject) -> None:
    parsed = (
        _cell(0, "a = b\nc = d + a\ndef f():\n    return e"),
        _cell(1, "g = h\ndef f():\n    return i"),
        _cell(2, "j = k"),
    )
    statements = [s for p in parsed for s in cell_statements(p)]
    removed: set[Statement] = set()
    for statement in data.draw(st.lists(st.sampled_from(statements))):
        how = data.draw(st.sampled_from(["same", "equal", "moved", "other reads"]))
        if how == "same":
            removed.add(statement)
        elif how == "equal":  # another object, equal: its node is not compared
            removed.add(statement._replace(node=ast.Pass()))
        elif how == "moved":  # same fields, another place
            removed.add(statement._replace(start=statement.start + 10))
        else:  # same place, other fields: not equal
            removed.add(statement._replace(reads=frozenset({"zzz"})))
    expected = _used_as_before(statements, removed)
    assert used_after(statements, parsed, removed) == frozenset(expected)


def test_a_cell_that_does_not_parse_reads_its_words() -> None:
    cell = ParsedCell(Cell(0, "code", "print x"), None, frozenset(), False)
    assert used_after([], (cell,), set()) == {"print", "x"}


def _walked_as_before(value: ast.expr) -> tuple[list[list[ast.AST]], list[str]]:
    """The walk `suspects` replaces: a call per node, children as `_scope.child_fields` finds
    them, every node kept level by level."""
    levels: list[list[ast.AST]] = []
    names: dict[str, None] = {}

    def walk(node: ast.AST, depth: int) -> None:
        if depth == len(levels):
            levels.append([])
        levels[depth].append(node)
        if type(node) is ast.Name:
            if isinstance(node.ctx, ast.Load):
                names[node.id] = None
            return
        for name in child_fields(type(node)):
            value = getattr(node, name, None)
            children = value if type(value) is list else [value]
            for child in children:
                if isinstance(child, ast.AST):
                    walk(child, depth + 1)

    walk(value, 0)
    return levels, list(names)


VALUES = [
    "1",
    "n * 2",
    "math.sqrt(n) + math.pi",
    "{**base, 'k': [a, *b], None: (c if d else e)}",
    "f'{x!r:>{width}} and {y}'",
    "data[1:n:2, ...]",
    "-a < b <= c and not d or e",
    "g(h, *i, key=j, **k)(l)[m].n",
    "lambda x, y=z: x + y + w",
    "[p for p in q if p]",
    "(yield)",
    "x.y.z",
    "{1, 2, (3, [4, {5: 6}])}",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(VALUES),
    st.sampled_from(VALUES),
    st.sampled_from(["+", "(", "["]),
    st.sampled_from([_CONSTANT_NODES, (ast.Constant, ast.Name, ast.Attribute, ast.keyword)]),
)
def test_the_walk_of_a_value_is_as_before(
    left: str, right: str, how: str, allowed: tuple[type[ast.AST], ...]
) -> None:
    text = {"+": f"({left}) + ({right})", "(": f"f({left}, {right})", "[": f"[{left}, {right}]"}
    value = ast.parse(text[how], mode="eval").body
    levels, names = _walked_as_before(value)
    # What `_resolve` looks at, breadth first: every node not of the allowed types, and calls.
    expected = [
        n
        for level in levels
        for n in level
        if isinstance(n, ast.Call) or not isinstance(n, allowed)
    ]
    found = suspects(value, allowed)
    assert found[1] == names
    assert [id(n) for n in found[0]] == [id(n) for n in expected]


def _cell_statements_as_before(parsed: ParsedCell) -> list[Statement]:
    """`cell_statements` as it was: every cell split into lines, each record made by keyword."""
    assert parsed.tree is not None
    lines = parsed.cell.source.split("\n")
    body = parsed.tree.body
    result: list[Statement] = []
    previous_end = 0
    for number, node in enumerate(body):
        start = statement_start(parsed, lines, node, previous_end)
        end = node.end_lineno or node.lineno
        following = body[number + 1].lineno if number + 1 < len(body) else len(lines) + 1
        if isinstance(node, DEF_TYPES):
            end = _trailing_comments(lines, end, following)
        binds, reads, global_writes = summary(node)
        result.append(
            Statement(
                cell=parsed.cell.index,
                node=node,
                start=start,
                end=end,
                binds=binds,
                reads=frozenset(reads),
                global_writes=global_writes,
                shares_line=node.lineno == previous_end or end == following,
                ipython=any(start <= line <= end for line in parsed.masked_lines),
            )
        )
        previous_end = end
    return result


# Pieces of cells: with and without comments (above a statement, closing a body, inside
# it), decorators, statements sharing a line, blank lines, a trailing newline.
_PIECES = [
    "x = 1",
    "a = 1; b = a",
    "# about f\ndef f(v):\n    return v",
    "@decorator\n# between\n@other(arg)\ndef g():\n    pass\n    # closing comment\n",
    "@decorator\ndef h():\n    return h",
    "class C:\n    y = 2\n\n    # trailing\n\n",
    "def k(): return 1; z = 2",
    "",
    "\n",
    "print(x)  # a comment on the line",
    "s = '# not a comment'\n",
    "if x:\n    pass\n# after the if",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=5), st.data())
def test_the_statements_of_a_cell_are_as_before(pieces: list[str], data: st.DataObject) -> None:
    source = "\n".join(pieces)
    tree = ast.parse(source)
    count = source.count("\n") + 1
    masked = frozenset(data.draw(st.lists(st.integers(1, count), max_size=2)))
    parsed = ParsedCell(Cell(3, "code", source), tree, masked, False)
    found = cell_statements(parsed)
    expected = _cell_statements_as_before(parsed)
    assert found == expected
    assert [s.node for s in found] == [s.node for s in expected]
    assert all(type(s) is Statement for s in found)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4))
def test_a_definition_source_is_its_lines_joined(pieces: list[str]) -> None:
    source = "\n".join(pieces)
    parsed = _cell(0, source)
    planner = object.__new__(Planner)  # only what `_definition` reads
    planner.by_cell, planner._lines = {0: parsed}, {}
    planner.notebook = Notebook(Path("n.ipynb"), "ipynb", "python", (parsed.cell,), {}, source)
    lines = source.split("\n")
    for statement in cell_statements(parsed):
        found = planner._definition(statement, "x", "function")
        expected = Definition(
            "x", "function", Path("n.ipynb"), "\n".join(lines[statement.start - 1 : statement.end]),
            statement,
        )  # fmt: skip
        assert found == expected
        assert type(found) is Definition


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4), st.data())
def test_a_rewrite_with_nothing_to_pass_is_as_before(
    pieces: list[str], data: st.DataObject
) -> None:
    source = "\n".join(pieces)
    parsed = _cell(0, source)
    statements = cell_statements(parsed)
    lines = source.split("\n")
    moved = {
        f"d{number}": (s, "\n".join(lines[s.start - 1 : s.end]))
        for number, s in enumerate(statements)
        if data.draw(st.booleans())
    }
    renames: dict[str, list[Edit]] = {}
    for name, (statement, _) in moved.items():
        how = data.draw(st.sampled_from(["none", "empty", "edit"]))
        if how != "none":  # an edit that renames: the loop below must run
            insert = Edit(statement.start, 0, statement.start, 0, "# renamed\n")
            renames[name] = [insert] if how == "edit" else []

    def parametrizer() -> Parametrizer:
        return Parametrizer(
            statements,
            {0: parsed},
            lambda _: Resolution("builtin"),
            lambda c, n: None,  # type: ignore[arg-type, return-value]
        )

    found = parametrizer().rewrite({}, moved, renames)
    # The loop itself: parameters and a quoted annotation for a name no statement has fail
    # the shortcut's condition, and change nothing else.
    slow = parametrizer()
    slow.quoted = {"not a definition": {}}
    expected = slow.rewrite({"not a definition": ("x",)}, moved, renames)
    assert found.params == {}
    assert (found.sources, found.edits) == (expected.sources, expected.edits)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*_PIECES, "%time x = 1", "!ls", "print x"]), max_size=4))
def test_a_cell_parses_as_ast_parse_parses_it(pieces: list[str]) -> None:
    source = "\n".join(pieces)
    cell = Cell(2, "code", source, ("tag",))
    found = parse_cell(Path("n.ipynb"), cell)
    assert type(found) is ParsedCell
    try:
        tree = ast.parse(source)
    except SyntaxError:  # masked, or left alone: not the shortcut's
        assert found.masked_lines or found.issue
        return
    assert found == ParsedCell(cell, found.tree, frozenset(), False)
    assert found.tree is not None and ast.dump(found.tree, include_attributes=True) == ast.dump(
        tree, include_attributes=True
    )


def test_without_evolving_names_a_definition_reads_no_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`_check`'s shortcut when the notebook has no evolving name is `_versions_read`'s answer."""
    planners: list[Planner] = []
    plan = Planner.plan

    def keep(self: Planner, only: frozenset[str] | None) -> ExtractionPlan:
        planners.append(self)
        return plan(self, only)

    monkeypatch.setattr(Planner, "plan", keep)
    sources = ["import math\nK = 2", *_PIECES[2:7], "def uses():\n    return f(K) + C.y + math.pi"]
    cells = tuple(Cell(i, "code", s) for i, s in enumerate(sources))
    notebook = Notebook(Path("n.ipynb"), "ipynb", "python", cells, {}, "")
    plan_extraction(notebook, module="m")
    (planner,) = planners
    assert not planner.timeline.versions
    for statement in planner.statements:
        if isinstance(statement.node, DEF_TYPES):
            name = statement.node.name
            definition = planner._definition(statement, name, "function")
            shortcut = planner.named.pop(name)
            assert planner._versions_read(definition, {}, {name: set()}) == set()
            assert planner.named[name] == shortcut == (None, {})


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from([*_PIECES, "a = 1; a = 1", "x = 1; y = 2"]), min_size=1, max_size=4)
)
def test_equal_statements_hash_alike(pieces: list[str]) -> None:
    source = "\n".join(pieces)
    parsed = ParsedCell(Cell(1, "code", source), ast.parse(source), frozenset(), False)
    statements = cell_statements(parsed)
    copies = [s._replace(node=ast.Pass()) for s in statements]  # parsed again: equal
    for one in statements + copies:
        for other in statements + copies:
            assert (one == other) == (one._compared() == other._compared())
            if one == other:
                assert hash(one) == hash(other)
    assert set(statements) == set(copies)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4), st.data())
def test_parameters_solved_when_none_is_wanted_are_as_before(
    pieces: list[str], data: st.DataObject
) -> None:
    source = "\n".join(pieces)
    parsed = _cell(0, source)
    statements = cell_statements(parsed)
    definitions = {f"d{n}": s for n, s in enumerate(statements) if data.draw(st.booleans())}
    names = st.sampled_from(sorted(definitions) or ["d0"])
    calls = {n: set(data.draw(st.lists(names, max_size=2))) for n in definitions}

    def parametrizer() -> Parametrizer:
        return Parametrizer(
            statements,
            {0: parsed},
            lambda _: Resolution("builtin"),
            lambda c, n: None,  # type: ignore[arg-type, return-value]
        )

    found = parametrizer().solve(definitions, calls)
    # The loops themselves: a definition that wants nothing, said so, fails the shortcut's
    # condition and adds nothing to what they find.
    slow = parametrizer()
    slow.wants = {name: set() for name in definitions} or {"d0": set()}
    assert found == slow.solve(definitions, calls) == ({}, {})
