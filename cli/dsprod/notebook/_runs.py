"""What a `%run` line brings into a notebook: the statements of the file it runs.

`%run utils.ipynb` runs another notebook (or script) in the kernel, and everything it binds
lands in the notebook's namespace, where dsprod cannot see it. A name that file binds by an
import is the same object as that import anywhere: a definition that reads it can move with
the import. Only a file that can be read whole counts: one that does not parse, runs another
file itself or star-imports could bind any name.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.errors import NotebookError
from dsprod.notebook._model import Cell, Location, Statement
from dsprod.notebook._parse import parse_cells
from dsprod.notebook._read import read_notebook
from dsprod.notebook._statements import cell_statements

__all__ = ["RunLine", "run_statements"]

# Line magics that bind names the file's statements do not show.
_BINDING_MAGICS = ("%run", "%store", "%load", "%autoreload")


class RunLine(NamedTuple):
    """A `%run` (or `%cd`) line of the notebook: where it is and its text."""

    location: Location
    text: str


def run_statements(notebook: Path, line: str) -> tuple[Statement, ...] | None:
    """The top-level statements of the file `line` (`%run FILE [args]`) runs, or None when
    dsprod cannot tell everything that file binds."""
    target = _target(notebook, line)
    if target is None:
        return None
    try:
        stat = target.stat()
    except OSError:
        return None
    return _statements(target, stat.st_mtime_ns, stat.st_size)


# Planning runs more than once per extraction (again when the module blocks a name): read each
# file once while it stays the same.
@functools.lru_cache(maxsize=16)
def _statements(target: Path, _mtime: int, _size: int) -> tuple[Statement, ...] | None:
    try:
        text = target.read_text(encoding="utf-8")
        percent = any(line.startswith("# %%") for line in text.splitlines())
        if target.suffix == ".ipynb" or percent:
            cells = read_notebook(target).cells
        else:
            cells = (Cell(0, "code", text),)
    except (NotebookError, OSError, UnicodeDecodeError):
        return None
    statements: list[Statement] = []
    for parsed in parse_cells(target, cells):
        lines = parsed.cell.source.split("\n")
        if parsed.tree is None or any(
            lines[n - 1].lstrip().startswith(_BINDING_MAGICS) for n in parsed.masked_lines
        ):
            return None
        statements += cell_statements(parsed)
    if any(
        isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names)
        for s in statements
    ):
        return None  # a star import may rebind any name, an import above it included
    return tuple(statements)


def _target(notebook: Path, line: str) -> Path | None:
    """The file `%run` runs, found as IPython would: relative to the notebook's folder (where
    Jupyter starts the kernel). None for options other than -i, or a file that is not there."""
    import shlex  # here: only a %run line needs it, not every extract's start-up (1 M instr.)

    try:
        words = shlex.split(line.strip().removeprefix("%run"))
    except ValueError:
        return None
    while words and words[0] == "-i":  # -i: run in the notebook's namespace; binds the same
        words = words[1:]
    if not words or words[0].startswith("-"):
        return None
    target = notebook.parent / Path(words[0]).expanduser()
    if target.suffix not in {".py", ".ipynb"} or not target.is_file():
        return None
    return target
