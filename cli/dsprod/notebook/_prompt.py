"""Whether code inside a function runs while the function runs, or may run later."""

from __future__ import annotations

import ast
from collections.abc import Callable

from dsprod.notebook._references import yields

__all__ = ["Promptness"]

# Builtins that run a generator expression to its end before they return.
_EAGER = frozenset({"all", "any", "sum", "min", "max", "sorted", "list", "tuple", "set", "dict"})


class Promptness:
    """Whether code inside a function runs while the function runs, not later.

    A nested function runs promptly when it is only ever called, directly, from places that
    run promptly themselves (not returned, stored or passed on); a generator expression when
    it is the one argument of a builtin that consumes it (`any(... for ...)`). Lambdas, classes,
    generators and anything else may run later. `builtin(name)` says whether `name` is still
    the builtin where the function stands.
    """

    def __init__(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, builtin: Callable[[str], bool]
    ) -> None:
        self._function = function
        self._builtin = builtin
        self._parents: dict[int, ast.AST] = {}
        self._uses: dict[str, list[ast.Name]] = {}
        for node in ast.walk(function):
            for child in ast.iter_child_nodes(node):
                self._parents[id(child)] = node
            if isinstance(node, ast.Name):
                self._uses.setdefault(node.id, []).append(node)
        # Names bound anywhere inside: such a name may not be the builtin where it is called.
        self._local: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self._local.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.arg):
                self._local.add(node.arg if isinstance(node, ast.arg) else node.name)
        self._memo: dict[int, bool] = {}

    def runs_promptly(self, node: ast.AST) -> bool:
        """Whether `node`, inside the function, runs while the function runs."""
        child = node
        parent = self._parents.get(id(child))
        while parent is not None and child is not self._function:
            if not self._scope_is_prompt(parent, child):
                return False
            child, parent = parent, self._parents.get(id(parent))
        return True

    def _scope_is_prompt(self, scope: ast.AST, child: ast.AST) -> bool:
        if isinstance(scope, ast.Lambda | ast.ClassDef | ast.AsyncFunctionDef):
            return False
        if isinstance(scope, ast.GeneratorExp):
            call = self._parents.get(id(scope))
            return (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in _EAGER
                and call.func.id not in self._local
                and len(call.args) == 1
                and call.args[0] is scope
                and not call.keywords
                and self._builtin(call.func.id)
            )
        if isinstance(scope, ast.FunctionDef) and scope is not self._function:
            if not any(child is statement for statement in scope.body):
                return True  # decorators, defaults, annotations: run where it is defined
            return self._nested_is_prompt(scope)
        return True

    def _nested_is_prompt(self, nested: ast.FunctionDef) -> bool:
        key = id(nested)
        if key not in self._memo:
            # A call of itself (recursion) runs while it runs: prompt if the other uses are.
            self._memo[key] = True
            uses = self._uses.get(nested.name, [])
            self._memo[key] = (
                not nested.decorator_list
                and not yields(nested)
                and all(self._direct_call(u) and self.runs_promptly(u) for u in uses)
            )
        return self._memo[key]

    def _direct_call(self, use: ast.Name) -> bool:
        call = self._parents.get(id(use))
        return isinstance(call, ast.Call) and call.func is use and isinstance(use.ctx, ast.Load)
