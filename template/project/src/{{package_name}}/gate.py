"""The model quality gate: keep a candidate that is worse than production out of production."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GateResult", "compare", "read_metrics"]


@dataclass(frozen=True)
class GateResult:
    passed: bool
    lines: tuple[str, ...]  # one per metric, for people and CI logs


def read_metrics(path: Path) -> dict[str, float]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of metric names to numbers")
    return {str(k): float(v) for k, v in data.items()}


def compare(
    candidate: Mapping[str, float],
    production: Mapping[str, float] | None,
    *,
    higher_is_better: Sequence[str],
    lower_is_better: Sequence[str] = (),
    tolerance: float,
) -> GateResult:
    """Fail when any watched metric is worse than production's by more than `tolerance`.

    With no production metrics (the first model) every candidate passes.
    """
    if production is None:
        return GateResult(True, ("no production metrics yet: the first model passes",))
    lines = []
    passed = True
    for name, sign in [(n, 1.0) for n in higher_is_better] + [(n, -1.0) for n in lower_is_better]:
        if name not in candidate:
            passed = False
            lines.append(f"FAIL {name}: missing from the candidate's metrics")
            continue
        if name not in production:
            lines.append(f"ok   {name}: {candidate[name]:.4f} (production has none)")
            continue
        # Positive when the candidate is worse, whichever way the metric points.
        loss = sign * (production[name] - candidate[name])
        ok = loss <= tolerance
        passed = passed and ok
        word = "ok  " if ok else "FAIL"
        lines.append(
            f"{word} {name}: candidate {candidate[name]:.4f}, production {production[name]:.4f}, "
            f"tolerance {tolerance:g}"
        )
    return GateResult(passed, tuple(lines))
