"""Rewrite a notebook after extraction: definitions leave, one import takes their place.

Only the cells that lose code change. Everything else, ids, metadata and outputs included, is
written back exactly as read, the way Jupyter writes (indent 1, UTF-8, trailing newline).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter

from dsprod.notebook._edits import Edit, apply_edits
from dsprod.notebook._model import Notebook, Statement
from dsprod.notebook._read import CellSpans, cell_dicts, source_key

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "import_line",
    "import_summary",
    "new_cell_sources",
    "render_notebook",
    "version_imports",
]

_LINE_LIMIT = 100
_IMPORTS = (ast.Import, ast.ImportFrom)  # a tuple made once: `A | B` makes a union each time
_PLACE = itemgetter(0, 2)  # a statement's (cell, start), in C: no Python call a statement
_DECODER = json.JSONDecoder()
_BEFORE_NAME = frozenset(" \t\r\n{,")
_SPACES = frozenset(" \t\r\n")  # JSON's whitespace
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_COLON = re.compile(r"[ \t\r\n]*:[ \t\r\n]*")
_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace
# A JSON string as `json.dumps(s, ensure_ascii=False)` writes it, without building an encoder
# for each of a large notebook's thousands of lines.
_string = json.encoder.encode_basestring


def import_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= _LINE_LIMIT:
        return line
    inner = "".join(f"    {n},\n" for n in names)
    return f"from {module} import (\n{inner})"


def version_imports(
    module: str, aliases: Mapping[tuple[int, int], tuple[str, str]]
) -> dict[tuple[int, int], str]:
    """The import that takes the place of each version of an evolving name that moves, by
    where its `def` stood: it binds the notebook's name there, as the `def` did."""
    return {
        at: f"from {module} import {name}" + (f" as {base}" if name != base else "")
        for at, (name, base) in aliases.items()
    }


def import_summary(import_text: str) -> str:
    """The notebook's new import on one line, for a status line: a wrapped import would
    otherwise show its last line, `)`, and %autoreload lines above it are not the import."""
    code = [s.strip() for s in import_text.splitlines() if not s.lstrip().startswith("%")]
    return re.sub(r"\(\s*|,?\s*\)", "", " ".join(s for s in code if s))


def import_anchor(removed: tuple[Statement, ...]) -> Statement | None:
    """The statement whose place the module's import takes: the first moved definition or
    constant, never a notebook import that left with them (that one may sit above the
    notebook's own set-up, a sys.path line, or inside an import block that isort orders)."""
    anchors = [s for s in removed if not isinstance(s.node, _IMPORTS)]
    return min(anchors or removed, key=_PLACE, default=None)


def new_cell_sources(
    notebook: Notebook,
    removed: tuple[Statement, ...],
    import_text: str,
    magic_headers: dict[int, bool],
    edits: Mapping[int, Sequence[Edit]] | None = None,
    aliases: Mapping[tuple[int, int], str] | None = None,
    anchor: tuple[Statement | None] | None = None,
) -> dict[int, str | None]:
    """New source for every cell that changes; None for a cell that is removed. `edits` (by
    cell) change code that stays, within its lines; `aliases` ((cell, line) of a removed
    statement -> an import) take the place of a version of an evolving definition; `anchor`:
    `(import_anchor(removed),)` when the caller has it already."""
    by_cell: dict[int, list[Statement]] = {}
    for statement in removed:
        by_cell.setdefault(statement.cell, []).append(statement)
    (first,) = anchor or (import_anchor(removed),)
    changed: dict[int, str | None] = {}
    edited = {i: apply_edits(notebook.cells[i].source, list(e)) for i, e in (edits or {}).items()}
    aliases = aliases or {}
    anchored = first if import_text else None  # the statement an import takes the place of
    for index in sorted(by_cell.keys() | edited.keys()):
        statements = by_cell.get(index, [])
        header = magic_headers.get(index, False)
        source = notebook.cells[index].source
        if index not in edited and _all_removed(statements, source, header, anchored, aliases):
            changed[index] = None
            continue
        lines = edited.get(index, source).split("\n")
        if len(statements) > 1:
            statements = sorted(statements, key=lambda s: s.start, reverse=True)
        for statement in statements:
            replacement = import_text.split("\n") if statement is anchored else []
            alias = aliases.get((statement.cell, statement.start))
            if alias:
                replacement = [*replacement, alias]
            start, end = statement.start - 1, statement.end
            # Drop the blank lines that followed the removed code when it stood at the top of
            # the cell or after a blank line, so no gap is left behind.
            at_top = start == 0 or (header and start == 1) or not lines[start - 1].strip()
            while not replacement and at_top and end < len(lines) and not lines[end].strip():
                end += 1
            # After the import, one blank line: what isort (ruff's I001) wants in a notebook,
            # where the definition it replaces was followed by two.
            while (
                replacement
                and end + 1 < len(lines)
                and not lines[end].strip()
                and not lines[end + 1].strip()
            ):
                end += 1
            lines[start:end] = replacement
        if first is not None and first.cell == index and import_text:
            lines = _import_first(lines, import_text.split("\n"), header)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        # No code left: nothing, or the magic header alone (the lines left end with one that
        # is not blank).
        if not lines or (header and len(lines) == 1):
            changed[index] = None
        else:
            changed[index] = "\n".join(lines)
    return changed


def _all_removed(
    statements: list[Statement],
    source: str,
    header: bool,
    anchor: Statement | None,
    aliases: Mapping[tuple[int, int], str],
) -> bool:
    """Whether the statements removed from a cell are all of its lines one after the other
    (but a magic header), none of them taking an import: then the cell goes, as the loop of
    `new_cell_sources` finds after splitting its lines, taking each statement out, dropping
    blank lines and looking for code left. Without it: 600 of the bench's 1,400 cells that
    change are one definition, or two constants, that is the whole cell (3 M instructions)."""
    line = 1 + header
    if not statements:
        return False
    for statement in statements:  # in the cell's order, as `removed` is
        if (
            statement.start != line
            or statement is anchor
            or (statement.cell, statement.start) in aliases
        ):
            return False
        line = statement.end + 1
    return line == source.count("\n") + 2


def _import_first(lines: list[str], block: list[str], header: bool) -> list[str]:
    """`lines` with the import `block` moved up to the top of the cell when code stands above
    it: an import below other statements is E402 in the project's lint (ruff reads each cell
    of a notebook as a file's top), and no fix can move it."""
    at = next((i for i in range(len(lines)) if lines[i : i + len(block)] == block), None)
    if at is None or _only_imports(lines[int(header) : at]):
        return lines
    rest = lines[:at] + lines[at + len(block) :]
    top = int(header)
    return [*rest[:top], *block, *rest[top:]]


def _only_imports(lines: list[str]) -> bool:
    """Whether `lines` hold only imports, docstrings, comments and magics (which ruff skips)."""
    from dsprod.notebook._magics import mask_line

    try:
        tree = ast.parse("\n".join(line for line in lines if mask_line(line) is None))
    except SyntaxError:
        return False
    return all(
        isinstance(node, ast.Import | ast.ImportFrom)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for node in tree.body
    )


def render_notebook(notebook: Notebook, sources: dict[int, str | None]) -> str:
    if notebook.format == "percent":
        return _render_percent(notebook, sources)
    return _splice(notebook, sources)


def _splice(notebook: Notebook, sources: dict[int, str | None]) -> str:
    """Re-serialise only the changed cells; every other byte of the file stays as it was.

    Faster than dumping the whole document, and exact even for a file that was not written
    the way Jupyter writes.
    """
    text = notebook.text
    raw_cells = cell_dicts(notebook.document)
    pieces: list[str] = []
    position = 0
    first_index = 0
    # Where the cells stand, as reading found them; else (v3, or read without asking) found
    # again here.
    arrays = [notebook.cell_spans] if notebook.cell_spans else _cell_arrays(text, notebook.document)
    for array_start, array_end, items in arrays:
        indices = range(first_index, first_index + len(items))
        first_index += len(items)
        if not any(i in sources for i in indices):
            continue
        prefix = text[text.rfind("\n", 0, items[0][0]) + 1 : items[0][0]]
        if prefix.strip():
            # The cells do not start their lines (a notebook written on one line): there is
            # no indentation to copy, and copying that text would break the JSON.
            prefix = ""
        separator = text[items[0][1] : items[1][0]] if len(items) > 1 else ",\n" + prefix
        kept: list[str] = []
        for index, (start, end) in zip(indices, items, strict=True):
            if index not in sources:
                kept.append(text[start:end])
                continue
            source = sources[index]
            if source is None:
                continue
            key = source_key(raw_cells[index])
            kept.append(_with_source(text[start:end], key, source, prefix, notebook.indent))
        if kept:
            pieces += [text[position : items[0][0]], separator.join(kept)]
            position = items[-1][1]
        else:
            pieces.append(text[position : array_start + 1])
            position = array_end - 1
    pieces.append(text[position:])
    return "".join(pieces)


def _with_source(cell_text: str, key: str, source: str, prefix: str, indent: int) -> str:
    """The cell's JSON text with only its source (member `key`) replaced, the rest byte for
    byte."""
    start, end = _last_member(cell_text, key) or _members(cell_text, 0, _DECODER)[key]
    if cell_text[start] != "[":
        return cell_text[:start] + _string(source) + cell_text[end:]
    lines = source.splitlines(keepends=True)
    if not lines:
        return cell_text[:start] + "[]" + cell_text[end:]
    # Jupyter writes a list of lines one per line, one indent deeper than the member.
    inner = prefix + " " * indent * 2
    body = inner + (",\n" + inner).join(map(_string, lines))  # no generator: one C loop
    closing = prefix + " " * indent
    return f"{cell_text[:start]}[\n{body}\n{closing}]{cell_text[end:]}"


def _last_member(cell_text: str, key: str) -> tuple[int, int] | None:
    """The offsets of the value of member `key` when it is the object's last member, as the
    source is in every cell Jupyter writes (sorted keys); None otherwise, or when unsure.

    One search from the end instead of reading every member (a cell's outputs can be most of
    the file). Exact: the quote found opens a name (a quote after a space, `{` or `,` cannot
    be inside a string, where quotes are escaped, nor close one, which a name cannot follow),
    and only spaces and the object's closing brace follow its value, so it is no nested
    object's member.
    """
    at = cell_text.rfind(f'"{key}"')
    if at <= 0 or cell_text[at - 1] not in _BEFORE_NAME:
        return None
    start = at + len(key) + 2
    if cell_text.startswith(": ", start) and cell_text[start + 2 : start + 3] not in _SPACES:
        start += 2  # as Jupyter writes it: what `_COLON` matches, without a regex's call
    else:
        colon = _COLON.match(cell_text, start)
        if colon is None:
            return None
        start = colon.end()
    try:
        # json.loads's C scanner itself: `raw_decode` is a Python call around it.
        _, end = _SCAN(cell_text, start)
    except (StopIteration, ValueError):  # what `raw_decode` says with a ValueError
        return None
    if cell_text[end:].strip() != "}":
        return None
    return start, end


def _cell_arrays(text: str, document: dict[str, Any]) -> list[CellSpans]:
    """For each array of cells in the file: its offsets and the offsets of its cells."""
    decoder = json.JSONDecoder()
    top = _members(text, _skip_space(text, 0), decoder)
    if document.get("nbformat") == 3:
        arrays = []
        for sheet_start, _ in _items(text, top["worksheets"][0], decoder):
            sheet = _members(text, sheet_start, decoder)
            if "cells" in sheet:
                start, end = sheet["cells"]
                arrays.append((start, end, tuple(_items(text, start, decoder))))
        return arrays
    start, end = top["cells"]
    return [(start, end, tuple(_items(text, start, decoder)))]


def _skip_space(text: str, index: int) -> int:
    match = _SPACE.match(text, index)  # always matches, if only the empty string
    return match.end() if match else index


def _members(text: str, start: int, decoder: json.JSONDecoder) -> dict[str, tuple[int, int]]:
    """Offsets of each member value of the JSON object that starts at `start`."""
    found: dict[str, tuple[int, int]] = {}
    index = _skip_space(text, start + 1)
    while text[index] != "}":
        key, index = decoder.raw_decode(text, index)
        index = _skip_space(text, index) + 1  # the colon
        value_start = _skip_space(text, index)
        _, index = decoder.raw_decode(text, value_start)
        found[key] = (value_start, index)
        index = _skip_space(text, index)
        if text[index] == ",":
            index = _skip_space(text, index + 1)
    return found


def _items(text: str, start: int, decoder: json.JSONDecoder) -> list[tuple[int, int]]:
    """Offsets of each item of the JSON array that starts at `start`."""
    found: list[tuple[int, int]] = []
    index = _skip_space(text, start + 1)
    while text[index] != "]":
        _, end = decoder.raw_decode(text, index)
        found.append((index, end))
        index = _skip_space(text, end)
        if text[index] == ",":
            index = _skip_space(text, index + 1)
    return found


def _apply(document: dict[str, Any], sources: dict[int, str | None]) -> None:
    cells = document["cells"]
    for index, source in sources.items():
        if source is not None:
            cells[index]["source"] = source
    document["cells"] = [c for i, c in enumerate(cells) if sources.get(i, "") is not None]


def _render_percent(notebook: Notebook, sources: dict[int, str | None]) -> str:
    # Here, with jupytext: only a percent script needs copy (and the weakref it imports, 2.5 M
    # instructions of every other extract's start-up).
    import copy

    import jupytext
    import nbformat

    document = copy.deepcopy(notebook.document)
    _apply(document, sources)
    node = nbformat.from_dict(document)  # type: ignore[no-untyped-call]
    text: str = jupytext.writes(node, fmt="py:percent")
    # jupytext adds its own bookkeeping to the YAML header on every write; the header is not
    # ours to change, so the original one is kept.
    return _header(notebook.text) + text[len(_header(text)) :]


def _header(text: str) -> str:
    """Everything before the first cell marker of a percent script."""
    at = 0 if text.startswith("# %%") else text.find("\n# %%") + 1
    return text[:at]
