"""`extract`: move a notebook's definitions into a module and make the notebook import them.

The stages, each in its own module: plan and render (`_stage`), write, record, verify and
write tests (`_apply`, `_record`, `_journal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dsprod._fs import project_lock
from dsprod._output import Output
from dsprod._project import find_project
from dsprod._records import NamedTuple
from dsprod.errors import DsprodError, Flag, Step, UserError
from dsprod.notebook._apply import apply_stage, record_unchanged
from dsprod.notebook._journal import finish, pending
from dsprod.notebook._parse import gc_paused
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._show import code_view, code_view_after, show_diff
from dsprod.notebook._stage import plan_stage, render_stage
from dsprod.notebook._target import Target, check_writable_for, resolve_target

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook._verify import Verification

__all__ = ["ExtractOptions", "ExtractResult", "extract", "extract_notebook", "keep_until_exit"]

# What extractions made (the syntax trees of every cell, the plan, the new texts), kept for
# the process's end to free wholesale, when the caller says the process ends right after
# with `os._exit` (the CLI's fast path, `cli._leave`). Freed one object at a time as an
# extraction returns, they took ~5 ms of a 2,000-cell extract. None: freed on return, as a
# library's caller expects.
_KEPT: list[object] | None = None


def keep_until_exit() -> None:
    """Leave what each extraction made of its notebook for the process's end to free."""
    global _KEPT  # noqa: PLW0603 - one switch for the process, set once by the CLI
    if _KEPT is None:
        _KEPT = []


# Records made at every extract's start-up: a NamedTuple and a plain class, not dataclasses
# (see `dsprod.errors`).


class ExtractOptions(NamedTuple):
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


class ExtractResult:
    """What extracting one notebook did; filled in as it goes."""

    def __init__(
        self,
        notebook: Path,
        target: Target | None = None,
        *,
        error: DsprodError | None = None,
    ) -> None:
        self.notebook = notebook
        self.target = target
        self.extracted: list[str] = []
        self.refused: list[str] = []
        self.conflicts: list[str] = []
        self.written: list[Path] = []
        self.error = error
        self.verification: Verification | None = None
        self.tests: Path | None = None

    def __repr__(self) -> str:
        return f"ExtractResult({self.notebook!r}, {self.extracted!r}, error={self.error!r})"

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
            hint=Step("run with ", Flag("dry_run"), " first, then with ", Flag("verify")),
        )
    notebook = read_notebook(path, cell_spans=True)
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
        if options.dry_run:
            if pending(target.root):
                output.status(
                    "warning",
                    "an extraction in this project was stopped half way; a run without "
                    "--dry-run finishes it first",
                )
        elif finish(target.root, output):  # what a kill stopped half way, before all else
            # The notebook and the module may have changed: read them as they are now.
            notebook = read_notebook(path, cell_spans=True)
            target = result.target = resolve_target(path, options.module, project)
        stage = plan_stage(notebook, project, target, options, output)
        result.refused = [r.name for r in stage.plan.refusals]
        result.conflicts = sorted(stage.conflicts)
        if not stage.plan.moved:
            output.status("skip", f"{path}: nothing to extract")
            if not options.dry_run:
                record_unchanged(stage, output)
            return result
        rendered = render_stage(stage, options)
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
        apply_stage(stage, rendered, options, output, result)
        if _KEPT is not None:
            _KEPT.append((notebook, stage, rendered))
    return result
