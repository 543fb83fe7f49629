"""Notebook state as parameters: a definition that reads a notebook variable takes it as a
keyword-only parameter, and every call passes the variable's current value.

`def f(x): return x / total` becomes `def f(x, *, total): ...`, the notebook's `f(3)` becomes
`f(3, total=total)`, and an extracted `g` that calls `f` takes `total` too and passes it on.
No default ever captures the notebook's value. The result reads every value when the original
did, or the change is refused with the reason:

- a call passes the variable as it is at the call, which is when the original read it; a
  read that may come later (in a nested function, a lambda, a generator, a generator
  function) is allowed only for a variable bound once, whose value never changes, or when
  it runs while the function runs (a nested function only ever called there, a generator
  that `any`, `sum`, `sorted`... consume at once: _prompt.py);
- every use of the definition must be a call that dsprod can rewrite, or an argument of a
  call (`map(f, xs)`, `df.apply(f)`, `sorted(xs, key=f)`), which becomes
  `lambda *args, **kwargs: f(*args, **kwargs, df=df)` (_wrap.py), which reads `df` when it is
  called, as `f` did. Other uses (stored in a list, returned, `f.__name__`, an IPython line)
  keep the definition in the notebook, and so do the cases _wrap.py lists;
- a call must come after the variable is first bound, or the new argument would raise where
  the original did not;
- a decorator may call the function itself, without it, or cache on it: decorated functions
  are refused, except for decorators known to pass each call through (`@torch.no_grad()`);
  classes are not given constructor parameters.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from dsprod.notebook._edits import (
    Edit,
    apply_edits,
    call_keywords,
    keyword_parameters,
    quote,
    without_global,
)
from dsprod.notebook._model import Location, ParsedCell, Statement
from dsprod.notebook._references import Reference, references
from dsprod.notebook._resolve import Resolution
from dsprod.notebook._statements import words
from dsprod.notebook._versions import Timeline

__all__ = ["Parametrized", "Parametrizer"]

# `_own` (with `_prompt`) and `_wrap` are imported where they are used: only a definition that
# reads notebook state needs them, 1.4 M instructions of every other extract's start-up.

_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.If, ast.Try)


class Parametrized:
    """What the parametrization decided. A plain class, not a dataclass: nothing compares
    them, and a dataclass takes 0.3 ms to build at import."""

    def __init__(self, params: dict[str, tuple[str, ...]]) -> None:
        self.params = params  # name -> new parameters
        self.sources: dict[str, str] = {}  # moved definition -> its new source
        self.edits: dict[int, list[Edit]] = {}  # cell -> edits of what stays

    @property
    def passed(self) -> frozenset[str]:
        """Every variable some call now passes: the notebook reads them."""
        return frozenset(v for names in self.params.values() for v in names)


class Parametrizer:
    def __init__(
        self,
        statements: list[Statement],
        parsed: dict[int, ParsedCell],
        resolve: Callable[[str], Resolution],
        at: Callable[[int, int], Location],
        timeline: Timeline | None = None,
    ) -> None:
        self.statements = statements
        self.timeline = timeline  # when each version of an evolving name is bound
        # The version each read of an evolving name in a moving definition names in the
        # module, by the id of the read's node (the rest of its reads make the name state).
        self.resolved: dict[int, str] = {}
        self.parsed = parsed
        self.resolve = resolve
        self.at = at  # (cell index, line) -> its Location
        self._refs: dict[tuple[int, frozenset[str]], list[Reference]] = {}
        self.wants: dict[str, set[str]] = {}  # definition -> the state it reads when called
        # definition -> annotations of its signature that name notebook state
        self.quoted: dict[str, dict[int, ast.expr]] = {}

    def take(self, name: str, statement: Statement, read: str) -> str:
        """Let definition `name` read the notebook variable `read`: as a parameter where it
        reads it when called, as a string where its signature's annotations name it (the
        module cannot evaluate them when it is imported, and only code that inspects
        annotations sees the difference). '' when it can; otherwise what to do instead."""
        node = statement.node
        if isinstance(node, ast.ClassDef):
            return (
                f"pass `{read}` to its constructor (dsprod gives new parameters to functions, "
                "not classes)"
            )
        refs = references(node, frozenset([read]))
        early = [r for r in refs if r.depth == 0]
        if early and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            from dsprod.notebook._own import signature_annotations

            annotations = signature_annotations(node)
            inside = {id(n): a for a in annotations for n in ast.walk(a)}
            if any(id(r.node) not in inside for r in early):
                return (
                    f"it is read where {name} is defined (a decorator or a default value), so "
                    "it cannot be a parameter; compute it in the body"
                )
            for ref in early:
                annotation = inside[id(ref.node)]
                self.quoted.setdefault(name, {})[id(annotation)] = annotation
        if any(r.depth >= 1 for r in refs):
            self.wants.setdefault(name, set()).add(read)
        return ""

    def references_of(self, statement: Statement, names: frozenset[str]) -> list[Reference]:
        key = (id(statement.node), names)
        if key not in self._refs:
            self._refs[key] = references(statement.node, names)
        return self._refs[key]

    # Deciding ----------------------------------------------------------------------------

    def solve(
        self,
        definitions: dict[str, Statement],
        calls: dict[str, set[str]],
    ) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
        """The parameters each of `definitions` (the movable ones, by name in the module: a
        version's `f_v1`) needs, and the definitions that cannot take theirs, with the reason.
        A call of an evolving name passes what the version it reaches needs (`targets`)."""
        if self.wants.keys().isdisjoint(definitions):
            # None reads notebook state when called (most notebooks): none needs a parameter,
            # so no caller passes one on, and no use has to pass any (what the loops below
            # find, after a set made for each definition).
            return {}, {}
        params = {name: set(self.wants.get(name, ())) for name in definitions}
        changed = True
        while changed:  # a caller passes on what its callees need
            changed = False
            for name in definitions:
                for callee in calls.get(name, ()):
                    if callee in params and not params[callee] <= params[name]:
                        params[name] |= params[callee]
                        changed = True
        needing = {n: tuple(sorted(p)) for n, p in params.items() if p}
        refusals: dict[str, str] = {}
        for name, names in needing.items():
            from dsprod.notebook._own import own_problem

            reason = own_problem(self, definitions[name], names, needing)
            if reason:
                refusals[name] = reason
        if not refusals:
            refusals = self._call_problems(definitions, needing)
        return needing, refusals

    def _call_problems(
        self, definitions: dict[str, Statement], needing: dict[str, tuple[str, ...]]
    ) -> dict[str, str]:
        """Uses of the definitions that need parameters which a call cannot pass them."""
        refusals: dict[str, str] = {}
        names = self.named(frozenset(needing))
        if not names:  # no definition takes parameters: no use to look at
            return refusals
        owner_of = {id(s): name for name, s in definitions.items()}
        for statement in self.statements:
            used = statement.reads & names
            if not used:
                continue
            owner = owner_of.get(id(statement))
            for ref in self.references_of(statement, names):
                found = self._passes(statement, ref, needing, moving=owner is not None)
                if found is None:
                    continue
                callee, passed, problem = found
                if problem is None:
                    problem = self._call_problem(
                        statement, ref, passed, definitions[callee], moving=owner is not None
                    )
                if problem is None:
                    continue
                # A caller that moves and cannot pass the value stays; in the notebook, it is
                # the callee that cannot move.
                blamed, reason = (
                    (owner, problem[1]) if owner and problem[0] else (callee, problem[1])
                )
                refusals.setdefault(blamed, reason)
        for index, parsed in self.parsed.items():
            if parsed.tree and not parsed.masked_lines:
                continue  # plain Python throughout: its uses were all seen above
            lines = parsed.cell.source.split("\n")
            for number in sorted(parsed.masked_lines) if parsed.tree else [1]:
                text = lines[number - 1] if parsed.tree else parsed.cell.source
                for word in sorted(words(text) & names):
                    where = self.at(index, number)
                    what = "an IPython line" if parsed.tree else "a cell dsprod cannot parse"
                    for callee in self._versions_of(word, needing):
                        refusals.setdefault(
                            callee,
                            f"needs the notebook's {_listed(needing[callee])} as a parameter, "
                            f"and is named on {what} at {where}, which dsprod cannot rewrite to "
                            "pass it",
                        )
        return refusals

    # Which definition a use reaches ----------------------------------------------------------

    def named(self, definitions: frozenset[str]) -> frozenset[str]:
        """The names the notebook's code uses for `definitions`: their own, and the evolving
        name of each version among them."""
        timeline = self.timeline
        if timeline is None:
            return definitions
        bases = {b for b in timeline.versions if set(timeline.module_names(b)) & definitions}
        return definitions | bases

    def _versions_of(self, name: str, needing: Mapping[str, tuple[str, ...]]) -> list[str]:
        """The definitions in `needing` that `name`, as the notebook spells it, may be."""
        found = [name] if name in needing else []
        if self.timeline is not None:
            found += [v for v in self.timeline.module_names(name) if v in needing and v != name]
        return found

    def targets(
        self, statement: Statement, ref: Reference, *, moving: bool
    ) -> frozenset[str] | None:
        """The definitions (by name in the module) the use `ref` in `statement` may reach;
        None for an evolving name that a moving definition takes as a parameter (whichever
        version the notebook passes)."""
        name = ref.node.id
        if self.timeline is None or name not in self.timeline.versions:
            return frozenset([name])
        version = self.resolved.get(id(ref.node))
        if version is not None:
            return frozenset([version])
        if moving:
            return None
        return self.timeline.reaches(statement, ref)

    def _passes(
        self,
        statement: Statement,
        ref: Reference,
        needing: Mapping[str, tuple[str, ...]],
        *,
        moving: bool,
    ) -> tuple[str, tuple[str, ...], tuple[bool, str] | None] | None:
        """(the definition reached, the parameters the use must pass, (whether the user is at
        fault, why) when it cannot), or None when it passes nothing. A use that may reach
        several versions passes what they need when they all need the same."""
        where = self.at(statement.cell, ref.node.lineno)
        targets = self.targets(statement, ref, moving=moving)
        if targets is None:  # a parameter of a moving definition: any version
            needy = self._versions_of(ref.node.id, needing)
            if not needy:
                return None
            return needy[0], needing[needy[0]], (True, (
                f"reads `{ref.node.id}` at {where}, which may be any of its versions when it "
                f"runs (a parameter), and {needy[0]} needs the notebook's "
                f"{_listed(needing[needy[0]])}, which a call through the parameter cannot pass; "
                "pass the value in yourself"
            ))  # fmt: skip
        kinds = {needing.get(t, ()) for t in targets}
        needy = sorted(t for t in targets if t in needing)
        if not needy:
            return None
        if len(kinds) == 1:
            return needy[0], needing[needy[0]], None
        shown = "; ".join(
            f"{t or 'a value the notebook assigns'}: "
            + (_listed(needing[t]) if t in needing else "none")
            for t in sorted(targets)
        )
        return needy[0], needing[needy[0]], (False, (
            f"is one of several versions of `{ref.node.id}`, and the use at {where} may reach "
            f"any of them, which need different notebook variables ({shown}); so no one set of "
            "arguments fits: call one version there, or pass the values in yourself"
        ))  # fmt: skip

    def _call_problem(
        self,
        statement: Statement,
        ref: Reference,
        names: tuple[str, ...],
        callee: Statement,
        *,
        moving: bool,
    ) -> tuple[bool, str] | None:
        """(whether the caller is at fault, why) when this use cannot pass `names`."""
        where = self.at(statement.cell, ref.node.lineno)
        listed = _listed(names)
        if ref.call is None:
            from dsprod.notebook._wrap import value_problem

            changing = [n for n in names if not self.resolve(n).once]
            return value_problem(ref, names, callee, where, moving=moving, changing=changing)
        local = [n for n in names if not ref.sees_global(n)]
        if local:
            return True, (
                f"calls `{ref.node.id}` at {where}, which now needs the notebook's `{local[0]}`, "
                f"but `{local[0]}` is a local name there; rename the local"
            )
        node = callee.node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.args.kwarg:
            passed = {k.arg for k in ref.call.keywords}
            if None in passed or passed & set(names):
                return False, (
                    f"takes **{node.args.kwarg.arg}, and the call at {where} passes keywords "
                    f"that could collide with the new parameter {listed}"
                )
        if ref.depth == 0:  # runs with the statement, not when something calls it later
            for name in names:
                binders = self.resolve(name).binders
                if not any(self._before(b, statement, ref) for b in binders):
                    first = min(binders)
                    return False, (
                        f"would pass the notebook's `{name}` at {where}, before `{name}` is first "
                        f"bound (at {self.at(*first)}); move that call below it"
                    )
        return None

    def _before(self, binder: tuple[int, int], statement: Statement, ref: Reference) -> bool:
        if binder == (statement.cell, statement.start):
            return isinstance(statement.node, _COMPOUND)
        return binder < (statement.cell, ref.node.lineno)

    # Rewriting ---------------------------------------------------------------------------

    def rewrite(
        self,
        params: dict[str, tuple[str, ...]],
        moved: dict[str, tuple[Statement, str]],
        renames: dict[str, list[Edit]],
    ) -> Parametrized:
        """The new source of each moved definition (`moved`: name -> statement, source) and
        the edits of the cells, for the definitions in `params` that move; `renames` are the
        edits that give versions of an evolving name their names in the module."""
        result = Parametrized(params=params)
        if not params and not self.quoted and not any(renames.values()):
            # Nothing to pass, quote or rename (most notebooks): the loop below would pass
            # over every statement, after a set made for each that moves.
            return result
        names = self.named(frozenset(params))
        moved_ids = {id(s): name for name, (s, _) in moved.items()}
        for statement in self.statements:
            mover = moved_ids.get(id(statement), "")
            if not mover and names.isdisjoint(statement.reads):
                continue  # stays, and names no definition that takes parameters
            own = params.get(mover, ())
            quoted = list(self.quoted.get(mover, {}).values())
            renamed = renames.get(mover, []) if mover in moved else []
            if not (statement.reads & names) and not own and not quoted and not renamed:
                continue
            lines = self.parsed[statement.cell].cell.source.split("\n")
            edits: list[Edit] = []
            for ref in self.references_of(statement, names):
                found = self._passes(statement, ref, params, moving=bool(mover))
                if found is None:
                    continue
                callee, passed, _ = found
                if ref.call is not None:
                    edits += call_keywords(lines, ref.call, list(passed))
                elif ref.consumer is not None:
                    from dsprod.notebook._wrap import wrapped

                    # In the module, the wrapper calls the version by its name there.
                    edit = wrapped(lines, ref.node, passed, callee if mover else ref.node.id)
                    renamed = [e for e in renamed if (e.line, e.col) != (edit.line, edit.col)]
                    edits.append(edit)
            name = moved_ids.get(id(statement))
            if name is None:
                result.edits.setdefault(statement.cell, []).extend(edits)
                continue
            node = statement.node
            if own and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                edits += keyword_parameters(lines, node, list(own))
                edits += [
                    edit
                    for child in ast.walk(node)
                    if isinstance(child, ast.Global) and set(child.names) & set(own)
                    for edit in without_global(lines, child, set(own))
                ]
            edits += [quote(lines, annotation) for annotation in quoted] + renamed
            result.sources[name] = apply_edits(moved[name][1], edits, statement.start)
        return result


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)
