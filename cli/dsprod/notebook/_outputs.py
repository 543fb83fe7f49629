"""What one code cell showed, in a form two runs can be compared by.

Printed text, results and errors are compared as text, with what legitimately differs between
runs normalised (colours, addresses, timings, temporary paths). Warnings are taken out of the
stderr text and compared as warnings (category and message): where a warning is reported from,
the source line it quotes, and how often it shows all change when code moves from the notebook
into a module, although nothing the code does has changed.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from typing import Any

__all__ = ["CellRun", "cell_run", "normalise"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_TIMING = re.compile(
    r"^(CPU times:.*|Wall time:.*|.* per loop \(mean ± std\. dev\. of .*\)|.*µs ± .*)$", re.M
)
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s'\"]*")
# `warnings.showwarning`'s format: `FILE:LINE: CATEGORY: MESSAGE`, then the source line it
# quotes, indented (the line is missing when the file cannot be read).
_WARNING = re.compile(r"^\S.*?:\d+: (?P<category>[A-Za-z_][\w.]*Warning): (?P<message>.*)$")


@dataclass(frozen=True)
class CellRun:
    """What one code cell showed: normalised text of its outputs, and its error if any."""

    index: int  # 0-based cell index in its notebook
    text: str
    error: str | None
    # The cell's outputs as the kernel gave them (nbformat's shape): what --tests reads when
    # the notebook itself has none (outputs stripped on commit, or a jupytext script).
    outputs: tuple[dict[str, Any], ...] = ()
    # The warnings it showed, `Category: message`, each once and sorted: the default filter
    # shows a warning once per place it is raised from, so how often is not behaviour.
    warnings: tuple[str, ...] = ()


def cell_run(index: int, cell: Any) -> CellRun:
    """`cell` (an executed code cell, nbformat's shape) as a `CellRun`."""
    parts: list[tuple[str, str]] = []  # (label, raw text)
    error: str | None = None
    stream: str | None = None  # the stream being gathered
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            # How a kernel splits printed text into outputs depends on timing: one stream's
            # consecutive pieces are one text.
            name = str(output.get("name"))
            if stream != name:
                stream = name
                parts.append((name, ""))
            parts[-1] = (name, parts[-1][1] + str(output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "text/plain" in data:  # (an image alone shows no text: the stream goes on)
                parts.append((kind, str(data["text/plain"])))
                stream = None
        elif kind == "error":
            error = f"{output.get('ename')}: {normalise(str(output.get('evalue')))}"
            parts.append(("error", error))
            stream = None
    warnings: set[str] = set()
    lines: list[str] = []
    for label, raw in parts:
        text = raw
        if label == "stderr":
            text, found = _split_warnings(raw)
            warnings |= found
            if not text.strip():
                continue
        # Every part ends its line, so a diff never glues two of them together.
        shown = f"[{label}] {text if label == 'error' else normalise(text)}"
        lines.append(shown if shown.endswith("\n") else shown + "\n")
    executed = cell.get("execution_count") is not None or bool(parts)
    return CellRun(
        index,
        "".join(lines) if executed else "<not run>\n",
        error,
        tuple(cell.get("outputs", [])),
        tuple(sorted(warnings)),
    )


def _split_warnings(text: str) -> tuple[str, set[str]]:
    """`text` without the warnings in it (and the source lines they quote), and the warnings."""
    kept: list[str] = []
    found: set[str] = set()
    quoting = False  # the lines after a warning's first line, indented, quote its source
    for line in text.splitlines(keepends=True):
        if quoting and line[:1] in (" ", "\t") and line.strip():
            continue
        quoting = False
        match = _WARNING.match(line.rstrip("\n"))
        if match is None:
            kept.append(line)
            continue
        found.add(f"{match['category']}: {normalise(match['message'])}")
        quoting = True
    return "".join(kept), found


def normalise(text: str) -> str:
    """Remove what legitimately differs between runs: colours, addresses, timings, temp paths."""
    text = _ANSI.sub("", text)
    text = _ADDRESS.sub("0x…", text)
    text = _TIMING.sub("<timing>", text)
    return _TEMP.sub("<tmp>", text)
