"""Evolving definitions: one name defined with different bodies in several cells.

Notebooks grow a function in steps: `clean` in cell 3, a better `clean` with a new argument in
cell 9. Every version moves: the last one under its own name, the earlier ones as `clean_v1`,
`clean_v2`, ... And each `def` is replaced, where it stood, by an import that binds the name
to that version (`from pkg.mod import clean_v1 as clean`), so the notebook rebinds the name at
the very point it did before: every cell calls the version it called before, without a call
site changing. A version's calls of its own name (recursion) call itself; a definition that
calls the name calls whichever version is bound when it is called, so it takes the name as a
parameter like any other notebook state.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from dsprod.notebook._edits import Edit
from dsprod.notebook._model import Statement
from dsprod.notebook._scope import references
from dsprod.notebook._statements import DEF_TYPES

__all__ = ["Version", "evolving", "rename_edits"]


class Version:
    """One body of an evolving name: every statement that defines it that way."""

    def __init__(self, base: str, module_name: str, statements: list[Statement]) -> None:
        self.base = base  # the name in the notebook
        self.module_name = module_name  # the name in the module
        self.statements = statements


def evolving(
    statements: list[Statement],
    source_of: Callable[[Statement], str],
    taken: Callable[[str], bool],
) -> dict[str, list[Version]]:
    """The names defined with different bodies by `def`/`class` statements only, each with its
    versions in order of first appearance. The version of the last statement keeps the name;
    the others are `name_v1`, `name_v2`, ... (`taken` names are skipped)."""
    by_name: dict[str, list[Statement]] = {}
    for statement in statements:
        for name in statement.binds:
            by_name.setdefault(name, []).append(statement)
    found: dict[str, list[Version]] = {}
    for name, binders in by_name.items():
        if not all(isinstance(s.node, DEF_TYPES) and s.node.name == name for s in binders):
            continue
        bodies: dict[str, list[Statement]] = {}
        for statement in binders:
            bodies.setdefault(source_of(statement), []).append(statement)
        if len(bodies) < 2:
            continue
        last = source_of(binders[-1])
        versions: list[Version] = []
        number = 0
        for body, defining in bodies.items():
            if body == last:
                versions.append(Version(name, name, defining))
                continue
            number += 1
            while taken(f"{name}_v{number}"):
                number += 1
            versions.append(Version(name, f"{name}_v{number}", defining))
        found[name] = versions
    return found


def rename_edits(lines: list[str], statement: Statement, new: str) -> tuple[list[Edit], bool]:
    """Edits that give the definition of `statement` the name `new`, its own calls included;
    and whether it reads its own name when it is defined (a decorator, a default), which no
    rename can keep."""
    node = statement.node
    assert isinstance(node, DEF_TYPES)  # noqa: S101 - evolving() gives only definitions
    old = node.name
    edits: list[Edit] = []
    header = re.compile(rf"\b(?:def|class)\s+({re.escape(old)})\b")
    for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        match = header.search(lines[number - 1])
        if match:
            edits.append(Edit(number, match.start(1), number, match.end(1), new))
            break
    early = False
    for ref in references(node, frozenset([old])):
        if ref.depth == 0:
            early = True
            continue
        line = lines[ref.node.lineno - 1]
        col = ref.node.col_offset
        if not line.isascii():
            col = len(line.encode()[:col].decode(errors="replace"))
        edits.append(Edit(ref.node.lineno, col, ref.node.lineno, col + len(old), new))
    return edits, early


def self_referencing(statement: Statement) -> bool:
    node = statement.node
    return isinstance(node, DEF_TYPES) and any(
        isinstance(n, ast.Name) and n.id == node.name for n in ast.walk(node)
    )
