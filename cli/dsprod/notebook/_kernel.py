"""Running a notebook in a real Jupyter kernel, cell by cell, for --verify.

The kernel is started with the project's interpreter (its `.venv` when there is one), so the
package is importable as the notebook will import it. A Ctrl-C stops the run cleanly: the
kernel is shut down and the interruption goes on as a KeyboardInterrupt, never as asyncio's
CancelledError, and never as a kernel torn down under a running cell.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from dsprod.errors import UserError
from dsprod.notebook._model import Notebook
from dsprod.notebook._outputs import CellRun, cell_run

__all__ = ["run_notebook"]


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
                _execute(client, manager, stderr)
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
    return [cell_run(i, c) for i, c in enumerate(node.cells) if c.cell_type == "code"]


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


def _execute(client: Any, manager: Any, stderr: Any) -> None:
    """Run `client`'s notebook in an event loop of our own, where Ctrl-C cancels the run; the
    kernel is shut down however the run ends, then the interruption is raised."""
    loop = _Loop()
    # The current loop too: jupyter_client and pyzmq ask for it (asyncio.get_event_loop).
    asyncio.set_event_loop(loop)
    task = loop.create_task(_run(client, manager, stderr))
    interrupted: list[bool] = []

    def interrupt() -> None:
        # The first Ctrl-C cancels; more while the kernel shuts down must not cut that short.
        if not interrupted:
            task.cancel()
        interrupted.append(True)

    ours = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if ours:
        try:
            loop.own_signal_handler(signal.SIGINT, interrupt)
        except (NotImplementedError, RuntimeError):  # no signal handlers on this loop (Windows)
            ours = False
    try:
        loop.run_until_complete(task)
    except BaseException:
        # nbclient turns the cancellation into a DeadKernelError (it takes any cancel for its
        # watch on the kernel's life): after a Ctrl-C, whatever comes out is the interruption.
        if not interrupted:
            raise
    finally:
        if ours:
            loop.drop_signal_handler(signal.SIGINT)
        _close(loop)
        asyncio.set_event_loop(None)
    if interrupted:
        raise KeyboardInterrupt


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close `loop` as `asyncio.run` does: nbclient's watchers of the kernel still pending are
    cancelled and awaited first (else: "Task was destroyed but it is pending!")."""
    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


async def _run(client: Any, manager: Any, stderr: Any) -> None:
    try:
        await client.async_execute(stderr=stderr)
    finally:
        # nbclient leaves running a kernel whose manager it was given: ours to shut down,
        # whichever way the run ended.
        if client.kc is not None:
            client.kc.stop_channels()
        if manager.has_kernel:
            await manager.shutdown_kernel(now=True)


class _Loop(asyncio.SelectorEventLoop):
    """An event loop where nbclient cannot set a Ctrl-C handler: its own shuts the kernel down
    under the running cell and lets the run go on, so every later cell fails, as if the
    extraction had broken them."""

    def own_signal_handler(self, sig: int, callback: Any) -> None:
        super().add_signal_handler(sig, callback)

    def drop_signal_handler(self, sig: int) -> None:
        super().remove_signal_handler(sig)

    # (typeshed types `args` with a TypeVarTuple; passing them on is all this does)
    def add_signal_handler(self, sig: int, callback: Any, *args: Any) -> None:  # type: ignore[override]
        if sig not in (signal.SIGINT, signal.SIGTERM):
            super().add_signal_handler(sig, callback, *args)

    def remove_signal_handler(self, sig: int) -> bool:
        if sig in (signal.SIGINT, signal.SIGTERM):
            return False
        return super().remove_signal_handler(sig)
