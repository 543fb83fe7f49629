"""Typed records passed between the stages of extraction.

NamedTuples, not dataclasses: see `dsprod.errors` (every extract makes these classes at
start-up, and a NamedTuple is also quicker to make than a frozen dataclass). A copy with
changes is `record._replace(...)`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dsprod._records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any, Literal, TypeAlias

__all__ = [
    "Cell",
    "CellIssue",
    "CellKind",
    "DefinitionKind",
    "Location",
    "Notebook",
    "NotebookFormat",
    "ParsedCell",
    "Statement",
]

# Aliases written as strings, for mypy: at run time typing is not imported (12 M instructions).
NotebookFormat: TypeAlias = "Literal['ipynb', 'percent']"
CellKind: TypeAlias = "Literal['code', 'markdown', 'raw']"  # v3 headings are markdown
# What a notebook defines and extraction moves, as the manifest records it.
DefinitionKind: TypeAlias = "Literal['function', 'class', 'constant']"


class Location(NamedTuple):
    """A place in a notebook, printed the way every dsprod message locates things."""

    path: Path
    cell: int  # 1-based position among all cells, markdown included
    line: int  # 1-based line within the cell

    def __str__(self) -> str:
        return f"{self.path}:cell {self.cell}:line {self.line}"


class Cell(NamedTuple):
    # The field hides tuple's `index` method, which no cell is asked for.
    index: int  # type: ignore[assignment]  # 0-based position in the notebook
    kind: CellKind
    source: str
    tags: tuple[str, ...] = ()


class Notebook(NamedTuple):
    path: Path
    format: NotebookFormat
    language: str  # the kernel's language, lower case
    cells: tuple[Cell, ...]
    # The parsed document, kept so the rewrite can change only the cells it must. (Nothing
    # compares or hashes notebooks: as a tuple, these two would take part.)
    document: dict[str, Any]
    text: str
    indent: int = 1
    # Where the v4 cells stand in `text`, when it was read asking for them (`_read.CellSpans`).
    cell_spans: tuple[int, int, tuple[tuple[int, int], ...]] | None = None


class CellIssue(NamedTuple):
    """A cell that is left alone, with the reason (a syntax error, a non-Python cell magic)."""

    location: Location
    reason: str
    is_error: bool


class ParsedCell(NamedTuple):
    cell: Cell
    tree: ast.Module | None
    masked_lines: frozenset[int]  # 1-based lines that held magics, shell or help
    magic_header: bool  # the first line is a cell magic such as %%time
    issue: CellIssue | None = None


class Statement(NamedTuple):
    """One top-level statement of a code cell, with what it binds and reads."""

    cell: int  # 0-based cell index
    node: ast.stmt  # not compared: the same statement parsed twice is equal
    start: int  # 1-based first line in the cell, decorators and attached comments included
    end: int  # 1-based last line in the cell
    binds: frozenset[str]
    reads: frozenset[str]
    global_writes: frozenset[str]
    shares_line: bool = False  # another statement stands on one of its lines (`a = 1; b = 2`)
    ipython: bool = False  # one of its lines is IPython syntax (`%time x = f()`), masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Statement) and self._compared() == other._compared()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        # Where it stands: equal statements stand at the same place, so they hash alike, and
        # two statements there (`a = 1; b = 2`) are told apart by `__eq__`. A tuple of three
        # fields, not of every field but the node (two Python calls and a nine-field tuple):
        # the plan hashes every statement that leaves the notebook.
        return hash((self[0], self[2], self[3]))

    def _compared(self) -> tuple[object, ...]:
        return (self.cell, *self[2:])  # every field but the node, the second
