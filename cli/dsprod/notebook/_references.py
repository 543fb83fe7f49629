"""Reads of module-level names with what surrounds them (the call, the depth of functions
around them), and whether a function only makes a generator: what parametrizing, versions and
shared globals ask of a definition, on top of `_scope`'s walk."""

from __future__ import annotations

import ast

from dsprod._records import NamedTuple
from dsprod.notebook._scope import ScopeKind, _is_global, _Scope, _Visitor

__all__ = ["Reference", "references", "yields"]


class Reference(NamedTuple):
    """A read of a module-level name, with what surrounds it. A NamedTuple, not a dataclass
    (see `dsprod.errors`): with none left on its path, an extraction does not import
    `dataclasses` (and `inspect`) at all. Nothing compares two of them."""

    node: ast.Name
    call: ast.Call | None  # the call whose function this name is, if it is one
    # Functions, lambdas and generator expressions between the statement and the read: 0 runs
    # when the statement runs, 1 in the body of the function a `def` statement defines, more
    # (or any for other statements) when something calls or iterates it, perhaps much later.
    depth: int
    scope: _Scope
    # The call this name is passed to as an argument (`map(f, xs)`, `sorted(key=f)`), if it is
    # one: not `*f`, not inside a bigger expression.
    consumer: ast.Call | None = None

    def sees_global(self, name: str) -> bool:
        """Whether `name`, read where this reference stands, is the module-level name."""
        return _is_global(self.scope, name)


def references(node: ast.AST, names: frozenset[str]) -> list[Reference]:
    """Every read of one of `names` in `node` that resolves to the module-level name."""
    visitor = _ReferenceVisitor(names)
    visitor.visit(node)
    return [
        Reference(
            name,
            visitor.calls.get(id(name)),
            visitor.depth[id(scope)],
            scope,
            visitor.consumers.get(id(name)),
        )
        for name, scope in visitor.found
        if _is_global(scope, name.id)
    ]


def yields(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether calling `node` only creates a generator or coroutine: its body runs later."""
    if isinstance(node, ast.AsyncFunctionDef):
        return True
    pending: list[ast.AST] = list(node.body)
    while pending:
        child = pending.pop()
        if isinstance(child, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        ):
            pending.extend(ast.iter_child_nodes(child))
    return False


_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class _ReferenceVisitor(_Visitor):
    def __init__(self, names: frozenset[str]) -> None:
        super().__init__()
        self.names = names
        self.found: list[tuple[ast.Name, _Scope]] = []
        self.calls: dict[int, ast.Call] = {}
        self.consumers: dict[int, ast.Call] = {}
        self.depth: dict[int, int] = {id(self.module): 0}
        self._deferring = False

    def _push(self, kind: ScopeKind) -> _Scope:
        parent = self.scope
        scope = super()._push(kind)
        deferred = kind == "function" or self._deferring
        self.depth[id(scope)] = self.depth[id(parent)] + int(deferred)
        self._deferring = False
        return scope

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:  # noqa: N802 - ast.NodeVisitor's names
        # A generator runs as it is iterated, not where it is written.
        self.visit(node.generators[0].iter)
        self._deferring = True
        self._comprehension_rest(node.generators, node.elt)

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 - ast.NodeVisitor's names
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            self.calls[id(node.func)] = node
        for argument in [*node.args, *(k.value for k in node.keywords if k.arg is not None)]:
            if isinstance(argument, ast.Name) and argument.id in self.names:
                self.consumers[id(argument)] = node
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802 - ast.NodeVisitor's names
        super().visit_Name(node)
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            self.found.append((node, self.scope))
