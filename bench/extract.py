"""Time `dsprod extract` (the whole process) on generated notebooks, beside the floor.

Usage: python bench/extract.py [--repeat N] [--sizes 50,500,2000]

The floor is a process that only reads the notebook's JSON and parses every code cell with
`ast` - what any extraction must do at least. Also times `dsprod --help`. Prints a table; the
goals (issue "dsprod extract") are 2,000 cells under 0.3 s, linear growth, --help under 0.15 s.
"""

from __future__ import annotations

import argparse
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


def generated_notebook(cells: int) -> dict[str, object]:
    """A notebook of `cells` cells mixing markdown, imports, constants, helpers and analysis."""
    made: list[dict[str, object]] = []
    for number in range(cells):
        kind = number % 10
        if kind in (0, 5, 8):
            made.append({"cell_type": "markdown", "metadata": {}, "source": [f"## Step {number}"]})
            continue
        if number == 1:
            source = "%matplotlib inline\nimport math\nimport json\nfrom statistics import mean"
        elif kind == 1:
            source = f"LIMIT_{number} = {number} * 2\nRATE_{number} = math.sqrt({number})"
        elif kind in (2, 6):
            source = (
                f"def helper_{number}(values, limit=LIMIT_{number - 1 - (kind == 6) * 4}):\n"
                f'    """Helper number {number}."""\n'
                f"    # keep the values under the limit\n"
                f"    return [v * RATE_{number - 1 - (kind == 6) * 4} for v in values if v < limit]"
            )
        elif kind == 3:
            source = (
                f"class Model{number}:\n"
                f"    def __init__(self, scale=1.0):\n        self.scale = scale\n\n"
                f"    def predict(self, xs):\n        return mean(helper_{number - 1}(xs))"
            )
        elif kind == 4:
            source = f"data_{number} = list(range({number % 50 + 5}))\nModel{number - 1}().predict(data_{number})"
        elif kind == 7:
            source = f"%%time\ndef report_{number}():\n    return json.dumps(helper_{number - 1}([1, 2, 3]))\n\nreport_{number}()"
        else:
            source = f"def uses_state_{number}():\n    return data_{number - 5}[0]\n\nuses_state_{number}()"
        made.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell{number}",
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(keepends=True),
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
    help_times = [timed([dsprod, "--help"]) for _ in range(args.repeat)]
    print(f"dsprod --help: median {statistics.median(help_times) * 1000:.0f} ms")
    print(
        f"python -c pass: median {statistics.median(timed([sys.executable, '-c', 'pass']) for _ in range(args.repeat)) * 1000:.0f} ms"
    )
    print(
        f"{'cells':>6} {'defs':>5} {'extract ms':>11} {'floor ms':>9} {'ratio':>6} {'ms/cell':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            original = folder / "original.json"
            document = generated_notebook(size)
            original.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
            work = folder / "work" / "analysis.ipynb"
            work.parent.mkdir()
            definitions = sum(
                1
                for c in document["cells"]  # type: ignore[attr-defined]
                if c["cell_type"] == "code"
                and "".join(c["source"]).lstrip("%time\n").startswith(("def", "class"))
            )
            runs = [
                timed([dsprod, "-q", "extract", str(work)], work, original)
                for _ in range(args.repeat)
            ]
            floors = [
                timed([sys.executable, "-c", FLOOR, str(original)]) for _ in range(args.repeat)
            ]
            extract_ms = statistics.median(runs) * 1000
            floor_ms = statistics.median(floors) * 1000
            print(
                f"{size:>6} {definitions:>5} {extract_ms:>11.0f} {floor_ms:>9.0f} "
                f"{extract_ms / floor_ms:>6.2f} {extract_ms / size:>8.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
