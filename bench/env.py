"""Time `dsprod env show dev` and `dsprod env check dev` (whole processes) on a new project.

Usage: python bench/env.py [--repeat N]

The project is made by `dsprod new --defaults` in a temporary folder; its settings run in this
interpreter (`--python`, which must have pydantic-settings), as they would in its .venv. Each
command is a new process, as a user's is. Also times what the settings' side costs alone: a
Python that imports the project's settings module, and the probe dsprod runs there. Prints
medians; no goal is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_ms(command: list[str], cwd: Path, repeat: int) -> float:
    runs = []
    for number in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run(command, check=False, capture_output=True, cwd=cwd)
        if number:  # the first run warms the file cache
            runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    from dsprod._output import Output
    from dsprod._project import require_project
    from dsprod.envs._probe import run_probe
    from dsprod.scaffold import new_project

    dsprod = [sys.executable, "-m", "dsprod"]
    python = ["--python", sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench"
        new_project(project, {}, defaults=True, output=Output(quiet=True))
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("python -c 'import bench.settings'", [sys.executable, "-c", "import bench.settings"]),
            ("dsprod --help", [*dsprod, "--help"]),
            ("dsprod env list", [*dsprod, "env", "list"]),
            ("dsprod env show dev", [*dsprod, "env", "show", "dev", *python]),
            ("dsprod env show dev --json", [*dsprod, "env", "show", "dev", "--json", *python]),
            ("dsprod env check dev", [*dsprod, "env", "check", "dev", *python]),
        ]
        for label, command in rows:
            cwd = project / "src" if "import bench" in label else project
            print(f"{label:<36} {median_ms(command, cwd, args.repeat):6.0f} ms")
        found = require_project(project)
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run_probe(found, "dev", Path(sys.executable))
            runs.append(time.perf_counter() - started)
        print(f"{'the probe alone (in-process call)':<36} {statistics.median(runs) * 1000:6.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
