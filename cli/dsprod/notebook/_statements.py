"""Split parsed cells into top-level statements with their line spans and scope summaries."""

from __future__ import annotations

import ast
import re

from dsprod.notebook._model import ParsedCell, Statement
from dsprod.notebook._scope import summarize

__all__ = ["DEF_TYPES", "ImportKey", "cell_statements", "import_keys", "render_import", "words"]

DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# (module, name, asname, level): `import a.b as c` is ("a.b", "", "c", 0),
# `from .m import x` is ("m", "x", "", 1).
ImportKey = tuple[str, str, str, int]


def words(text: str) -> set[str]:
    """Every identifier-like word: what a magic line or an unparsable cell might use."""
    return set(_WORD.findall(text))


def cell_statements(parsed: ParsedCell) -> list[Statement]:
    if parsed.tree is None:
        return []
    lines = parsed.cell.source.split("\n")
    result: list[Statement] = []
    previous_end = 0
    for node in parsed.tree.body:
        start = node.lineno
        if isinstance(node, DEF_TYPES) and node.decorator_list:
            start = min(start, *(d.lineno for d in node.decorator_list))
        # Comment lines directly above a statement belong to it: they move with the code.
        while (
            start - 1 > previous_end
            and start - 1 not in parsed.masked_lines
            and lines[start - 2].lstrip().startswith("#")
        ):
            start -= 1
        end = node.end_lineno or node.lineno
        summary = summarize(node)
        result.append(
            Statement(
                cell=parsed.cell.index,
                node=node,
                start=start,
                end=end,
                binds=summary.binds,
                reads=frozenset(summary.reads),
                global_writes=frozenset(summary.global_writes),
            )
        )
        previous_end = end
    return result


def import_keys(node: ast.stmt, name: str) -> list[ImportKey]:
    """The import aliases of `node` that bind `name`."""
    keys: list[ImportKey] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                keys.append((alias.name, "", alias.asname or "", 0))
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if (alias.asname or alias.name) == name:
                keys.append((node.module or "", alias.name, alias.asname or "", node.level))
    return keys


def render_import(key: ImportKey) -> str:
    module, name, asname, level = key
    alias = f" as {asname}" if asname else ""
    if name:
        return f"from {'.' * level}{module} import {name}{alias}"
    return f"import {module}{alias}"
