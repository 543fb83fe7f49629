"""Run the tools setup and doctor need: quick ones captured, long ones with progress."""

from __future__ import annotations

import collections
import os
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from dsprod._output import Output
from dsprod.errors import Hint, UserError

__all__ = ["quick", "run_long", "shown_command"]

_TAIL = 25  # lines of a failed tool's output shown in the error


def shown_command(args: Sequence[str | Path], root: Path | None = None) -> str:
    """A command as the user would type it: paths inside the project relative to it."""
    words = []
    for number, arg in enumerate(args):
        text = str(arg)
        if root is not None and text.startswith(f"{root}/"):
            text = text[len(str(root)) + 1 :]
        elif number == 0 and shutil.which(Path(text).name) == text:
            text = Path(text).name  # the tool found on PATH: `uv`, not its full path
        words.append(shlex.quote(text))
    return " ".join(words)


def quick(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    timeout: float = 120,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """Run a short command and capture its output; None when it cannot be started at all.
    `env` is added to the environment; `stdin` is given as its input."""
    try:
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def run_long(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    output: Output,
    what: str,
    hint: Hint,
    env: Mapping[str, str] | None = None,
) -> float:
    """Run a long command (creating an environment, installing packages); return how long it
    took. On a terminal a line under the status shows the time so far and the tool's latest
    output; otherwise nothing is printed until it ends. A failure raises a UserError with the
    end of the tool's output."""
    live = output.live()
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL)
    start = time.monotonic()
    try:
        process = subprocess.Popen(
            [str(a) for a in args],
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise UserError(f"cannot run {shown_command(args, cwd)}: {exc}", hint=hint) from exc
    stop = threading.Event()
    ticker = threading.Thread(target=_tick, args=(output, tail, start, stop), daemon=True)
    if live:
        ticker.start()
    try:
        assert process.stdout is not None  # noqa: S101 - Popen was given stdout=PIPE
        for line in process.stdout:
            if line.strip():
                tail.append(line.rstrip())
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        stop.set()
        if live:
            ticker.join()
            output.progress("")
    if code != 0:
        said = "\n".join(f"  | {line}" for line in tail)
        raise UserError(
            f"{what} failed: {shown_command(args, cwd)} exited {code}\n{said}".rstrip(), hint=hint
        )
    return time.monotonic() - start


def _tick(
    output: Output, tail: collections.deque[str], start: float, stop: threading.Event
) -> None:
    while not stop.wait(0.25):
        latest = tail[-1] if tail else ""
        output.progress(f"{'':>10}  {time.monotonic() - start:4.0f} s  {latest}")
