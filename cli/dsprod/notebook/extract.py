"""`extract`: move a notebook's definitions into a module and make the notebook import them."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dsprod._fs import atomic_write_text, project_lock, restore, snapshot
from dsprod._output import Output, shown
from dsprod._project import Project, find_project, project_python
from dsprod.errors import DsprodError, TargetError, UserError
from dsprod.notebook._ledger import DEBT_PATH, refresh_notebook_debt
from dsprod.notebook._lint import ProjectLint, module_debt, read_module_debt
from dsprod.notebook._manifest import (
    LeftEntry,
    Manifest,
    ModuleEntry,
    SymbolEntry,
    digest,
    load_manifest,
)
from dsprod.notebook._merge import Merge, merge_plan
from dsprod.notebook._model import Notebook
from dsprod.notebook._module import (
    ModuleText,
    compose_module,
    new_module_text,
    read_module,
    symbol_sources,
)
from dsprod.notebook._parse import ParseCache, gc_paused, unparsed_definitions
from dsprod.notebook._plan import ExtractionPlan, plan_extraction
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._rewrite import (
    import_anchor,
    import_line,
    import_summary,
    new_cell_sources,
    render_notebook,
    version_imports,
)
from dsprod.notebook._show import code_view, code_view_after, report_plan, show_diff
from dsprod.notebook._target import Target, check_writable_for, missing_inits, resolve_target

if TYPE_CHECKING:
    from dsprod.notebook._verify import Verification

__all__ = ["ExtractOptions", "ExtractResult", "extract", "extract_notebook"]


@dataclass(frozen=True)
class ExtractOptions:
    module: str | None = None
    only: frozenset[str] | None = None
    dry_run: bool = False
    force: bool = False
    format: bool | None = None  # None: [tool.dsprod] format, default on
    autoreload: bool | None = None  # None: [tool.dsprod] autoreload, default off
    # None: [tool.dsprod] parametrize, default on. Notebook state read by a function becomes
    # its keyword-only parameter, passed at every call.
    parametrize: bool | None = None
    verify: bool = False  # run the notebook before and after, compare the outputs
    tests: bool = False  # write characterization tests from the notebook's recorded outputs
    timeout: int = 120  # seconds per cell, with verify


@dataclass
class ExtractResult:
    notebook: Path
    target: Target | None = None
    extracted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    error: DsprodError | None = None
    verification: Verification | None = None
    tests: Path | None = None

    @property
    def failed(self) -> bool:
        verified = self.verification is None or self.verification.identical
        return self.error is not None or bool(self.conflicts) or not verified


def extract(
    notebooks: Sequence[Path],
    options: ExtractOptions | None = None,
    *,
    output: Output | None = None,
) -> list[ExtractResult]:
    """Extract from each notebook in turn; a notebook that fails does not stop the others: its
    result carries the error (`ExtractResult.error`), for the caller to show."""
    results: list[ExtractResult] = []
    for path in notebooks:
        try:
            results.append(extract_notebook(path, options, output=output))
        except UserError as exc:
            results.append(ExtractResult(notebook=path, error=exc))
    return results


def extract_notebook(
    path: Path, options: ExtractOptions | None = None, *, output: Output | None = None
) -> ExtractResult:
    """Extract from one notebook; `output` (default: status lines on stderr) is told what is
    done, as `new_project` and `update_project` tell theirs."""
    with gc_paused():
        return _extract_notebook(path, options or ExtractOptions(), output or Output())


def _extract_notebook(path: Path, options: ExtractOptions, output: Output) -> ExtractResult:
    if options.verify and options.dry_run:
        raise UserError(
            "--verify runs the rewritten notebook, so it cannot be combined with --dry-run",
            hint="run with --dry-run first, then with --verify",
        )
    notebook = read_notebook(path)
    result = ExtractResult(notebook=path)
    if legacy := legacy_format(notebook):
        output.status("warning", f"{path}: {legacy[0]}; {legacy[1]}")
    if notebook.language != "python":
        output.status("skip", f"{path}: {notebook.language} kernel; dsprod extracts Python only")
        return result
    project = find_project(path.resolve().parent)
    target = resolve_target(path, options.module, project)
    result.target = target
    # Extractions of several notebooks of one project (pre-commit runs hooks in parallel)
    # read and write the same manifest, ledger, `__init__.py` and maybe module: one at a time.
    with project_lock(target.root, output, shared=options.dry_run):
        stage = _plan(notebook, project, target, options, output)
        result.refused = [r.name for r in stage.plan.refusals]
        result.conflicts = sorted(stage.conflicts)
        if not stage.plan.moved:
            output.status("skip", f"{path}: nothing to extract")
            if not options.dry_run:
                _record(stage, None, notebook.text, output)
            return result
        rendered = _render(stage, options)
        if not options.dry_run:  # refuse before announcing what would move
            check_writable_for(target, path, stage.manifest.path)
        for definition in stage.plan.moved:
            output.status("extract", f"{definition.name} ({definition.location})")
        result.extracted = [d.name for d in stage.plan.moved]
        if options.dry_run:
            show_diff(output, target.path, rendered.old_module, rendered.module.text)
            show_diff(
                output, path, code_view(notebook), code_view_after(notebook, rendered.sources)
            )
            return result
        _apply(stage, rendered, options, output, result)
    return result


@dataclass(frozen=True)
class _Stage:
    """What the plan stage found: the plan, and where and how it lands."""

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


@dataclass(frozen=True)
class _Rendered:
    module: ModuleText
    old_module: str
    sources: dict[int, str | None]
    notebook_text: str
    import_text: str


def _plan(
    notebook: Notebook,
    project: Project | None,
    target: Target,
    options: ExtractOptions,
    output: Output,
) -> _Stage:
    """Plan until the plan and the module agree; report what stays and why."""
    manifest = load_manifest(target.root)
    current = read_module(target.path)
    notebook_key = manifest.key(notebook.path)
    # A symbol the module cannot take (a clash, a hand edit) stays in the notebook, and so does
    # whatever needs it: plan again until the plan and the module agree.
    blocked: dict[str, str] = {}
    conflicts: set[str] = set()
    notes: dict[str, tuple[str, str]] = {}
    cache = ParseCache()
    parametrize = options.parametrize
    if parametrize is None:
        parametrize = bool((project.config if project else {}).get("parametrize", True))
    while True:
        plan = plan_extraction(
            notebook, options.only, blocked, target.import_name, cache, parametrize
        )
        merge = merge_plan(plan, current, manifest, target, notebook_key, options.force)
        conflicts |= merge.conflicts
        notes.update((warning, (old, new)) for warning, old, new in merge.notes)
        if not merge.blocked.keys() - blocked.keys():
            break
        blocked.update(merge.blocked)
    report_plan(plan, output)
    for warning, (old, new) in notes.items():
        verb, _, text = warning.partition(": ")
        output.status(verb, text)
        show_diff(output, target.path, old, new)
    return _Stage(
        notebook, project, target, manifest, notebook_key, current, plan, merge,
        frozenset(conflicts), options.only, blocked, cache, parametrize,
    )  # fmt: skip


def _render(stage: _Stage, options: ExtractOptions) -> _Rendered:
    """The module's new text, at the project's lint fixed point, and the notebook's."""
    plan, target, notebook = stage.plan, stage.target, stage.notebook
    config = stage.project.config if stage.project is not None else {}
    base = stage.current or ModuleText.parse(new_module_text([stage.notebook_key]), target.path)
    text = compose_module(
        base,
        imports=plan.module_imports(),
        constants=[(d.name, d.source) for d in plan.constants if d.name in stage.merge.add],
        definitions=[(d.name, d.source) for d in plan.definitions if d.name in stage.merge.add],
        replacements=stage.merge.replace,
        exported=[d.name for d in plan.definitions],
    )
    if options.format if options.format is not None else config.get("format", True):
        lint = ProjectLint(_lint_root(stage), project_python(_lint_root(stage)))
        previous = read_module_debt(stage.current.text) if stage.current else None
        text, _ = module_debt(lint, text, target.path, previous)
    try:
        module = ModuleText(text, ast.parse(text))
    except SyntaxError as exc:  # pragma: no cover - a bug in dsprod, never the user's input
        raise RuntimeError(f"dsprod composed a module that does not parse: {exc}") from exc

    moved_names = [d.name for d in plan.moved]
    anchor = import_anchor(plan.removed)
    first = (anchor.cell, anchor.start) if anchor else (0, 0)
    # A version of an evolving name is imported where its `def` stood (`plan.aliases`).
    versioned = {base for _, base in plan.aliases.values()}
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
    sources = new_cell_sources(notebook, plan.removed, import_text, headers, plan.edits, aliases)
    return _Rendered(
        module=module,
        old_module=stage.current.text if stage.current else "",
        sources=sources,
        notebook_text=render_notebook(notebook, sources),
        import_text=import_text,
    )


def _apply(
    stage: _Stage,
    rendered: _Rendered,
    options: ExtractOptions,
    output: Output,
    result: ExtractResult,
) -> None:
    """Write the module, then the notebook; record; verify (restoring on a new failure);
    write the characterization tests."""
    # Imported here: --verify and --tests are the rare runs (tempfile, shutil, random...).
    from dsprod.notebook._tests import write_characterization_tests
    from dsprod.notebook._verify import kept_cells, verify_after, verify_before

    notebook, target, path = stage.notebook, stage.target, stage.notebook.path
    before = verify_before(notebook, target, options.timeout, output) if options.verify else None
    inits = missing_inits(target, stage.project)
    ledger = [stage.project.root / DEBT_PATH] if stage.project is not None else []
    saved = snapshot(target.path, path, stage.manifest.path, *inits, *ledger)
    try:
        _write(stage, rendered, inits, output, result)
    except TargetError as exc:
        # A full disk or a read-only file half way: what was written goes back, so the
        # project is as it was, not half extracted.
        restore(saved)
        raise TargetError(f"{exc.message}; nothing was changed", hint=exc.hint) from exc
    if before is not None:
        kept = kept_cells(notebook, rendered.sources)
        result.verification = verify_after(
            notebook, rendered.notebook_text, target, options.timeout, before, kept, output
        )
        if result.verification.new_error is not None:
            restore(saved)
            output.status("restore", f"{shown(path)} and {shown(target.path)} as they were")
            return
    if options.tests:
        # --verify ran the original: its outputs serve a notebook stored without them.
        recorded = {run.index: run.outputs for run in before} if before else None
        manifest = load_manifest(target.root)
        result.tests = write_characterization_tests(
            stage.plan.parsed,
            notebook,
            target,
            stage.project,
            manifest,
            stage.notebook_key,
            output,
            recorded,
        )


def _write(
    stage: _Stage,
    rendered: _Rendered,
    inits: list[Path],
    output: Output,
    result: ExtractResult,
) -> None:
    notebook, target, path = stage.notebook, stage.target, stage.notebook.path
    text = rendered.module.text
    if text != rendered.old_module:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        for init in inits:  # a new subpackage of the project's package
            atomic_write_text(init, "")
        # The module first: if we are interrupted before the notebook is written, a re-run
        # sees the definitions still in the notebook and finishes the job.
        atomic_write_text(target.path, text)
        output.status(
            "update" if stage.current else "create", f"{shown(target.path)} ({target.how})"
        )
        result.written.append(target.path)
    if rendered.notebook_text != notebook.text:
        atomic_write_text(path, rendered.notebook_text)
        imported = f": {import_summary(rendered.import_text)}" if rendered.import_text else ""
        output.status("update", f"{path}{imported}")
        result.written.append(path)
    _record(stage, rendered.module, rendered.notebook_text, output)


def _lint_root(stage: _Stage) -> Path:
    return stage.project.root if stage.project is not None else stage.target.root


def _record(stage: _Stage, module: ModuleText | None, notebook_text: str, output: Output) -> None:
    """Record in the manifest what moved (with the hash of each symbol as written) and what
    stays in the notebook and why; measure the notebook's lint debt again."""
    manifest, target, plan = stage.manifest, stage.target, stage.plan
    changed = False
    if module is not None:
        written = symbol_sources(module)
        previous = manifest.entry(target.path)
        symbols = dict(previous.symbols) if previous else {}
        for definition in plan.moved:
            if definition.name in written:
                symbols[definition.name] = SymbolEntry(
                    stage.notebook_key, definition.kind, digest(written[definition.name])
                )
        entry = ModuleEntry(target.import_name, digest(module.text), symbols)
        if previous != entry:
            manifest.modules[manifest.key(target.path)] = entry
            changed = True
    left = _left_behind(stage, notebook_text)
    if manifest.left.get(stage.notebook_key, {}) != left:
        manifest.left[stage.notebook_key] = left
        changed = True
    if changed:
        manifest.save()
    if stage.project is not None:
        refresh_notebook_debt(stage.project.root, {stage.notebook.path: notebook_text}, output)


def _left_behind(stage: _Stage, notebook_text: str) -> dict[str, LeftEntry]:
    """The definitions extraction left in the notebook, and why: `dsprod check` lets them be.
    With --only, the entries of names not asked for stand: they were not tried."""
    plan = stage.plan
    if notebook_text != stage.notebook.text:
        # Located in the notebook as now written: cells and lines moved up as code left.
        rewritten = read_notebook(stage.notebook.path)
        # Every name, not only --only's: those it named may have left the notebook.
        plan = plan_extraction(
            rewritten, None, stage.blocked, stage.target.import_name, stage.cache,
            stage.parametrize,
        )  # fmt: skip
    prefix = f"{stage.notebook.path}:"
    left = {
        refusal.name: LeftEntry(
            f"cell {refusal.location.cell}:line {refusal.location.line}",
            # Other places in the same notebook by cell and line alone: the notebook's path
            # is the manifest's key, and the one given on the command line may be absolute.
            refusal.reason.replace(prefix, ""),
        )
        for refusal in plan.refusals
        # A conflict with a hand edit is not left: it fails the run until someone chooses.
        if refusal.name not in stage.conflicts
    }
    # A definition in a cell that does not parse cannot move either: left, with the reason.
    for parsed in plan.parsed:
        for unparsed in unparsed_definitions(parsed):
            where = f"cell {unparsed.location.cell}:line {unparsed.location.line}"
            left.setdefault(unparsed.name, LeftEntry(where, f"{unparsed.why}; {unparsed.fix}"))
    if stage.only is None:
        return left
    previous = stage.manifest.left.get(stage.notebook_key, {})
    moved = {d.name for d in stage.plan.moved}
    kept = {n: e for n, e in previous.items() if n not in stage.only and n not in moved}
    return {**kept, **{n: e for n, e in left.items() if n in stage.only}}
