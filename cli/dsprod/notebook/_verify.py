"""Run a notebook before and after extraction and compare what its cells showed.

Both runs use a real Jupyter kernel (`_kernel`); what a cell showed is compared as
`_outputs` puts it: text, results and errors as text, warnings as warnings, apart.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from dsprod._output import Output, shown
from dsprod._problem import Problem
from dsprod._project import project_python
from dsprod.errors import Flag, Step
from dsprod.notebook._kernel import run_notebook
from dsprod.notebook._model import Notebook
from dsprod.notebook._outputs import CellRun
from dsprod.notebook._target import Target

__all__ = [
    "CellRun",
    "Verification",
    "compare_runs",
    "discount_unstable",
    "kept_cells",
    "verify_after",
    "verify_before",
]


@dataclass(frozen=True)
class Verification:
    compared: int
    differences: tuple[tuple[int, str], ...]  # (1-based cell of the original, unified diff)
    original_error: tuple[int, str] | None  # (1-based cell, error) where the original stopped
    new_error: tuple[int, str] | None  # a failure the rewritten notebook has and the original not
    # 1-based cells whose output changes from one run of the original to the next (randomness,
    # clocks): their differences say nothing about the extraction, and are not counted.
    unstable: tuple[int, ...] = ()
    # (1-based cell, warnings before only, warnings after only): not differences, as the
    # default warning filters depend on where code lives (a DeprecationWarning shows for
    # code in __main__ only); reported apart.
    warnings: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = ()

    @property
    def identical(self) -> bool:
        """Something was compared, and nothing differed."""
        return self.compared > 0 and not self.differences and self.new_error is None


def compare_runs(before: list[CellRun], after: list[CellRun], kept: dict[int, int]) -> Verification:
    """Compare the cells the rewrite kept (`kept` maps an original index to its new index)."""
    by_index = {run.index: run for run in after}
    original_error = next(((r.index + 1, r.error) for r in before if r.error), None)
    errors_before = {r.error for r in before if r.error}
    differences: list[tuple[int, str]] = []
    warnings: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
    new_error: tuple[int, str] | None = None
    compared = 0
    for run in before:
        if original_error is not None and run.index + 1 >= original_error[0]:
            break  # the original stopped here: nothing after it ran, nothing to compare
        if run.index not in kept:
            continue
        other = by_index.get(kept[run.index])
        if other is None:
            continue
        compared += 1
        if run.warnings != other.warnings:
            gone = tuple(w for w in run.warnings if w not in other.warnings)
            new = tuple(w for w in other.warnings if w not in run.warnings)
            warnings.append((run.index + 1, gone, new))
        if other.error and not run.error and new_error is None:
            if other.error in errors_before:
                # The original fails the same way, only later (an import now comes earlier):
                # not something the extraction broke, and nothing after it can be compared.
                break
            new_error = (run.index + 1, other.error)
        if other.text != run.text:
            diff = "".join(
                difflib.unified_diff(
                    run.text.splitlines(keepends=True),
                    other.text.splitlines(keepends=True),
                    "before",
                    "after",
                    n=1,
                )
            )
            differences.append((run.index + 1, diff))
    return Verification(
        compared, tuple(differences), original_error, new_error, warnings=tuple(warnings)
    )


def discount_unstable(
    verification: Verification, before: list[CellRun], again: list[CellRun]
) -> Verification:
    """Drop the differences of cells that differ between two runs of the original too."""
    first = {run.index: run.text for run in before}
    unstable = {run.index + 1 for run in again if first.get(run.index, run.text) != run.text}
    return replace(
        verification,
        differences=tuple(d for d in verification.differences if d[0] not in unstable),
        unstable=tuple(sorted(cell for cell, _ in verification.differences if cell in unstable)),
    )


def verify_before(
    notebook: Notebook, target: Target, timeout: int, output: Output
) -> list[CellRun]:
    output.status("run", f"{shown(notebook.path)} as it is (a kernel, cell by cell)")
    python = str(project_python(target.root))
    return run_notebook(notebook, notebook.text, python, [target.module_root], timeout)


def verify_after(
    notebook: Notebook,
    text: str,
    target: Target,
    timeout: int,
    before: list[CellRun],
    kept: dict[int, int],
    output: Output,
) -> Verification:
    """Run the rewritten notebook `text`, compare with `before`, and report."""
    output.status("run", f"{shown(notebook.path)} after extraction")
    python = str(project_python(target.root))
    after = run_notebook(notebook, text, python, [target.module_root], timeout)
    verification = compare_runs(before, after, kept)
    if verification.differences and verification.new_error is None:
        # Only now, as it costs a third run: does the original itself show the same twice?
        where = shown(notebook.path)
        output.status("run", f"{where} as it was, again: do those cells change on every run?")
        again = run_notebook(notebook, notebook.text, python, [target.module_root], timeout)
        verification = discount_unstable(verification, before, again)
    _report(verification, shown(notebook.path), output)
    return verification


def _report(verification: Verification, where: str, output: Output) -> None:
    if verification.original_error is not None and verification.compared:
        cell, error = verification.original_error
        output.status(
            "warning",
            f"{where}:cell {cell}: the notebook fails here before extraction ({error}); "
            f"compared the {verification.compared} cells before it",
        )
    if verification.new_error is not None:
        cell, error = verification.new_error
        output.problem(
            f"{where}:cell {cell}: fails after extraction ({error}) but not before; "
            "the notebook and the module are put back as they were"
        )
    for cell in verification.unstable:
        output.status(
            "note",
            f"{where}:cell {cell}: shows something else on every run, before extraction too "
            "(randomness, the clock): not compared",
        )
    for cell, gone, new in verification.warnings:
        output.status("warnings", f"{where}:cell {cell}: {_warnings_changed(gone, new)}")
    for cell, diff in verification.differences:
        output.problem(f"{where}:cell {cell}: shows something else after extraction")
        output.data(diff)
    if verification.compared == 0:
        failure = ""
        if verification.original_error is not None:
            cell, error = verification.original_error
            failure = f": it fails at cell {cell} before extraction ({error})"
        output.problem(
            Problem(
                where,
                f"nothing compared, the extraction is not verified{failure}; no cell before "
                "the failure was kept to compare",
                Step(
                    "make the notebook run further (its data, its packages), then run "
                    "`dsprod extract ",
                    Flag("verify"),
                    "` again; the extraction itself stands",
                ),
            )
        )
    elif verification.identical:
        output.status(
            "identical", f"{where}: {verification.compared} cells show the same as before"
        )


def _warnings_changed(gone: tuple[str, ...], new: tuple[str, ...]) -> str:
    said = []
    if gone:
        said.append(f"no longer warns {'; '.join(gone)}")
    if new:
        said.append(f"now warns {'; '.join(new)}")
    why = "warnings depend on where the code lives, so they are not counted as a difference"
    if gone and all(
        w.startswith(("DeprecationWarning", "PendingDeprecationWarning")) for w in gone
    ):
        why = (
            "Python shows a DeprecationWarning only for code in __main__, and the code is in "
            "a module now"
        )
    return f"{', and '.join(said)} ({why})"


def kept_cells(notebook: Notebook, sources: dict[int, str | None]) -> dict[int, int]:
    """Original cell index -> index in the rewritten notebook, for the cells that remain."""
    kept: dict[int, int] = {}
    for cell in notebook.cells:
        if sources.get(cell.index, "") is not None:
            kept[cell.index] = len(kept)
    return kept
