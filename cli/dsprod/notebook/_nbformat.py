"""The shape of an nbformat 4 notebook that dsprod makes from nothing, as TypedDicts.

Only for documents dsprod writes itself (the sample notebooks `dsprod doctor` runs the hooks
and the git filter on): mypy then checks every key and value against the format. A notebook
read from disk stays `dict[str, Any]` (`_read.py`): it is whatever the file holds (a
kernelspec given as a string, a cell without an id), so a TypedDict there would be an
unchecked promise, and the reader checks each field it uses instead.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = ["CodeCellJson", "MarkdownCellJson", "NotebookJson", "StreamJson"]


class StreamJson(TypedDict):
    output_type: Literal["stream"]
    name: Literal["stdout", "stderr"]
    text: list[str]


class CodeCellJson(TypedDict):
    cell_type: Literal["code"]
    id: str
    metadata: dict[str, Any]
    source: list[str]
    execution_count: int | None
    outputs: list[StreamJson]


class MarkdownCellJson(TypedDict):
    cell_type: Literal["markdown"]
    id: str
    metadata: dict[str, Any]
    source: list[str]


class NotebookJson(TypedDict):
    cells: list[CodeCellJson | MarkdownCellJson]
    metadata: dict[str, Any]
    nbformat: Literal[4]
    nbformat_minor: int
