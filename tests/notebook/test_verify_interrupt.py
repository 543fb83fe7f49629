"""Ctrl-C during `dsprod extract --verify`: a real process, a real kernel, a real SIGINT sent to
the whole process group (as a terminal sends it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import snapshot, write_notebook

pytestmark = pytest.mark.slow

CELLS = (
    "def f(x):\n    return x + 1",
    "print(f(1))",
    "import time\ntime.sleep(3)",
    "print(f(2))",
)


def start(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dsprod", "extract", "--verify", "nb.ipynb"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, to send Ctrl-C to as a terminal does
    )


def wait_for(process: subprocess.Popen[str], words: str) -> str:
    """stderr up to the line that says `words`."""
    assert process.stderr is not None
    seen = ""
    while words not in seen:
        line = process.stderr.readline()
        assert line, f"dsprod ended before saying {words!r}: {seen}"
        seen += line
    return seen


def kernels_of(pid: int) -> list[int]:
    """The kernels (ipykernel processes) dsprod started: they run in sessions of their own."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = stat.read_bytes().split(b"\0")
            environ = (stat.parent / "environ").read_bytes()
        except OSError:
            continue
        if b"ipykernel_launcher" in argv and f"JPY_PARENT_PID={pid}\0".encode() in environ:
            found.append(int(stat.parent.name))
    return found


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    os.killpg(process.pid, signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    return process.returncode, rest


def test_ctrl_c_at_any_moment_says_interrupted_and_leaves_the_files_as_they_were(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    write_notebook(folder / "nb.ipynb", *CELLS)
    before = snapshot(folder)

    # In the first 0.3 s: Python is still importing dsprod.
    process = start(folder)
    time.sleep(0.3)
    code, said = interrupt(process)
    assert (code, said.strip()) == (130, "interrupted")
    assert snapshot(folder) == before

    # While the original runs, nothing written yet; then while the rewritten notebook runs,
    # after module, notebook and manifest were written: all put back.
    for moment in ("as it is", "after extraction"):
        process = start(folder)
        said = wait_for(process, moment)
        time.sleep(1.5)  # inside the kernel's run, in the cell that sleeps
        kernels = kernels_of(process.pid)
        assert kernels, "no kernel found running"
        code, rest = interrupt(process)
        said += rest
        assert code == 130, said
        assert said.rstrip().endswith("interrupted"), said
        for noise in ("Traceback", "CancelledError", "KeyboardInterrupt", "differ", "fails"):
            assert noise not in said
        assert snapshot(folder) == before, moment
        time.sleep(0.2)
        assert not [k for k in kernels if Path(f"/proc/{k}").exists()], "kernel left running"
