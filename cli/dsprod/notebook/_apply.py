"""The last stage of one extraction: write (all files or none), record, verify (putting
everything back on a new failure or a Ctrl-C), write the characterization tests."""

from __future__ import annotations

from pathlib import Path

from dsprod._fs import restore, snapshot
from dsprod._interrupt import deferred
from dsprod._output import Output, shown
from dsprod.errors import TargetError
from dsprod.notebook._journal import pending, write_all
from dsprod.notebook._ledger import DEBT_PATH, refresh_notebook_debt
from dsprod.notebook._manifest import load_manifest
from dsprod.notebook._record import record
from dsprod.notebook._rewrite import import_summary
from dsprod.notebook._stage import Rendered, Stage
from dsprod.notebook._target import missing_inits

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook.extract import ExtractOptions, ExtractResult

__all__ = ["apply_stage", "record_unchanged"]


def apply_stage(
    stage: Stage,
    rendered: Rendered,
    options: ExtractOptions,
    output: Output,
    result: ExtractResult,
) -> None:
    """Write the module, the notebook and the manifest; verify (restoring on a new failure or
    an interruption); write the characterization tests."""
    notebook, target, path = stage.notebook, stage.target, stage.notebook.path
    before = None
    if options.verify:
        # Imported only here: --verify and --tests are the rare runs, and what they need
        # (asyncio, the kernel client, tempfile...) is a third of an extraction's start-up.
        from dsprod.notebook._verify import verify_before

        before = verify_before(notebook, target, options.timeout, output)
    inits = missing_inits(target, stage.project)
    ledger = [stage.project.root / DEBT_PATH] if stage.project is not None else []
    saved = snapshot(target.path, path, stage.manifest.path, *inits, *ledger)
    try:
        _write(stage, rendered, inits, output, result)
    except TargetError as exc:
        if pending(target.root) is not None:
            raise  # past the journal's commit point: the next run finishes it (`_journal`)
        # A full disk or a read-only file half way: what was written goes back, so the
        # project is as it was, not half extracted.
        restore(saved)
        raise TargetError(f"{exc.message}; nothing was changed", hint=exc.hint) from exc
    if before is not None:
        from dsprod.notebook._verify import kept_cells, verify_after

        kept = kept_cells(notebook, rendered.sources)
        try:
            result.verification = verify_after(
                notebook, rendered.notebook_text, target, options.timeout, before, kept, output
            )
        except KeyboardInterrupt:
            # An extraction the user asked to verify stands only verified: as it was.
            with deferred():
                restore(saved)
            output.status("restore", f"{shown(path)} and {shown(target.path)} as they were")
            raise
        if result.verification.new_error is not None:
            restore(saved)
            output.status("restore", f"{shown(path)} and {shown(target.path)} as they were")
            return
    if options.tests:
        from dsprod.notebook._tests import write_characterization_tests

        # --verify ran the original: its outputs serve a notebook stored without them.
        recorded = {run.index: run.outputs for run in before} if before else None
        result.tests = write_characterization_tests(
            stage.plan.parsed,
            notebook,
            target,
            stage.project,
            load_manifest(target.root),
            stage.notebook_key,
            output,
            recorded,
        )


def record_unchanged(stage: Stage, output: Output) -> None:
    """Nothing moves: record what stays in the notebook and why, and its lint debt."""
    if record(stage, None, stage.notebook.text):
        stage.manifest.save()
    _refresh_debt(stage, stage.notebook.text, output)


def _write(
    stage: Stage,
    rendered: Rendered,
    inits: list[Path],
    output: Output,
    result: ExtractResult,
) -> None:
    notebook, target, path = stage.notebook, stage.target, stage.notebook.path
    files: dict[Path, str] = {}
    module_changed = rendered.module.text != rendered.old_module
    if module_changed:
        files.update(dict.fromkeys(inits, ""))  # a new subpackage of the project's package
        files[target.path] = rendered.module.text
    notebook_changed = rendered.notebook_text != notebook.text
    if notebook_changed:
        files[path] = rendered.notebook_text
    if record(stage, rendered.module, rendered.notebook_text, rendered.sources):
        files[stage.manifest.path] = stage.manifest.render()
    # The module, the notebook and the manifest together or not at all: a kill between two
    # of them is finished by the next run (`_journal`).
    write_all(target.root, files, shown(path))
    if module_changed:
        how = "update" if stage.current else "create"
        output.status(how, f"{shown(target.path)} ({target.how})")
        result.written.append(target.path)
    if notebook_changed:
        imported = f": {import_summary(rendered.import_text)}" if rendered.import_text else ""
        output.status("update", f"{path}{imported}")
        result.written.append(path)
    _refresh_debt(stage, rendered.notebook_text, output)


def _refresh_debt(stage: Stage, notebook_text: str, output: Output) -> None:
    if stage.project is not None:
        refresh_notebook_debt(stage.project.root, {stage.notebook.path: notebook_text}, output)
