"""Read notebooks (.ipynb v4 and v3, jupytext percent scripts) into `Notebook` records.

The JSON is read directly: importing nbformat costs hundreds of milliseconds, and the hot path
(`dsprod check` on every commit) must not pay for it. v3 notebooks are not converted on disk;
their cells are read from the worksheets and written back in place, so the file keeps its format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dsprod.errors import NotebookError
from dsprod.notebook._model import Cell, CellKind, Notebook

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = ["cell_dicts", "legacy_format", "notebook_from_text", "read_notebook", "source_key"]

_OPEN_HINT = "open it in Jupyter to check it, or restore it from git (git checkout -- FILE)"


def read_notebook(path: Path) -> Notebook:
    """Read `path`; every way it can fail raises `NotebookError` naming the file and the fix."""
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
    return notebook_from_text(path, text)


def notebook_from_text(path: Path, text: str) -> Notebook:
    """The notebook `text` as `read_notebook` would read it from `path` (a text extract is
    about to write there)."""
    if path.suffix == ".py":
        return _read_percent(path, text)
    return _read_ipynb(path, text)


def _read_ipynb(path: Path, text: str) -> Notebook:
    try:
        document = json.loads(text)
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
    )


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
    source = raw.get(source_key(raw), "")
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
    return Cell(index=index, kind=kind, source=source, tags=tuple(str(t) for t in tags))


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
