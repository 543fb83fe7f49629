"""Read notebooks (.ipynb v4 and v3, jupytext percent scripts) into `Notebook` records.

The JSON is read directly: importing nbformat costs hundreds of milliseconds, and the hot path
(`dsprod check` on every commit) must not pay for it. v3 notebooks are not converted on disk;
their cells are read from the worksheets and written back in place, so the file keeps its format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from dsprod.errors import NotebookError
from dsprod.notebook._model import Cell, CellKind, Notebook

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CellSpans",
    "cell_dicts",
    "legacy_format",
    "notebook_from_text",
    "read_notebook",
    "source_key",
]

_OPEN_HINT = "open it in Jupyter to check it, or restore it from git (git checkout -- FILE)"
# Where the cells of a v4 notebook stand in its text: the offsets of the `cells` array (its
# `[`, and just after its `]`) and of each cell (its `{`, and just after its `}`).
CellSpans = tuple[int, int, tuple[tuple[int, int], ...]]
# json.loads's own scanner (the default decoder's settings), and JSON's whitespace as it skips
# it: a value decoded by these is the value json.loads gives, in C.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")
_BLANK = frozenset(" \t\n\r")
_new_cell = tuple.__new__


def read_notebook(path: Path, *, cell_spans: bool = False) -> Notebook:
    """Read `path`; every way it can fail raises `NotebookError` naming the file and the fix.
    `cell_spans`: find where the cells stand in the text (`Notebook.cell_spans`), for a
    rewrite."""
    if not path.exists():
        raise NotebookError(f"{path}: no such file", hint="check the path (ls) and try again")
    if path.is_dir():
        raise NotebookError(
            f"{path}: is a folder, not a notebook",
            hint=f"name the notebooks, e.g. dsprod extract {path}/*.ipynb",
        )
    if path.suffix not in {".ipynb", ".py"}:
        raise NotebookError(
            f"{path}: not a notebook (expected .ipynb, or a jupytext percent-format .py)",
            hint="convert it first, e.g. jupytext --to ipynb FILE, then run dsprod on the .ipynb",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotebookError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if raw.isspace() or not raw:  # without copying the file, as strip() would
        raise NotebookError(f"{path}: empty file, not a notebook", hint=_OPEN_HINT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(
            f"{path}: not a text file (byte {exc.start} is not UTF-8); a notebook is JSON text",
            hint=_OPEN_HINT,
        ) from exc
    if "\x00" in text:
        raise NotebookError(f"{path}: binary data, not a notebook", hint=_OPEN_HINT)
    return notebook_from_text(path, text, cell_spans=cell_spans)


def notebook_from_text(path: Path, text: str, *, cell_spans: bool = False) -> Notebook:
    """The notebook `text` as `read_notebook` would read it from `path` (a text extract is
    about to write there)."""
    if path.suffix == ".py":
        return _read_percent(path, text)
    return _read_ipynb(path, text, cell_spans)


def _read_ipynb(path: Path, text: str, cell_spans: bool) -> Notebook:
    try:
        document, spans = _decode(text) if cell_spans else (json.loads(text), None)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
            "the file may be truncated or not a notebook",
            hint=_OPEN_HINT,
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int):
        raise NotebookError(
            f"{path}: JSON, but not a Jupyter notebook (no 'nbformat' field)", hint=_OPEN_HINT
        )
    version = document["nbformat"]
    if version not in (3, 4):
        hint = (
            "upgrade dsprod (pip install -U dsprod)"
            if version > 4
            else "upgrade it with: jupyter nbconvert --to notebook --inplace FILE"
        )
        raise NotebookError(
            f"{path}: nbformat {version} is not supported (dsprod reads versions 3 and 4)",
            hint=hint,
        )
    try:
        raw_cells = cell_dicts(document)
        cells = tuple(_cell(i, c, version) for i, c in enumerate(raw_cells))
    except (TypeError, KeyError, AttributeError) as exc:
        raise NotebookError(
            f"{path}: malformed notebook: a cell lacks its type or source ({exc})",
            hint=_OPEN_HINT,
        ) from exc
    return Notebook(
        path=path,
        format="ipynb",
        language=_language(document),
        cells=cells,
        document=document,
        text=text,
        indent=_indent(text),
        cell_spans=spans,
    )


def _decode(text: str) -> tuple[Any, CellSpans | None]:
    """`json.loads(text)`, and where the cells stand in it (None when it is not a v4
    notebook's object).

    The rewrite replaces a changed cell's text in place (`_rewrite._splice`): found here, in
    the one decoding of the file, the cells' places cost no second one (a second and a third,
    as the rewrite found them: 40-60 M instructions for 2,000 cells). The top-level object
    and the cells array are walked by hand, every other value decoded by json.loads's own
    scanner, so the document is json.loads's (a name given twice: the last value, in the
    first one's place). Anything the walk does not expect (a text that is not JSON, or not an
    object) is left to json.loads, for its value or its error."""
    try:
        return _walk(text)
    except (ValueError, StopIteration, IndexError, RecursionError):
        return json.loads(text), None


def _walk(text: str) -> tuple[dict[str, Any], CellSpans | None]:
    index = _skip(text, 0)
    if text[index] != "{":
        raise ValueError("not an object")
    document: dict[str, Any] = {}
    spans: CellSpans | None = None
    index = _skip(text, index + 1)
    while text[index] != "}":
        if text[index] != '"':
            raise ValueError("expecting a name")
        key, index = _SCAN(text, index)
        index = _skip(text, index)
        if text[index] != ":":
            raise ValueError("expecting ':'")
        index = _skip(text, index + 1)
        if key == "cells" and text[index] == "[":
            start = index
            value, items, index = _array(text, index)
            spans = (start, index, items)
        else:
            value, index = _SCAN(text, index)
            if key == "cells":
                spans = None
        document[key] = value
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
            if text[index] == "}":
                raise ValueError("trailing comma")
        elif text[index] != "}":
            raise ValueError("expecting ',' or '}'")
    if _skip(text, index + 1) != len(text):
        raise ValueError("extra data")
    return document, spans


def _array(text: str, start: int) -> tuple[list[Any], tuple[tuple[int, int], ...], int]:
    """The items of the JSON array whose `[` is at `start`, where each stands, and the offset
    just after its `]`."""
    values: list[Any] = []
    spans: list[tuple[int, int]] = []
    index = _skip(text, start + 1)
    if text[index] == "]":
        return values, (), index + 1
    separator = None
    while True:
        value, end = _SCAN(text, index)
        values.append(value)
        spans.append((index, end))
        # The text between two cells is the same all through a notebook (`,\n  ` as Jupyter
        # writes it): one comparison instead of two whitespace matches. Exact: the
        # separator is spaces, a comma and spaces, and no space follows it, so skipping
        # spaces, the comma and spaces ends where it ends.
        if (
            separator is not None
            and text.startswith(separator, end)
            and text[end + len(separator)] not in _BLANK
        ):
            index = end + len(separator)
            continue
        index = _skip(text, end)
        if text[index] == "]":
            return values, tuple(spans), index + 1
        if text[index] != ",":
            raise ValueError("expecting ',' or ']'")
        index = _skip(text, index + 1)
        separator = text[end:index]


def _skip(text: str, index: int) -> int:
    """The offset of the first character from `index` on that is not JSON's whitespace."""
    return _SPACE.match(text, index).end()  # type: ignore[union-attr]  # matches, if empty


def legacy_format(notebook: Notebook) -> tuple[str, str] | None:
    """(problem, fix) for a notebook dsprod reads but the project's tools do not: ruff rejects
    the v3 schema (`unknown field worksheets`), so the lint hooks fail on it with no way out
    that they name. dsprod keeps the file's format when it rewrites it (it converts in memory
    only), so the conversion is a command for the user; nbconvert keeps outputs and metadata."""
    if notebook.format != "ipynb" or notebook.document.get("nbformat") != 3:
        return None
    return (
        "nbformat 3 notebook: dsprod reads it, but ruff (the lint and format hooks) reads "
        "version 4 only",
        "convert it: jupyter nbconvert --to notebook --nbformat 4 --inplace "
        + _quoted(notebook.path),
    )


def cell_dicts(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The cell objects of a v4 or v3 document, in order, as they live in the document."""
    if document.get("nbformat") == 3:
        cells: list[dict[str, Any]] = []
        for sheet in document.get("worksheets") or []:
            cells.extend(sheet.get("cells") or [])
        return cells
    found = document.get("cells")
    if not isinstance(found, list):
        raise TypeError("no 'cells' list")
    return found


def source_key(cell: dict[str, Any]) -> str:
    # v3 code cells keep their code under "input"; every other cell uses "source".
    return "input" if "input" in cell and cell.get("cell_type") == "code" else "source"


def _cell(index: int, raw: dict[str, Any], version: int) -> Cell:
    cell_type = raw["cell_type"]
    # v3 headings are markdown; a type no Jupyter writes is left alone, like a raw cell.
    kind: CellKind = (
        "code"
        if cell_type == "code"
        else "markdown"
        if cell_type == "markdown" or (version == 3 and cell_type == "heading")
        else "raw"
    )
    # `source_key`, inline: it is asked of every cell.
    source = raw.get("input" if kind == "code" and "input" in raw else "source", "")
    if isinstance(source, list):
        source = "".join(source)
    if not isinstance(source, str):
        raise TypeError(f"cell {index + 1} source is {type(source).__name__}")
    if kind == "code" and "\r" in source:
        # Python reads a lone CR (old Mac editors) as a line break, in strings too; dsprod
        # splits lines at LF. One line for both, or a statement's lines are not where its
        # tree says, and its text is lost on the way to the module. A CRLF stays: each line
        # keeps a CR that Python ignores.
        source = re.sub(r"\r(?!\n)", "\n", source)
    metadata = raw.get("metadata") or {}
    tags = metadata.get("tags") or ()
    # The record made by tuple's own constructor: Cell's (a NamedTuple's) is Python code,
    # 3,000 instructions a cell, and 2,000 cells are read on every extract and check.
    return _new_cell(Cell, (index, kind, source, tuple(map(str, tags)) if tags else ()))


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _language(document: dict[str, Any]) -> str:
    metadata = _table(document.get("metadata"))
    # Hand-written or other tools' metadata may hold a string where Jupyter writes a table
    # (`"kernelspec": "python3"`): such a field says nothing about the language.
    kernelspec = _table(metadata.get("kernelspec"))
    info = _table(metadata.get("language_info"))
    language = kernelspec.get("language") or info.get("name") or metadata.get("language")
    if not language and document.get("nbformat") == 3:
        for cell in cell_dicts(document):
            if cell.get("cell_type") == "code" and cell.get("language"):
                language = cell["language"]
                break
    return str(language or "python").lower()


def _indent(text: str) -> int:
    # Jupyter writes indent=1; keep whatever the file uses so untouched cells stay byte-identical.
    # Only the second line is looked at: no split or count of the whole file (check reads many).
    start = text.find("\n") + 1
    end = text.find("\n", start) if start else -1
    second = "" if not start else text[start:] if end < 0 else text[start:end]
    stripped = second.lstrip(" ")
    return max(1, len(second) - len(stripped)) if stripped else 1


def _read_percent(path: Path, text: str) -> Notebook:
    if not any(line.startswith("# %%") for line in text.splitlines()):
        raise NotebookError(
            f"{path}: a .py file without '# %%' cell markers is not a percent-format notebook",
            hint="add '# %%' lines between cells, or pair it with jupytext --set-formats",
        )
    import jupytext

    try:
        node = jupytext.reads(text, fmt="py:percent")
    except Exception as exc:
        raise NotebookError(f"{path}: jupytext cannot read it: {exc}") from exc
    document: dict[str, Any] = json.loads(json.dumps(node))
    cells = tuple(_cell(i, c, 4) for i, c in enumerate(document["cells"]))
    return Notebook(
        path=path,
        format="percent",
        language=_language(document),
        cells=cells,
        document=document,
        text=text,
    )


def _quoted(path: Path) -> str:
    import shlex  # only for a v3 notebook's advice

    return shlex.quote(str(path))
