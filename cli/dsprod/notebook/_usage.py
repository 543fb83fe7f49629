"""What the notebook still reads once code leaves it: names, and imports only moved code used."""

from __future__ import annotations

import ast
import re

from dsprod.notebook._model import ParsedCell, Statement
from dsprod.notebook._statements import ImportKey, words

__all__ = ["unused_imports", "used_after"]

# A tuple made once: `ast.Import | ast.ImportFrom` in the loop below makes a union per statement.
_IMPORTS = (ast.Import, ast.ImportFrom)


def unused_imports(
    statements: list[Statement],
    removed: set[Statement],
    moved_imports: set[ImportKey],
    used: frozenset[str],
) -> list[Statement]:
    """Import statements that only the moved code used: they go with it (the module has
    its own copy), or ruff's F401 would flag them in the notebook. A statement goes only
    when every name it binds is needed by the moved code and in none of the names `used`
    once `removed` leaves (`used_after`), which these imports, reading nothing, leave as
    they are."""
    needed = {key[2] or (key[1] if key[1] else key[0].split(".")[0]) for key in moved_imports}
    # Only the import's own lines go: a comment above it stays in the notebook (it may
    # head the whole import block).
    return [
        statement._replace(start=statement.node.lineno)
        for statement in statements
        if isinstance(statement.node, _IMPORTS)
        and statement not in removed
        and not statement.shares_line
        and not statement.ipython
        and statement.binds
        and statement.binds <= needed
        and not statement.binds & used
    ]


def used_after(
    statements: list[Statement], parsed: tuple[ParsedCell, ...], removed: set[Statement]
) -> frozenset[str]:
    """Module-level names the notebook reads once `removed` leaves it."""
    used: set[str] = set()
    # `statement in removed` hashes the statement by all its fields (a call in Python). Two
    # cheaper answers first, both exact: the very object is in `removed` (which the plan's
    # are), or no statement of `removed` starts where it does (so none equals it).
    same = {id(s) for s in removed}
    starts = {(s.cell, s.start) for s in removed}
    for statement in statements:
        if id(statement) in same:
            continue
        if (statement.cell, statement.start) not in starts or statement not in removed:
            used |= statement.reads
    for cell in parsed:
        if cell.tree is None:
            used |= words(cell.cell.source)
        if cell.masked_lines:
            lines = cell.cell.source.split("\n")
            for number in cell.masked_lines:
                used |= words(_magic_arguments(lines[number - 1]))
    return frozenset(used)


def _magic_arguments(line: str) -> str:
    """A masked line without its magic's own name: `%matplotlib inline` reads no variable
    called matplotlib (and must not keep `import matplotlib` alive), `%timeit f(x)` reads f."""
    return re.sub(r"^\s*%{1,2}[\w.]+", "", line)
