"""Scope analysis: which module-level names a piece of code reads, binds and assigns.

Python decides scope per function body, not per line, so reads are recorded during one walk
and resolved after it, when every binding of every scope is known. The rules followed are the
language's: class bodies are invisible to the functions nested in them, the first iterator of a
comprehension is evaluated outside it, `:=` binds in the enclosing function, and decorators,
default values, annotations and base classes are evaluated where the definition stands.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from dsprod._records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any, ClassVar, Literal, TypeAlias

__all__ = ["ScopeKind", "ScopeSummary", "child_fields", "summarize", "summary"]

ScopeKind: TypeAlias = "Literal['module', 'function', 'class', 'comprehension']"
# Fields that never hold a node to visit: a name's context and operators (leaves), and text
# or numbers. Skipped by name, so that the walk does not look at them at all. Not `name`: a
# string in most nodes, but `type X = ...` (Python 3.12) binds X through a Name node there.
_NOT_CHILDREN = frozenset(
    {
        "ctx", "op", "ops", "id", "attr", "arg", "names", "module", "asname", "level",
        "kind", "type_comment", "lineno", "conversion", "is_async", "simple", "rest",
        "kwd_attrs", "tag",
    }
)  # fmt: skip
_NOTHING: frozenset[str] = frozenset()
# node type -> the fields of it that may hold nodes
_CHILDREN: dict[type[ast.AST], tuple[str, ...]] = {}


def child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node of type `kind` that may hold nodes (each type looked at once)."""
    fields = _CHILDREN.get(kind)
    if fields is None:
        fields = _CHILDREN[kind] = tuple(f for f in kind._fields if f not in _NOT_CHILDREN)
    return fields


class _Scope:
    """A scope the walk meets: what it binds and declares, and the names read in it."""

    # A plain class with slots: one is made per function, class and comprehension of every
    # statement, which a dataclass's default factories make several times slower.
    __slots__ = (
        "bound", "declared_global", "declared_nonlocal", "kind", "parent", "reads", "writes"
    )  # fmt: skip

    def __init__(self, kind: ScopeKind, parent: _Scope | None) -> None:
        self.kind = kind
        self.parent = parent
        self.bound: set[str] = set()
        # `global` and `nonlocal` are rare: the shared empty set until one declares a name
        # (one set fewer to make for each, for every scope).
        self.declared_global: frozenset[str] = _NOTHING
        self.declared_nonlocal: frozenset[str] = _NOTHING
        self.reads: list[str] = []  # in the order read
        self.writes: list[str] = []  # names bound here, in order


class ScopeSummary(NamedTuple):
    """What a statement does to the module namespace."""

    binds: frozenset[str]  # names bound at module level when the statement runs
    reads: tuple[str, ...]  # module-level names read, each once, in the order first read
    global_writes: frozenset[str]  # names assigned through `global` inside functions


def summarize(node: ast.AST) -> ScopeSummary:
    binds, reads, writes = summary(node)
    return ScopeSummary(binds, tuple(dict.fromkeys(reads)), writes)


def summary(node: ast.AST) -> tuple[frozenset[str], Iterable[str], frozenset[str]]:
    """`summarize`'s fields, with the reads in order but perhaps repeated: `cell_statements`
    keeps them as a set, and so makes neither the dict that drops repeats nor the named
    tuple, for every statement of a notebook."""
    visitor = _Visitor()
    visitor.visit(node)
    module = visitor.module
    if len(visitor.scopes) == 1:  # most statements: no function, class or comprehension
        return frozenset(module.bound), module.reads, _NOTHING
    reads = dict.fromkeys(module.reads)  # a read in the module's own scope is the module's
    writes: dict[str, None] = {}
    for scope in visitor.scopes[1:]:
        bound, declared = scope.bound, scope.declared_global
        for name in scope.reads:
            # A name bound in the scope that reads it, and not declared global there, is
            # local: `_is_global`'s first step, without a call for every local read.
            if name in reads or (name in bound and name not in declared):
                continue
            if _is_global(scope, name):
                reads[name] = None
        # A name written in a scope is bound there: the module's only if declared global.
        if declared:
            writes.update((n, None) for n in scope.writes if n in declared)
    return frozenset(module.bound | writes.keys()), reads, frozenset(writes)


def _is_global(scope: _Scope, name: str) -> bool:
    current: _Scope | None = scope
    while current is not None and current.kind != "module":
        if name in current.declared_global:
            return True
        # Names bound in a class body are visible in that body only, not in nested functions.
        visible = current.kind != "class" or current is scope
        if visible and (name in current.bound or name in current.declared_nonlocal):
            return False
        current = current.parent
    return True


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.module = _Scope("module", None)
        self.scope = self.module
        self.scopes = [self.module]

    # The walk is most of the planning time on large notebooks: ast.NodeVisitor looks each
    # method up by name at every node, goes through a generator for the fields, visits the
    # Load/Store markers, and checks every constant for the methods of Python 3.7's nodes.
    # Here each node type's method (in a table per visitor class) and the fields that may
    # hold nodes are looked up once, and leaves, names and numbers are not visited at all.
    _methods: ClassVar[dict[type, Callable[[Any, Any], None]]] = {}

    def __init_subclass__(cls) -> None:
        cls._methods = {}  # a subclass's own methods: a table of its own

    def visit(self, node: ast.AST) -> None:
        method = self._methods.get(type(node))
        if method is None:
            method = self._method(type(node))
        method(self, node)

    def _method(self, kind: type) -> Callable[[Any, Any], None]:
        found = getattr(type(self), f"visit_{kind.__name__}", None)
        method = self._methods[kind] = found or type(self).generic_visit
        return method

    def generic_visit(self, node: ast.AST) -> None:
        fields = _CHILDREN.get(type(node))
        if fields is None:
            fields = child_fields(type(node))
        methods = self._methods
        for field_name in fields:
            value = getattr(node, field_name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        (methods.get(type(item)) or self._method(type(item)))(self, item)
            elif isinstance(value, ast.AST):
                (methods.get(type(value)) or self._method(type(value)))(self, value)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass  # no names in a constant

    def _push(self, kind: ScopeKind) -> _Scope:
        scope = _Scope(kind, self.scope)
        self.scopes.append(scope)
        self.scope = scope
        return scope

    def _pop(self, previous: _Scope) -> None:
        self.scope = previous

    # Names -------------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if type(node.ctx) is ast.Load:
            self.scope.reads.append(node.id)
        else:
            self.scope.bound.add(node.id)
            self.scope.writes.append(node.id)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            # `x += 1` reads x before it binds it.
            self.scope.reads.append(node.target.id)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.declared_global = self.scope.declared_global.union(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.declared_nonlocal = self.scope.declared_nonlocal.union(node.names)

    def _bind(self, name: str) -> None:
        self.scope.bound.add(name)
        self.scope.writes.append(name)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            # `from m import *` binds names no parse can know: the plan finds those
            # statements itself (`stars` in _plan) for the resolver.
            if alias.name != "*":
                self._bind(alias.asname or alias.name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        target = self.scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        target.bound.add(node.target.id)
        target.writes.append(node.target.id)

    # Scopes ------------------------------------------------------------------------------

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for default in args.defaults:
            self.visit(default)
        for keyword_default in args.kw_defaults:
            if keyword_default is not None:
                self.visit(keyword_default)
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg is not None:
            every.append(args.vararg)
        if args.kwarg is not None:
            every.append(args.kwarg)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
            for arg in every:
                if arg.annotation is not None:
                    self.visit(arg.annotation)
            if node.returns is not None:
                self.visit(node.returns)
            self._bind(node.name)
        previous = self.scope
        bound = self._push("function").bound
        for arg in every:  # a loop, not a list comprehension: most functions have few
            bound.add(arg.arg)
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            for child in node.body:
                self.visit(child)
        self._pop(previous)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._bind(node.name)
        previous = self.scope
        self._push("class")
        for child in node.body:
            self.visit(child)
        self._pop(previous)

    def _comprehension(self, generators: list[ast.comprehension], *results: ast.expr) -> None:
        self.visit(generators[0].iter)
        self._comprehension_rest(generators, *results)

    def _comprehension_rest(self, generators: list[ast.comprehension], *results: ast.expr) -> None:
        previous = self.scope
        self._push("comprehension")
        for number, generator in enumerate(generators):
            if number:
                self.visit(generator.iter)
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self._pop(previous)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)
