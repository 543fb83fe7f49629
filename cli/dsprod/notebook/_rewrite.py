"""Rewrite a notebook after extraction: definitions leave, one import takes their place.

Only the cells that lose code change. Everything else, ids, metadata and outputs included, is
written back exactly as read, the way Jupyter writes (indent 1, UTF-8, trailing newline).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from dsprod.notebook._model import Notebook, Statement
from dsprod.notebook._read import cell_dicts, source_key

__all__ = ["import_line", "new_cell_sources", "render_notebook"]

_LINE_LIMIT = 100


def import_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= _LINE_LIMIT:
        return line
    inner = "".join(f"    {n},\n" for n in names)
    return f"from {module} import (\n{inner})"


def new_cell_sources(
    notebook: Notebook,
    removed: tuple[Statement, ...],
    import_text: str,
    magic_headers: dict[int, bool],
) -> dict[int, str | None]:
    """New source for every cell that changes; None for a cell that is removed."""
    by_cell: dict[int, list[Statement]] = {}
    for statement in removed:
        by_cell.setdefault(statement.cell, []).append(statement)
    first = min(removed, key=lambda s: (s.cell, s.start)) if removed else None
    changed: dict[int, str | None] = {}
    for index, statements in by_cell.items():
        lines = notebook.cells[index].source.split("\n")
        header = magic_headers.get(index, False)
        for statement in sorted(statements, key=lambda s: s.start, reverse=True):
            replacement = import_text.split("\n") if statement is first and import_text else []
            start, end = statement.start - 1, statement.end
            # Drop the blank lines that followed the removed code when it stood at the top of
            # the cell or after a blank line, so no gap is left behind.
            at_top = start == 0 or (header and start == 1) or not lines[start - 1].strip()
            while not replacement and at_top and end < len(lines) and not lines[end].strip():
                end += 1
            lines[start:end] = replacement
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        code = lines[1:] if header and lines else lines
        if not any(line.strip() for line in code):
            changed[index] = None
        else:
            changed[index] = "\n".join(lines)
    return changed


def render_notebook(notebook: Notebook, sources: dict[int, str | None]) -> str:
    if notebook.format == "percent":
        return _render_percent(notebook, sources)
    document = json.loads(notebook.text)
    _apply(document, sources)
    return json.dumps(document, indent=notebook.indent, ensure_ascii=False) + "\n"


def _apply(document: dict[str, Any], sources: dict[int, str | None]) -> None:
    cells = cell_dicts(document)
    for index, source in sources.items():
        cell = cells[index]
        if source is None:
            continue
        key = source_key(cell)
        if isinstance(cell.get(key), list):
            cell[key] = source.splitlines(keepends=True)
        else:
            cell[key] = source
    doomed = {id(cells[i]) for i, s in sources.items() if s is None}
    if document.get("nbformat") == 3:
        for sheet in document.get("worksheets") or []:
            sheet["cells"] = [c for c in sheet.get("cells") or [] if id(c) not in doomed]
    else:
        document["cells"] = [c for c in document["cells"] if id(c) not in doomed]


def _render_percent(notebook: Notebook, sources: dict[int, str | None]) -> str:
    import jupytext
    import nbformat

    document = copy.deepcopy(notebook.document)
    _apply(document, sources)
    text: str = jupytext.writes(nbformat.from_dict(document), fmt="py:percent")
    return text
