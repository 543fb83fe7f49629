"""Notebook variables that only functions use: state the functions can take with them.

`TOKENS = []`, then functions that set it through `global TOKENS` and read it, and no cell that
reads it itself: the variable is the functions' private state, which they keep between calls.
Moved together, with the assignment, the functions share the module's `TOKENS` exactly as they
shared the notebook's. It works only when all of them move (the planner keeps them together),
and only when nothing else can see the variable:

- no statement outside those functions reads it, none of them reads it where it is defined
  (a default value, a decorator), and no IPython line or cell dsprod cannot parse names it;
- it is bound outside them at most once, by a plain assignment that dsprod can move as a
  constant, and that assignment runs before any cell uses the functions (directly or through
  other functions), so no cell can observe the module's value set earlier than the notebook's.
"""

from __future__ import annotations

from dsprod.notebook._model import ParsedCell, Statement
from dsprod.notebook._references import references
from dsprod.notebook._statements import DEF_TYPES, words

__all__ = ["shared_globals"]


def shared_globals(
    statements: list[Statement], parsed: tuple[ParsedCell, ...]
) -> dict[str, frozenset[str]]:
    """Each variable that functions assign through `global` and only functions use, with the
    names of the definitions that use it (read it or assign it)."""
    definitions = [s for s in statements if isinstance(s.node, DEF_TYPES)]
    if not any(s.global_writes for s in definitions):
        return {}  # most notebooks: no function assigns a variable, no cell to read for words
    mentioned: set[str] = set()  # words of IPython lines and of cells that do not parse
    for cell in parsed:
        if cell.tree is None:
            mentioned |= words(cell.cell.source)
        if cell.masked_lines:
            lines = cell.cell.source.split("\n")
            for number in cell.masked_lines:
                mentioned |= words(lines[number - 1])
    written = {name for s in definitions for name in s.global_writes if name not in mentioned} - {
        s.node.name for s in definitions if isinstance(s.node, DEF_TYPES)
    }
    shared: dict[str, frozenset[str]] = {}
    for variable in sorted(written):
        users = frozenset(
            s.node.name
            for s in definitions
            if isinstance(s.node, DEF_TYPES)
            and (variable in s.reads or variable in s.global_writes)
        )
        if _private(variable, users, statements, definitions):
            shared[variable] = users
    return shared


def _private(
    variable: str,
    users: frozenset[str],
    statements: list[Statement],
    definitions: list[Statement],
) -> bool:
    others = [s for s in statements if not isinstance(s.node, DEF_TYPES)]
    if any(variable in s.reads or variable in s.global_writes for s in others):
        return False
    # Read where a function is defined (a default value, a decorator, a class body): the
    # module would read its own value when imported, not the notebook's at that cell.
    watched = frozenset([variable])
    if any(
        r.depth == 0
        for s in definitions
        if isinstance(s.node, DEF_TYPES) and s.node.name in users
        for r in references(s.node, watched)
    ):
        return False
    binders = [s for s in others if variable in s.binds]
    if len(binders) > 1:
        return False
    if not binders:
        return True
    # Every definition that reaches the variable, through calls of other definitions too.
    reach = set(users)
    changed = True
    while changed:
        changed = False
        for s in definitions:
            name = s.node.name if isinstance(s.node, DEF_TYPES) else ""
            if name not in reach and s.reads & reach:
                reach.add(name)
                changed = True
    first = binders[0]
    return all(
        (s.cell, s.start) > (first.cell, first.start)
        for s in others
        if s is not first and s.reads & reach
    )
