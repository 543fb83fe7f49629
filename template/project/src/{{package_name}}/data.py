"""Reading and writing tabular data (CSV), and a synthetic data set to try the pipeline on.

Replace `make_demo_data` with your real data source; keep raw data under data/ (git ignores it).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["Row", "make_demo_data", "read_csv", "write_csv"]

Row = dict[str, str]


def read_csv(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    if not rows:
        raise ValueError(f"no rows to write to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def make_demo_data(rows: int = 200, seed: int = 0, labels: Iterable[str] = ("a", "b")) -> list[Row]:
    """Two features, one label; each label's points scatter around its own centre."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not cryptography
    centres = {label: (3.0 * i, 3.0 * (i % 2)) for i, label in enumerate(labels)}
    names = list(centres)
    data = []
    for i in range(rows):
        label = names[i % len(names)]
        cx, cy = centres[label]
        data.append(
            {"x1": f"{rng.gauss(cx, 1.0):.4f}", "x2": f"{rng.gauss(cy, 1.0):.4f}", "label": label}
        )
    return data
