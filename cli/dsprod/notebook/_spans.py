"""Where each top-level name of a module is: the lines the manifest hashes.

The module dsprod writes is mostly code it has parsed already, in the notebook's cells: to
parse all of it again, only to find where each definition landed, took as long as parsing the
notebook. So the written text is cut into pieces at lines that may start a statement (at
column 0), and a piece that is, to the character, the text of a statement parsed in a cell
takes that statement's lines; any other piece is parsed on its own.

Why that gives what a parse of the whole text gives: a piece that parses on its own (or is
the text of a statement that did) ends outside any bracket, string or continued line, so the
next piece starts where the whole text's tokens start afresh too, and the top-level
statements of the whole are those of the pieces, one after the other. The clauses that
would join two pieces (`else`, `except`, a decorator above its `def`) do not parse alone:
a piece that does not parse is joined to the next one, a few times, before the whole text is
parsed as it always was.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from dsprod._records import NamedTuple

__all__ = ["Entry", "WrittenModule", "entries", "known_statements"]

# (names a top-level statement binds, its first line, its last line), lines 1-based.
Entry = tuple[tuple[str, ...], int, int]
_DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# What a line that may start a statement begins with (a decorator, a comment, a name or a
# keyword); other lines continue the piece above them.
_STARTS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_@#")
_DEFINES = ("def ", "async ", "class ")
_JOINS = 8  # pieces joined to one that does not parse, before the whole text is parsed


def entries(body: Iterable[ast.stmt], offset: int = 0) -> list[Entry]:
    """The names each statement of `body` defines at the top level, with its lines (the
    decorators included), `offset` lines down."""
    found: list[Entry] = []
    for node in body:
        start = node.lineno
        if isinstance(node, _DEF_TYPES):
            start = min([start, *(d.lineno for d in node.decorator_list)])
            found.append(((node.name,), start + offset, (node.end_lineno or start) + offset))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = tuple(t.id for t in targets if isinstance(t, ast.Name))
            if names:
                found.append((names, start + offset, (node.end_lineno or start) + offset))
    return found


def known_statements(statements: Iterable[tuple[str, ast.stmt, int]]) -> dict[str, list[Entry]]:
    """Texts whose statement is known, each with its entry: from (the source of a statement
    as it stands in its cell, comments and decorators above it included; the statement's
    node; the line of the cell the source starts at)."""
    known: dict[str, list[Entry]] = {}
    for source, node, first in statements:
        start = node.lineno
        if isinstance(node, _DEF_TYPES):
            start = min([start, *(d.lineno for d in node.decorator_list)])
        # From the statement's own first line: a comment above it is a piece of its own.
        text = source if start == first else "\n".join(source.split("\n")[start - first :])
        known[text] = entries([node], 1 - start)
    return known


class WrittenModule(NamedTuple):
    """A module's text as dsprod writes it, and the known statements it was made of. A
    NamedTuple, not a dataclass: made at every extract's start-up (see `dsprod.errors`); nothing
    compares two of them (`known` would take part)."""

    text: str
    known: Mapping[str, list[Entry]] = {}  # one shared default: nothing writes to it

    def spans(self) -> dict[str, tuple[int, int]]:
        """Top-level name -> (first, last) 1-based lines, decorators included: as
        `ModuleText.spans` gives them for the same text."""
        found: dict[str, tuple[int, int]] = {}
        for names, first, last in self._entries():
            for name in names:
                found[name] = (first, last)
        return found

    def _entries(self) -> list[Entry]:
        lines = self.text.split("\n")
        starts = [*_piece_starts(lines), len(lines)]
        found: list[Entry] = []
        at = 0  # index into starts of the current piece's first line
        while at < len(starts) - 1:
            for joined in range(1, _JOINS + 1):
                end = min(at + joined, len(starts) - 1)
                piece = _stripped(lines, starts[at], starts[end])
                piece_entries = _piece_entries(piece, self.known, starts[at])
                if piece_entries is not None or end == len(starts) - 1:
                    break
            if piece_entries is None:
                # Not cut where statements start: the whole text, as before.
                return entries(ast.parse(self.text).body)
            found += piece_entries
            at = end
        return found


def _piece_starts(lines: list[str]) -> list[int]:
    """The 0-based lines where a piece starts: the first line, and each line at column 0
    that may start a statement, except in the decorators above a `def` or `class`."""
    starts = [0]
    decorating = lines[0].startswith("@") if lines else False
    for number in range(1, len(lines)):
        line = lines[number]
        if line[:1] not in _STARTS:
            continue
        if decorating:
            decorating = not line.startswith(_DEFINES)
            continue
        starts.append(number)
        decorating = line.startswith("@")
    return starts


def _stripped(lines: list[str], first: int, end: int) -> str:
    """Lines first..end (0-based, end excluded) without the blank lines that end them."""
    while end > first + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[first:end])


def _piece_entries(piece: str, known: Mapping[str, list[Entry]], first: int) -> list[Entry] | None:
    """The entries of a piece starting at 0-based line `first`; None when it does not parse
    on its own."""
    hit = known.get(piece)
    if hit is not None:
        return [(names, a + first, b + first) for names, a, b in hit]
    try:
        tree = ast.parse(piece)
    except SyntaxError:
        return None
    return entries(tree.body, first)
