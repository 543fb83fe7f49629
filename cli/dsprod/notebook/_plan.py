"""Decide what moves out of a notebook: the extraction plan."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.errors import NotebookError
from dsprod.notebook._edits import Edit
from dsprod.notebook._model import (
    CellIssue,
    DefinitionKind,
    Location,
    Notebook,
    ParsedCell,
    Statement,
)
from dsprod.notebook._parse import ParseCache, cell_issues, unparsed_definitions
from dsprod.notebook._resolve import Resolver
from dsprod.notebook._runs import RunLine
from dsprod.notebook._shared import shared_globals
from dsprod.notebook._statements import DEF_TYPES, ImportKey, import_keys, located, words
from dsprod.notebook._versions import Timeline, Version, find_versions, imports_from

__all__ = ["Definition", "ExtractionPlan", "Refusal", "plan_extraction"]


class Definition(NamedTuple):
    """A definition the plan moves, keeps or refuses. A named tuple, not a frozen dataclass:
    one is made per `def`, `class` and constant of the notebook, and a frozen dataclass
    sets each field through object.__setattr__ (three times the cost)."""

    name: str
    kind: DefinitionKind
    path: Path  # the notebook's
    source: str  # the exact lines of the notebook, decorators and attached comments included
    statement: Statement

    @property
    def location(self) -> Location:
        """Where it is defined (made when a message needs it, not for every definition)."""
        return located(self.path, self.statement)


class Refusal(NamedTuple):
    """A definition that stays in the notebook, and why."""

    # A NamedTuple, not a frozen dataclass: as immutable, and compared and hashed by its
    # fields alike, but built at import without generating and compiling methods.

    name: str
    location: Location
    reason: str


class ExtractionPlan(NamedTuple):
    """What moves, what stays and why, and the edits that go with it."""

    # A NamedTuple, not a frozen dataclass: as immutable, and compared by its fields alike,
    # but built at import without generating and compiling methods.
    notebook: Notebook
    definitions: tuple[Definition, ...]  # functions and classes, in notebook order
    constants: tuple[Definition, ...]  # in notebook order
    imports: tuple[ImportKey, ...]
    removed: tuple[Statement, ...]  # every statement that leaves the notebook
    refusals: tuple[Refusal, ...]
    kept: tuple[Definition, ...]  # kept in the notebook on purpose (tag or comment)
    issues: tuple[CellIssue, ...]
    used_names: frozenset[str]  # module-level names the notebook reads after the rewrite
    parsed: tuple[ParsedCell, ...]
    # Names the notebook already imports from the target module, with (cell, line).
    from_module: dict[str, tuple[int, int]]
    # Moved functions that take notebook state as keyword-only parameters, and the edits of
    # the cells that stay (by cell index) that pass it at every call.
    params: dict[str, tuple[str, ...]]
    edits: dict[int, tuple[Edit, ...]]
    # Versions of an evolving name that move: where each `def` stood, (cell, line), the
    # version's name in the module and the notebook's name, which an import binds there.
    aliases: dict[tuple[int, int], tuple[str, str]]
    # Every `def` of those versions, by (cell, line of the `def`): (version, notebook name).
    placed: dict[tuple[int, int], tuple[str, str]]
    # Versions that move under a name of their own (`f_v1`): never over another body.
    renamed: frozenset[str]

    @property
    def moved(self) -> tuple[Definition, ...]:
        return self.constants + self.definitions

    def evolved(self) -> dict[str, list[tuple[str, Location]]]:
        """Each evolving name that moves: its versions' names in the module, with where each
        `def` stood, in notebook order."""
        found: dict[str, list[tuple[str, Location]]] = {}
        for (cell, line), (name, base) in sorted(self.placed.items()):
            found.setdefault(base, []).append((name, Location(self.notebook.path, cell + 1, line)))
        return found

    def module_imports(self) -> list[ImportKey]:
        """The imports the module needs: the moved code's, and the notebook's __future__
        imports, which change how the definitions compile and so travel with them."""
        keys = list(self.imports)
        for parsed in self.parsed:
            for node in parsed.tree.body if parsed.tree else []:
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    for alias in node.names:
                        keys += import_keys(node, alias.asname or alias.name)
        return keys


def grouped_refusals(
    refused: Iterable[Refusal],
    version_of: Mapping[str, Version],
    groups: Mapping[str, list[Version]],
) -> tuple[Refusal, ...]:
    """What stays and why, in notebook order; an evolving name once, under the notebook's
    name, with the reason of the version refused first (the others follow it)."""
    found: dict[str, Refusal] = {}
    bodies = Counter(v.base for v in version_of.values())
    for refusal in refused:
        version = version_of.get(refusal.name)
        if version is None:
            found[refusal.name] = refusal
        elif version.base not in found:
            at = refusal.location
            count = bodies[version.base]
            if count > 1:
                which = (
                    f"is defined with {count} different bodies, which move together, and the one"
                )
            elif any(not v.statements for v in groups.get(version.base, ())):
                # The other body is the module's, which the notebook imported first.
                which = "is defined again after its import from the module, and the new body"
            else:  # bound first by code that stays (`f = len`): notebook state
                which = "is bound before its def by code that stays in the notebook, and the def"
            # Nothing moved, so no cell knows the version's name: the user's name for it.
            reason = re.sub(rf"\b{re.escape(refusal.name)}\b", version.base, refusal.reason)
            found[version.base] = Refusal(
                version.base, at, f"{which} at cell {at.cell}:line {at.line} {reason}"
            )
    return tuple(sorted(found.values(), key=lambda r: (r.location.cell, r.location.line)))


def plan_extraction(
    notebook: Notebook,
    only: frozenset[str] | None = None,
    blocked: dict[str, str] | None = None,
    module: str | None = None,
    cache: ParseCache | None = None,
    parametrize: bool = True,
    held: frozenset[str] = frozenset(),
) -> ExtractionPlan:
    """What moves out of `notebook` into `module` (its dotted name).

    `blocked` names may not move, with the reason why. `held` names keep their body in the
    module, which its other code calls: a `def` of one moves as a version of its own. Cells
    already in `cache` are not parsed again.
    """
    from dsprod.notebook._planner import Planner

    cache = cache or ParseCache()
    blocked = blocked or {}
    parsed = cache.cells(notebook.path, notebook.cells)
    # Most cells have no issue, and `cell_issues` says nothing of them: not asked.
    issues = tuple(issue for p in parsed if p.issue is not None for issue in cell_issues(p))
    # A notebook with definitions in cells that do not parse, and no cell that does: Python 2
    # (or another language) throughout, which only porting helps. Without such definitions
    # there is nothing to extract; that is also a notebook whose Python 3 cells an earlier
    # run moved whole, and running again must not turn into an error.
    if (
        parsed
        and all(p.tree is None for p in parsed)
        and any(p.issue and p.issue.is_error for p in parsed)
        and any(unparsed_definitions(p) for p in parsed)
    ):
        first = next(p.issue for p in parsed if p.issue is not None)
        raise NotebookError(
            f"{first.location}: no code cell parses as Python 3 ({first.reason})",
            hint="is this a Python 2 notebook? port it (e.g. with pyupgrade) and run again",
        )
    every_statement = [s for p in parsed for s in cache.statements(p)]
    # `from <module> import f` is how the notebook uses what an earlier run moved: f is already
    # in the module. By identity: one such import binds many names, and equality of statements
    # compares every field.
    # (`imports_from` called for import statements only: the type test inline, for the rest.)
    imports = [
        s
        for s in every_statement
        if isinstance(s.node, ast.ImportFrom) and imports_from(s.node, module)
    ]
    from_module = {name: s for s in imports for name in s.binds}
    imported = {id(s) for s in imports}
    statements = (
        [s for s in every_statement if id(s) not in imported] if imported else list(every_statement)
    )
    versions, timeline = _versions(parsed, every_statement, imports, module, blocked, held)
    opaque = {p.cell.index: words(p.cell.source) for p in parsed if p.tree is None}
    stars = tuple(
        "." * s.node.level + (s.node.module or "")
        for s in statements
        if isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names)
    )
    runs = tuple(
        RunLine(Location(notebook.path, p.cell.index + 1, line), text)
        for p in parsed
        if p.masked_lines  # most cells: no IPython line, nothing to sort
        for line in sorted(p.masked_lines)
        if (text := p.cell.source.split("\n")[line - 1]).lstrip().startswith(("%run", "%cd"))
    )
    changing = {name: timeline.binders(name) for name in versions}
    resolver = Resolver(
        notebook.path, statements, opaque, stars, blocked, runs, frozenset(from_module), changing
    )
    resolver.share(shared_globals(statements, parsed))
    planner = Planner(
        notebook, parsed, every_statement, resolver, issues, blocked, parametrize, timeline
    )
    return planner.plan(only)._replace(
        from_module={name: (s.cell, s.start) for name, s in from_module.items()},
    )


def _at(statement: Statement) -> tuple[int, int]:
    return (statement.cell, statement.start)


def _versions(
    parsed: tuple[ParsedCell, ...],
    statements: list[Statement],
    imports: list[Statement],  # those that import from `module`
    module: str | None,
    blocked: dict[str, str],
    held: frozenset[str],
) -> tuple[dict[str, list[Version]], Timeline]:
    """The evolving names and their timeline. A version an earlier run moved under the name
    itself that nothing in the notebook runs any more (`from m import f`, then a new `def f`
    before any call) is not kept apart: the new body replaces it in the module."""
    sources = {p.cell.index: p.cell.source for p in parsed}
    by_cell: dict[int, list[str]] = {}  # split when a body is first asked for

    def source_of(statement: Statement) -> str:
        lines = by_cell.get(statement.cell)
        if lines is None:
            lines = by_cell[statement.cell] = sources[statement.cell].split("\n")
        return "\n".join(lines[statement.start - 1 : statement.end])

    taken = {name for s in statements for name in s.binds} | blocked.keys()
    for statement in imports:
        assert isinstance(statement.node, ast.ImportFrom)  # noqa: S101 - imports_from says so
        taken |= {alias.name for alias in statement.node.names}
    ignored: set[str] = set()
    candidates = _bound_again(statements, module, held)
    while True:
        versions = find_versions(
            statements, module, source_of, taken.__contains__, ignored, held, candidates=candidates
        )
        # The timeline keys definitions to follow the evolving names: with none, it asks none.
        keys = {
            id(s): s.node.name
            for s in (statements if versions else ())
            if isinstance(s.node, DEF_TYPES) and s.node.name not in versions
        }
        keys |= {
            id(s): v.module_name
            for vs in versions.values()
            for v in vs
            if not v.stays
            for s in v.statements
        }
        timeline = Timeline(versions, statements, parsed, keys)
        unused = {
            name
            for name, found in versions.items()
            for v in found
            if v.module_name == name
            and name not in held
            and not v.moves
            and name not in timeline.runs
            and timeline.redefined(name, {_at(s) for w in found if w.moves for s in w.statements})
        }
        if not unused:
            return versions, timeline
        ignored |= unused


def _bound_again(
    statements: list[Statement], module: str | None, held: Collection[str]
) -> set[str]:
    """The names that may have versions (`find_versions`'s candidates): bound by two statements
    or more, by an import from `module`, or held. Any other name is bound once, by a def or by
    code that stays, which `find_versions` would pass over after gathering the kind and place
    of its binding: most names of a notebook, found here by set work alone. The names each
    statement gives `find_versions` (a def's own name, an import's, any other's) are among
    its binds."""
    once: set[str] = set()
    many = set(held)
    for statement in statements:
        node = statement.node
        if isinstance(node, DEF_TYPES):
            name = node.name
            if name in once:
                many.add(name)
            else:
                once.add(name)
        elif isinstance(node, ast.ImportFrom) and imports_from(node, module):
            many |= statement.binds
        elif statement.binds:
            if not once.isdisjoint(statement.binds):
                many |= once & statement.binds
            once |= statement.binds
    return many
