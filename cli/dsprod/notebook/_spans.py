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
import re
from collections.abc import Iterable, Mapping

from dsprod._records import NamedTuple

__all__ = ["Entry", "WrittenModule", "entries", "known_statements"]

# (names a top-level statement binds, its first line, its last line), lines 1-based.
Entry = tuple[tuple[str, ...], int, int]
_DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNS = (ast.Assign, ast.AnnAssign)  # a tuple made once: `A | B` makes a union each time
# The line break before a line that may start a statement: one that begins with a decorator,
# a comment, a name or a keyword; other lines continue the piece above them.
_CUT = re.compile(r"\n(?=[A-Za-z_@#])")
_DEFINES = ("def ", "async ", "class ")
_JOINS = 8  # pieces joined to one that does not parse, before the whole text is parsed
# `__all__` as `_module._all_lines` writes it (names in string literals, one line or one a
# line): a piece that is exactly that is one assignment to `__all__`, from its first line to
# its last (the `]`), and takes no parse (17 M instructions for 1,000 names). Exact: what the
# literals hold (word characters) needs no escape, and spaces and line breaks between
# brackets are nothing to Python.
_ALL = re.compile(r'__all__(?:: list\[str\])? = \[(?:[ \n]*"\w*"[ \n]*,?)*[ \n]*\]')


def entries(body: Iterable[ast.stmt], offset: int = 0) -> list[Entry]:
    """The names each statement of `body` defines at the top level, with its lines (the
    decorators included), `offset` lines down."""
    found: list[Entry] = []
    for node in body:
        start = node.lineno
        if isinstance(node, _DEF_TYPES):
            if node.decorator_list:
                start = min(start, *(d.lineno for d in node.decorator_list))
            found.append(((node.name,), start + offset, (node.end_lineno or start) + offset))
        elif isinstance(node, _ASSIGNS):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = tuple(t.id for t in targets if isinstance(t, ast.Name))
            if names:
                found.append((names, start + offset, (node.end_lineno or start) + offset))
    return found


def known_statements(
    statements: Iterable[tuple[str, str, ast.stmt, int, int]],
) -> dict[str, list[Entry]]:
    """Texts whose statement is known, each with its entry: from (the source of a statement
    as it is written, comments and decorators above it included; the source of its cell; the
    statement's node; the lines of the cell the source starts and ends at). A source that is
    not those lines of its cell (a definition given parameters) is not known: its node would
    not be its text's.

    One loop, the entry of a `def`, a `class` or `NAME = value` made inline: 1,600
    definitions took 23 M instructions through a filter, a generator and a call of `entries`
    each, now 15 M."""
    known: dict[str, list[Entry]] = {}
    for source, cell, node, first, last in statements:
        if first == 1 and cell.count("\n") == last - 1:
            if source != cell:  # a definition that is its whole cell: no split and join
                continue
        elif source != "\n".join(cell.split("\n")[first - 1 : last]):
            continue
        start = node.lineno
        if isinstance(node, _DEF_TYPES):
            if node.decorator_list:
                start = min(start, *(d.lineno for d in node.decorator_list))
            # From the statement's own first line: a comment above it is a piece of its own.
            text = source if start == first else "\n".join(source.split("\n")[start - first :])
            # `entries([node], 1 - start)`, inline.
            known[text] = [((node.name,), 1, (node.end_lineno or start) - start + 1)]
            continue
        text = source if start == first else "\n".join(source.split("\n")[start - first :])
        targets = node.targets if isinstance(node, ast.Assign) else ()
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            # A constant, `NAME = value`: `entries([node], 1 - start)`, inline.
            known[text] = [((targets[0].id,), 1, (node.end_lineno or start) - start + 1)]
        else:
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
        for names, first, last, _ in self._located():
            for name in names:
                found[name] = (first, last)
        return found

    def sources(self) -> dict[str, str]:
        """Top-level name -> the text of its lines (`spans`), as `_module.symbol_sources`
        gives it. A known statement that is its whole piece is that piece's text already:
        no split of the module and no join a name (4 M instructions for 1,600 names)."""
        found: dict[str, str] = {}
        lines: list[str] | None = None
        for names, first, last, whole in self._located():
            text = whole
            if text is None:
                if lines is None:
                    lines = self.text.split("\n")
                text = "\n".join(lines[first - 1 : last])
            for name in names:
                found[name] = text
        return found

    def _located(self) -> list[tuple[tuple[str, ...], int, int, str | None]]:
        """Each entry, with the text of its lines when it is a known piece's whole text."""
        pieces, lines = _pieces(self.text)
        known, count = self.known, len(pieces)
        found: list[tuple[tuple[str, ...], int, int, str | None]] = []
        at = 0  # index into pieces of the current one
        while at < count:
            # The common piece first, inline (a module of 1,600 definitions has 1,600 pieces):
            # one statement's text, known. What `_piece_entries` finds of it, without its
            # calls.
            first, piece = lines[at], pieces[at]
            cut = piece.find("\n", len(piece.rstrip()))  # `_stripped`, inline
            if cut >= 0:
                piece = piece[:cut]
            hit = known.get(piece)
            if hit is not None:
                if len(hit) == 1 and hit[0][1] == 1 and hit[0][2] == piece.count("\n") + 1:
                    names, a, b = hit[0]
                    found.append((names, a + first, b + first, piece))
                else:
                    found += [(names, a + first, b + first, None) for names, a, b in hit]
                at += 1
                continue
            for joined in range(1, _JOINS + 1):
                end = min(at + joined, count)
                piece = _stripped("\n".join(pieces[at:end]))
                piece_entries = _piece_entries(piece, known, first)
                if piece_entries is not None or end == count:
                    break
            if piece_entries is None:
                # Not cut where statements start: the whole text, as before.
                return [(*entry, None) for entry in entries(ast.parse(self.text).body)]
            found += [(*entry, None) for entry in piece_entries]
            at = end
        return found


def _pieces(text: str) -> tuple[list[str], list[int]]:
    """The text cut into pieces, each at a line at column 0 that may start a statement (the
    first line starts one too), except in the decorators above a `def` or `class`; with the
    0-based line each piece starts at.

    Cut in C by `re.split`, where a loop over every line of the module (6,000 for 1,600
    definitions) and a join of each piece's lines took twice as long. The same pieces as
    joining the lines `str.split("\\n")` gives: each line but the first starts after a line
    break, and the one before a piece is all `_CUT` takes away (a search for it goes as fast
    as `str.find`)."""
    pieces = _CUT.split(text)
    if "@" not in text:  # no decorators: no piece to join to the next
        lines, line = [], 0
        for piece in pieces:
            lines.append(line)
            line += piece.count("\n") + 1
        return pieces, lines
    joined, lines, line = [pieces[0]], [0], pieces[0].count("\n") + 1
    decorating = text.startswith("@")
    for piece in pieces[1:]:
        if decorating:
            decorating = not piece.startswith(_DEFINES)
            joined[-1] += "\n" + piece
        else:
            joined.append(piece)
            lines.append(line)
            decorating = piece[0] == "@"
        line += piece.count("\n") + 1
    return joined, lines


def _stripped(piece: str) -> str:
    """`piece` without the blank lines that end it (its first line stays, blank or not), as
    joining its lines but those (`str.split("\n")`, a line blank when `strip` leaves
    nothing): it ends at the line break after the last character `rstrip` keeps."""
    end = piece.find("\n", len(piece.rstrip()))
    return piece if end < 0 else piece[:end]


def _piece_entries(piece: str, known: Mapping[str, list[Entry]], first: int) -> list[Entry] | None:
    """The entries of a piece starting at 0-based line `first`; None when it does not parse
    on its own."""
    hit = known.get(piece)
    if hit is not None:
        return [(names, a + first, b + first) for names, a, b in hit]
    if _ALL.fullmatch(piece):
        return [(("__all__",), first + 1, first + 1 + piece.count("\n"))]
    try:
        tree = ast.parse(piece)
    except SyntaxError:
        return None
    return entries(tree.body, first)
