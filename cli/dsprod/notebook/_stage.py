"""The first two stages of one extraction: plan (what moves, where it lands) and render (the
module's and the notebook's new text). Nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dsprod._output import Output
from dsprod._project import Project, project_python
from dsprod._records import NamedTuple
from dsprod.notebook._lint import (
    ProjectLint,
    Settling,
    module_debt_meanwhile,
    read_module_debt,
)
from dsprod.notebook._manifest import Manifest, load_manifest
from dsprod.notebook._merge import Merge, merge_plan
from dsprod.notebook._model import Notebook
from dsprod.notebook._module import ModuleText, compose_module, new_module_text, read_module
from dsprod.notebook._parse import ParseCache
from dsprod.notebook._plan import ExtractionPlan, plan_extraction
from dsprod.notebook._rewrite import (
    import_anchor,
    import_line,
    new_cell_sources,
    render_notebook,
    version_imports,
)
from dsprod.notebook._ruff_config import ruff_line_length
from dsprod.notebook._show import report_plan, show_diff
from dsprod.notebook._spans import Entry, WrittenModule, known_statements
from dsprod.notebook._target import Target

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook.extract import ExtractOptions

__all__ = ["Rendered", "Stage", "lint_root", "plan_stage", "render_stage"]


class Stage(NamedTuple):
    """What the plan stage found: the plan, and where and how it lands.

    A NamedTuple, not a dataclass: see `dsprod.errors` (on every extract's start-up path)."""

    notebook: Notebook
    project: Project | None
    target: Target
    manifest: Manifest
    notebook_key: str
    current: ModuleText | None
    plan: ExtractionPlan
    merge: Merge
    conflicts: frozenset[str]
    only: frozenset[str] | None
    blocked: dict[str, str]  # names the module cannot take, and why
    cache: ParseCache  # every cell parsed once, for every plan of this run
    parametrize: bool


class Rendered(NamedTuple):
    module: WrittenModule
    old_module: str
    sources: dict[int, str | None]
    notebook_text: str
    import_text: str


def plan_stage(
    notebook: Notebook,
    project: Project | None,
    target: Target,
    options: ExtractOptions,
    output: Output,
) -> Stage:
    """Plan until the plan and the module agree; report what stays and why."""
    manifest = load_manifest(target.root)
    current = read_module(target.path)
    notebook_key = manifest.key(notebook.path)
    # A symbol the module cannot take (a clash, a hand edit) stays in the notebook, and so does
    # whatever needs it: plan again until the plan and the module agree.
    blocked: dict[str, str] = {}
    held: dict[str, str] = {}  # the module's bodies its other code runs, and why (_merge)
    conflicts: set[str] = set()
    notes: dict[str, tuple[str, str]] = {}
    cache = ParseCache()
    parametrize = options.parametrize
    if parametrize is None:
        parametrize = bool((project.config if project else {}).get("parametrize", True))
    while True:
        plan = plan_extraction(
            notebook, options.only, blocked, target.import_name, cache, parametrize,
            frozenset(held),
        )  # fmt: skip
        merge = merge_plan(plan, current, manifest, target, notebook_key, options.force, held)
        conflicts |= merge.conflicts
        notes.update((warning, (old, new)) for warning, old, new in merge.notes)
        if not merge.blocked.keys() - blocked.keys() and not merge.held.keys() - held.keys():
            break
        blocked.update(merge.blocked)
        held.update(merge.held)
    report_plan(plan, output, held)
    for warning, (old, new) in notes.items():
        verb, _, text = warning.partition(": ")
        output.status(verb, text)
        show_diff(output, target.path, old, new)
    return Stage(
        notebook, project, target, manifest, notebook_key, current, plan, merge,
        frozenset(conflicts), options.only, blocked, cache, parametrize,
    )  # fmt: skip


def render_stage(stage: Stage, options: ExtractOptions) -> Rendered:
    """The module's new text, at the project's lint fixed point, and the notebook's."""
    plan, target = stage.plan, stage.target
    config = stage.project.config if stage.project is not None else {}
    base = stage.current or ModuleText.parse(new_module_text([stage.notebook_key]), target.path)
    formatting = options.format if options.format is not None else config.get("format", True)
    text = compose_module(
        base,
        imports=plan.module_imports(),
        constants=[(d.name, d.source) for d in plan.constants if d.name in stage.merge.add],
        definitions=[(d.name, d.source) for d in plan.definitions if d.name in stage.merge.add],
        replacements=stage.merge.replace,
        exported=[d.name for d in plan.definitions],
        # Laid out as ruff's formatter would, where it will run: see `_module._all_lines`.
        line_length=ruff_line_length(target.path) if formatting else None,
    )
    settled: Settling | None = None
    if formatting:
        lint = ProjectLint(lint_root(stage), project_python(lint_root(stage)))
        previous = read_module_debt(stage.current.text) if stage.current else None
        # ruff's processes run while the notebook's new text is made, below.
        settled = module_debt_meanwhile(lint, text, target.path, previous)
    try:
        known, sources, notebook_text, import_text = _notebook_side(stage, options, config)
    except BaseException:
        if settled is not None:  # its thread removes mypy's probe from the package first
            settled.abandon()
        raise
    if settled is not None:
        text, _ = settled()
    return Rendered(
        module=WrittenModule(text, known),
        old_module=stage.current.text if stage.current else "",
        sources=sources,
        notebook_text=notebook_text,
        import_text=import_text,
    )


def _notebook_side(
    stage: Stage, options: ExtractOptions, config: Mapping[str, object]
) -> tuple[dict[str, list[Entry]], dict[int, str | None], str, str]:
    """What the module's symbols are known to be, the notebook's new cell sources and text,
    and the import line added to it."""
    plan, target, notebook = stage.plan, stage.target, stage.notebook
    # Where each symbol landed is found when the manifest records it, reading again only
    # what is not the text of a statement parsed in the notebook (`_spans`).
    by_cell = {p.cell.index: p.cell.source for p in plan.parsed}
    known = known_statements(
        (d.source, by_cell[s.cell], s.node, s.start, s.end)
        for d in plan.moved
        for s in (d.statement,)
    )

    moved_names = [d.name for d in plan.moved]
    anchor = import_anchor(plan.removed)
    first = (anchor.cell, anchor.start) if anchor else (0, 0)
    # A version of an evolving name is imported where its `def` stood (`plan.aliases`), or
    # nowhere: never here, where it would bind the name too early.
    versioned = {base for _, base in plan.placed.values()}
    names = sorted(
        n
        for n in moved_names
        if n in plan.used_names
        and n not in versioned
        and not (n in plan.from_module and plan.from_module[n] < first)
    )
    import_text = import_line(target.import_name, names) if names else ""
    autoreload = options.autoreload
    if autoreload is None:
        autoreload = bool(config.get("autoreload", False))
    if import_text and autoreload and "%autoreload" not in notebook.text:
        import_text = f"%load_ext autoreload\n%autoreload 2\n{import_text}"
    headers = {p.cell.index: p.magic_header for p in plan.parsed}
    aliases = version_imports(target.import_name, plan.aliases)
    sources = new_cell_sources(
        notebook, plan.removed, import_text, headers, plan.edits, aliases, (anchor,)
    )
    notebook_text = render_notebook(notebook, sources)
    return known, sources, notebook_text, import_text


def lint_root(stage: Stage) -> Path:
    return stage.project.root if stage.project is not None else stage.target.root
