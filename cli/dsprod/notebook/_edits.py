"""Small, exact edits of source text: pass new keyword arguments, add keyword-only parameters,
rename a definition and what it reads (a version of an evolving name).

Everything else about the code stays byte for byte: its layout, comments and trailing commas.
Positions come from the syntax tree (1-based lines, UTF-8 byte columns) and are turned into
character columns of the line they fall on. The text between two nodes of a call or a
signature holds no strings, only spaces, commas, brackets and comments, so a scan of it is
exact.
"""

from __future__ import annotations

import ast

from dsprod._records import NamedTuple
from dsprod.notebook._model import Statement
from dsprod.notebook._statements import DEF_TYPES

__all__ = [
    "Edit",
    "apply_edits",
    "call_keywords",
    "keyword_parameters",
    "quote",
    "rename_edits",
    "without_global",
]


class Edit(NamedTuple):
    """Replace the text from (line, col) to (end_line, end_col) by `text`; lines 1-based,
    columns in characters. An insertion has an empty span. Ordered by its fields, in order.
    A NamedTuple, not a dataclass: made at every extract's start-up (see `dsprod.errors`)."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


def _char_col(lines: list[str], line: int, byte_col: int) -> int:
    text = lines[line - 1]
    if text.isascii():
        return byte_col
    return len(text.encode()[:byte_col].decode(errors="replace"))


def _start(lines: list[str], node: ast.AST) -> tuple[int, int]:
    return node.lineno, _char_col(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _end(lines: list[str], node: ast.AST) -> tuple[int, int]:
    line = node.end_lineno  # type: ignore[attr-defined]
    return line, _char_col(lines, line, node.end_col_offset)  # type: ignore[attr-defined]


def _scan(
    lines: list[str], line: int, col: int, stop: str, until: tuple[int, int] | None = None
) -> tuple[int, int, bool, int, int]:
    """From (line, col), skip spaces, comments, commas and closing brackets up to the first
    character in `stop` (or up to `until`): its position, whether a comma was passed on the
    way, and the position just after the last character passed that is neither a space nor in
    a comment."""
    comma = False
    last = (line, col)
    while line <= len(lines):
        text = lines[line - 1]
        while col < len(text):
            char = text[col]
            if (line, col) == until or (until is None and char in stop):
                return line, col, comma, *last
            if char == "#":
                break
            comma = comma or char == ","
            col += 1
            if not char.isspace():
                last = (line, col)
        line, col = line + 1, 0
    raise ValueError("no closing bracket found")  # pragma: no cover - the tree says it is there


def call_keywords(lines: list[str], call: ast.Call, names: list[str]) -> list[Edit]:
    """Pass `name=name` for each of `names` to `call`, after its own arguments."""
    keywords = ", ".join(f"{n}={n}" for n in names)
    close_line, close_col = _end(lines, call)
    close_col -= 1  # the call's `)`
    arguments = [*call.args, *call.keywords]
    if (
        len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.GeneratorExp)
        and _end(lines, call.args[0]) == _end(lines, call)
    ):
        # `f(x for x in y)`: the generator borrows the call's brackets and needs its own now.
        open_line, open_col = _start(lines, call.args[0])
        return [
            Edit(open_line, open_col + 1, open_line, open_col + 1, "("),
            Edit(close_line, close_col, close_line, close_col, f"), {keywords}"),
        ]
    if not arguments:
        func_line, func_col = _end(lines, call.func)
        open_line, open_col, *_ = _scan(lines, func_line, func_col, "(")
        return [Edit(open_line, open_col + 1, open_line, open_col + 1, keywords)]
    last = max(_end(lines, a) for a in arguments)
    # After the last argument, its closing brackets and trailing comma; before any comment.
    _, _, comma, at_line, at_col = _scan(lines, *last, ")", (close_line, close_col))
    text = f" {keywords}" if comma else f", {keywords}"
    return [Edit(at_line, at_col, at_line, at_col, text)]


def keyword_parameters(
    lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef, names: list[str]
) -> list[Edit]:
    """Add keyword-only parameters `names`, without defaults, to the signature of `node`."""
    args = node.args
    star = "" if args.vararg is not None or args.kwonlyargs else "*, "
    if args.kwarg is not None:
        # Before `**kwargs`: after the `*`/`*args` and the keyword-only parameters.
        line, col = _start(lines, args.kwarg)
        text = lines[line - 1]
        at = text.rfind("**", 0, col)
        return [Edit(line, at, line, at, f"{star}{', '.join(names)}, ")]
    units: list[ast.AST] = [*args.posonlyargs, *args.args, *args.kwonlyargs, *args.defaults]
    units += [d for d in args.kw_defaults if d is not None]
    if args.vararg is not None:
        units.append(args.vararg)
    if not units:
        line, col = _start(lines, node)
        line, col = _scan_open(lines, line, col)
        return [Edit(line, col + 1, line, col + 1, f"{star}{', '.join(names)}")]
    line, col = max(_end(lines, u) for u in units)
    if args.posonlyargs and not (args.args or args.vararg or args.kwonlyargs):
        # `def f(a, /)`: the new parameters go after the `/`.
        line, col, *_ = _scan(lines, line, col, "/")
        col += 1
    return [Edit(line, col, line, col, f", {star}{', '.join(names)}")]


def _scan_open(lines: list[str], line: int, col: int) -> tuple[int, int]:
    """The `(` that opens the parameters of the definition starting at (line, col)."""
    while line <= len(lines):
        at = lines[line - 1].find("(", col)
        if at >= 0:
            return line, at
        line, col = line + 1, 0
    raise ValueError("no parameter list found")  # pragma: no cover


def without_global(lines: list[str], node: ast.Global, names: set[str]) -> list[Edit]:
    """Drop `names` from a `global` statement; the statement becomes `pass` if none is left."""
    kept = [n for n in node.names if n not in names]
    line, col = _start(lines, node)
    end_line, end_col = _end(lines, node)
    text = f"global {', '.join(kept)}" if kept else "pass"
    return [Edit(line, col, end_line, end_col, text)]


def quote(lines: list[str], annotation: ast.expr) -> Edit:
    """The annotation as a string (a forward reference): not evaluated when defined."""
    line, col = _start(lines, annotation)
    end_line, end_col = _end(lines, annotation)
    return Edit(line, col, end_line, end_col, repr(ast.unparse(annotation)))


def apply_edits(text: str, edits: list[Edit], first_line: int = 1) -> str:
    """`text` (whose first line is line `first_line` of the edits' coordinates) edited."""
    lines = text.split("\n")
    offset = first_line - 1
    for edit in sorted(edits, reverse=True):
        start, end = edit.line - offset - 1, edit.end_line - offset - 1
        head = lines[start][: edit.col]
        tail = lines[end][edit.end_col :]
        lines[start : end + 1] = (head + edit.text + tail).split("\n")
    return "\n".join(lines)


def rename_edits(
    lines: list[str], statement: Statement, header: str | None, reads: dict[int, str]
) -> list[Edit] | None:
    """Edits of the definition at `statement`: its own name becomes `header` (when given) and
    each module-level read whose node id is in `reads` the name given there. None when a read
    is not where the syntax tree says (an f-string of an older Python)."""
    node = statement.node
    assert isinstance(node, DEF_TYPES)  # noqa: S101 - only definitions are renamed
    edits: list[Edit] = []
    if header is not None:
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            text = lines[number - 1]
            word = "class" if isinstance(node, ast.ClassDef) else "def"
            at = text.find(f"{word} ")
            if at >= 0:
                start = text.index(node.name, at + len(word))
                edits.append(Edit(number, start, number, start + len(node.name), header))
                break
    names = {id(n): n for n in ast.walk(node) if isinstance(n, ast.Name)}
    for identity, new in reads.items():
        read = names[identity]
        text = lines[read.lineno - 1]
        col = len(text.encode()[: read.col_offset].decode(errors="replace"))
        if text[col : col + len(read.id)] != read.id:
            return None
        if new != read.id:
            edits.append(Edit(read.lineno, col, read.lineno, col + len(read.id), new))
    return edits
