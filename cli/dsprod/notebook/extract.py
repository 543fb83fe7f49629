"""`extract`: move a notebook's definitions into a module and make the notebook import them."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dsprod._fs import atomic_write_text, restore, snapshot
from dsprod._output import Output, shown
from dsprod.errors import DsprodError, TargetError, UserError
from dsprod.notebook._manifest import Manifest, ModuleEntry, SymbolEntry, digest, load_manifest
from dsprod.notebook._model import Notebook
from dsprod.notebook._module import (
    ModuleText,
    compose_module,
    format_with_ruff,
    new_module_text,
    symbol_sources,
)
from dsprod.notebook._parse import gc_paused
from dsprod.notebook._plan import ExtractionPlan, plan_extraction
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._rewrite import (
    import_anchor,
    import_line,
    import_summary,
    new_cell_sources,
    render_notebook,
)
from dsprod.notebook._statements import ImportKey, import_keys
from dsprod.notebook._target import (
    Target,
    check_writable_for,
    find_project,
    missing_inits,
    resolve_target,
)
from dsprod.notebook._tests import write_characterization_tests
from dsprod.notebook._verify import Verification, verify_after, verify_before

__all__ = ["ExtractOptions", "ExtractResult", "extract", "extract_notebook"]


@dataclass(frozen=True)
class ExtractOptions:
    module: str | None = None
    only: frozenset[str] | None = None
    dry_run: bool = False
    force: bool = False
    format: bool | None = None  # None: [tool.dsprod] format, default on
    autoreload: bool | None = None  # None: [tool.dsprod] autoreload, default off
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
    notebooks: Sequence[Path], options: ExtractOptions, output: Output
) -> list[ExtractResult]:
    """Extract from each notebook in turn; a notebook that fails does not stop the others."""
    results: list[ExtractResult] = []
    for path in notebooks:
        try:
            results.append(extract_notebook(path, options, output))
        except UserError as exc:
            output.error(exc)
            results.append(ExtractResult(notebook=path, error=exc))
    return results


def extract_notebook(path: Path, options: ExtractOptions, output: Output) -> ExtractResult:
    with gc_paused():
        return _extract_notebook(path, options, output)


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
    manifest = load_manifest(target.root)
    current = _read_module(target.path)
    notebook_key = manifest.key(path)

    # A symbol the module cannot take (a clash, a hand edit) stays in the notebook, and so does
    # whatever needs it: plan again until the plan and the module agree.
    blocked: dict[str, str] = {}
    conflicts: set[str] = set()
    notes: dict[str, tuple[str, str]] = {}
    while True:
        plan = plan_extraction(notebook, options.only, blocked, target.import_name)
        merge = _merge_plan(plan, current, manifest, target, notebook_key, options)
        conflicts |= merge.conflicts
        notes.update((warning, (old, new)) for warning, old, new in merge.notes)
        if not merge.blocked.keys() - blocked.keys():
            break
        blocked.update(merge.blocked)
    _report_plan(plan, output)
    for warning, (old, new) in notes.items():
        verb, _, text = warning.partition(": ")
        output.status(verb, text)
        _show_diff(output, target.path, old, new)
    result.refused = [r.name for r in plan.refusals]
    result.conflicts = sorted(conflicts)
    if not plan.moved:
        output.status("skip", f"{path}: nothing to extract")
        return result

    config = project.config if project is not None else {}
    base = current or ModuleText.parse(new_module_text([notebook_key]), target.path)
    text = compose_module(
        base,
        imports=_module_imports(plan),
        constants=[(d.name, d.source) for d in plan.constants if d.name in merge.add],
        definitions=[(d.name, d.source) for d in plan.definitions if d.name in merge.add],
        replacements=merge.replace,
        exported=[d.name for d in plan.definitions],
    )
    if options.format if options.format is not None else config.get("format", True):
        # ruff refuses code that does not parse; then the check below reports it.
        text = format_with_ruff(text, target.path) or text
    try:
        written = ModuleText(text, ast.parse(text))
    except SyntaxError as exc:  # pragma: no cover - a bug in dsprod, never the user's input
        raise RuntimeError(f"dsprod composed a module that does not parse: {exc}") from exc

    moved_names = [d.name for d in plan.moved]
    anchor = import_anchor(plan.removed)
    first = (anchor.cell, anchor.start) if anchor else (0, 0)
    names = sorted(
        n
        for n in moved_names
        if n in plan.used_names and not (n in plan.from_module and plan.from_module[n] < first)
    )
    import_text = import_line(target.import_name, names) if names else ""
    autoreload = options.autoreload
    if autoreload is None:
        autoreload = bool(config.get("autoreload", False))
    if import_text and autoreload and "%autoreload" not in notebook.text:
        import_text = f"%load_ext autoreload\n%autoreload 2\n{import_text}"
    headers = {p.cell.index: p.magic_header for p in plan.parsed}
    sources = new_cell_sources(notebook, plan.removed, import_text, headers)
    notebook_text = render_notebook(notebook, sources)
    old_module = current.text if current else ""

    if not options.dry_run:  # refuse before announcing what would move
        check_writable_for(target, path, manifest.path)
    for definition in plan.moved:
        output.status("extract", f"{definition.name} ({definition.location})")
    result.extracted = moved_names
    if options.dry_run:
        _show_diff(output, target.path, old_module, text)
        _show_diff(output, path, _code_view(notebook), _code_view_after(notebook, sources))
        return result

    before = verify_before(notebook, target, options.timeout, output) if options.verify else None
    inits = missing_inits(target, project)
    saved = snapshot(target.path, path, manifest.path, *inits)
    if text != old_module:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        for init in inits:  # a new subpackage of the project's package
            atomic_write_text(init, "")
        # The module first: if we are interrupted before the notebook is written, a re-run
        # sees the definitions still in the notebook and finishes the job.
        atomic_write_text(target.path, text)
        output.status("update" if current else "create", f"{shown(target.path)} ({target.how})")
        result.written.append(target.path)
    if notebook_text != notebook.text:
        atomic_write_text(path, notebook_text)
        imported = f": {import_summary(import_text)}" if import_text else ""
        output.status("update", f"{path}{imported}")
        result.written.append(path)
    _record(manifest, target, written, plan, notebook_key)
    if before is not None:
        kept = _kept_cells(notebook, sources)
        result.verification = verify_after(
            notebook, notebook_text, target, options.timeout, before, kept, output
        )
        if result.verification.new_error is not None:
            restore(saved)
            output.status("restore", f"{shown(path)} and {shown(target.path)} as they were")
            return result
    if options.tests:
        # --verify ran the original: its outputs serve a notebook stored without them.
        recorded = {run.index: run.outputs for run in before} if before else None
        result.tests = write_characterization_tests(
            notebook, target, project, manifest, notebook_key, output, recorded
        )
    return result


@dataclass
class _Merge:
    add: set[str] = field(default_factory=set)
    replace: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    # (warning, old text, new text): shown once the plan is final.
    notes: list[tuple[str, str, str]] = field(default_factory=list)


def _merge_plan(
    plan: ExtractionPlan,
    current: ModuleText | None,
    manifest: Manifest,
    target: Target,
    notebook_key: str,
    options: ExtractOptions,
) -> _Merge:
    """Decide, symbol by symbol, how the plan meets what the module already holds."""
    merge = _Merge()
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
        if _same_code(in_module, definition.source):
            continue
        if digest(in_module) == recorded.sha256 or options.force:
            if options.force and digest(in_module) != recorded.sha256:
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


def _report_plan(plan: ExtractionPlan, output: Output) -> None:
    for issue in plan.issues:
        if issue.is_error:
            output.problem(f"{issue.location}: {issue.reason}")
        else:
            output.status("skip", f"{issue.location}: {issue.reason}")
    for kept in plan.kept:
        output.status("skip", f"{kept.name} ({kept.location}): kept in the notebook")
    for refusal in plan.refusals:
        output.problem(f"{refusal.location}: {refusal.name} not extracted: {refusal.reason}")


def _module_imports(plan: ExtractionPlan) -> list[ImportKey]:
    keys = list(plan.imports)
    for parsed in plan.parsed:
        for node in parsed.tree.body if parsed.tree else []:
            # __future__ imports change how the definitions compile: they travel with them.
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                for alias in node.names:
                    keys += import_keys(node, alias.asname or alias.name)
    return keys


def _kept_cells(notebook: Notebook, sources: dict[int, str | None]) -> dict[int, int]:
    """Original cell index -> index in the rewritten notebook, for the cells that remain."""
    kept: dict[int, int] = {}
    for cell in notebook.cells:
        if sources.get(cell.index, "") is not None:
            kept[cell.index] = len(kept)
    return kept


def _read_module(path: Path) -> ModuleText | None:
    if not path.exists():
        return None
    if path.is_dir():
        raise TargetError(f"{path}: the target module is a folder")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: cannot read the target module: {exc}") from exc
    return ModuleText.parse(text, path)


def _record(
    manifest: Manifest,
    target: Target,
    module: ModuleText,
    plan: ExtractionPlan,
    notebook_key: str,
) -> None:
    text = module.text
    written = symbol_sources(module)
    previous = manifest.entry(target.path)
    symbols = dict(previous.symbols) if previous else {}
    for definition in plan.moved:
        if definition.name in written:
            symbols[definition.name] = SymbolEntry(
                notebook_key, definition.kind, digest(written[definition.name])
            )
    entry = ModuleEntry(target.import_name, digest(text), symbols)
    if previous != entry:
        manifest.modules[manifest.key(target.path)] = entry
        manifest.save()


def _same_code(left: str, right: str) -> bool:
    try:
        return ast.dump(ast.parse(left)) == ast.dump(ast.parse(right))
    except SyntaxError:
        return left == right


def _code_view(notebook: Notebook) -> str:
    return "".join(
        f"# %% cell {c.index + 1}\n{c.source}\n" for c in notebook.cells if c.kind == "code"
    )


def _code_view_after(notebook: Notebook, sources: dict[int, str | None]) -> str:
    parts = []
    for cell in notebook.cells:
        if cell.kind != "code":
            continue
        source = sources.get(cell.index, cell.source)
        if source is not None:
            parts.append(f"# %% cell {cell.index + 1}\n{source}\n")
    return "".join(parts)


def _show_diff(output: Output, path: Path, old: str, new: str) -> None:
    # Every line ends with a newline, as in `diff`'s output: a symbol's text has none after
    # its last line, which would otherwise run into the next line of the diff.
    diff = difflib.unified_diff(
        [line + "\n" for line in old.splitlines()],
        [line + "\n" for line in new.splitlines()],
        fromfile=f"a/{shown(path)}",
        tofile=f"b/{shown(path)}",
    )
    output.data("".join(diff))
