"""A program run on a text in memory, with its standard streams in memory files, not pipes.

The project's ruff runs in a thread beside the rest of an extraction (`_meanwhile`). Through
pipes, `subprocess` feeds the text and drains the output a few kilobytes at a time, and each
time the thread waits again for the interpreter's lock, which the main thread, computing,
hands over only every switch interval: ~90 handovers for the two runs on a 2,000-cell
module, 12 ms of the thread's CPU time that the main thread cannot use, and ruff stalled
while its output waited in a full pipe. From memory files the program reads its input and
writes its output on its own, and the thread only starts it and waits for it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["run_on_text"]

# ruff reads and writes UTF-8 whatever the locale says.
_ENCODING = "utf-8"


def run_on_text(argv: list[str], text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(argv, input=text, capture_output=True, text=True, cwd=cwd)`, in
    UTF-8: the same returncode, stdout and stderr (with universal newlines, as text mode
    gives them), and the same OSError when the program cannot start."""
    files = _memory_files()
    if files is None:  # not Linux, or no memory file to be had: through pipes
        return subprocess.run(
            argv, input=text, capture_output=True, text=True, encoding=_ENCODING, cwd=cwd,
            check=False,
        )  # fmt: skip
    stdin, stdout, stderr = files
    try:
        _write(stdin, text.encode(_ENCODING))
        os.lseek(stdin, 0, os.SEEK_SET)
        done = subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, check=False)
        out, err = _read(stdout), _read(stderr)
    finally:
        for descriptor in files:
            os.close(descriptor)
    return subprocess.CompletedProcess(argv, done.returncode, out, err)


def _memory_files() -> tuple[int, int, int] | None:
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    made: list[int] = []
    try:
        for name in ("stdin", "stdout", "stderr"):
            made.append(create(f"dsprod-{name}", os.MFD_CLOEXEC))
    except OSError:  # a kernel without them, or no descriptor left: pipes will do
        for descriptor in made:
            os.close(descriptor)
        return None
    return made[0], made[1], made[2]


def _write(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read(descriptor: int) -> str:
    size = os.lseek(descriptor, 0, os.SEEK_END)
    chunks = []
    offset = 0
    while offset < size:
        chunk = os.pread(descriptor, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    # As text mode decodes a process's output: universal newlines.
    return b"".join(chunks).decode(_ENCODING).replace("\r\n", "\n").replace("\r", "\n")
