"""Time `dsprod extract` (the whole process) on generated notebooks, beside the floor.

Usage: python bench/extract.py [--repeat N] [--sizes 50,500,2000]

The floor is a process that only reads the notebook's JSON and parses every code cell with
`ast` - what any extraction must do at least. Also times `dsprod --help`. Prints a table; the
goal (issue 14) is extract at most 3x the floor on 2,000 cells, measured side by side here.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

from _timing import bytecode_env, median_seconds

FLOOR = """
import ast, json, sys
document = json.load(open(sys.argv[1], encoding="utf-8"))
for cell in document["cells"]:
    if cell["cell_type"] == "code":
        try:
            ast.parse("".join(cell["source"]))
        except SyntaxError:
            pass
"""


def _code_source(number: int) -> str:
    kind = number % 10
    if number == 1:
        return (
            "%matplotlib inline\nimport math\nimport json\nfrom statistics import mean\n"
            "LIMIT_1 = 2\nRATE_1 = math.sqrt(2)"
        )
    if kind == 1:
        return f"LIMIT_{number} = {number} * 2\nRATE_{number} = math.sqrt({number})"
    if kind in (2, 6):
        constants = number - kind + 1  # the constants cell of this block of ten
        return (
            f"def helper_{number}(values, limit=LIMIT_{constants}):\n"
            f'    """Helper number {number}."""\n'
            "    # keep the values under the limit\n"
            f"    return [v * RATE_{constants} for v in values if v < limit]"
        )
    if kind == 3:
        return (
            f"class Model{number}:\n"
            "    def __init__(self, scale=1.0):\n        self.scale = scale\n\n"
            f"    def predict(self, xs):\n        return mean(helper_{number - 1}(xs))"
        )
    if kind == 4:
        return (
            f"data_{number} = list(range({number % 50 + 5}))\n"
            f"Model{number - 1}().predict(data_{number})"
        )
    if kind == 7:
        return (
            f"%%time\ndef report_{number}():\n"
            f"    return json.dumps(helper_{number - 1}([1, 2, 3]))\n\nreport_{number}()"
        )
    return f"def uses_state_{number}():\n    return data_{number - 5}[0]\n\nuses_state_{number}()"


def generated_notebook(cells: int) -> dict[str, object]:
    """A notebook of `cells` cells mixing markdown, imports, constants, helpers and analysis."""
    made: list[dict[str, object]] = []
    for number in range(cells):
        if number % 10 in (0, 5, 8):
            made.append({"cell_type": "markdown", "metadata": {}, "source": [f"## Step {number}"]})
            continue
        made.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell{number}",
                "metadata": {},
                "outputs": [],
                "source": _code_source(number).splitlines(keepends=True),
            }
        )
    return {
        "cells": made,
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _reset(work: Path, original: Path) -> None:
    """The notebook as generated, and nothing extracted from it yet."""
    shutil.copyfile(original, work)
    for stale in work.parent.glob("*.py"):
        stale.unlink()
    shutil.rmtree(work.parent / ".dsprod", ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="50,500,2000")
    args = parser.parse_args()
    dsprod = shutil.which("dsprod") or str(Path(sys.executable).parent / "dsprod")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(Path(tmp) / "pycache")
        here = Path(tmp)

        def median_ms(command: list[str], before: Callable[[], None] | None = None) -> Timing:
            if before is not None:
                before()
            subprocess.run(command, check=True, capture_output=True, env=env)  # fills the cache
            wall, cpu = median_seconds(command, args.repeat, here, env, before)
            return Timing(wall * 1000, cpu * 1000)

        print(f"python -c pass      {median_ms([sys.executable, '-c', 'pass']).wall:6.0f} ms")
        print(f"dsprod --help       {median_ms([dsprod, '--help']).wall:6.0f} ms")
        header = ("cells", "moved", "extract ms", "engine ms", "floor ms", "ratio", "cpu ratio")
        print("{:>6} {:>5} {:>11} {:>10} {:>9} {:>6} {:>10}".format(*header))
        for size in sizes:
            folder = here / str(size)
            (folder / "work").mkdir(parents=True)
            original = folder / "original.json"
            document = generated_notebook(size)
            original.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
            work = folder / "work" / "analysis.ipynb"
            # Side by side: the floor, then extract, then the floor again, so that a change of
            # load during the run shows in both.
            floor_command = [sys.executable, "-c", FLOOR, str(original)]
            floor_a = median_ms(floor_command)
            run = median_ms([dsprod, "-q", "extract", str(work)], partial(_reset, work, original))
            floor_b = median_ms(floor_command)
            floor = Timing((floor_a.wall + floor_b.wall) / 2, (floor_a.cpu + floor_b.cpu) / 2)
            engine = [_engine_seconds(work, original) for _ in range(args.repeat)]
            engine_ms = statistics.median(s for s, _ in engine) * 1000
            print(
                f"{size:>6} {engine[0][1]:>5} {run.wall:>11.0f} {engine_ms:>10.0f} "
                f"{floor.wall:>9.0f} {run.wall / floor.wall:>6.2f} {run.cpu / floor.cpu:>10.2f}"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("extract: whole process (wall, median); engine: extract_notebook() in-process, imports")
    print("excluded; floor: a process that reads the JSON and parses every code cell; ratio:")
    print("extract/floor in wall time; cpu ratio: the same in CPU time (user + system, ruff's")
    print("included), steadier on a loaded machine. Bytecode cached, as an installed dsprod runs.")
    return 0


class Timing(NamedTuple):
    wall: float  # ms
    cpu: float  # ms


def _engine_seconds(work: Path, original: Path) -> tuple[float, int]:
    """In-process time of the extraction engine alone, and how many symbols it moved."""
    from dsprod._output import Output
    from dsprod.notebook.extract import ExtractOptions, extract_notebook

    _reset(work, original)
    sink = io.StringIO()
    started = time.perf_counter()
    result = extract_notebook(work, ExtractOptions(), output=Output(quiet=True, err=sink, out=sink))
    return time.perf_counter() - started, len(result.extracted)


if __name__ == "__main__":
    sys.exit(main())
