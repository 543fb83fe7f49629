"""The planner's rules: what moves, what stays and why, for one notebook."""

from __future__ import annotations

import ast

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
from dsprod.notebook._plan import Definition, ExtractionPlan, Refusal, grouped_refusals
from dsprod.notebook._planner_checks import DefinitionChecks
from dsprod.notebook._resolve import Resolver
from dsprod.notebook._statements import DEF_TYPES, KEEP_COMMENT, KEEP_TAG, ImportKey, is_kept
from dsprod.notebook._together import left_behind, together
from dsprod.notebook._usage import unused_imports, used_after
from dsprod.notebook._versions import Timeline, Version

__all__ = ["Planner"]

_new_definition = tuple.__new__


class Planner(DefinitionChecks):
    def __init__(
        self,
        notebook: Notebook,
        parsed: tuple[ParsedCell, ...],
        statements: list[Statement],
        resolver: Resolver,
        issues: tuple[CellIssue, ...],
        blocked: dict[str, str],
        parametrize: bool,
        timeline: Timeline,
    ) -> None:
        self.notebook = notebook
        self.timeline = timeline
        self.groups = timeline.versions  # evolving names -> their versions
        # A version that moves, by its name in the module.
        self.version_of: dict[str, Version] = {
            v.module_name: v for vs in self.groups.values() for v in vs if v.moves
        }
        self.renames: dict[str, list[Edit]] = {}  # definition -> edits naming versions
        # definition -> its new name in the module (a version's), and the version each read
        # of an evolving name names (by the id of the read's node)
        self.named: dict[str, tuple[str | None, dict[int, str]]] = {}
        self.parametrize = parametrize
        self.by_cell = {p.cell.index: p for p in parsed}
        self.parametrizer = Parametrizer(
            statements,
            self.by_cell,  # which neither changes
            resolver.resolve,
            lambda cell, line: Location(notebook.path, cell + 1, line),
            timeline,
        )
        self.blocked = blocked
        self.parsed = parsed
        self._lines: dict[int, list[str]] = {}
        self.statements = statements
        self.resolver = resolver
        self.issues = issues
        self.refused: dict[str, Refusal] = {}

    def _definition(self, statement: Statement, name: str, kind: DefinitionKind) -> Definition:
        text = self.by_cell[statement.cell].cell.source
        if statement.start == 1 and statement.end == text.count("\n") + 1:
            # The whole cell (most definitions have one of their own): its lines, all of
            # them joined again, are its text; the cell is neither split nor joined.
            source = text
        else:
            lines = self.lines(statement.cell)
            source = "\n".join(lines[statement.start - 1 : statement.end])
        # Made by tuple's own constructor: Definition's (a NamedTuple's) is Python code, and
        # one is made for every definition and constant of a notebook.
        return _new_definition(Definition, (name, kind, self.notebook.path, source, statement))

    def _is_kept(self, statement: Statement) -> bool:
        parsed = self.by_cell[statement.cell]
        node = statement.node
        if not isinstance(node, DEF_TYPES):
            return False
        if KEEP_TAG not in parsed.cell.tags and KEEP_COMMENT not in parsed.cell.source:
            return False  # `is_kept`'s own first answer, without the cell's lines (most cells)
        return is_kept(parsed, self.lines(statement.cell), node, statement.start)

    def plan(self, only: frozenset[str] | None) -> ExtractionPlan:
        candidates, kept, duplicates = self._candidates()
        if only is not None:
            unknown = sorted(only - candidates.keys() - {k.name for k in kept} - self.groups.keys())
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
        sources = parametrized.sources
        definitions = tuple(
            sorted(
                (
                    candidates[n]._replace(source=sources[n]) if n in sources else candidates[n]
                    for n in selected
                ),
                key=_order,
            )
        )
        leaving = {d.statement for d in (*definitions, *constants)}
        leaving.update(s for n in selected for s in duplicates.get(n, []))
        used = used_after(self.statements, self.parsed, leaving)
        imports = unused_imports(self.statements, leaving, import_set, used)
        removed = tuple(sorted(leaving.union(imports), key=lambda s: (s.cell, s.start)))
        # Each `def` of a version that moves: an import of the version takes its place. (Also
        # where nothing reads it before the name is bound again: a later run then sees every
        # binding where this one did, and so decides as this one did.)
        placed = [
            (s, v)
            for name in selected
            if (v := self.version_of.get(name)) is not None
            for s in v.statements
        ]
        return ExtractionPlan(
            notebook=self.notebook,
            definitions=definitions,
            constants=tuple(constants),
            imports=tuple(sorted(import_set)),
            removed=removed,
            refusals=self._refusals(),
            kept=tuple(kept),
            issues=self.issues,
            used_names=used | parametrized.passed,
            parsed=self.parsed,
            from_module={},  # the caller's to fill
            params=parametrized.params,
            edits={c: tuple(e) for c, e in parametrized.edits.items() if e},
            aliases={(s.cell, s.start): (v.module_name, v.base) for s, v in placed},
            placed={(s.cell, s.node.lineno): (v.module_name, v.base) for s, v in placed},
            renamed=frozenset(
                n for n in selected if n in self.version_of and n != self.version_of[n].base
            ),
        )

    def _refusals(self) -> tuple[Refusal, ...]:
        return grouped_refusals(self.refused.values(), self.version_of, self.groups)

    def _settle(
        self,
        candidates: dict[str, Definition],
        kept_names: set[str],
        needs: dict[str, set[str]],
    ) -> None:
        """Refuse until what moves is closed: what a movable definition uses moves too, every
        use of one that takes new parameters passes them, and the versions of an evolving
        name move together or not at all (a later run then sees what this one saw)."""
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
                    shown = self.version_of[dep].base if dep in self.version_of else dep
                    if (
                        dep in self.refused
                        and dep in self.version_of
                        and not self._as_state(candidates[name], shown, needs)
                    ):
                        changed = True
                        break
                    if dep in self.refused:
                        reason = self._refusals_by_base().get(shown, self.refused[dep].reason)
                        self._refuse(
                            candidates[name],
                            f"uses `{shown}`, which stays in the notebook ({shown} {reason})",
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
            movable = [n for n in candidates if n not in self.refused]
            staying = {n: r.reason for n, r in self.refused.items()}
            staying |= dict.fromkeys(kept_names - staying.keys(), "")
            shared, version_of = self.resolver.shared, self.version_of
            for name, reason in left_behind(movable, staying, shared, version_of).items():
                self._refuse(candidates[name], reason)
                changed = True

    def _refusals_by_base(self) -> dict[str, str]:
        return {r.name: r.reason for r in self._refusals()}

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
            cell = self.by_cell[statement.cell].cell
            # `_is_kept`'s first answer inline (no tag, no keep comment in the cell: not kept),
            # without a call for each definition.
            if (KEEP_TAG in cell.tags or KEEP_COMMENT in cell.source) and self._is_kept(statement):
                kept.append(definition)
                continue
            if node.name in self.groups:
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
        kept_names = {k.name for k in kept}
        for name, definition in first.items():
            if name in kept_names:
                self._refuse(definition, "is also defined in a kept cell")
                continue
            found = self.resolver.bindings.get(name, [])
            # Most names: bound by their one `def` alone, and no list to make.
            alone = len(found) == 1 and isinstance(found[0].node, DEF_TYPES)
            others = [] if alone else [s for s in found if not isinstance(s.node, DEF_TYPES)]
            if others:
                where = self.resolver.where(others[0])
                self._refuse(
                    definition, f"is also assigned at {where}; the notebook rebinds the name"
                )
        for name, version in self.version_of.items():
            first[name] = self._version(version, duplicates)
            if version.base in kept_names:
                self._refuse(first[name], "is kept in the notebook in one of its versions")
            elif name in self.blocked:
                self._refuse(first[name], self.blocked[name])
        return first, kept, duplicates

    def _version(self, version: Version, duplicates: dict[str, list[Statement]]) -> Definition:
        """A candidate for one version of an evolving name, under its name in the module."""
        statement = version.statements[0]
        kind: DefinitionKind = "class" if isinstance(statement.node, ast.ClassDef) else "function"
        duplicates[version.module_name] = list(version.statements[1:])
        return self._definition(statement, version.module_name, kind)

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
        pending += [v.module_name for n in only for v in self.groups.get(n, []) if v.moves]
        while pending:
            name = pending.pop()
            if name not in selected and name in movable:
                selected.add(name)
                pending.extend(needs[name])
                pending.extend(together(name, self.resolver.shared, self.version_of))
        return selected


def _order(definition: Definition) -> tuple[int, int]:
    return (definition.statement.cell, definition.statement.start)
