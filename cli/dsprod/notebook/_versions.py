"""Evolving definitions: one name defined with different bodies in several cells.

Notebooks grow a function in steps: `clean` in cell 3, a better `clean` with a new argument in
cell 9. Every version moves: the last one under its own name, the earlier ones as `clean_v1`,
`clean_v2`, ... And each `def` is replaced, where it stood, by an import that binds the name
to that version (`from pkg.mod import clean_v1 as clean`), so the notebook rebinds the name at
the very point it did before: every cell calls the version it called before, without a call
site changing. A later run reads those imports as the versions they bind, so it sees the
notebook as the first run did.

A definition that reads an evolving name (a version calling itself, `report` calling `clean`)
looks the name up when it runs. The timeline below finds when each definition may run: at
the calls the notebook makes, at the calls of what calls it, and, for a function passed as a
value, a class (its instances outlive the call), a generator or a lambda, at any time after.
When all those moments see one version, the moved code names that version (`clean_v1(x)`);
when they see several, the name is notebook state, which a function takes as a parameter.
"""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Set
from functools import cached_property

from dsprod._records import NamedTuple
from dsprod.notebook._edits import Edit, rename_edits
from dsprod.notebook._model import ParsedCell, Statement
from dsprod.notebook._references import Reference, references, yields
from dsprod.notebook._statements import DEF_TYPES, words

__all__ = ["Timeline", "Version", "find_versions"]

Position = tuple[int, int]  # (cell index, first line of the statement)


class Version(NamedTuple):
    """One body of an evolving name."""

    # A NamedTuple, not a frozen dataclass: as immutable, and compared and hashed by its
    # fields alike, but built at import without generating and compiling methods.

    base: str  # the name in the notebook
    module_name: str  # the name in the module
    # The `def`s with this body, in order; none when an earlier run moved it (an import binds it)
    statements: tuple[Statement, ...]
    # Bound by a statement that stays in the notebook (`f = np.vectorize(f)`): notebook state.
    stays: bool = False

    @property
    def moves(self) -> bool:
        return bool(self.statements) and not self.stays


def _position(statement: Statement) -> Position:
    return (statement.cell, statement.start)


def imports_from(node: ast.stmt, module: str | None) -> bool:
    return (
        module is not None
        and isinstance(node, ast.ImportFrom)
        and node.level == 0
        and node.module == module
    )


def find_versions(
    statements: list[Statement],
    module: str | None,
    source_of: Callable[[Statement], str],
    taken: Callable[[str], bool],
    replaced: Collection[str] = (),
    held: Collection[str] = (),
    *,
    candidates: Set[str],
) -> dict[str, list[Version]]:
    """The evolving names of `statements` (every top-level statement, in order), each with its
    versions in order of first appearance. A name qualifies when `def`/`class` statements of
    it, imports from `module` and other top-level statements bind it (each of those a version
    that stays: state), to two versions or more, or to a version an earlier run renamed.
    `replaced` names are not bound by their plain import (`from m import f`): a new body
    replaces the module's. `held` names are the module's own bodies that its other code still
    calls where the notebook reaches it (`_merge.held_by_callers`): a `def` of one is a
    version beside the module's, which keeps the name, as if an import bound it first.
    Versions defined in the notebook get names: the last body keeps the name when no import
    binds it, the others get `name_v1`, `name_v2`, ... (skipping `taken` names). Only
    `candidates` are looked at: every name that may qualify must be among them."""
    if not candidates:
        return {}
    bindings: dict[str, list[tuple[str, str, Statement]]] = {}  # name -> (kind, identity, at)
    plain: set[str] = set()
    for statement in statements:
        node = statement.node
        if isinstance(node, ast.ImportFrom) and imports_from(node, module):  # no call for most
            assert isinstance(node, ast.ImportFrom)  # noqa: S101 - imports_from says so
            for alias in node.names:
                replacing = alias.asname is None and alias.name in replaced
                if alias.name != "*" and not replacing:
                    entry = ("import", alias.name, statement)
                    bindings.setdefault(alias.asname or alias.name, []).append(entry)
        elif isinstance(node, DEF_TYPES):
            # The body's text is its identity: read below, for a name bound more than once.
            if node.name in candidates:
                bindings.setdefault(node.name, []).append(("def", "", statement))
            if len(statement.binds) > 1:
                # Assigned through `global` when a function is called: no place in the timeline.
                plain |= statement.binds - {node.name}
        elif statement.binds and not candidates.isdisjoint(statement.binds):
            at = f"{statement.cell}:{statement.start}"
            for name in statement.binds:
                if name in candidates:
                    bindings.setdefault(name, []).append(("state", at, statement))
    found: dict[str, list[Version]] = {}
    for name, met in bindings.items():
        if len(met) == 1:  # most names, without making a set of kinds
            kind = met[0][0]
            if kind == "state" or (kind == "def" and name not in held):
                continue  # state only: no body to move; or one body, nothing else binds it
        kinds = {kind for kind, _, _ in met}
        if kinds == {"state"}:
            continue  # bound by statements that stay only: no body to move, no version
        bound = [(kind, source_of(s) if kind == "def" else key, s) for kind, key, s in met]
        identities = list(dict.fromkeys((kind, key) for kind, key, _ in bound))
        if name in held and any(kind == "def" for kind, _ in identities):
            # The module's body, which no statement here binds, comes first: older than any.
            identities = list(dict.fromkeys([("import", name), *identities]))
        renamed = any(kind == "import" and key != name for kind, key in identities)
        kinds = {kind for kind, _ in identities}
        if name in plain or kinds == {"state"} or (len(identities) < 2 and not renamed):
            continue
        found[name] = _named(name, bound, identities, taken)
    return found


def _named(
    name: str,
    bound: list[tuple[str, str, Statement]],
    identities: list[tuple[str, str]],
    taken: Callable[[str], bool],
) -> list[Version]:
    imported = any(kind == "import" for kind, _ in identities)
    defs = [(kind, key) for kind, key, _ in bound if kind == "def"]
    last = defs[-1] if defs and not imported else None
    used = {key for kind, key in identities if kind == "import"}
    number = 0
    versions: list[Version] = []
    for kind, key in identities:
        if kind == "import":
            versions.append(Version(name, key, ()))
            continue
        if kind == "state":
            stays = tuple(s for k, at, s in bound if k == "state" and at == key)
            versions.append(Version(name, "", stays, stays=True))
            continue
        defining = tuple(s for k, body, s in bound if k == "def" and body == key)
        if (kind, key) == last:
            versions.append(Version(name, name, defining))
            continue
        number += 1
        while f"{name}_v{number}" in used or taken(f"{name}_v{number}"):
            number += 1
        used.add(f"{name}_v{number}")
        versions.append(Version(name, f"{name}_v{number}", defining))
    return versions


class Timeline:
    """When each version of the evolving names is bound, and when each definition may run.

    The notebook's top-level statements run in order; an epoch is the stretch between two
    statements that bind an evolving name. Definitions are keyed by their name in the module
    (a version's `clean_v1`, any other definition's own name).
    """

    def __init__(
        self,
        versions: dict[str, list[Version]],
        statements: list[Statement],
        parsed: Iterable[ParsedCell],
        keys: dict[int, str],  # id of a definition's statement -> its key
    ) -> None:
        self.versions = versions
        binds: list[tuple[Position, str, str]] = []
        for name, found in versions.items():
            for version in found:
                binders = version.statements or _imports_of(statements, name, version)
                binds += [(_position(s), name, version.module_name) for s in binders]
        binds.sort()
        self.boundaries = [at for at, _, _ in binds]
        self._module_names = {(name, at): module_name for at, name, module_name in binds}
        self._bound = [name for _, name, _ in binds]
        self.last = len(binds)
        # live[name][epoch]: the version bound in that epoch (None before the first)
        self.live: dict[str, list[str | None]] = {}
        for name in versions:
            current: str | None = None
            column = [current]
            for _, bound, module_name in binds:
                current = module_name if bound == name else current
                column.append(current)
            self.live[name] = column
        self.keys = keys
        self._statements = statements
        self.runs = self._runs(statements, parsed)

    @cached_property
    def deferred(self) -> set[str]:
        """Definitions that run later than they are called: classes (their instances' methods
        run whenever called) and generators. Found when first asked: only evolving names ask,
        and walking every function's body costs a tenth of a plan of 2,000 cells."""
        return {
            self.keys[id(s)]
            for s in self._statements
            if id(s) in self.keys
            and (
                isinstance(s.node, ast.ClassDef)
                or (isinstance(s.node, ast.FunctionDef | ast.AsyncFunctionDef) and yields(s.node))
            )
        }

    def binders(self, name: str) -> tuple[Position, ...]:
        """Where the versions of `name` are bound, in order."""
        pairs = zip(self.boundaries, self._bound, strict=True)
        return tuple(at for at, bound in pairs if bound == name)

    def redefined(self, name: str, defs: set[Position]) -> bool:
        """Whether each import of the module's own `name` is followed by a `def` of it
        (at one of `defs`), which then replaces it in the module."""
        binders = self.binders(name)
        imports = [i for i, at in enumerate(binders) if at not in defs and self._is_plain(name, at)]
        return bool(imports) and all(
            i + 1 < len(binders) and binders[i + 1] in defs for i in imports
        )

    def _is_plain(self, name: str, at: Position) -> bool:
        return self._module_names.get((name, at)) == name

    def epoch(self, at: Position) -> int:
        """The epoch a statement at `at` runs in (it sees what was bound before it)."""
        return bisect_left(self.boundaries, at)

    def _target(self, name: str, epoch: int) -> str | None:
        if name in self.live:
            return self.live[name][epoch]
        return name

    def _runs(
        self, statements: list[Statement], parsed: Iterable[ParsedCell]
    ) -> dict[str, set[int]]:
        """For each definition, the epochs in which it may run."""
        if not self.versions:
            # No evolving name: one epoch, in which whatever runs runs. Every reader falls back
            # to that epoch for a definition not listed, so walking every reference of every
            # definition (a third of a plan on a notebook of 2,000 cells) would find nothing.
            return {}
        names = frozenset(self.versions) | frozenset(self.keys.values())
        runs: dict[str, set[int]] = {}
        bodies: dict[str, list[Reference]] = {}
        work: list[tuple[str, set[int]]] = []

        def run(key: str, epochs: set[int]) -> None:
            if key in self.deferred:  # a class's methods, a generator: run later too
                epochs = set(range(min(epochs), self.last + 1))
            new = epochs - runs.setdefault(key, set())
            if new:
                runs[key] |= new
                work.append((key, new))

        def reach(name: str, epochs: set[int], later: bool, lookup: bool = False) -> None:
            # Not before the first binding, nor a binding that stays (state): no key.
            found: dict[str, set[int]] = {}
            if not later:
                for epoch in epochs:
                    found.setdefault(self._target(name, epoch) or "", set()).add(epoch)
            else:
                # A call in a closure looks the name up when it runs: whatever is bound then. A
                # value is called at any time after it was taken, whichever came later.
                for epoch in range(min(epochs), self.last + 1):
                    key = self._target(name, epoch) or ""
                    if lookup:
                        found.setdefault(key, set()).add(epoch)
                    elif key not in found:
                        found[key] = set(range(epoch, self.last + 1))
            for key, seen in sorted(found.items()):
                if key:
                    run(key, seen)

        for statement in statements:
            key = self.keys.get(id(statement))
            epoch = self.epoch(_position(statement))
            for ref in references(statement.node, names):
                if key is not None and ref.depth >= 1:
                    bodies.setdefault(key, []).append(ref)
                else:
                    call = ref.call is not None
                    reach(ref.node.id, {epoch}, not (ref.depth == 0 and call), lookup=call)
        for cell in parsed:
            lines = cell.cell.source.split("\n")
            texts = [(n, lines[n - 1]) for n in sorted(cell.masked_lines)] if cell.tree else []
            for number, text in texts or ([(1, cell.cell.source)] if cell.tree is None else []):
                for name in sorted(words(text) & names):
                    reach(name, {self.epoch((cell.cell.index, number))}, later=True)
        while work:
            key, new = work.pop()
            for ref in bodies.get(key, []):
                call = ref.call is not None
                reach(ref.node.id, new, not (ref.depth == 1 and call), lookup=call)
        return runs

    def resolve(self, statement: Statement, key: str, name: str) -> dict[int, str] | None:
        """Which version each read of the evolving `name` in the definition `statement`
        (keyed `key`) reaches, by the id of the read's node; None when a read may reach
        several (the name is then notebook state for it)."""
        at = _position(statement)
        epochs = self.runs.get(key) or {bisect_right(self.boundaries, at)}
        later = set(range(min(epochs), self.last + 1))
        found: dict[int, str] = {}
        for ref in references(statement.node, frozenset([name])):
            if ref.depth == 0:
                seen = {self.epoch(at)}
            elif ref.depth == 1 and key not in self.deferred:
                seen = epochs
            else:
                seen = later
            reached = {v for v in (self._target(name, e) for e in seen) if v is not None}
            if len(reached) > 1 or "" in reached:  # several versions, or notebook state
                return None
            found[id(ref.node)] = reached.pop() if reached else self._last(name)
        return found

    def reaches(self, statement: Statement, ref: Reference) -> frozenset[str]:
        """The versions (by name in the module) a read of an evolving name in `statement`,
        which stays in the notebook, may reach: a call where the statement runs, at that
        time; anything else (a call in a closure, a function the read passes on, then wrapped
        in a lambda that looks the name up when called), at any time after. '' is a binding
        that stays (notebook state)."""
        at = _position(statement)
        key = self.keys.get(id(statement))
        call = ref.call is not None
        if key is None:
            start = self.epoch(at)
            seen = {start} if ref.depth == 0 and call else set(range(start, self.last + 1))
        else:
            epochs = self.runs.get(key) or {bisect_right(self.boundaries, at)}
            if ref.depth == 0:
                seen = {self.epoch(at)}
            elif ref.depth == 1 and call and key not in self.deferred:
                seen = epochs
            else:
                seen = set(range(min(epochs), self.last + 1))
        name = ref.node.id
        return frozenset(v for v in (self._target(name, e) for e in seen) if v is not None)

    def module_names(self, name: str) -> tuple[str, ...]:
        """The names in the module of the versions of the evolving `name`."""
        return tuple(v.module_name for v in self.versions.get(name, ()) if v.module_name)

    def named_versions(
        self, statement: Statement, key: str, header: str | None, lines: list[str]
    ) -> tuple[set[str], dict[int, str], list[Edit]] | None:
        """For the definition at `statement` (keyed `key`, its source `lines`): the evolving
        names it reads that reach one version wherever it runs, the version each of those
        reads reaches (by the id of its node), and the edits that name them in the module (and
        rename the definition to `header`). None when a read cannot be renamed."""
        reads: dict[int, str] = {}
        static: set[str] = set()
        for read in sorted(statement.reads & self.versions.keys()):
            found = self.resolve(statement, key, read)
            if found is not None:  # else several versions: state, as the resolver says
                static.add(read)
                reads.update(found)
        if not reads and header is None:
            return static, {}, []
        edits = rename_edits(lines, statement, header, reads)
        return None if edits is None else (static, reads, edits)

    def _last(self, name: str) -> str:
        return next(v for v in reversed(self.live[name]) if v)


def _imports_of(statements: list[Statement], name: str, version: Version) -> list[Statement]:
    return [
        s
        for s in statements
        if isinstance(s.node, ast.ImportFrom)
        and any(
            (a.asname or a.name) == name and a.name == version.module_name for a in s.node.names
        )
    ]
