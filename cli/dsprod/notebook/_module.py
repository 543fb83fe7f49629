"""Compose the text of an extracted module: new code merged into what is already there.

The merge only ever adds (imports, constants, definitions, `__all__` entries) or replaces a
symbol that dsprod itself wrote and nobody edited since, so hand edits elsewhere in the module
survive every run.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.errors import Flag, Step, TargetError
from dsprod.notebook._spans import WrittenModule, entries
from dsprod.notebook._statements import DEF_TYPES, ImportKey, import_keys, render_import

__all__ = ["ModuleText", "compose_module", "read_module", "symbol_sources"]


class ModuleText(NamedTuple):
    """A parsed module: its text and where each top-level name is defined. A NamedTuple, not
    a dataclass: made at every extract's start-up (see `dsprod.errors`)."""

    text: str
    tree: ast.Module

    @classmethod
    def parse(cls, text: str, path: Path) -> ModuleText:
        try:
            return cls(text, ast.parse(text))
        except SyntaxError as exc:
            raise TargetError(
                f"{path}{f':{exc.lineno}' if exc.lineno else ''}: the target module does not "
                f"parse ({exc.msg})",
                hint=Step("fix the module by hand, or choose another target with ", Flag("module")),
            ) from exc

    def spans(self) -> dict[str, tuple[int, int]]:
        """Top-level name -> (first, last) 1-based lines, decorators included."""
        found: dict[str, tuple[int, int]] = {}
        for names, first, last in entries(self.tree.body):
            for name in names:
                found[name] = (first, last)
        return found

    def import_keys(self) -> set[ImportKey]:
        keys: set[ImportKey] = set()
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    keys.update(import_keys(node, name))
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        keys.add(ImportKey(node.module or "", "*", "", node.level))
                    else:
                        keys.update(import_keys(node, alias.asname or alias.name))
        return keys


def read_module(path: Path) -> ModuleText | None:
    if not path.exists():
        return None
    if path.is_dir():
        raise TargetError(f"{path}: the target module is a folder")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise TargetError(
            f"{path}:{line}: the target module is not UTF-8 (byte {exc.object[exc.start]:#x}): "
            "dsprod reads and writes Python source as UTF-8; nothing was changed",
            hint=Step("save the module as UTF-8, or choose another module with ", Flag("module")),
        ) from exc
    except OSError as exc:
        raise TargetError(f"{path}: cannot read the target module: {exc}") from exc
    return ModuleText.parse(text, path)


def symbol_sources(module: ModuleText | WrittenModule) -> dict[str, str]:
    if isinstance(module, WrittenModule):
        return module.sources()  # the same texts, mostly without a split and joins
    lines = module.text.split("\n")
    return {name: "\n".join(lines[a - 1 : b]) for name, (a, b) in module.spans().items()}


def new_module_text(sources: list[str]) -> str:
    listed = ", ".join(sources)
    return (
        '"""Code promoted from notebooks by dsprod.\n\n'
        f"Source: {listed}\n"
        "Edit this module freely: `dsprod extract` adds new definitions and keeps your edits.\n"
        '"""\n\n__all__: list[str] = []\n'
    )


def compose_module(
    current: ModuleText,
    imports: Iterable[ImportKey],
    constants: list[tuple[str, str]],
    definitions: list[tuple[str, str]],
    replacements: dict[str, str],
    exported: list[str],
    line_length: int | None,
) -> str:
    """Add imports, constants and definitions to `current`; replace the named symbols.

    `constants` and `definitions` are (name, source) pairs in notebook order; `line_length`
    is the project's formatter's, None when it is not known for sure or nothing formats.
    """
    lines = current.text.rstrip("\n").split("\n")
    body = current.tree.body
    spans = current.spans()
    edits: list[tuple[int, int, list[str]]] = []  # (first line index, end index, new lines)

    for name, source in replacements.items():
        first, last = spans[name]
        edits.append((first - 1, last, source.split("\n")))

    imported = current.import_keys()  # once: it walks the whole module
    missing = [k for k in sorted(set(imports)) if k not in imported]
    future = [k for k in missing if k.module == "__future__" and not k.level]
    others = [k for k in missing if k not in future]
    docstring_end = _docstring_end(body)
    last_import = max(
        (n.end_lineno or n.lineno for n in body if isinstance(n, (ast.Import, ast.ImportFrom))),
        default=0,
    )
    at = last_import or docstring_end
    if future and at == docstring_end:
        # One block, so the __future__ import stays first.
        future, others = [], [*future, *others]
    if future:
        edits.append((docstring_end, docstring_end, ["", *_import_block(future)]))
    if others:
        block = _import_block(others)
        edits.append((at, at, ["", *block] if at else [*block, ""]))

    all_node = next((n for n in body if _assigns(n, "__all__")), None)
    first_def = next((n for n in body if isinstance(n, DEF_TYPES)), None)
    if constants:
        anchor = all_node or first_def
        at = _start(anchor) - 1 if anchor is not None else len(lines)
        # One blank line before them, not two: isort (ruff's I001) wants one after imports.
        lead = [""] if at == 0 or lines[at - 1].strip() else []
        tail = [""] if anchor is not None else []
        # Their lines as one item, joined already: the module's lines are only joined by line
        # breaks at the end, and the edits below it were placed before any edit is made.
        edits.append((at, at, [*lead, "\n".join(source for _, source in constants), *tail]))
    if all_node is not None and exported:
        present = _all_names(all_node)
        if present is not None:
            names = _all_sorted({*present, *exported})
            if names != present:
                rendered = "__all__" + (
                    ": list[str]" if isinstance(all_node, ast.AnnAssign) else ""
                )
                edits.append(
                    (
                        all_node.lineno - 1,
                        all_node.end_lineno or all_node.lineno,
                        _all_lines(rendered, names, line_length),
                    )
                )
    if definitions:
        # Two blank lines before each: as one item, as the constants are (no split of 1,000
        # definitions into lines, to join them again).
        appended = ["", "", "\n\n\n".join(source for _, source in definitions)]
        edits.append((len(lines), len(lines), appended))

    for first, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[first:end] = new
    return "\n".join(lines).strip("\n") + "\n"


def _all_lines(assigned: str, names: list[str], line_length: int | None) -> list[str]:
    """`__all__` as ruff's formatter writes it: on one line when it fits, else one name a
    line (with a trailing comma after each when there are several). Then the formatter keeps
    a module made of formatted code as it is, and its run and the lint's, which start
    together, take the time of one (`ProjectLint.settled`). One line, as the formatter's input
    always was, when the length is not known for sure (None) or a name is not ASCII (ruff
    counts a character's width, not its code points): the formatter then splits it if needed,
    and a line split here that it would not have split would stay split."""
    quoted = [f'"{n}"' for n in names]
    line = f"{assigned} = [{', '.join(quoted)}]"
    if line_length is None or len(line) <= line_length or not line.isascii():
        return [line]
    if len(quoted) == 1:
        return [f"{assigned} = [", f"    {quoted[0]}", "]"]
    return [f"{assigned} = [", *(f"    {q}," for q in quoted), "]"]


def _all_sorted(names: set[str]) -> list[str]:
    """`names` in the order of `_all_order`.

    Names of ASCII letters, digits and underscores (every name dsprod writes) are sorted by a
    key that is one string, `_word_order`'s: 1,000 names took 21 M instructions to sort by
    `_all_order`'s lists of tuples, compared level by level, and take 5 M. Exact: the two
    keys order any two such names alike, and tie the same pairs, so the stable sort keeps the
    same order (tests/notebook/test_fast_text.py holds them to each other)."""
    if _WORDS.fullmatch("".join(names)):
        return sorted(names, key=_word_order)
    return sorted(names, key=_all_order)


def _all_order(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """The order ruff's RUF022 keeps `__all__` in: CONSTANTS, then Classes, then the rest,
    each in natural order (`f2` before `f10`)."""
    group = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    parts = re.split(r"(\d+)", name)
    return group, [(0, int(p)) if p.isdigit() else (1, p) for p in parts if p]


_WORDS = re.compile(r"[A-Za-z0-9_]*")
_DIGITS = re.compile(r"[0-9]+")


def _word_order(name: str) -> str:
    """`_all_order`'s key for a name of ASCII word characters, as one string: the group's
    digit, then the name with each number written as NUL, its length and its digits without
    leading zeros. NUL sorts below every word character, as `_all_order` puts a number before
    any text at the same place (and a name ending before another ends first in both); the
    length decides between two numbers before their digits do, as their values would."""
    group = "0" if name.isupper() else "1" if name[:1].isupper() else "2"
    return group + _DIGITS.sub(_number, name)


def _number(match: re.Match[str]) -> str:
    digits = match[0].lstrip("0")
    return f"\0{chr(len(digits))}{digits}"


def _import_block(keys: list[ImportKey]) -> list[str]:
    """Imports grouped like isort: __future__, standard library, third party, relative."""

    def group(key: ImportKey) -> int:
        module, _, _, level = key
        if level:
            return 3
        if module == "__future__":
            return 0
        return 1 if module.split(".")[0] in sys.stdlib_module_names else 2

    lines: list[str] = []
    for number in range(4):
        keys_here = [k for k in keys if group(k) == number]
        plain = sorted(render_import(k) for k in keys_here if not k.name)
        merged: dict[tuple[str, int], list[str]] = {}
        for module, name, asname, level in keys_here:
            if name:
                merged.setdefault((module, level), []).append(
                    f"{name} as {asname}" if asname else name
                )
        froms = [
            f"from {'.' * level}{module} import {', '.join(sorted(names))}"
            for (module, level), names in sorted(merged.items())
        ]
        if plain or froms:
            if lines:
                lines.append("")
            lines += plain + froms
    return lines


def _docstring_end(body: list[ast.stmt]) -> int:
    """The last line of the module docstring and the __future__ import after it, or 0."""
    first = body[0] if body else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return 0
    following = body[1] if len(body) > 1 else None
    if isinstance(following, ast.ImportFrom) and following.module == "__future__":
        return following.end_lineno or following.lineno
    return first.end_lineno or first.lineno


def _assigns(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    return (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and (node.target.id == name)
    )


def _all_names(node: ast.stmt) -> list[str] | None:
    value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
    if isinstance(value, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
    ):
        return [str(e.value) for e in value.elts if isinstance(e, ast.Constant)]
    return None


def _start(node: ast.stmt) -> int:
    if isinstance(node, DEF_TYPES) and node.decorator_list:
        return min(node.lineno, *(d.lineno for d in node.decorator_list))
    return node.lineno
