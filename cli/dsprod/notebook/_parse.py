"""Parse each code cell once, masking IPython syntax only when plain Python fails."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from dsprod.notebook._magics import PYTHON_CELL_MAGICS, cell_magic, mask
from dsprod.notebook._model import Cell, CellIssue, Location, ParsedCell

__all__ = ["parse_cell", "parse_cells"]


def parse_cell(path: Path, cell: Cell) -> ParsedCell:
    magic = cell_magic(cell.source)
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        issue = CellIssue(
            Location(path, cell.index + 1, 1), f"%%{magic} cell is not Python; left alone", False
        )
        return ParsedCell(cell, None, frozenset(), False, issue)
    try:
        # Most cells are plain Python: parsing them as they are cannot mis-mask
        # a line that merely starts with '%' inside a bracket or a string.
        return ParsedCell(cell, _parse(cell.source), frozenset(), False)
    except SyntaxError:
        pass
    masked = mask(cell.source)
    try:
        tree = _parse(masked.text)
    except SyntaxError as exc:
        line = exc.lineno or 1
        issue = CellIssue(
            Location(path, cell.index + 1, line),
            f"does not parse as Python 3 ({exc.msg}); cell left alone",
            True,
        )
        return ParsedCell(cell, None, masked.lines, masked.header, issue)
    return ParsedCell(cell, tree, masked.lines, masked.header)


def _parse(text: str) -> ast.Module:
    return ast.parse(text)


def parse_cells(path: Path, cells: tuple[Cell, ...]) -> tuple[ParsedCell, ...]:
    """Parse every code cell of a notebook."""
    # Python 2 era strings ("\d") warn on 3.12+; they are the user's code, not our problem.
    # One catch_warnings for the whole notebook: entering it per cell costs more than parsing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(parse_cell(path, c) for c in cells if c.kind == "code")
