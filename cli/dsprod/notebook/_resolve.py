"""Decide what each module-level name of a notebook is: import, definition, constant or state."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.notebook._expr import qualified_name, suspects
from dsprod.notebook._model import Location, Statement
from dsprod.notebook._runs import RunLine, run_statements
from dsprod.notebook._scope import summarize
from dsprod.notebook._statements import DEF_TYPES, ImportKey, import_keys, located

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Literal

__all__ = ["Resolution", "Resolver"]

_BUILTINS = frozenset(dir(builtins)) - {"__name__", "__doc__", "__spec__", "__loader__"}
# Module attributes that differ between the notebook (`__main__`) and the module.
_MODULE_ATTRIBUTES = frozenset({"__name__", "__doc__", "__spec__", "__loader__", "__file__"})
# Names IPython puts in a notebook's namespace that have an importable home.
_IPYTHON_IMPORTS: dict[str, ImportKey] = {"display": ImportKey("IPython.display", "display", "", 0)}
# Calls that compute a value from their arguments alone: safe to run when a module is imported.
_PURE_CALL_PREFIXES = (
    "math.", "cmath.", "re.", "pathlib.", "datetime.", "decimal.", "fractions.", "string.",
    "collections.", "enum.", "functools.", "operator.", "typing.", "os.path.", "textwrap.",
    "statistics.", "json.loads", "itertools.", "types.",
)  # fmt: skip
_PURE_BUILTINS = frozenset(
    {
        "int", "float", "complex", "str", "bytes", "bool", "tuple", "frozenset", "list", "dict",
        "set", "range", "len", "abs", "round", "min", "max", "sum", "sorted", "pow", "divmod",
        "chr", "ord", "hex", "oct", "bin", "slice", "zip", "enumerate", "reversed", "type",
    }
)  # fmt: skip
_CONSTANT_NODES = (
    ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Name, ast.Load, ast.Attribute,
    ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.JoinedStr, ast.FormattedValue,
    ast.Subscript, ast.Slice, ast.IfExp, ast.Starred, ast.Call, ast.keyword, ast.operator,
    ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context,
)  # fmt: skip


class Resolution(NamedTuple):
    """What a free name is."""

    # A NamedTuple, not a frozen dataclass: as immutable, and compared and hashed by its
    # fields alike, but built at import without generating and compiling methods.

    kind: Literal["builtin", "import", "definition", "constant", "state"]
    imports: tuple[ImportKey, ...] = ()
    reason: str = ""  # for state: why it is not movable, with where it is bound
    fix: str = ""  # for state: what the user can do; empty means "make it a parameter"
    # For state the notebook binds: where it is (or may be) bound, as (cell index, line). A
    # definition may take such a name as a parameter; the others (`__name__`, a name bound
    # nowhere) it may not.
    binders: tuple[tuple[int, int], ...] = ()
    once: bool = False  # bound by one statement that runs once: its value never changes


# The answers without details, made once: most names are one of these.
_CONSTANT = Resolution("constant")
_DEFINITION = Resolution("definition")
_BUILTIN = Resolution("builtin")


class Resolver:
    def __init__(
        self,
        path: Path,
        statements: list[Statement],
        opaque_cells: dict[int, set[str]],
        star_imports: tuple[str, ...],
        blocked: dict[str, str],
        runs: tuple[RunLine, ...] = (),
        provided: frozenset[str] = frozenset(),
        changing: dict[str, tuple[tuple[int, int], ...]] | None = None,
    ) -> None:
        self._path = path
        self.bindings: dict[str, list[Statement]] = {}
        for statement in statements:
            for name in statement.binds:
                self.bindings.setdefault(name, []).append(statement)
        self._opaque = opaque_cells  # cell index -> words of cells that could not be parsed
        self._star = star_imports
        self._blocked = blocked
        # `%run` lines, which bind names dsprod cannot see in this notebook; a `%cd` line among
        # them means a file name may not be relative to the notebook's folder.
        self._runs = tuple(r for r in runs if r.text.lstrip().startswith("%run"))
        self._moves = any(r.text.lstrip().startswith("%cd") for r in runs)
        self._run_imports: dict[str, Resolution] | None = None
        self._provided = provided  # names the target module already defines
        # Evolving names (several versions, `_versions`), with where each version is bound.
        self._changing = changing or {}
        # What `resolve` answered (a record, never empty, so never false): read as it is by
        # callers that ask again and again (`_planner_checks`), without a call.
        self.known: dict[str, Resolution] = {}
        self._active: set[str] = set()
        # Variables only functions use (_shared.py), with those functions: they move together.
        self.shared: dict[str, frozenset[str]] = {}

    def share(self, candidates: dict[str, frozenset[str]]) -> None:
        """Let the functions that alone use a variable (`candidates`: variable -> them) take
        it with them, where its one assignment outside them can move as a constant."""
        for variable, users in candidates.items():
            assigned = [
                s for s in self.bindings.get(variable, []) if not isinstance(s.node, DEF_TYPES)
            ]
            if not assigned or self._assignment(assigned[0]).kind == "constant":
                self.shared[variable] = users
        self.known.clear()

    def where(self, statement: Statement) -> Location:
        return located(self._path, statement)

    def resolve(self, name: str) -> Resolution:
        known = self.known.get(name)
        if known is not None:
            return known
        if name in self._active:
            return Resolution("state", reason="is defined in terms of itself")
        self._active.add(name)
        try:
            result = self._resolve(name)
        finally:
            self._active.discard(name)
        self.known[name] = result
        return result

    def _resolve(self, name: str) -> Resolution:
        found = self.bindings.get(name)
        if name in self._blocked and found and not isinstance(found[0].node, DEF_TYPES):
            return Resolution("state", reason=self._blocked[name])
        if name in self._changing:
            binders = self._changing[name]
            places = ", ".join(f"cell {cell + 1}:line {line}" for cell, line in binders)
            return Resolution(
                "state",
                reason=f"is bound to {len(binders)} versions ({places}), and which one a call "
                "reaches depends on when it runs",
                binders=binders,
            )
        if not found:
            if name in self._provided:
                return _DEFINITION
            return self._unbound(name)
        if name in self.shared:
            # The functions' own state: the module's, set by its constant (if any) and them.
            assigned = [s for s in found if not isinstance(s.node, DEF_TYPES)]
            return self._assignment(assigned[0]) if assigned else _DEFINITION
        writer = None
        for statement in found:
            if name in statement.global_writes:
                writer = statement
                break
        if writer is not None:
            # A function sets it through `global` when called: its value is notebook state.
            function = writer.node.name if isinstance(writer.node, DEF_TYPES) else "a function"
            return Resolution(
                "state",
                reason=f"is assigned through `global` in {function} at {self.where(writer)}",
                binders=_binders(found),
            )
        if _all_of(found, _IMPORTS):
            keys = [k for s in found for k in import_keys(s.node, name)]
            # `import a.b` and `import a.c` both bind `a` and together are what the code uses.
            if all(not k[1] and not k[2] for k in keys):
                return Resolution("import", imports=tuple(sorted(set(keys))))
            # `import matplotlib.pyplot as plt` and `from matplotlib import pyplot as plt`
            # bind the same thing: one of them is enough.
            if len({_imported(k) for k in keys}) == 1:
                return Resolution("import", imports=(keys[0],))
            return Resolution(
                "state",
                reason=f"is imported differently at {self._list(found)}",
                fix=f"import `{name}` one way only",
                binders=_binders(found),
            )
        if _all_of(found, DEF_TYPES):
            return _DEFINITION
        if len(found) > 1:
            reason = f"is bound {len(found)} times ({self._list(found)})"
            return Resolution("state", reason=reason, binders=_binders(found))
        resolution = self._assignment(found[0])
        if resolution.kind != "state":
            return resolution
        # One plain assignment at the top of a cell: run once, one value for good.
        once = isinstance(found[0].node, ast.Assign | ast.AnnAssign | ast.Import | ast.ImportFrom)
        return resolution._replace(binders=_binders(found), once=once)

    def _assignment(self, statement: Statement) -> Resolution:
        node = statement.node
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = node.value if isinstance(target, ast.Name) else None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value
        # Where it is assigned, in each reason below: not made for a constant (most of them).
        if statement.ipython:
            return Resolution(
                "state",
                reason=f"is set on an IPython line at {self.where(statement)}",
                fix="assign it on a plain Python line",
            )
        if statement.shares_line:
            return Resolution(
                "state",
                reason=f"shares its line with other code at {self.where(statement)}",
                fix="put the assignment on a line of its own",
            )
        if value is None or statement.global_writes:
            return Resolution(
                "state",
                reason=f"is assigned at {self.where(statement)} by unpacking, several targets "
                "or a loop, which dsprod does not move",
            )
        problem = self._not_constant(value)
        if problem:
            return Resolution("state", reason=f"{problem}, at {self.where(statement)}")
        return _CONSTANT

    def _not_constant(self, value: ast.expr) -> str:
        """Why `value` is not a constant expression, or '' when it is."""
        if isinstance(value, ast.Lambda):
            reads: Iterable[str] = summarize(value).reads
        else:
            found, reads = suspects(value, _CONSTANT_NODES)
            # Breadth first, as `ast.walk`: the first node found decides the reason.
            for node in found:
                if not isinstance(node, _CONSTANT_NODES):
                    return "is computed at run time"
                if isinstance(node, ast.Call) and not self._pure_call(node.func):
                    return f"is computed by calling {ast.unparse(node.func)}()"
        for read in reads:
            kind = self.resolve(read).kind
            if kind not in {"builtin", "import", "constant"}:
                return f"depends on `{read}`"
        return ""

    def _pure_call(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name) and func.id not in self.bindings:
            return func.id in _PURE_BUILTINS
        qualified = qualified_name(func, self.resolve)
        return qualified is not None and qualified.startswith(_PURE_CALL_PREFIXES)

    def _unbound(self, name: str) -> Resolution:
        if name in _IPYTHON_IMPORTS:
            return Resolution("import", imports=(_IPYTHON_IMPORTS[name],))
        if name in _BUILTINS:
            return _BUILTIN
        if name in _MODULE_ATTRIBUTES:
            return Resolution(
                "state",
                reason="is the notebook's own (`__main__`) and would be the module's after "
                "the move",
                fix="keep the definition in the notebook, or pass the value in",
            )
        if name == "get_ipython":
            return Resolution(
                "state", reason="exists only inside IPython", fix="use plain Python instead"
            )
        for index, seen in self._opaque.items():
            if name in seen:
                return Resolution(
                    "state",
                    reason=f"may be bound in {self._path}:cell {index + 1}, "
                    "which dsprod cannot parse",
                    fix="make that cell valid Python 3",
                    # A `%run` line may bind it too: where a call may first see it.
                    binders=((index, 0), *self._run_places()),
                )
        if self._star:
            keys = tuple(ImportKey(module, "*", "", 0) for module in self._star)
            return Resolution("import", imports=keys)
        if self._runs:
            imported = self._imported_by_runs().get(name)
            if imported is not None:
                return imported
            return Resolution(
                "state",
                reason="is not defined in the notebook; "
                f"it may come from `%run` at {self._runs[0].location}",
                fix=f"import `{name}` from a module instead of using %run",
                binders=self._run_places(),
                once=self._run_once(name),
            )
        return Resolution(
            "state",
            reason="is never defined in the notebook (NameError on call)",
            fix=f"import or define `{name}` in the notebook",
        )

    def _run_once(self, name: str) -> bool:
        """Whether the notebook's one `%run` line binds `name` once, never to change: the file
        is read whole, and none of its functions assigns the name through `global` (a notebook
        or `-i` runs in the notebook's namespace, so a later call could rebind it)."""
        if len(self._runs) != 1 or self._moves:
            return False
        statements = run_statements(self._path, self._runs[0].text)
        return statements is not None and not any(name in s.global_writes for s in statements)

    def _run_places(self) -> tuple[tuple[int, int], ...]:
        """Where the `%run` lines are, as (cell index, line)."""
        return tuple((r.location.cell - 1, r.location.line) for r in self._runs)

    def _imported_by_runs(self) -> dict[str, Resolution]:
        """The names the files of the `%run` lines bind by a plain import, and no other way:
        the same objects as those imports. Nothing when a file cannot be read whole (any
        name could come from it)."""
        if self._run_imports is not None:
            return self._run_imports
        found: dict[str, Resolution] = {}
        for run in () if self._moves else self._runs:
            statements = run_statements(self._path, run.text)
            if statements is None:
                found = {}
                break
            inner = Resolver(run.location.path, list(statements), {}, (), {})
            for name in inner.bindings:  # a later file rebinds what an earlier one bound
                resolution = inner.resolve(name)
                if resolution.kind == "import" and all(k.level == 0 for k in resolution.imports):
                    found[name] = resolution
                else:
                    found.pop(name, None)
        self._run_imports = found
        return found

    def _list(self, statements: list[Statement]) -> str:
        return ", ".join(f"cell {s.cell + 1}:line {s.node.lineno}" for s in statements)


_IMPORTS = (ast.Import, ast.ImportFrom)


def _all_of(statements: list[Statement], types: tuple[type[ast.stmt], ...]) -> bool:
    """`all(isinstance(s.node, types) for s in statements)`, without a generator to resume
    per statement, nor a list of their nodes (this runs for every name moved code reads)."""
    for statement in statements:  # noqa: SIM110 - the loop is the point
        if not isinstance(statement.node, types):
            return False
    return True


def _binders(statements: list[Statement]) -> tuple[tuple[int, int], ...]:
    """Where `statements` bind a name, as (cell index, line): made for notebook state only."""
    return tuple([(s.cell, s.start) for s in statements])


def _imported(key: ImportKey) -> tuple[str, str]:
    """(what is imported, the name it is bound to), however the import is spelled."""
    module, name, asname, level = key
    full = "." * level + (f"{module}.{name}" if name else module)
    return full, asname or name or module.split(".")[0]
