"""Parse each code cell once, masking IPython syntax only when plain Python fails."""

from __future__ import annotations

import ast
import contextlib
import gc
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.notebook._magics import PYTHON_CELL_MAGICS, cell_magic, mask_line
from dsprod.notebook._model import Cell, CellIssue, Location, ParsedCell, Statement
from dsprod.notebook._statements import KEEP_COMMENT, KEEP_TAG, cell_statements

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Literal

__all__ = [
    "ParseCache",
    "UnparsedDefinition",
    "cell_issues",
    "gc_paused",
    "parse_cell",
    "parse_cells",
    "unparsed_definitions",
]

# What a cell that does not parse says; `unparsed_definitions` quotes the part before `;`.
_UNPARSED = "does not parse as Python 3 ({}); cell left alone"
# A definition at column 0: in a cell that does not parse there is no tree to find it in, and a
# line-level scan is as much as can be trusted (an indented `def` may belong to anything).
_DEFINITION_LINE = re.compile(r"(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)")
_ONLY_AST = ast.PyCF_ONLY_AST
_NO_LINES: frozenset[int] = frozenset()
_new_parsed = tuple.__new__


def parse_cell(path: Path, cell: Cell) -> ParsedCell:
    magic = cell_magic(cell.source)
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        issue = CellIssue(
            Location(path, cell.index + 1, 1), f"%%{magic} cell is not Python; left alone", False
        )
        return ParsedCell(cell, None, frozenset(), False, issue)
    if magic is None:
        # Most cells are plain Python: one parse, no copying. `_parse`'s compile called here,
        # and the record made by tuple's own constructor (ParsedCell's, a NamedTuple's, is
        # Python code): two Python calls fewer for every cell of a notebook.
        try:
            tree = compile(cell.source, "<unknown>", "exec", _ONLY_AST)
            return _new_parsed(ParsedCell, (cell, tree, _NO_LINES, False, None))
        except SyntaxError:
            pass
    lines = cell.source.split("\n")
    masked: set[int] = set()
    header = lines[0].startswith("%%")
    if header:
        lines[0] = ""
        masked.add(1)
    # Mask only the lines the parser trips on: a line that merely looks like a magic inside a
    # string or a bracket is Python and stays as it is. Each round masks one line.
    while True:
        try:
            tree = _parse("\n".join(lines))
            return ParsedCell(cell, tree, frozenset(masked), header)
        except SyntaxError as exc:
            error = exc
        number = error.lineno or 0
        if number in masked and lines[number - 1].strip() not in ("", "pass"):
            # `%time <code>` kept its code, and the code does not parse: mask the whole line.
            lines[number - 1] = (
                lines[number - 1][: len(lines[number - 1]) - len(lines[number - 1].lstrip())]
                + "pass"
            )
            continue
        replacement = mask_line(lines[number - 1]) if 0 < number <= len(lines) else None
        if replacement is None or number in masked:
            break
        lines[number - 1] = replacement
        masked.add(number)
    # The error is elsewhere than on a magic line: mask every IPython-looking line, once.
    for number, line in enumerate(lines, start=1):
        replacement = mask_line(line) if number not in masked else None
        if replacement is not None:
            lines[number - 1] = replacement
            masked.add(number)
    try:
        return ParsedCell(cell, _parse("\n".join(lines)), frozenset(masked), header)
    except SyntaxError as exc:
        issue = CellIssue(
            Location(path, cell.index + 1, exc.lineno or 1),
            _UNPARSED.format(exc.msg),
            True,
        )
        return ParsedCell(cell, None, frozenset(masked), header, issue)


def _parse(text: str) -> ast.Module:
    # `ast.parse(text)` is this compile, less a Python call (it passes its default feature
    # version, -1, which is compile's own).
    return compile(text, "<unknown>", "exec", _ONLY_AST)  # type: ignore[no-any-return]


class UnparsedDefinition(NamedTuple):
    """A `def` or `class` in a cell that does not parse: never extracted, never silent."""

    # A NamedTuple, not a frozen dataclass: as immutable, and compared and hashed by its
    # fields alike, but built at import without generating and compiling methods.

    location: Location  # the line of the `def` or `class`
    kind: Literal["function", "class"]
    name: str
    why: str  # `its cell does not parse as Python 3 (...), at line L`
    # Not always "port it from Python 2": syntax newer than this interpreter fails too.
    fix: str = (
        f"make the cell parse on Python {sys.version_info.major}.{sys.version_info.minor} "
        "(Python 2's `print x` is `print(x)`)"
    )


def unparsed_definitions(parsed: ParsedCell) -> list[UnparsedDefinition]:
    """The definitions at column 0 of a cell that does not parse, unless kept on purpose."""
    issue = parsed.issue
    if parsed.tree is not None or issue is None or not issue.is_error:
        return []
    if KEEP_TAG in parsed.cell.tags:
        return []
    reason = issue.reason.split("; cell left alone")[0]
    why = f"its cell {reason}, at line {issue.location.line}"
    found: list[UnparsedDefinition] = []
    lines = parsed.cell.source.split("\n")
    for number, line in enumerate(lines, start=1):
        match = _DEFINITION_LINE.match(line)
        if match is None or _kept(lines, number):
            continue
        kind: Literal["function", "class"] = "class" if match[1] == "class" else "function"
        location = Location(issue.location.path, issue.location.cell, number)
        found.append(UnparsedDefinition(location, kind, match[2], why))
    return found


def _kept(lines: list[str], number: int) -> bool:
    """`# dsprod: keep` on the definition's line or on the comment and decorator lines above."""
    if KEEP_COMMENT in lines[number - 1]:
        return True
    above = number - 2
    while above >= 0 and lines[above].startswith(("#", "@")):
        if KEEP_COMMENT in lines[above]:
            return True
        above -= 1
    return False


def cell_issues(parsed: ParsedCell) -> list[CellIssue]:
    """What extract reports about a cell: why it is left alone, and each definition in it."""
    if parsed.issue is None:
        return []
    return [
        parsed.issue,
        *(
            CellIssue(
                d.location,
                f"{d.name} not extracted: {d.why}; {d.fix}, and run again",
                True,
            )
            for d in unparsed_definitions(parsed)
        ),
    ]


def parse_cells(path: Path, cells: tuple[Cell, ...]) -> tuple[ParsedCell, ...]:
    """Parse every code cell of a notebook."""
    return ParseCache().cells(path, cells)


class ParseCache:
    """Each distinct cell source is parsed, and split into statements, once per command.

    Planning runs again when the module blocks a name, and once more on the rewritten notebook
    (to locate what stays); the tests generator reads the same cells. Parsing and the scope
    walk are most of extraction's time, and a cell whose source did not change gives the same
    trees: only its position in the notebook may differ.
    """

    def __init__(self) -> None:
        self._cells: dict[str, ParsedCell] = {}
        self._statements: dict[str, list[Statement]] = {}

    def cells(self, path: Path, cells: tuple[Cell, ...]) -> tuple[ParsedCell, ...]:
        # Python 2 era strings ("\d") warn on 3.12+; they are the user's code, not our
        # problem. One catch_warnings for the whole notebook: entering it per cell costs more
        # than parsing.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tuple(self._cell(path, c) for c in cells if c.kind == "code")

    def _cell(self, path: Path, cell: Cell) -> ParsedCell:
        hit = self._cells.get(cell.source)
        if hit is None:
            parsed = self._cells[cell.source] = parse_cell(path, cell)
            return parsed
        if hit.cell == cell and (hit.issue is None or hit.issue.location.path == path):
            return hit
        issue = hit.issue
        if issue is not None:
            issue = issue._replace(location=Location(path, cell.index + 1, issue.location.line))
        return hit._replace(cell=cell, issue=issue)

    def statements(self, parsed: ParsedCell) -> list[Statement]:
        """The top-level statements of a cell this cache parsed."""
        hit = self._statements.get(parsed.cell.source)
        if hit is None:
            hit = self._statements[parsed.cell.source] = cell_statements(parsed)
            return hit
        if not hit or hit[0].cell == parsed.cell.index:
            return hit
        return [s._replace(cell=parsed.cell.index) for s in hit]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while syntax trees pile up.

    Trees are many small objects that live until the command ends: the collector would walk
    them again and again for nothing (a third of the time on large notebooks).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
