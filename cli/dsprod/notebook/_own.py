"""Whether a function can take notebook state as parameters at all, whoever calls it: what its
decorators do with it, whether it runs when called (a generator runs later), whether a nested
function reads the state after the notebook may have rebound it; and the annotations of its
signature, which the module would evaluate when it is imported."""

from __future__ import annotations

import ast
from collections.abc import Callable

from dsprod.notebook._expr import qualified_name
from dsprod.notebook._model import Statement
from dsprod.notebook._prompt import Promptness
from dsprod.notebook._references import yields
from dsprod.notebook._resolve import Resolution

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook._params import Parametrizer

__all__ = ["own_problem", "passes_through", "signature_annotations"]

# Decorators that pass every call through unchanged, as `@torch.no_grad()` (called) or
# `@typing.final` (not called): they neither call the function on their own nor cache.
_CALL_DECORATORS = frozenset(
    {"torch.no_grad", "torch.inference_mode", "torch.enable_grad", "torch.autograd.no_grad"}
)
_PLAIN_DECORATORS = frozenset(
    {"typing.final", "typing.no_type_check", "typing.override", "typing_extensions.override"}
)


def own_problem(
    params: Parametrizer,
    statement: Statement,
    names: tuple[str, ...],
    needing: dict[str, tuple[str, ...]],
) -> str:
    """Why the definition of `statement` cannot take the notebook's `names` as parameters
    (`needing`: what every definition needs), whoever calls it; '' when it can."""
    node = statement.node
    listed = ", ".join(f"`{n}`" for n in names)
    if isinstance(node, ast.ClassDef):
        return (
            f"needs the notebook's {listed}, and dsprod gives functions, not classes, new "
            "parameters; pass the value to its constructor yourself"
        )
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # pragma: no cover
        return "is not a function"
    unknown = [d for d in node.decorator_list if not passes_through(d, params.resolve)]
    if unknown:
        # A decorator may call the function itself, without the new parameter, or cache
        # on it (functools.cache: a data frame is unhashable, and a cache that ignored a
        # rebound variable would now see it).
        return (
            f"needs the notebook's {listed} as a parameter, and its decorator "
            f"@{ast.unparse(unknown[0])} may call it without one or cache on "
            "it; make the value a parameter yourself"
        )
    changing = [n for n in names if not params.resolve(n).once]
    if not changing:
        return ""
    if yields(node):
        return (
            f"is a generator or coroutine that reads the notebook's `{changing[0]}` when it "
            "runs, which may be after the notebook rebinds it; pass the value in yourself"
        )
    callees = frozenset(n for n in needing if set(needing[n]) & set(changing))
    watched = frozenset(changing) | params.named(callees)
    prompt = Promptness(node, lambda name: params.resolve(name).kind == "builtin")
    for ref in params.references_of(statement, watched):
        calls = ref.call is not None and bool(
            (params.targets(statement, ref, moving=True) or callees) & callees
        )
        if (
            ref.depth >= 2
            and (ref.node.id in changing or calls)
            and not prompt.runs_promptly(ref.node)
        ):
            return (
                f"reads the notebook's `{changing[0]}` in a nested function or generator "
                f"(line {ref.node.lineno}), which may run after the notebook rebinds it; "
                "pass the value in yourself"
            )
    return ""


def passes_through(decorator: ast.expr, resolve: Callable[[str], Resolution]) -> bool:
    """Whether `decorator` is known to call the function only when it is called, with the
    arguments it was given, and to keep nothing between calls."""
    call = isinstance(decorator, ast.Call) and not decorator.args and not decorator.keywords
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    qualified = qualified_name(target, resolve)
    if qualified in _CALL_DECORATORS:
        return call
    return qualified in _PLAIN_DECORATORS and not isinstance(decorator, ast.Call)


def signature_annotations(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    found = [a.annotation for a in every if a is not None and a.annotation is not None]
    return found + ([node.returns] if node.returns is not None else [])
