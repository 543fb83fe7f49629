"""Evolving names found among the candidates only (`_plan._bound_again`, names bound more than
once, imported from the module or held) are those found among every name."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection

from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod.notebook._model import Cell, ParsedCell, Statement
from dsprod.notebook._plan import _bound_again
from dsprod.notebook._statements import DEF_TYPES, cell_statements
from dsprod.notebook._versions import Version, _named, find_versions, imports_from


def _find_versions_as_before(
    statements: list[Statement],
    module: str | None,
    source_of: Callable[[Statement], str],
    taken: Callable[[str], bool],
    replaced: Collection[str] = (),
    held: Collection[str] = (),
) -> dict[str, list[Version]]:
    """`find_versions` as it was: every name of every statement gathered."""
    bindings: dict[str, list[tuple[str, str, Statement]]] = {}  # name -> (kind, identity, at)
    plain: set[str] = set()
    for statement in statements:
        node = statement.node
        if isinstance(node, ast.ImportFrom) and imports_from(node, module):  # no call for most
            assert isinstance(node, ast.ImportFrom)
            for alias in node.names:
                replacing = alias.asname is None and alias.name in replaced
                if alias.name != "*" and not replacing:
                    entry = ("import", alias.name, statement)
                    bindings.setdefault(alias.asname or alias.name, []).append(entry)
        elif isinstance(node, DEF_TYPES):
            # The body's text is its identity: read below, for a name bound more than once.
            bindings.setdefault(node.name, []).append(("def", "", statement))
            if len(statement.binds) > 1:
                # Assigned through `global` when a function is called: no place in the timeline.
                plain |= statement.binds - {node.name}
        elif statement.binds:
            at = f"{statement.cell}:{statement.start}"
            for name in statement.binds:
                bindings.setdefault(name, []).append(("state", at, statement))
    found: dict[str, list[Version]] = {}
    for name, met in bindings.items():
        if len(met) == 1:  # most names, without making a set of kinds
            kind = met[0][0]
            if kind == "state" or (kind == "def" and name not in held):
                continue  # state only: no body to move; or one body, nothing else binds it
        kinds = {kind for kind, _, _ in met}
        if kinds == {"state"}:
            continue  # bound by statements that stay only: no body to move, no version
        bound = [(kind, source_of(s) if kind == "def" else key, s) for kind, key, s in met]
        identities = list(dict.fromkeys((kind, key) for kind, key, _ in bound))
        if name in held and any(kind == "def" for kind, _ in identities):
            # The module's body, which no statement here binds, comes first: older than any.
            identities = list(dict.fromkeys([("import", name), *identities]))
        renamed = any(kind == "import" and key != name for kind, key in identities)
        kinds = {kind for kind, _ in identities}
        if name in plain or kinds == {"state"} or (len(identities) < 2 and not renamed):
            continue
        found[name] = _named(name, bound, identities, taken)
    return found


_PIECES = [
    "def f(x):\n    return x",
    "def f(x):\n    return x + 1",
    "class f:\n    pass",
    "f = len",
    "g = 1",
    "g, h = 2, 3",
    "def g():\n    global h\n    h = 1",
    "from m import f",
    "from m import f_v1 as f",
    "from m import g, f as k",
    "from m import *",
    "from other import f",
    "import m",
    "for f in range(2):\n    pass",
    "def k():\n    pass",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8),
    st.sets(st.sampled_from(["f", "g", "k"])),
    st.sets(st.sampled_from(["f", "g", "k"])),
    st.sampled_from(["m", None]),
)
def test_the_versions_among_candidates_are_those_among_every_name(
    pieces: list[str], replaced: set[str], held: set[str], module: str | None
) -> None:
    statements: list[Statement] = []
    for index, source in enumerate(pieces):
        parsed = ParsedCell(Cell(index, "code", source), ast.parse(source), frozenset(), False)
        statements += cell_statements(parsed)

    def source_of(statement: Statement) -> str:
        return pieces[statement.cell]

    taken = {"f_v2"}.__contains__
    expected = _find_versions_as_before(statements, module, source_of, taken, replaced, held)
    candidates = _bound_again(statements, module, held)
    found = find_versions(
        statements, module, source_of, taken, replaced, held, candidates=candidates
    )
    assert found == expected
    assert list(found) == list(expected)  # in the same order
