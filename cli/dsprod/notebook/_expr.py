"""One expression's walks: the nodes that may keep it from being a constant, with the names it
reads, and the dotted name it stands for. Asked of every assignment of a notebook (`_resolve`)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from dsprod.notebook._scope import child_fields

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook._resolve import Resolution

__all__ = ["qualified_name", "suspects"]


def qualified_name(expr: ast.expr, resolve: Callable[[str], Resolution]) -> str | None:
    """The full dotted name `expr` stands for when its root is one absolute import (`np.mean`
    after `import numpy as np`: `numpy.mean`); else None."""
    dotted = _dotted(expr)
    if dotted is None:
        return None
    root, _, rest = dotted.partition(".")
    resolution = resolve(root)
    if resolution.kind != "import" or len(resolution.imports) != 1:
        return None
    module, name, _asname, level = resolution.imports[0]
    if level or name == "*":
        return None
    full = f"{module}.{name}" if name else module
    return f"{full}.{rest}" if rest else full


# node type -> `child_fields`, last first: what `suspects` pushes on its stack
_REVERSED_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def suspects(
    value: ast.expr, allowed: tuple[type[ast.AST], ...]
) -> tuple[list[ast.AST], list[str]]:
    """The nodes of `value` that may keep it from being a constant (calls, and nodes not of
    the `allowed` types) in the order `ast.walk` finds them, and the names it reads in the
    order `summarize` finds them: depth first, field by field (an expression of `allowed`
    types opens no scope and binds nothing). One walk for both; asked of every assignment of
    a notebook, where the first suspect decides why a value is not constant.

    The children of a node are `ast.iter_child_nodes`'s, less the leaves of fields that hold
    only markers (a name's context, operators), which are constant: the scope walk's fields
    (`_scope.child_fields`). The walk keeps a stack of (node, depth), children pushed last
    first, instead of a call per node. It goes depth first, and ast.walk breadth first: both
    go left to right, so the suspects sorted by depth alone (a stable sort) are in ast.walk's
    order. Most values have none or one, and no level of every node is kept to find them."""
    names: dict[str, None] = {}
    found: list[ast.AST] = []
    depths: list[int] = []  # of each found
    pending: list[tuple[ast.AST, int]] = [(value, 0)]
    while pending:
        node, depth = pending.pop()
        if type(node) is ast.Name:
            if isinstance(node.ctx, ast.Load):
                names[node.id] = None
            continue
        kind = type(node)
        if kind is ast.Constant:
            continue  # allowed, and its value is never a node
        if kind is ast.Call or not isinstance(node, allowed):
            found.append(node)
            depths.append(depth)
        fields = _REVERSED_FIELDS.get(kind)
        if fields is None:
            fields = _REVERSED_FIELDS[kind] = child_fields(kind)[::-1]
        below = depth + 1
        for name in fields:
            child = getattr(node, name, None)
            if type(child) is list:
                for item in reversed(child):  # a loop, not a list comprehension: few items
                    if isinstance(item, ast.AST):
                        pending.append((item, below))
            elif isinstance(child, ast.AST):
                pending.append((child, below))
    if len(found) > 1 and depths != sorted(depths):  # most are in order: one call, or nested
        found = [found[i] for i in sorted(range(len(found)), key=depths.__getitem__)]
    return found, list(names)


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
