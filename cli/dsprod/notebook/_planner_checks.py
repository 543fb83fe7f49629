"""The planner's checks of one definition: what it needs (imports, constants, other
definitions, versions of an evolving name) and what keeps it in the notebook."""

from __future__ import annotations

from dsprod.notebook._edits import Edit, rename_edits
from dsprod.notebook._model import Location, Notebook, ParsedCell
from dsprod.notebook._params import Parametrizer
from dsprod.notebook._plan import Definition, Refusal
from dsprod.notebook._resolve import Resolver
from dsprod.notebook._statements import ImportKey
from dsprod.notebook._versions import Timeline, Version

__all__ = ["DefinitionChecks"]


class DefinitionChecks:
    """Part of `Planner` (`_planner`), which sets these attributes; `_refuse` records why a
    definition stays, and `lines` gives a cell's lines, for both."""

    notebook: Notebook
    by_cell: dict[int, ParsedCell]
    resolver: Resolver
    parametrize: bool
    parametrizer: Parametrizer
    timeline: Timeline
    version_of: dict[str, Version]
    renames: dict[str, list[Edit]]
    named: dict[str, tuple[str | None, dict[int, str]]]
    refused: dict[str, Refusal]
    _lines: dict[int, list[str]]

    def lines(self, cell: int) -> list[str]:
        """The lines of a cell's source, split once (do not change them)."""
        found = self._lines.get(cell)
        if found is None:
            found = self._lines[cell] = self.by_cell[cell].cell.source.split("\n")
        return found

    def _refuse(self, definition: Definition, reason: str) -> None:
        self.refused.setdefault(
            definition.name, Refusal(definition.name, definition.location, reason)
        )

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
        # Most cells have no IPython line, and most functions no `global`: neither list nor
        # set is made for them.
        masked = self.by_cell[statement.cell].masked_lines
        inside = (
            [line for line in masked if statement.start <= line <= statement.end] if masked else ()
        )
        if inside:
            where = Location(self.notebook.path, statement.cell + 1, min(inside))
            self._refuse(
                definition,
                f"contains IPython syntax at {where}, which runs only in "
                "a notebook; replace it with plain Python (e.g. subprocess)",
            )
            return
        writes = statement.global_writes and statement.global_writes - self.resolver.shared.keys()
        if writes:
            variable = sorted(writes)[0]
            self._refuse(
                definition,
                f"assigns the notebook variable `{variable}` through "
                "`global`; return the new value instead",
            )
            return
        if self.timeline.versions:
            static = self._versions_read(definition, candidates, needs)
            if static is None:
                return
            pending = sorted(statement.reads - {name} - static)
        else:
            # No evolving name in the notebook: `_versions_read`'s first answer (none read,
            # no name of its own), without the call, for every definition.
            self.named[name] = (None, {})
            pending = sorted(statement.reads - {name})
        seen: set[str] = set()
        known, resolve = self.resolver.known, self.resolver.resolve
        while pending:
            read = pending.pop()
            if read in seen:
                continue
            seen.add(read)
            # Most names are read by several definitions: answered already, without a call.
            resolution = known.get(read) or resolve(read)
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

    def _versions_read(
        self, definition: Definition, candidates: dict[str, Definition], needs: dict[str, set[str]]
    ) -> set[str] | None:
        """The evolving names `definition` reads that name one version wherever it runs: it
        needs that version, and its reads name it in the module. None when refused."""
        name, statement = definition.name, definition.statement
        version = self.version_of.get(name)
        header = version.module_name if version and version.module_name != version.base else None
        if header is None and statement.reads.isdisjoint(self.timeline.versions):
            self.named[name] = (None, {})  # no evolving name read, no name of its own: as is
            return set()
        found = self.timeline.named_versions(statement, name, header, self.lines(statement.cell))
        if found is None:
            self._refuse(
                definition,
                "reads a name with several versions where dsprod cannot rename it (inside an "
                "f-string); read it outside the f-string",
            )
            return None
        static, reads, edits = found
        needs[name] |= {v for v in reads.values() if v != name and v in candidates}
        self.parametrizer.resolved.update(reads)
        self.named[name] = (header, reads)
        if edits:
            self.renames[name] = edits
        return static

    def _as_state(self, definition: Definition, base: str, needs: dict[str, set[str]]) -> str:
        """Let `definition`, which names a version of `base` that stays in the notebook (with
        every other version), read `base` as notebook state instead: the value the notebook
        passes at each call is the version it named. '' when it can; otherwise why not."""
        name, statement = definition.name, definition.statement
        resolution = self.resolver.resolve(base)
        if not self.parametrize or not resolution.binders:
            return "make it a parameter"
        fix = self.parametrizer.take(name, statement, base)
        if fix:
            return fix
        versions = set(self.timeline.module_names(base))
        needs[name] -= versions
        header, reads = self.named[name]
        kept = {i: v for i, v in reads.items() if v not in versions}
        for identity in reads.keys() - kept.keys():
            self.parametrizer.resolved.pop(identity, None)
        self.named[name] = (header, kept)
        lines = self.lines(statement.cell)
        # The same reads were renamed once already: this cannot fail.
        self.renames[name] = rename_edits(lines, statement, header, kept) or []
        return ""
