"""Run a notebook before and after extraction and compare what its cells showed.

Both runs use a real Jupyter kernel started with the project's interpreter (its `.venv` when
there is one), so the package is importable as the notebook will import it.
"""

from __future__ import annotations

import atexit
import difflib
import json
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dsprod._output import Output, shown
from dsprod._project import project_python
from dsprod.errors import UserError
from dsprod.notebook._model import Notebook
from dsprod.notebook._target import Target

__all__ = [
    "CellRun",
    "Verification",
    "compare_runs",
    "kept_cells",
    "run_notebook",
    "verify_after",
    "verify_before",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_TIMING = re.compile(
    r"^(CPU times:.*|Wall time:.*|.* per loop \(mean ± std\. dev\. of .*\)|.*µs ± .*)$", re.M
)
_TEMP = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s'\"]*")


@dataclass(frozen=True)
class CellRun:
    """What one code cell showed: normalised text of its outputs, and its error if any."""

    index: int  # 0-based cell index in its notebook
    text: str
    error: str | None
    # The cell's outputs as the kernel gave them (nbformat's shape): what --tests reads when
    # the notebook itself has none (outputs stripped on commit, or a jupytext script).
    outputs: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Verification:
    compared: int
    differences: tuple[tuple[int, str], ...]  # (1-based cell of the original, unified diff)
    original_error: tuple[int, str] | None  # (1-based cell, error) where the original stopped
    new_error: tuple[int, str] | None  # a failure the rewritten notebook has and the original not
    # 1-based cells whose output changes from one run of the original to the next (randomness,
    # clocks): their differences say nothing about the extraction, and are not counted.
    unstable: tuple[int, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.differences and self.new_error is None


def run_notebook(
    notebook: Notebook, text: str, python: str, paths: list[Path], timeout: int
) -> list[CellRun]:
    """Execute the notebook `text` (in `notebook`'s format) cell by cell; never raises on a
    failing cell: the run stops there and the error is recorded."""
    import jupytext
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if notebook.format == "percent":
        node = jupytext.reads(text, fmt="py:percent")
    else:
        node = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    with tempfile.TemporaryDirectory(prefix="dsprod-kernel-") as specs:
        spec = Path(specs) / "dsprod-verify"
        spec.mkdir()
        pythonpath = ":".join(str(p) for p in paths)
        kernel = {
            # No history: verification runs are not the user's IPython sessions.
            "argv": [
                python,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
                "--HistoryManager.enabled=False",
            ],
            "display_name": "dsprod verify",
            "language": "python",
            "env": {"PYTHONPATH": pythonpath, "MPLBACKEND": "Agg"},
        }
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
        # The async manager, as nbclient uses by default: with the blocking one, nbclient's
        # per-cell timeout is never applied.
        manager = AsyncKernelManager(
            kernel_name="dsprod-verify",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[specs]),
            # In our temporary folder, so it goes with it whatever way the kernel ends.
            connection_file=str(Path(specs) / "connection.json"),
        )
        client = NotebookClient(
            node,
            km=manager,
            timeout=timeout,
            allow_errors=False,
            resources={"metadata": {"path": str(notebook.path.resolve().parent)}},
        )
        # The kernel's own chatter (transport warnings) goes to a file, shown only if it dies.
        log = Path(specs) / "kernel.log"
        with log.open("w", encoding="utf-8") as stderr:
            try:
                client.execute(stderr=stderr)
            except CellExecutionError:
                pass  # the failing cell carries its error output; later cells did not run
            except (CellTimeoutError, DeadKernelError) as exc:
                # No error output for these: put one on the cell that was running.
                _mark_last_started(node, exc, timeout)
            except Exception as exc:  # a kernel that cannot start, for whatever reason
                said = log.read_text(encoding="utf-8").strip()[-2000:]
                raise UserError(
                    f"cannot run a Jupyter kernel with {python}: {exc}\n{said}".rstrip(),
                    hint=_kernel_hint(python),
                ) from exc
            finally:
                # nbclient leaves an exit hook behind when the kernel never started; it would
                # print a traceback as dsprod exits.
                atexit.unregister(client._cleanup_kernel)
    return [_cell_run(i, c) for i, c in enumerate(node.cells) if c.cell_type == "code"]


def _kernel_hint(python: str) -> str:
    """The next step for a kernel that did not start: installing ipykernel only helps when
    that is what is missing."""
    import subprocess

    try:
        done = subprocess.run(
            [python, "-c", "import ipykernel_launcher"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return f"{python} does not run: point the project's .venv at a working Python"
    if "No module named" in done.stderr:
        return f"install ipykernel there: {python} -m pip install ipykernel"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"ipykernel is installed but does not import ({last}): reinstall it there"
    return "fix what the kernel says above, then run again (ipykernel is installed there)"


def _mark_last_started(node: Any, error: Exception, timeout: int) -> None:
    started = [c for c in node.cells if c.cell_type == "code" and c.get("execution_count")]
    if not started:
        return
    name = type(error).__name__
    detail = f"ran longer than {timeout} s" if name == "CellTimeoutError" else "the kernel died"
    started[-1].outputs.append({"output_type": "error", "ename": name, "evalue": detail})


def _cell_run(index: int, cell: Any) -> CellRun:
    parts: list[str] = []
    error: str | None = None
    stream: tuple[str, list[str]] | None = None  # the stream being gathered, and its pieces
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            # How a kernel splits printed text into outputs depends on timing: one stream's
            # consecutive pieces are one text.
            name = str(output.get("name"))
            if stream is None or stream[0] != name:
                stream = (name, [])
                parts.append("")
            stream[1].append(str(output.get("text", "")))
            parts[-1] = f"[{name}] {_normalise(''.join(stream[1]))}"
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "text/plain" in data:  # (an image alone shows no text: the stream goes on)
                parts.append(f"[{kind}] {_normalise(data['text/plain'])}")
                stream = None
        elif kind == "error":
            error = f"{output.get('ename')}: {_normalise(str(output.get('evalue')))}"
            parts.append(f"[error] {error}")
            stream = None
    executed = cell.get("execution_count") is not None or bool(parts)
    # Every part ends its line, so a diff never glues two of them together.
    text = (
        "".join(p if p.endswith("\n") else p + "\n" for p in parts) if executed else "<not run>\n"
    )
    return CellRun(index, text, error, tuple(cell.get("outputs", [])))


def _normalise(text: str) -> str:
    """Remove what legitimately differs between runs: colours, addresses, timings, temp paths."""
    text = _ANSI.sub("", text)
    text = _ADDRESS.sub("0x…", text)
    text = _TIMING.sub("<timing>", text)
    return _TEMP.sub("<tmp>", text)


def compare_runs(before: list[CellRun], after: list[CellRun], kept: dict[int, int]) -> Verification:
    """Compare the cells the rewrite kept (`kept` maps an original index to its new index)."""
    by_index = {run.index: run for run in after}
    original_error = next(((r.index + 1, r.error) for r in before if r.error), None)
    errors_before = {r.error for r in before if r.error}
    differences: list[tuple[int, str]] = []
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
    return Verification(compared, tuple(differences), original_error, new_error)


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
    where = shown(notebook.path)
    if verification.differences and verification.new_error is None:
        # Only now, as it costs a third run: does the original itself show the same twice?
        output.status("run", f"{where} as it was, again: do those cells change on every run?")
        again = run_notebook(notebook, notebook.text, python, [target.module_root], timeout)
        verification = discount_unstable(verification, before, again)
    if verification.original_error is not None:
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
    for cell, diff in verification.differences:
        output.problem(f"{where}:cell {cell}: shows something else after extraction")
        output.data(diff)
    if verification.identical and verification.compared == 0:
        output.status("warning", f"{where}: nothing ran before the first failure; nothing compared")
    elif verification.identical:
        output.status(
            "identical", f"{where}: {verification.compared} cells show the same as before"
        )
    return verification


def kept_cells(notebook: Notebook, sources: dict[int, str | None]) -> dict[int, int]:
    """Original cell index -> index in the rewritten notebook, for the cells that remain."""
    kept: dict[int, int] = {}
    for cell in notebook.cells:
        if sources.get(cell.index, "") is not None:
            kept[cell.index] = len(kept)
    return kept
