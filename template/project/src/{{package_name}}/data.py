"""Tabular data: reading and writing CSV with pandas, a content hash, and synthetic data.

Replace `demo_frame` with your real data source; keep raw data under data/ (git ignores it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["dataset_hash", "demo_frame", "read_csv", "write_csv"]


def read_csv(path: Path) -> pd.DataFrame:
    """Every cell as text: contract.py decides what is a number, and says where one is not.

    (pandas' own parsing would turn "NaN", "inf" and empty cells into floats silently.)
    """
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    if frame.empty:
        raise ValueError(f"no rows to write to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def dataset_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the data's content (column names, then every cell in order), so the same
    data hashes the same whichever tool wrote the file. The gate compares models' metrics only
    when they were computed on data with the same hash."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def demo_frame(
    rows: int = 200,
    seed: int = 0,
    labels: Sequence[str] = ("a", "b"),
    label_noise: float = 0.0,
) -> pd.DataFrame:
    """Two features, one label; each label's points scatter around its own centre.

    `label_noise` is the share of rows whose label is replaced by a random one (1: labels
    that say nothing about the features), to make a data set that trains a worse model.
    """
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be between 0 and 1, not {label_noise}")
    rng = np.random.default_rng(seed)
    names = np.array(labels)
    label = names[np.arange(rows) % len(names)]
    centres = np.array([(3.0 * i, 3.0 * (i % 2)) for i in range(len(names))])
    points = centres[np.arange(rows) % len(names)] + rng.normal(0.0, 1.0, size=(rows, 2))
    noisy = rng.random(rows) < label_noise
    label = np.where(noisy, rng.choice(names, size=rows), label)
    return pd.DataFrame({"x1": points[:, 0].round(4), "x2": points[:, 1].round(4), "label": label})
