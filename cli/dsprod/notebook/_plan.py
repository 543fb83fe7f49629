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
from dsprod.notebook._statements import (
    DEF_TYPES,
    KEEP_COMMENT,
    ImportKey,
    import_keys,
    is_kept,
    words,
)
from dsprod.notebook._versions import Version, evolving, rename_edits, self_referencing

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
    # Versions of an evolving name: where each `def` stood, (cell, line), the version's name
    # in the module and the notebook's name, which an import binds there.
    aliases: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)

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
    blocked = blocked or {}
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
    imported = {
        id(s) for s in every_statement if module is not None and _imports_from(s.node, module)
    }
    statements = [s for s in every_statement if id(s) not in imported]
    for statement in statements:
        node = statement.node
        if not isinstance(node, DEF_TYPES):
            continue
        later = from_module.get(node.name)
        if later is not None and (later.cell, later.start) > (statement.cell, statement.start):
            # An earlier version of what the notebook imports from the module below: the
            # cells in between call this one, and the module's must not become it.
            blocked = {
                **blocked,
                node.name: f"is an earlier version of `{node.name}`, which the notebook "
                f"imports from {module} at cell {later.cell + 1}:line {later.start}; the cells "
                "in between call this one",
            }
    opaque = {p.cell.index: words(p.cell.source) for p in parsed if p.tree is None}
    stars = tuple(
        "." * s.node.level + (s.node.module or "")
        for s in statements
        if isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names)
    )
    runs = tuple(
        Location(notebook.path, p.cell.index + 1, line)
        for p in parsed
        for line in sorted(p.masked_lines)
        if p.cell.source.split("\n")[line - 1].lstrip().startswith("%run")
    )
    by_cell = {p.cell.index: p.cell.source.split("\n") for p in parsed}

    def source_of(statement: Statement) -> str:
        return "\n".join(by_cell[statement.cell][statement.start - 1 : statement.end])

    bound = {name for s in every_statement for name in s.binds} | blocked.keys()
    versions = evolving(statements, source_of, lambda n: n in bound or n in from_module)
    # A name imported from the module more than once is an evolving definition an earlier run
    # moved (`import f_v1 as f`, later `import f`): which one a call reaches depends on when.
    reimports: dict[str, list[Statement]] = {}
    for statement in every_statement:
        if module is not None and _imports_from(statement.node, module):
            for name in statement.binds:
                reimports.setdefault(name, []).append(statement)
    changing = {n: tuple((s.cell, s.start) for s in found) for n, found in reimports.items()}
    resolver = Resolver(
        notebook.path, statements, opaque, stars, blocked, runs, frozenset(from_module),
        frozenset(versions), {n: at for n, at in changing.items() if len(at) > 1},
    )  # fmt: skip
    planner = _Planner(
        notebook, parsed, every_statement, resolver, issues, blocked, parametrize, versions
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
        versions: dict[str, list[Version]],
    ) -> None:
        self.notebook = notebook
        self.versions = versions
        self.renames: dict[str, list[Edit]] = {}  # version -> the edits that rename it
        # (cell, line) of each `def` of a version that moves -> (module name, notebook name)
        self.aliases: dict[tuple[int, int], tuple[str, str]] = {}
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
            self.renames,
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
            aliases={at: names for at, names in self.aliases.items() if names[0] in selected},
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
            self.params, problems = self.parametrizer.solve(
                movable, needs, {v.module_name for vs in self.versions.values() for v in vs}
            )
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
                self.versions.pop(node.name, None)
                continue
            if node.name in self.versions:
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
        for name, versions in self.versions.items():
            if any(k.name == name for k in kept):
                # A kept version stays: the others cannot be told apart from it. Refused whole.
                first[name] = self._definition(versions[0].statements[0], name, "function")
                self._refuse(first[name], "is defined several times, and one of them is kept")
                continue
            last = next(v for v in versions if v.module_name == v.base)
            for version in versions:
                first[version.module_name] = self._version(version, last, duplicates)
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

    def _version(
        self, version: Version, last: Version, duplicates: dict[str, list[Statement]]
    ) -> Definition:
        """A candidate for one version of an evolving name, renamed in the module."""
        statement = version.statements[0]
        kind = "class" if isinstance(statement.node, ast.ClassDef) else "function"
        definition = self._definition(statement, version.module_name, kind)
        duplicates[version.module_name] = version.statements[1:]
        lines = self.by_cell[statement.cell].cell.source.split("\n")
        edits, early = rename_edits(lines, statement, version.module_name)
        if version.module_name != version.base:
            self.renames[version.module_name] = edits
        if early:
            self._refuse(
                definition,
                f"reads its own name `{version.base}` where it is defined (a decorator or a "
                "default value), which names another version there",
            )
        elif kind == "class" and version is not last and self_referencing(statement):
            self._refuse(
                definition,
                f"is an earlier version of the class `{version.base}` and names it inside: its "
                "instances may outlive it, and then mean the later version",
            )
        for each in version.statements:
            self.aliases[(each.cell, each.start)] = (version.module_name, version.base)
        return definition

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
        if statement.global_writes:
            variable = sorted(statement.global_writes)[0]
            self._refuse(
                definition,
                f"assigns the notebook variable `{variable}` through "
                "`global`; return the new value instead",
            )
            return
        # A version of an evolving name calls itself by the notebook's name: it is renamed.
        own = statement.node.name if isinstance(statement.node, DEF_TYPES) else name
        pending = sorted(statement.reads - {name, own})
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
