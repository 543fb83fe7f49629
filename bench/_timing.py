"""Timing a command the way a user runs it: a new process each time, medians of wall and CPU."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["bytecode_env", "median_seconds"]


def median_seconds(
    command: list[str],
    repeat: int,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, the processes it waited for
    included: ruff's) of `command`. The CPU time is the steadier of the two on a shared
    machine: other processes lengthen the wall time only. `before` runs ahead of each run,
    untimed (to put the input back)."""
    walls, cpus = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped here; Popen must not wait for it again
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def bytecode_env(cache: Path) -> dict[str, str]:
    """The environment with Python's bytecode cache on, kept in `cache`.

    An installed dsprod runs from compiled bytecode (pip compiles a wheel when it installs it).
    A checkout installed in editable mode under PYTHONDONTWRITEBYTECODE=1 compiles every module
    from source at every start, which would time the compiler, not dsprod. The caller runs
    each command once untimed first, to fill the cache.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env
