"""Parse each code cell once, masking IPython syntax only when plain Python fails."""

from __future__ import annotations

import ast
import contextlib
import gc
import warnings
from collections.abc import Iterator
from pathlib import Path

from dsprod.notebook._magics import PYTHON_CELL_MAGICS, cell_magic, mask_line
from dsprod.notebook._model import Cell, CellIssue, Location, ParsedCell

__all__ = ["gc_paused", "parse_cell", "parse_cells"]


def parse_cell(path: Path, cell: Cell) -> ParsedCell:
    magic = cell_magic(cell.source)
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        issue = CellIssue(
            Location(path, cell.index + 1, 1), f"%%{magic} cell is not Python; left alone", False
        )
        return ParsedCell(cell, None, frozenset(), False, issue)
    if magic is None:
        # Most cells are plain Python: one parse, no copying.
        try:
            return ParsedCell(cell, _parse(cell.source), frozenset(), False)
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
            f"does not parse as Python 3 ({exc.msg}); cell left alone",
            True,
        )
        return ParsedCell(cell, None, frozenset(masked), header, issue)


def _parse(text: str) -> ast.Module:
    return ast.parse(text)


def parse_cells(path: Path, cells: tuple[Cell, ...]) -> tuple[ParsedCell, ...]:
    """Parse every code cell of a notebook."""
    # Python 2 era strings ("\d") warn on 3.12+; they are the user's code, not our problem.
    # One catch_warnings for the whole notebook: entering it per cell costs more than parsing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(parse_cell(path, c) for c in cells if c.kind == "code")


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
