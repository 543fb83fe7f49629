"""Split parsed cells into top-level statements with their line spans and scope summaries."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.notebook._model import Location, ParsedCell, Statement
from dsprod.notebook._scope import summary

__all__ = [
    "DEF_TYPES",
    "KEEP_COMMENT",
    "KEEP_TAG",
    "DefNode",
    "ImportKey",
    "cell_statements",
    "import_keys",
    "is_kept",
    "located",
    "render_import",
    "statement_start",
    "top_level_definitions",
    "words",
]

DEF_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
DefNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
KEEP_TAG = "dsprod-keep"
KEEP_COMMENT = "dsprod: keep"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_new_statement = tuple.__new__


class ImportKey(NamedTuple):
    """One imported name: `import a.b as c` is ("a.b", "", "c", 0), `from .m import x` is
    ("m", "x", "", 1). A tuple, so keys sort in the order the module's imports are written."""

    module: str
    name: str  # "" for `import module`
    asname: str  # "" when not renamed
    level: int  # the dots of a relative import


def words(text: str) -> set[str]:
    """Every identifier-like word: what a magic line or an unparsable cell might use."""
    return set(_WORD.findall(text))


def located(path: Path, statement: Statement) -> Location:
    """Where a statement is, in messages: the line of the statement itself, not of the
    comments or decorators above it."""
    return Location(path, statement.cell + 1, statement.node.lineno)


def cell_statements(parsed: ParsedCell) -> list[Statement]:
    tree = parsed.tree
    if tree is None:
        return []
    source = parsed.cell.source
    cell = parsed.cell.index
    # Lines are read only for comments (above a statement, or closing a definition's body):
    # a cell without `#` has none, so it is not split (most cells: a split and a look at the
    # line above each statement saved, and `_trailing_comments` would stop at once).
    lines = source.split("\n") if "#" in source else None
    last = (len(lines) if lines is not None else source.count("\n") + 1) + 1
    body = tree.body
    masked = parsed.masked_lines
    result: list[Statement] = []
    previous_end = 0
    for number, node in enumerate(body, start=1):
        start = node.lineno
        if lines is not None:
            start = statement_start(parsed, lines, node, previous_end)
        elif isinstance(node, DEF_TYPES) and node.decorator_list:  # no comment above it
            start = min(start, *(d.lineno for d in node.decorator_list))
        end = node.end_lineno or node.lineno
        following = body[number].lineno if number < len(body) else last
        if lines is not None and isinstance(node, DEF_TYPES):
            end = _trailing_comments(lines, end, following)
        binds, reads, global_writes = summary(node)
        # Made by tuple's own constructor: Statement's (a NamedTuple's) is Python code, and
        # keywords cost more still (a few thousand instructions a statement of a notebook).
        result.append(
            _new_statement(
                Statement,
                (
                    cell,
                    node,
                    start,
                    end,
                    binds,
                    frozenset(reads),
                    global_writes,
                    node.lineno == previous_end or end == following,
                    bool(masked) and not masked.isdisjoint(range(start, end + 1)),
                ),
            )
        )
        previous_end = end
    return result


def statement_start(parsed: ParsedCell, lines: list[str], node: ast.stmt, previous_end: int) -> int:
    """The first line of a statement: its decorators and the comment lines directly above it,
    which belong to it and move with it."""
    start = node.lineno
    if isinstance(node, DEF_TYPES) and node.decorator_list:
        start = min(start, *(d.lineno for d in node.decorator_list))
    while (
        start - 1 > previous_end
        and start - 1 not in parsed.masked_lines
        and lines[start - 2].lstrip().startswith("#")
    ):
        start -= 1
    return start


def top_level_definitions(parsed: ParsedCell) -> Iterator[tuple[DefNode, bool]]:
    """Each top-level def and class of a cell, and whether it is kept in the notebook."""
    if parsed.tree is None:
        return
    lines = parsed.cell.source.split("\n")
    previous_end = 0
    for node in parsed.tree.body:
        if isinstance(node, DEF_TYPES):
            start = statement_start(parsed, lines, node, previous_end)
            yield node, is_kept(parsed, lines, node, start)
        previous_end = node.end_lineno or node.lineno


def is_kept(parsed: ParsedCell, lines: list[str], node: DefNode, start: int) -> bool:
    """Kept by the cell tag, or by `# dsprod: keep` above the definition or on its header."""
    if KEEP_TAG in parsed.cell.tags:
        return True
    if KEEP_COMMENT not in parsed.cell.source:  # most cells: no line to look at
        return False
    header = lines[start - 1 : max(node.body[0].lineno - 1, node.lineno)]
    return any(KEEP_COMMENT in line for line in header)


def _trailing_comments(lines: list[str], end: int, following: int) -> int:
    """Extend a definition over the indented comments that close its body."""
    line = end
    while line + 1 < following and line < len(lines):
        text = lines[line]  # the line after `line`, 0-based
        if text.strip() and not (text[:1].isspace() and text.lstrip().startswith("#")):
            break
        line += 1
        if text.strip():
            end = line
    return end


def import_keys(node: ast.stmt, name: str) -> list[ImportKey]:
    """The import aliases of `node` that bind `name`."""
    keys: list[ImportKey] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                keys.append(ImportKey(alias.name, "", alias.asname or "", 0))
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if (alias.asname or alias.name) == name:
                keys.append(
                    ImportKey(node.module or "", alias.name, alias.asname or "", node.level)
                )
    return keys


def render_import(key: ImportKey) -> str:
    alias = f" as {key.asname}" if key.asname else ""
    if key.name:
        return f"from {'.' * key.level}{key.module} import {key.name}{alias}"
    return f"import {key.module}{alias}"
