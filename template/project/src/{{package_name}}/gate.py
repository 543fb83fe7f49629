"""The model quality gate: keep a candidate that is worse than production out of production.

`evaluate` writes an `Evaluation`: the metrics, and what they are about (the evaluation data's
hash, the model file's hash, the code version). The gate compares the candidate's with the
evaluation recorded for the model behind the registry's `prod` alias, and only when both were
computed on the same data: accuracy on another data set says nothing about which model is
better. Outside dev it fails closed: no production model to compare with is a failure unless
`--bootstrap` says this is the very first one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Evaluation", "GateResult", "compare", "decide", "read_evaluation"]


@dataclass(frozen=True)
class GateResult:
    passed: bool
    lines: tuple[str, ...]  # one per metric or reason, for people and CI logs


@dataclass(frozen=True)
class Evaluation:
    metrics: Mapping[str, float]
    dataset_sha256: str
    model_sha256: str
    code_version: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "metrics": dict(self.metrics)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str) -> Evaluation:
        try:
            metrics = {str(k): float(v) for k, v in data["metrics"].items()}
            evaluation = cls(
                metrics,
                str(data["dataset_sha256"]),
                str(data["model_sha256"]),
                str(data["code_version"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(
                f"{source}: not an evaluation record ({type(exc).__name__}: {exc}); write it "
                "with the evaluate command"
            ) from None
        bad = [name for name, value in metrics.items() if not math.isfinite(value)]
        if bad:
            raise ValueError(f"{source}: metric(s) {', '.join(bad)} are not finite numbers")
        return evaluation


def read_evaluation(path: Path) -> Evaluation:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no metrics there; run the evaluate command first") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read it as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return Evaluation.from_dict(data, str(path))


def decide(
    candidate: Evaluation,
    production: Evaluation | None,
    *,
    fail_closed: bool,
    bootstrap: bool,
    higher_is_better: Sequence[str],
    lower_is_better: Sequence[str] = (),
    tolerance: float,
) -> GateResult:
    """The gate's verdict on a candidate against the production model's evaluation."""
    if production is None:
        if bootstrap:
            return GateResult(True, ("no production model yet: --bootstrap lets this one in",))
        if not fail_closed:
            return GateResult(True, ("no production model yet: the first model passes (dev)",))
        return GateResult(
            False,
            (
                "no production model to compare with, and outside dev the gate fails closed: "
                "pass --bootstrap for the very first model",
            ),
        )
    if bootstrap:
        return GateResult(
            False, ("--bootstrap is for the first model only: production already has one",)
        )
    if candidate.dataset_sha256 != production.dataset_sha256:
        return GateResult(
            False,
            (
                f"different evaluation data: the candidate's is {candidate.dataset_sha256[:12]}, "
                f"production's {production.dataset_sha256[:12]}; evaluate the production model "
                "on the candidate's data (evaluate --model-version prod) and pass it as --baseline",
            ),
        )
    return compare(
        candidate.metrics,
        production.metrics,
        higher_is_better=higher_is_better,
        lower_is_better=lower_is_better,
        tolerance=tolerance,
    )


def compare(
    candidate: Mapping[str, float],
    production: Mapping[str, float],
    *,
    higher_is_better: Sequence[str],
    lower_is_better: Sequence[str] = (),
    tolerance: float,
) -> GateResult:
    """Fail when any watched metric is worse than production's by more than `tolerance`."""
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
