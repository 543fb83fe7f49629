"""How an extraction plan meets the module already there: add, replace, or leave a symbol.

A symbol dsprod wrote and nobody edited since may be replaced by the notebook's new version;
one edited by hand is a conflict (or, with --force, replaced with a warning); a name the module
has from elsewhere blocks the notebook's definition.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from dsprod._output import shown
from dsprod.notebook._manifest import Manifest, digest
from dsprod.notebook._module import ModuleText, symbol_sources
from dsprod.notebook._plan import ExtractionPlan
from dsprod.notebook._target import Target

__all__ = ["Merge", "merge_plan"]


@dataclass
class Merge:
    add: set[str] = field(default_factory=set)
    replace: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    # (warning, old text, new text): shown once the plan is final.
    notes: list[tuple[str, str, str]] = field(default_factory=list)


def merge_plan(
    plan: ExtractionPlan,
    current: ModuleText | None,
    manifest: Manifest,
    target: Target,
    notebook_key: str,
    force: bool,
) -> Merge:
    """Decide, symbol by symbol, how the plan meets what the module already holds."""
    merge = Merge()
    existing = symbol_sources(current) if current else {}
    spans = current.spans() if current else {}
    entry = manifest.entry(target.path)
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
        in_module = existing[name]
        if same_code(in_module, definition.source):
            continue
        if name in plan.renamed:
            # An earlier version has this name (one no cell imports: the module's other code
            # may call it): the new version takes another.
            merge.blocked[name] = f"names another version of it in {where}"
            continue
        if digest(in_module) == recorded.sha256 or force:
            if force and digest(in_module) != recorded.sha256:
                warning = f"warning: --force replaces the hand-edited {name} in {where}"
                merge.notes.append((warning, in_module, definition.source))
            merge.replace[name] = definition.source
            continue
        merge.conflicts.add(name)
        merge.blocked[name] = (
            f"was edited by hand in {where} since dsprod wrote it, and the notebook now has "
            "another version; keep one: delete the notebook's copy, or run with --force to "
            "replace the module's"
        )
        merge.notes.append((f"conflict: {name} in {where}", in_module, definition.source))
    return merge


def same_code(left: str, right: str) -> bool:
    try:
        return ast.dump(ast.parse(left)) == ast.dump(ast.parse(right))
    except SyntaxError:
        return left == right
