"""Timing a command the way a user runs it: a new process each time, medians of wall and CPU."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["median_seconds"]


def median_seconds(
    command: list[str], repeat: int, cwd: Path, env: Mapping[str, str] | None = None
) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `command`. The CPU time is the
    steadier of the two on a shared machine: other processes lengthen the wall time only."""
    walls, cpus = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped here; Popen must not wait for it again
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus)
