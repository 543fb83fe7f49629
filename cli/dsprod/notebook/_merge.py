"""How an extraction plan meets the module already there: add, replace, or leave a symbol.

A symbol dsprod wrote and nobody edited since may be replaced by the notebook's new version;
one edited by hand is a conflict (or, with --force, replaced with a warning); a name the module
has from elsewhere blocks the notebook's definition.

A new body never replaces one that the module's other code still runs for the notebook: the
notebook imports `f_3`, whose body in the module calls the module's `f_2`, so a later
`def f_2` in the notebook rebinds the notebook's name only, never the one `f_3` calls. Such a
symbol is held: the new `def` moves as a version of its own (`f_2_v1`), and the module's
`f_2` stays as it is, so every cell calls the body it called before.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Collection, Iterable, Mapping

from dsprod._output import shown
from dsprod.notebook._manifest import Manifest, SymbolEntry, digest
from dsprod.notebook._model import ParsedCell
from dsprod.notebook._module import ModuleText, symbol_sources
from dsprod.notebook._plan import Definition, ExtractionPlan
from dsprod.notebook._references import references
from dsprod.notebook._statements import DEF_TYPES
from dsprod.notebook._target import Target

__all__ = ["Merge", "held_by_callers", "merge_plan"]


class Merge:
    """What the plan does to the module, filled in by `merge_plan`. A plain class, not a
    dataclass: nothing compares merges, and a dataclass takes 0.3 ms to build at import."""

    def __init__(self) -> None:
        self.add: set[str] = set()
        self.replace: dict[str, str] = {}
        self.blocked: dict[str, str] = {}
        self.conflicts: set[str] = set()
        # (warning, old text, new text): shown once the plan is final.
        self.notes: list[tuple[str, str, str]] = []
        # Symbols whose body the module's other code runs for the notebook, with why: the plan
        # is made again, and a new `def` of one moves as a version of its own.
        self.held: dict[str, str] = {}


def merge_plan(
    plan: ExtractionPlan,
    current: ModuleText | None,
    manifest: Manifest,
    target: Target,
    notebook_key: str,
    force: bool,
    held: Mapping[str, str] | None = None,
) -> Merge:
    """Decide, symbol by symbol, how the plan meets what the module already holds. `held`
    names (found by an earlier round, `Merge.held`) are never replaced."""
    merge = Merge()
    existing = symbol_sources(current) if current else {}
    spans = current.spans() if current else {}
    entry = manifest.entry(target.path)
    rewrites: list[tuple[Definition, SymbolEntry, str]] = []
    for definition in plan.moved:
        name = definition.name
        if name not in existing:
            merge.add.add(name)
            continue
        recorded = entry.symbols.get(name) if entry else None
        where = f"{shown(target.path)}:{spans[name][0]}"
        if recorded is None or recorded.notebook != notebook_key:
            merge.blocked[name] = (
                f"already exists in {where} and did not come from this notebook; "
                f"rename one of them, or extract to another module with --module"
            )
            continue
        if same_code(existing[name], definition.source):
            continue
        if name in plan.renamed:
            # An earlier version has this name (one no cell imports: the module's other code
            # may call it): the new version takes another.
            merge.blocked[name] = f"names another version of it in {where}"
            continue
        rewrites.append((definition, recorded, where))
    found = held_by_callers(plan, current, target, {d.name for d, _, _ in rewrites})
    for definition, recorded, where in rewrites:
        name = definition.name
        if held and name in held:
            # Made again with the name held, the plan still moves this `def` under the
            # module's name (it could not become a version): it stays in the notebook.
            merge.blocked[name] = (
                f"would replace the module's {name} in {where}, which other code there still "
                f"runs for this notebook ({held[name]}); rename the notebook's {name}, or "
                "change the module's by hand"
            )
        elif name in found:
            merge.held[name] = found[name]
        else:
            _replace(merge, definition, existing[name], recorded, where, force)
    return merge


def _replace(
    merge: Merge,
    definition: Definition,
    in_module: str,
    recorded: SymbolEntry,
    where: str,
    force: bool,
) -> None:
    """The notebook's new body of a symbol dsprod wrote: it replaces the module's, unless the
    module's was edited by hand since (a conflict, which --force overrides)."""
    name = definition.name
    if digest(in_module) == recorded.sha256 or force:
        if force and digest(in_module) != recorded.sha256:
            warning = f"warning: --force replaces the hand-edited {name} in {where}"
            merge.notes.append((warning, in_module, definition.source))
        merge.replace[name] = definition.source
        return
    merge.conflicts.add(name)
    merge.blocked[name] = (
        f"was edited by hand in {where} since dsprod wrote it, and the notebook now has "
        "another version; keep one: delete the notebook's copy, or run with --force to "
        "replace the module's"
    )
    merge.notes.append((f"conflict: {name} in {where}", in_module, definition.source))


def held_by_callers(
    plan: ExtractionPlan,
    current: ModuleText | None,
    target: Target,
    replacing: Collection[str],
) -> dict[str, str]:
    """The `replacing` symbols (the plan would give them the notebook's new body) whose body
    in the module still runs for the notebook: a symbol the notebook imports reads it, or
    reads, through symbols that keep their bodies, one that does. A body in the module reads
    the module's names, whatever the notebook binds: replacing the body would change what
    every such call runs, before the notebook's new `def` and after it. Each with why."""
    if current is None or not replacing:
        return {}
    reads = module_reads(current)
    spans = current.spans()
    held: dict[str, str] = {}
    if _imports_of(plan.parsed, target.import_name)[0]:
        # `m.f` or the `f` that `*` binds is the module's own body, and no statement of the
        # notebook binds the name as `from m import f` does (where the versions see it): a
        # cell may have run that body before the new `def`.
        held = {
            name: f"the notebook reaches the module's own {name} through its import of the "
            "whole module"
            for name in sorted(replacing)
            if name in reads
        }
    # Each symbol reached: the chain of symbols from one the notebook imports to it.
    paths: dict[str, tuple[str, ...]] = {
        name: (name,)
        for name in sorted(notebook_uses(plan.parsed, target.import_name, reads))
        if name not in replacing
    }
    pending = deque(paths)
    while pending:
        caller = pending.popleft()
        for name in sorted(reads[caller] - {caller} - paths.keys()):
            paths[name] = (*paths[caller], name)
            pending.append(name)  # held or not replaced: its body stays, and runs
            if name in replacing and name not in held:
                chain = ", which uses ".join(paths[caller])
                held[name] = (
                    f"{caller} in {shown(target.path)}:{spans[caller][0]} uses it, and the "
                    f"notebook uses {chain}"
                )
    return held


def module_reads(module: ModuleText) -> dict[str, frozenset[str]]:
    """Each top-level symbol of `module`: the module's symbols its code reads (a function's
    body, a class's methods, decorators and defaults)."""
    names = frozenset(module.spans())
    found: dict[str, set[str]] = {}
    for node in module.tree.body:
        if isinstance(node, DEF_TYPES):
            bound = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [t.id for t in targets if isinstance(t, ast.Name)]
        else:
            continue
        read = {ref.node.id for ref in references(node, names)}
        for name in bound:
            found.setdefault(name, set()).update(read)
    return {name: frozenset(read) for name, read in found.items()}


def notebook_uses(parsed: Iterable[ParsedCell], module: str, symbols: Collection[str]) -> set[str]:
    """The `symbols` of `module` (dotted) that the notebook's code may reach: the names it
    imports from it, or all of them when it imports the module itself or `*` from it."""
    whole, named = _imports_of(parsed, module)
    return set(symbols) if whole else named & set(symbols)


def _imports_of(parsed: Iterable[ParsedCell], module: str) -> tuple[bool, set[str]]:
    """Whether the notebook imports the whole of `module` (`import m`, `from m import *`,
    `from pkg import m`); else the names it imports from it."""
    parent, _, leaf = module.rpartition(".")
    found: set[str] = set()
    for cell in parsed:
        for node in ast.walk(cell.tree) if cell.tree else ():
            if isinstance(node, ast.Import) and any(
                a.name == module or a.name.startswith(f"{module}.") for a in node.names
            ):
                return True, set()
            if not isinstance(node, ast.ImportFrom) or node.level:
                continue
            if node.module == module:
                if any(a.name == "*" for a in node.names):
                    return True, set()
                found |= {a.name for a in node.names}
            elif parent and node.module == parent and any(a.name == leaf for a in node.names):
                return True, set()
    return False, found


def same_code(left: str, right: str) -> bool:
    try:
        return ast.dump(ast.parse(left)) == ast.dump(ast.parse(right))
    except SyntaxError:
        return left == right
