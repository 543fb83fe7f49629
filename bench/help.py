"""Time `dsprod --help` beside `pre-commit --help`, and `dsprod check` on one notebook.

Usage: python bench/help.py [--repeat N]

Both CLIs are the console scripts of this interpreter's environment (pre-commit is in the dev
group). Goal (issue 14): `dsprod --help` at most 0.6x `pre-commit --help`. The wall and the
CPU time (user + system) are printed: on a shared machine the CPU time is steadier. The floor
is `python -c pass`, the start-up no command can beat.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _timing import median_seconds

NOTEBOOK = {
    "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["x = 1\n"]}],
    "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def measure(command: list[str], repeat: int, cwd: Path) -> tuple[float, float]:
    """Median wall and CPU seconds of `command`, at a fixed terminal width."""
    return median_seconds(command, repeat, cwd, {**os.environ, "COLUMNS": "80"})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    scripts = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "nb.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
        rows = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pre-commit --help": [str(scripts / "pre-commit"), "--help"],
            "dsprod --help": [str(scripts / "dsprod"), "--help"],
            "dsprod check nb.ipynb": [str(scripts / "dsprod"), "check", "nb.ipynb"],
            # The typer application's help, which the fast path stands in for.
            "dsprod env --help": [str(scripts / "dsprod"), "env", "--help"],
        }
        times = {name: measure(command, args.repeat, work) for name, command in rows.items()}
    peer_wall, peer_cpu = times["pre-commit --help"]
    print(f"{'':24}  {'wall':>7}  {'cpu':>7}  ratio to pre-commit --help (wall, cpu)")
    for name, (wall, cpu) in times.items():
        print(
            f"{name:24}  {wall * 1000:5.0f} ms  {cpu * 1000:5.0f} ms  "
            f"{wall / peer_wall:5.2f}  {cpu / peer_cpu:5.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
