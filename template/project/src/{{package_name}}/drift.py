"""The training profile saved with each model, and where live inputs fall in it.

At training time each feature's deciles become bin edges, and the profile records the share of
training rows in each bin and the share of each predicted class. The service counts every
input's bin and every prediction (Prometheus counters, summed over workers and pods), and
exports the training shares beside them; Prometheus compares the two as a population stability
index (PSI) over the last hour (deploy/monitoring/alerts.yaml), and alerts when it passes 0.25,
the usual threshold for a shift worth a look. `psi` computes the same number here, for tests
and notebooks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BINS", "MAX_FEATURES", "Profile", "psi"]

BINS = 10
# Each feature costs BINS time series: wide models profile their first MAX_FEATURES features.
MAX_FEATURES = 20
# A share of zero would make the PSI infinite; it is counted as this instead.
_FLOOR = 1e-4


@dataclass(frozen=True)
class Profile:
    # Per feature: the inner bin edges (ascending); bin i holds edges[i-1] <= x < edges[i].
    edges: Mapping[str, tuple[float, ...]]
    # Per feature: the share of training rows in each bin (len(edges) + 1 of them).
    feature_shares: Mapping[str, tuple[float, ...]]
    # The share of each class among the model's predictions on its training data.
    prediction_shares: Mapping[str, float]
    rows: int

    @classmethod
    def build(cls, features: pd.DataFrame, predictions: Sequence[str]) -> Profile:
        edges: dict[str, tuple[float, ...]] = {}
        shares: dict[str, tuple[float, ...]] = {}
        for name in list(features.columns)[:MAX_FEATURES]:
            values = features[name].to_numpy(dtype=float)
            cuts = np.unique(np.quantile(values, np.arange(1, BINS) / BINS))
            bins = np.searchsorted(cuts, values, side="right")
            counts = np.bincount(bins, minlength=len(cuts) + 1)
            edges[str(name)] = tuple(float(c) for c in cuts)
            shares[str(name)] = tuple(float(c) / len(values) for c in counts)
        labels, counts = np.unique(np.asarray(predictions, dtype=str), return_counts=True)
        total = int(counts.sum())
        predicted = {str(label): int(n) / total for label, n in zip(labels, counts, strict=True)}
        return cls(edges, shares, predicted, len(features))

    def bin_of(self, feature: str, value: float) -> int:
        return int(np.searchsorted(self.edges[feature], value, side="right"))

    def to_dict(self) -> dict[str, object]:
        return {
            "edges": {k: list(v) for k, v in self.edges.items()},
            "feature_shares": {k: list(v) for k, v in self.feature_shares.items()},
            "prediction_shares": dict(self.prediction_shares),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Profile:
        edges, shares = data["edges"], data["feature_shares"]
        predicted = data["prediction_shares"]
        if not (isinstance(edges, dict) and isinstance(shares, dict)):
            raise ValueError("a profile's edges and feature_shares are tables")
        if not isinstance(predicted, dict):
            raise ValueError("a profile's prediction_shares is a table")
        return cls(
            {str(k): tuple(map(float, v)) for k, v in edges.items()},
            {str(k): tuple(map(float, v)) for k, v in shares.items()},
            {str(k): float(v) for k, v in predicted.items()},
            int(str(data["rows"])),
        )


def psi(expected: Sequence[float], observed: Sequence[float]) -> float:
    """Population stability index of observed shares against expected ones (same bins)."""
    if len(expected) != len(observed):
        raise ValueError(f"{len(expected)} expected shares, {len(observed)} observed")
    total = 0.0
    for want, got in zip(expected, observed, strict=True):
        e, o = max(want, _FLOOR), max(got, _FLOOR)
        total += (o - e) * math.log(o / e)
    return total
