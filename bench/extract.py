"""Time `dsprod extract` (the whole process) on generated notebooks, beside the floor.

Usage: python bench/extract.py [--repeat N] [--sizes 50,500,2000]

The floor is a process that only reads the notebook's JSON and parses every code cell with
`ast` - what any extraction must do at least. Also times `dsprod --help`. Prints a table; the
goals (issue "dsprod extract") are 2,000 cells under 0.3 s, linear growth, --help under 0.15 s.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def timed(command: list[str], prepare: Path | None = None, original: Path | None = None) -> float:
    if prepare is not None and original is not None:
        shutil.copyfile(original, prepare)
        for stale in prepare.parent.glob("*.py"):
            stale.unlink()
        shutil.rmtree(prepare.parent / ".dsprod", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="50,500,2000")
    args = parser.parse_args()
    dsprod = shutil.which("dsprod") or str(Path(sys.executable).parent / "dsprod")
    sizes = [int(s) for s in args.sizes.split(",")]

    def median_ms(command: list[str]) -> float:
        return statistics.median(timed(command) for _ in range(args.repeat)) * 1000

    print(f"python -c pass      {median_ms([sys.executable, '-c', 'pass']):6.0f} ms")
    print(f"dsprod --help       {median_ms([dsprod, '--help']):6.0f} ms")
    header = ("cells", "moved", "extract ms", "engine ms", "floor ms", "ratio")
    print("{:>6} {:>5} {:>11} {:>10} {:>9} {:>6}".format(*header))
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / str(size)
            (folder / "work").mkdir(parents=True)
            original = folder / "original.json"
            document = generated_notebook(size)
            original.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
            work = folder / "work" / "analysis.ipynb"
            runs = [
                timed([dsprod, "-q", "extract", str(work)], work, original)
                for _ in range(args.repeat)
            ]
            engine = [_engine_seconds(work, original) for _ in range(args.repeat)]
            floor_ms = median_ms([sys.executable, "-c", FLOOR, str(original)])
            extract_ms = statistics.median(runs) * 1000
            engine_ms = statistics.median(s for s, _ in engine) * 1000
            print(
                f"{size:>6} {engine[0][1]:>5} {extract_ms:>11.0f} {engine_ms:>10.0f} "
                f"{floor_ms:>9.0f} {extract_ms / floor_ms:>6.2f}"
            )
    print("extract: whole process; engine: extract_notebook() in-process, imports excluded;")
    print("floor: a process that reads the JSON and parses every code cell; ratio extract/floor")
    return 0


def _engine_seconds(work: Path, original: Path) -> tuple[float, int]:
    """In-process time of the extraction engine alone, and how many symbols it moved."""
    from dsprod._output import Output
    from dsprod.notebook.extract import ExtractOptions, extract_notebook

    shutil.copyfile(original, work)
    for stale in work.parent.glob("*.py"):
        stale.unlink()
    shutil.rmtree(work.parent / ".dsprod", ignore_errors=True)
    sink = io.StringIO()
    started = time.perf_counter()
    result = extract_notebook(work, ExtractOptions(), output=Output(quiet=True, err=sink, out=sink))
    return time.perf_counter() - started, len(result.extracted)


if __name__ == "__main__":
    sys.exit(main())
