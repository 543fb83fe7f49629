"""A function passed to a call as a value (`map(f, xs)`, `df.apply(f)`, `key=f`) when it
now takes notebook state as parameters: wrapped where it is passed, or why it cannot be.

`f` becomes `lambda *args, **kwargs: f(*args, **kwargs, df=df)`: the lambda reads `df` when it
is called, as `f` did (`functools.partial(f, df=df)` would read it when the line runs, too
early for a lazy `map` or a callback). A lambda is not `f` in three ways, each refused: it does
not pickle (a process pool), it has no signature or source of its own (`interact(f)`), and it
is a new object (a stored value, `f.__name__`, `fs = [f]`, is left alone).
"""

from __future__ import annotations

import ast

from dsprod.notebook._edits import Edit
from dsprod.notebook._model import Location, Statement
from dsprod.notebook._references import Reference

__all__ = ["value_problem", "wrapped"]


def value_problem(
    ref: Reference,
    names: tuple[str, ...],
    callee: Statement,
    where: Location,
    *,
    moving: bool,
    changing: list[str],
) -> tuple[bool, str] | None:
    """(whether the user of `ref` is at fault, why) when `ref`, a use of the function `callee`
    as a value, cannot be wrapped in a lambda that passes `names` when it is called; None when
    it can. `moving`: the use is in a definition that moves; `changing`: which of `names` the
    notebook may rebind."""
    listed = ", ".join(f"`{n}`" for n in names)
    function = ref.node.id
    if ref.consumer is None:
        return False, (
            f"needs the notebook's {listed} as a parameter, and is used as a value at "
            f"{where} (not called, nor passed to a call), where nothing would pass it; call "
            f"it there, or wrap it: `lambda *a, **k: {function}(*a, **k, "
            f"{names[0]}={names[0]})`"
        )
    if _runs_elsewhere(ref.consumer):
        return False, (
            f"needs the notebook's {listed} as a parameter, and is passed at {where} to "
            f"{ast.unparse(ref.consumer.func)}, which may send it to another process; a "
            "wrapping lambda cannot be pickled, so make the value a parameter yourself"
        )
    if _inspects(ref.consumer):
        return False, (
            f"needs the notebook's {listed} as a parameter, and is passed at {where} to "
            f"{ast.unparse(ref.consumer.func)}, which reads its signature or source: a "
            "wrapping lambda has neither; make the value a parameter yourself"
        )
    node = callee.node
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.args.kwarg:
        return False, (
            f"takes **{node.args.kwarg.arg}, and is passed as a value at {where}: a call "
            f"could pass keywords that collide with the new parameter {listed}"
        )
    local = [n for n in names if not ref.sees_global(n)]
    if local:
        return True, (
            f"passes `{function}` at {where}, which now needs the notebook's "
            f"`{local[0]}`, but `{local[0]}` is a local name there; rename the local"
        )
    if moving and changing:
        # In the module, the wrapper would pass the caller's parameter, read when the
        # caller was called, while the original read the notebook's variable whenever
        # the function passed on ran.
        return True, (
            f"passes `{function}` on at {where}, and `{function}` reads the notebook's "
            f"`{changing[0]}` when it runs, which may be after the notebook rebinds it; "
            "pass the value in yourself"
        )
    return None


# Calls that may run a function in another process, which pickles it. `map` and `apply` only
# when the receiver's name says it is a pool (`df.apply(f)` and `s.map(f)` are pandas').
_PROCESS_METHODS = frozenset(
    {"imap", "imap_unordered", "starmap", "starmap_async", "map_async", "apply_async", "submit"}
)
_PROCESS_NAMES = ("pool", "executor", "client", "process")


def _runs_elsewhere(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id.lower().endswith(_PROCESS_NAMES)
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _PROCESS_METHODS:
        return True
    receiver = ast.unparse(func.value).lower()
    return func.attr in {"map", "apply"} and any(n in receiver for n in _PROCESS_NAMES)


# Calls that read a function's signature or source (ipywidgets builds its controls from the
# parameters; python-fire its command line): a wrapper would show them `*args, **kwargs`.
_INSPECTING = frozenset(
    {"interact", "interactive", "interact_manual", "signature", "getsource", "getfullargspec"}
    | {"Fire"}
)


def _inspects(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in _INSPECTING


def wrapped(
    lines: list[str], node: ast.Name, names: tuple[str, ...], callee: str | None = None
) -> Edit:
    """`f`, passed as a value, becomes a lambda that passes `names` to it when called: it
    reads them then, as `f` itself did. `callee` is the name the lambda calls (a version's
    name in the module), `f` by default."""
    callee = callee or node.id
    taken = {node.id, callee, *names}
    star, stars = "args", "kwargs"
    while star in taken or stars in taken:
        star, stars = f"_{star}", f"_{stars}"
    keywords = ", ".join(f"{n}={n}" for n in names)
    text = f"lambda *{star}, **{stars}: {callee}(*{star}, **{stars}, {keywords})"
    line = lines[node.lineno - 1]
    col = len(line.encode()[: node.col_offset].decode(errors="replace"))
    return Edit(node.lineno, col, node.lineno, col + len(node.id), text)
