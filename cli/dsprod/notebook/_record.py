"""What an extraction records in the manifest: what moved (with the hash of each symbol as
written) and what stays in the notebook, and why.

The record is made in memory from the texts about to be written, so that it is written in the
same journalled step as the module and the notebook (`_journal`): a kill can never leave them
written without it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from dsprod.notebook._manifest import LeftEntry, ModuleEntry, SymbolEntry, digest
from dsprod.notebook._model import Location, ParsedCell
from dsprod.notebook._module import symbol_sources
from dsprod.notebook._parse import unparsed_definitions
from dsprod.notebook._plan import plan_extraction
from dsprod.notebook._read import notebook_from_text
from dsprod.notebook._spans import WrittenModule
from dsprod.notebook._stage import Stage
from dsprod.notebook._statements import DEF_TYPES

__all__ = ["left_behind", "record"]

_new = tuple.__new__


def record(
    stage: Stage,
    module: WrittenModule | None,
    notebook_text: str,
    sources: Mapping[int, str | None] | None = None,
) -> bool:
    """Update `stage.manifest` in memory for the module and the notebook as they will be
    written (`sources`: the new source of each cell that changes, None for one removed);
    whether it changed (and so must be saved)."""
    manifest, target, plan = stage.manifest, stage.target, stage.plan
    changed = False
    if module is not None:
        written = symbol_sources(module)
        previous = manifest.entry(target.path)
        symbols = dict(previous.symbols) if previous else {}
        key = stage.notebook_key
        for definition in plan.moved:
            text = written.get(definition.name)
            if text is not None:
                # Made by tuple's own constructor: SymbolEntry's (a NamedTuple's) is Python
                # code, and there is one a symbol (1,600 of them: 2 M instructions).
                symbols[definition.name] = _new(SymbolEntry, (key, definition.kind, digest(text)))
        entry = ModuleEntry(target.import_name, digest(module.text), symbols)
        if previous != entry:
            manifest.modules[manifest.key(target.path)] = entry
            changed = True
    left = left_behind(stage, notebook_text, sources)
    if manifest.left.get(stage.notebook_key, {}) != left:
        manifest.left[stage.notebook_key] = left
        changed = True
    return changed


def left_behind(
    stage: Stage, notebook_text: str, sources: Mapping[int, str | None] | None = None
) -> dict[str, LeftEntry]:
    """The definitions extraction leaves in the notebook, and why: `dsprod check` lets them be.
    With --only, the entries of names not asked for stand: they were not tried."""
    refusals, parsed = stage.plan.refusals, stage.plan.parsed
    shifted = _unparsed_after(stage, sources) if notebook_text != stage.notebook.text else None
    if shifted is not None:
        # Nothing to refuse (see `_defines`), and what does not parse is where it was, less
        # the cells removed above it.
        refusals, parsed = (), shifted
    elif notebook_text != stage.notebook.text:
        # Located in the notebook as it will be written: cells and lines move up as code leaves.
        rewritten = notebook_from_text(stage.notebook.path, notebook_text)
        parsed = stage.cache.cells(rewritten.path, rewritten.cells)
        if _defines(parsed):
            # Every name, not only --only's: those it named may have left the notebook.
            plan = plan_extraction(
                rewritten, None, stage.blocked, stage.target.import_name, stage.cache,
                stage.parametrize,
            )  # fmt: skip
            refusals, parsed = plan.refusals, plan.parsed
        else:
            # Only a `def` or `class` can be refused (or be a version of an evolving name):
            # with none left at the top level of a cell, planning again finds nothing to say.
            refusals = ()
    prefix = f"{stage.notebook.path}:"
    left = {
        refusal.name: LeftEntry(
            f"cell {refusal.location.cell}:line {refusal.location.line}",
            # Other places in the same notebook by cell and line alone: the notebook's path
            # is the manifest's key, and the one given on the command line may be absolute.
            refusal.reason.replace(prefix, ""),
        )
        for refusal in refusals
        # A conflict with a hand edit is not left: it fails the run until someone chooses.
        if refusal.name not in stage.conflicts
    }
    # A definition in a cell that does not parse cannot move either: left, with the reason.
    for cell in parsed:
        for unparsed in unparsed_definitions(cell):
            where = f"cell {unparsed.location.cell}:line {unparsed.location.line}"
            left.setdefault(unparsed.name, LeftEntry(where, f"{unparsed.why}; {unparsed.fix}"))
    if stage.only is None:
        return left
    previous = stage.manifest.left.get(stage.notebook_key, {})
    moved = {d.name for d in stage.plan.moved}
    kept = {n: e for n, e in previous.items() if n not in stage.only and n not in moved}
    return {**kept, **{n: e for n, e in left.items() if n in stage.only}}


def _unparsed_after(
    stage: Stage, sources: Mapping[int, str | None] | None
) -> tuple[ParsedCell, ...] | None:
    """The cells of the rewritten notebook that do not parse, located there, when it is known
    without reading it again that it defines nothing at the top level and that a cell of it
    parses; else None. Known for a `.ipynb`, whose rewrite changes only the cells `sources`
    names (never one that does not parse) and adds no `def` or `class` (an import, keywords
    in calls)."""
    plan = stage.plan
    if sources is None or stage.notebook.format != "ipynb":
        return None
    removed = {id(s.node) for s in plan.removed}
    kept = [
        p for p in plan.parsed if p.tree is not None and sources.get(p.cell.index, "") is not None
    ]
    if not kept or any(
        isinstance(node, DEF_TYPES) and id(node) not in removed
        for p in kept
        if p.tree is not None
        for node in p.tree.body
    ):
        return None
    gone = sorted(index for index, source in sources.items() if source is None)
    shifted: list[ParsedCell] = []
    for parsed in plan.parsed:
        if parsed.tree is not None:
            continue
        index = parsed.cell.index - bisect_left(gone, parsed.cell.index)
        issue = parsed.issue
        if issue is not None:
            at = Location(issue.location.path, index + 1, issue.location.line)
            issue = issue._replace(location=at)
        shifted.append(parsed._replace(cell=parsed.cell._replace(index=index), issue=issue))
    return tuple(shifted)


def _defines(parsed: tuple[ParsedCell, ...]) -> bool:
    """Whether a cell defines a function or class at its top level. A rewrite that leaves no
    cell that parses (the one that did moved whole, the rest is Python 2) defines nothing: a
    plan of it would refuse the notebook as not Python 3, after the module is written."""
    return any(isinstance(node, DEF_TYPES) for p in parsed if p.tree for node in p.tree.body)
