"""Mask IPython syntax (magics, `!shell`, `?` help) so a cell parses as Python.

Masking keeps line numbers: each masked line becomes a harmless statement of the same indent,
so every location dsprod reports is a line of the cell as the user sees it. Masked text is
only ever used for analysis; code copied into modules comes from the original source.
"""

from __future__ import annotations

import re

__all__ = ["PYTHON_CELL_MAGICS", "cell_magic", "mask_line"]

# Cell magics whose body is Python run in the notebook's own namespace. Any other cell magic
# (%%bash, %%writefile, %%html, %%R, %%sql ...) holds text that is not Python for this notebook.
PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "snakeviz", "px"}
)

_CELL_MAGIC = re.compile(r"^%%\s*([A-Za-z_][\w.]*)")
_MAGIC_ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=\s*[%!]")
_HELP = re.compile(r"^\s*(\?{1,2}[\w.*]+|[\w.*]+\?{1,2})\s*$")
_MAGIC_OR_SHELL = re.compile(r"^\s*[%!]")
# `%time x = f()` runs Python: what follows the magic and its switches binds and reads names.
_TIMED = re.compile(r"^(\s*)%(?:time|timeit|prun)((?:\s+-[A-Za-z]+(?:\s*\d+)?)*)\s+(\S.*)$")


def mask_line(line: str) -> str | None:
    """A Python stand-in for an IPython line (same indent), or None for a Python line."""
    timed = _TIMED.match(line)
    if timed:
        return f"{timed.group(1)}{timed.group(3)}"
    assign = _MAGIC_ASSIGN.match(line)
    if assign:
        # `files = !ls` binds `files` to something only IPython can compute: notebook state.
        return f"{assign.group(1)}{assign.group(2)} = __dsprod_ipython__()"
    if _MAGIC_OR_SHELL.match(line) or _HELP.match(line):
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}pass"
    return None


def cell_magic(source: str) -> str | None:
    """The name of the cell magic on the first line, if any (`%%time` -> "time")."""
    end = source.find("\n")
    first = source if end < 0 else source[:end]  # not split(): no copy of the rest
    match = _CELL_MAGIC.match(first)
    return match.group(1) if match else None
