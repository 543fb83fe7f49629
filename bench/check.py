"""Time `dsprod check` on many notebooks in one call, beside the floor.

Usage: python bench/check.py [FOLDER] [--repeat N]

FOLDER holds the notebooks to check (e.g. the corpus of ../shared/corpus, fetched locally);
without it, 80 notebooks are generated with the spread of sizes of that corpus (20 to 150
cells, definitions in a third of the code cells, some outputs). The floor is a process that
reads each notebook's JSON and parses every code cell with `ast`. Goal (issue 14): within 1.5x
of the floor. Both wall and CPU time are printed: on a shared machine the CPU time is steadier.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

from _timing import median_seconds

FLOOR = """
import ast, json, sys
for name in sys.argv[1:]:
    document = json.load(open(name, encoding="utf-8"))
    cells = document.get("cells")
    if cells is None:
        cells = [c for w in document.get("worksheets", []) for c in w.get("cells", [])]
    for cell in cells:
        if cell["cell_type"] == "code":
            source = cell.get("source", cell.get("input", ""))
            try:
                ast.parse("".join(source))
            except SyntaxError:
                pass
"""


def generated(number: int, rng: random.Random) -> dict[str, object]:
    cells: list[dict[str, object]] = []
    for index in range(rng.randint(20, 150)):
        if index % 3 == 0:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": [f"## Part {index}"]})
            continue
        if rng.random() < 0.33:
            source = f"def step_{index}(frame, k={index}):\n    return frame[:k]"
        else:
            source = f"result_{index} = step_{index - 1}(list(range(100)))\nresult_{index}[:3]"
        outputs = [
            {
                "data": {"text/plain": [str(list(range(rng.randint(0, 200))))]},
                "execution_count": index,
                "metadata": {},
                "output_type": "execute_result",
            }
        ]
        cells.append(
            {
                "cell_type": "code",
                "execution_count": index,
                "id": f"n{number}c{index}",
                "metadata": {},
                "outputs": outputs,
                "source": source.splitlines(keepends=True),
            }
        )
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    dsprod = shutil.which("dsprod") or str(Path(sys.executable).parent / "dsprod")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.folder:
            for source in sorted(args.folder.glob("*.ipynb")):
                shutil.copyfile(source, work / source.name)
        else:
            rng = random.Random(7)
            for number in range(80):
                text = json.dumps(generated(number, rng), indent=1, sort_keys=True) + "\n"
                (work / f"nb{number:02d}.ipynb").write_text(text, encoding="utf-8")
        names = sorted(p.name for p in work.glob("*.ipynb"))
        size = sum((work / n).stat().st_size for n in names) / 1e6
        check, check_cpu = median_seconds([dsprod, "check", *names], args.repeat, work)
        floor, floor_cpu = median_seconds([sys.executable, "-c", FLOOR, *names], args.repeat, work)
        print(f"{len(names)} notebooks, {size:.1f} MB")
        print("               wall      cpu")
        print(f"dsprod check  {check * 1000:5.0f} ms {check_cpu * 1000:5.0f} ms")
        print(
            f"floor         {floor * 1000:5.0f} ms {floor_cpu * 1000:5.0f} ms"
            "   (read JSON + parse every code cell)"
        )
        print(f"ratio         {check / floor:5.2f}    {check_cpu / floor_cpu:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
