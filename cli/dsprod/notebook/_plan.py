"""Decide what moves out of a notebook: the extraction plan."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

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
from dsprod.notebook._params import Parametrizer
from dsprod.notebook._parse import ParseCache, cell_issues
from dsprod.notebook._resolve import Resolver
from dsprod.notebook._runs import RunLine
from dsprod.notebook._shared import shared_globals
from dsprod.notebook._statements import (
    DEF_TYPES,
    KEEP_COMMENT,
    ImportKey,
    import_keys,
    is_kept,
    words,
)

__all__ = ["Definition", "ExtractionPlan", "Refusal", "plan_extraction"]


@dataclass(frozen=True)
class Definition:
    name: str
    kind: DefinitionKind
    location: Location
    source: str  # the exact lines of the notebook, decorators and attached comments included
    statement: Statement


@dataclass(frozen=True)
class Refusal:
    name: str
    location: Location
    reason: str


@dataclass(frozen=True)
class ExtractionPlan:
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
    from_module: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Moved functions that take notebook state as keyword-only parameters, and the edits of
    # the cells that stay (by cell index) that pass it at every call.
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    edits: dict[int, tuple[Edit, ...]] = field(default_factory=dict)

    @property
    def moved(self) -> tuple[Definition, ...]:
        return self.constants + self.definitions

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


def plan_extraction(
    notebook: Notebook,
    only: frozenset[str] | None = None,
    blocked: dict[str, str] | None = None,
    module: str | None = None,
    cache: ParseCache | None = None,
    parametrize: bool = True,
) -> ExtractionPlan:
    """What moves out of `notebook` into `module` (its dotted name).

    `blocked` names may not move, with the reason why. Cells already in `cache` are not
    parsed again.
    """
    cache = cache or ParseCache()
    parsed = cache.cells(notebook.path, notebook.cells)
    issues = tuple(issue for p in parsed for issue in cell_issues(p))
    if (
        parsed
        and all(p.tree is None for p in parsed)
        and any(p.issue and p.issue.is_error for p in parsed)
    ):
        first = next(p.issue for p in parsed if p.issue is not None)
        raise NotebookError(
            f"{first.location}: no code cell parses as Python 3 ({first.reason})",
            hint="is this a Python 2 notebook? port it (e.g. with pyupgrade) and run again",
        )
    every_statement = [s for p in parsed for s in cache.statements(p)]
    # `from <module> import f` is how the notebook uses what an earlier run moved: f is already
    # in the module, and a new `def f` in the notebook is a new version of it, not a clash.
    from_module = {
        name: s
        for s in every_statement
        if module is not None and _imports_from(s.node, module)
        for name in s.binds
    }
    # By identity: one `from <module> import a, b, ...` binds many names, and equality of
    # statements compares every field.
    imported = {id(s) for s in from_module.values()}
    statements = [s for s in every_statement if id(s) not in imported]
    opaque = {p.cell.index: words(p.cell.source) for p in parsed if p.tree is None}
    stars = tuple(
        "." * s.node.level + (s.node.module or "")
        for s in statements
        if isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names)
    )
    runs = tuple(
        RunLine(Location(notebook.path, p.cell.index + 1, line), text)
        for p in parsed
        for line in sorted(p.masked_lines)
        if (text := p.cell.source.split("\n")[line - 1]).lstrip().startswith(("%run", "%cd"))
    )
    resolver = Resolver(
        notebook.path, statements, opaque, stars, blocked or {}, runs, frozenset(from_module)
    )
    resolver.share(shared_globals(statements, parsed))
    planner = _Planner(
        notebook, parsed, every_statement, resolver, issues, blocked or {}, parametrize
    )
    return replace(
        planner.plan(only),
        from_module={name: (s.cell, s.start) for name, s in from_module.items()},
    )


def _imports_from(node: ast.stmt, module: str) -> bool:
    return isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == module


class _Planner:
    def __init__(
        self,
        notebook: Notebook,
        parsed: tuple[ParsedCell, ...],
        statements: list[Statement],
        resolver: Resolver,
        issues: tuple[CellIssue, ...],
        blocked: dict[str, str],
        parametrize: bool,
    ) -> None:
        self.notebook = notebook
        self.parametrize = parametrize
        self.parametrizer = Parametrizer(
            statements,
            {p.cell.index: p for p in parsed},
            resolver.resolve,
            lambda cell, line: Location(notebook.path, cell + 1, line),
        )
        self.blocked = blocked
        self.parsed = parsed
        self.by_cell = {p.cell.index: p for p in parsed}
        self.statements = statements
        self.resolver = resolver
        self.issues = issues
        self.refused: dict[str, Refusal] = {}

    def _definition(self, statement: Statement, name: str, kind: DefinitionKind) -> Definition:
        lines = self.by_cell[statement.cell].cell.source.split("\n")
        source = "\n".join(lines[statement.start - 1 : statement.end])
        return Definition(name, kind, self.resolver.where(statement), source, statement)

    def _is_kept(self, statement: Statement) -> bool:
        parsed = self.by_cell[statement.cell]
        node = statement.node
        if not isinstance(node, DEF_TYPES):
            return False
        return is_kept(parsed, parsed.cell.source.split("\n"), node, statement.start)

    def plan(self, only: frozenset[str] | None) -> ExtractionPlan:
        candidates, kept, duplicates = self._candidates()
        if only is not None:
            unknown = sorted(only - candidates.keys() - {k.name for k in kept})
            if unknown:
                raise NotebookError(
                    f"{self.notebook.path}: --only names {', '.join(unknown)}, "
                    "which the notebook does not define at the top level of a code cell",
                    hint="defined here: " + (", ".join(sorted(candidates)) or "nothing"),
                )
        needs: dict[str, set[str]] = {}
        constants_of: dict[str, set[str]] = {}
        imports_of: dict[str, set[ImportKey]] = {}
        kept_names = {k.name for k in kept}
        for definition in candidates.values():
            self._check(definition, candidates, kept_names, needs, constants_of, imports_of)
        self._settle(candidates, kept_names, needs)
        selected = self._select(candidates, needs, only)
        constant_names: set[str] = set()
        import_set: set[ImportKey] = set()
        for name in selected:
            constant_names |= constants_of[name]
            import_set |= imports_of[name]
        constants = sorted(
            (self._definition(self.resolver.bindings[c][0], c, "constant") for c in constant_names),
            key=_order,
        )
        parametrized = self.parametrizer.rewrite(
            {n: p for n, p in self.params.items() if n in selected},
            {n: (candidates[n].statement, candidates[n].source) for n in selected},
        )
        definitions = tuple(
            sorted(
                (
                    replace(candidates[n], source=parametrized.sources.get(n, candidates[n].source))
                    for n in selected
                ),
                key=_order,
            )
        )
        removed_statements = [d.statement for d in (*definitions, *constants)]
        removed_statements += [s for n in selected for s in duplicates.get(n, [])]
        removed_statements += self._unused_imports(set(removed_statements), import_set)
        removed = tuple(sorted(set(removed_statements), key=lambda s: (s.cell, s.start)))
        return ExtractionPlan(
            notebook=self.notebook,
            definitions=definitions,
            constants=tuple(constants),
            imports=tuple(sorted(import_set)),
            removed=removed,
            refusals=tuple(
                sorted(self.refused.values(), key=lambda r: (r.location.cell, r.location.line))
            ),
            kept=tuple(kept),
            issues=self.issues,
            used_names=self._used_after(set(removed)) | parametrized.passed,
            parsed=self.parsed,
            params=parametrized.params,
            edits={c: tuple(e) for c, e in parametrized.edits.items() if e},
        )

    def _settle(
        self,
        candidates: dict[str, Definition],
        kept_names: set[str],
        needs: dict[str, set[str]],
    ) -> None:
        """Refuse until what moves is closed: what a movable definition uses moves too, and
        every use of one that takes new parameters passes them."""
        self.params: dict[str, tuple[str, ...]] = {}
        while True:
            self._propagate(candidates, kept_names, needs)
            movable = {n: d.statement for n, d in candidates.items() if n not in self.refused}
            self.params, problems = self.parametrizer.solve(movable, needs)
            for name, reason in sorted(problems.items()):
                self._refuse(candidates[name], reason)
            if not problems:
                return

    def _propagate(
        self, candidates: dict[str, Definition], kept_names: set[str], needs: dict[str, set[str]]
    ) -> None:
        # A definition that uses a refused one cannot move either: it would call a name
        # the module does not have.
        changed = True
        while changed:
            changed = False
            for name in list(candidates):
                if name in self.refused:
                    continue
                for dep in sorted(needs[name]):
                    if dep in self.refused:
                        self._refuse(
                            candidates[name],
                            f"uses `{dep}`, which stays in the notebook "
                            f"({dep} {self.refused[dep].reason})",
                        )
                        changed = True
                        break
                    if dep in kept_names:
                        self._refuse(
                            candidates[name],
                            f"uses `{dep}`, which is kept in the notebook "
                            f"({KEEP_COMMENT}); keep {name} there too, or stop keeping {dep}",
                        )
                        changed = True
                        break
            changed = self._keep_together(candidates, kept_names) or changed

    def _keep_together(self, candidates: dict[str, Definition], kept_names: set[str]) -> bool:
        """Functions that share a variable only they use move together or not at all: one
        left behind would use the notebook's variable, the others the module's."""
        changed = False
        for variable, users in sorted(self.resolver.shared.items()):
            staying = sorted(u for u in users if u in self.refused or u in kept_names)
            for name in sorted(users - set(staying)):
                if staying and name in candidates and name not in self.refused:
                    why = self.refused[staying[0]].reason if staying[0] in self.refused else ""
                    self._refuse(
                        candidates[name],
                        f"shares the notebook variable `{variable}` (set through `global`) "
                        f"with `{staying[0]}`, which stays in the notebook"
                        + (f" ({staying[0]} {why})" if why else ""),
                    )
                    changed = True
        return changed

    def _candidates(
        self,
    ) -> tuple[dict[str, Definition], list[Definition], dict[str, list[Statement]]]:
        first: dict[str, Definition] = {}
        duplicates: dict[str, list[Statement]] = {}
        kept: list[Definition] = []
        for statement in self.statements:
            node = statement.node
            if not isinstance(node, DEF_TYPES):
                continue
            kind: DefinitionKind = "class" if isinstance(node, ast.ClassDef) else "function"
            definition = self._definition(statement, node.name, kind)
            if self._is_kept(statement):
                kept.append(definition)
                continue
            if node.name in self.blocked:
                self._refuse(definition, self.blocked[node.name])
            if node.name not in first:
                first[node.name] = definition
            elif first[node.name].source == definition.source:
                duplicates.setdefault(node.name, []).append(statement)
            else:
                self._refuse(
                    first[node.name],
                    f"is defined twice with different bodies, at {first[node.name].location} "
                    f"and {definition.location}; delete the one you do not want",
                )
        for name, definition in first.items():
            if any(k.name == name for k in kept):
                self._refuse(definition, "is also defined in a kept cell")
                continue
            others = [
                s for s in self.resolver.bindings.get(name, [])
                if not isinstance(s.node, DEF_TYPES)
            ]  # fmt: skip
            if others:
                where = self.resolver.where(others[0])
                self._refuse(
                    definition, f"is also assigned at {where}; the notebook rebinds the name"
                )
        return first, kept, duplicates

    def _check(
        self,
        definition: Definition,
        candidates: dict[str, Definition],
        kept_names: set[str],
        needs: dict[str, set[str]],
        constants_of: dict[str, set[str]],
        imports_of: dict[str, set[ImportKey]],
    ) -> None:
        name = definition.name
        statement = definition.statement
        needs[name], constants_of[name], imports_of[name] = set(), set(), set()
        masked = self.by_cell[statement.cell].masked_lines
        inside = sorted(line for line in masked if statement.start <= line <= statement.end)
        if inside:
            where = Location(self.notebook.path, statement.cell + 1, inside[0])
            self._refuse(
                definition,
                f"contains IPython syntax at {where}, which runs only in "
                "a notebook; replace it with plain Python (e.g. subprocess)",
            )
            return
        writes = statement.global_writes - self.resolver.shared.keys()
        if writes:
            variable = sorted(writes)[0]
            self._refuse(
                definition,
                f"assigns the notebook variable `{variable}` through "
                "`global`; return the new value instead",
            )
            return
        pending = sorted(statement.reads - {name})
        seen: set[str] = set()
        while pending:
            read = pending.pop()
            if read in seen:
                continue
            seen.add(read)
            resolution = self.resolver.resolve(read)
            if resolution.kind == "import":
                imports_of[name].update(resolution.imports)
            elif resolution.kind == "definition":
                if read in candidates or read in kept_names:
                    needs[name].add(read)
            elif resolution.kind == "constant":
                constants_of[name].add(read)
                constant = self.resolver.bindings[read][0]
                pending.extend(sorted(constant.reads - seen))
            elif resolution.kind == "state":
                fix = resolution.fix or f"make `{read}` a parameter of {name}"
                if self.parametrize and resolution.binders:
                    fix = self.parametrizer.take(name, statement, read)
                if not fix:
                    continue
                self._refuse(definition, f"uses `{read}`, which {resolution.reason}; {fix}")
                return

    def _refuse(self, definition: Definition, reason: str) -> None:
        self.refused.setdefault(
            definition.name, Refusal(definition.name, definition.location, reason)
        )

    def _select(
        self,
        candidates: dict[str, Definition],
        needs: dict[str, set[str]],
        only: frozenset[str] | None,
    ) -> set[str]:
        movable = {n for n in candidates if n not in self.refused}
        if only is None:
            return movable
        selected: set[str] = set()
        pending = [n for n in only if n in movable]
        while pending:
            name = pending.pop()
            if name not in selected:
                selected.add(name)
                pending.extend(needs[name])
                pending.extend(
                    u
                    for users in self.resolver.shared.values()
                    if name in users
                    for u in users
                    if u in movable
                )
        return selected

    def _unused_imports(
        self, removed: set[Statement], moved_imports: set[ImportKey]
    ) -> list[Statement]:
        """Import statements that only the moved code used: they go with it (the module has
        its own copy), or ruff's F401 would flag them in the notebook. A statement goes only
        when every name it binds is needed by the moved code and read nowhere else."""
        needed = {key[2] or (key[1] if key[1] else key[0].split(".")[0]) for key in moved_imports}
        used = self._used_after(removed)
        # Only the import's own lines go: a comment above it stays in the notebook (it may
        # head the whole import block).
        return [
            replace(statement, start=statement.node.lineno)
            for statement in self.statements
            if isinstance(statement.node, ast.Import | ast.ImportFrom)
            and statement not in removed
            and not statement.shares_line
            and not statement.ipython
            and statement.binds
            and statement.binds <= needed
            and not statement.binds & used
        ]

    def _used_after(self, removed: set[Statement]) -> frozenset[str]:
        used: set[str] = set()
        for statement in self.statements:
            if statement not in removed:
                used |= statement.reads
        for parsed in self.parsed:
            lines = parsed.cell.source.split("\n")
            if parsed.tree is None:
                used |= words(parsed.cell.source)
            for number in parsed.masked_lines:
                used |= words(_magic_arguments(lines[number - 1]))
        return frozenset(used)


def _magic_arguments(line: str) -> str:
    """A masked line without its magic's own name: `%matplotlib inline` reads no variable
    called matplotlib (and must not keep `import matplotlib` alive), `%timeit f(x)` reads f."""
    return re.sub(r"^\s*%{1,2}[\w.]+", "", line)


def _order(definition: Definition) -> tuple[int, int]:
    return (definition.statement.cell, definition.statement.start)
