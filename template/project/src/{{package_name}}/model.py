"""The model: a nearest-centroid classifier in plain Python, saved as signed JSON.

It is deliberately small so that the project runs end to end on first install; replace it with
your own (scikit-learn, a neural network...) and keep the interface: `train`, `predict`,
`evaluate`, `save`, `load`.

Model files are JSON, never pickle: loading a pickle runs code. With a signing key (the
MODEL_SIGNING_KEY secret, required in staging and prod) a file carries an HMAC of its content,
and `load` refuses a file whose content or key does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Model", "ModelError", "evaluate", "load", "save", "train"]

FORMAT = 1


class ModelError(Exception):
    """A model file that is missing, unreadable, unsigned or tampered with."""


@dataclass(frozen=True)
class Model:
    features: tuple[str, ...]
    target: str
    centroids: Mapping[str, tuple[float, ...]]

    def predict_one(self, row: Mapping[str, float | str]) -> str:
        point = [float(row[name]) for name in self.features]
        return min(self.centroids, key=lambda label: math.dist(point, self.centroids[label]))

    def predict(self, rows: Sequence[Mapping[str, float | str]]) -> list[str]:
        return [self.predict_one(row) for row in rows]


def train(rows: Sequence[Mapping[str, str]], target: str = "label") -> Model:
    if not rows:
        raise ValueError("no training rows")
    features = tuple(name for name in rows[0] if name != target)
    if target not in rows[0]:
        raise ValueError(f"no column {target!r} in the data (columns: {', '.join(rows[0])})")
    sums: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for row in rows:
        label = row[target]
        acc = sums.setdefault(label, [0.0] * len(features))
        for i, name in enumerate(features):
            acc[i] += float(row[name])
        counts[label] = counts.get(label, 0) + 1
    centroids = {
        label: tuple(total / counts[label] for total in acc) for label, acc in sorted(sums.items())
    }
    return Model(features, target, centroids)


def evaluate(model: Model, rows: Sequence[Mapping[str, str]]) -> dict[str, float]:
    """Metrics where higher is better (the quality gate reads them)."""
    if not rows:
        raise ValueError("no evaluation rows")
    predicted = model.predict(rows)
    correct = sum(p == row[model.target] for p, row in zip(predicted, rows, strict=True))
    return {"accuracy": correct / len(rows), "rows": float(len(rows))}


def _payload(model: Model) -> bytes:
    document = {
        "format": FORMAT,
        "features": list(model.features),
        "target": model.target,
        "centroids": {label: list(c) for label, c in model.centroids.items()},
    }
    # Canonical bytes: the signature must not depend on key order or spacing.
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _sign(payload: bytes, key: str) -> str:
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def save(model: Model, path: Path, key: str | None = None) -> None:
    payload = _payload(model)
    document = json.loads(payload)
    document["signature"] = _sign(payload, key) if key else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load(path: Path, key: str | None = None, *, require_signature: bool = False) -> Model:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        model = Model(
            features=tuple(document["features"]),
            target=str(document["target"]),
            centroids={k: tuple(float(x) for x in v) for k, v in document["centroids"].items()},
        )
        signature = document.get("signature")
        version = document["format"]
    except FileNotFoundError:
        raise ModelError(f"{path}: no model there; train one first") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"{path}: not a model file ({exc})") from None
    if version != FORMAT:
        raise ModelError(f"{path}: model format {version}, expected {FORMAT}")
    if key:
        if not signature:
            raise ModelError(f"{path}: the model is not signed; retrain it with the signing key")
        if not hmac.compare_digest(signature, _sign(_payload(model), key)):
            raise ModelError(f"{path}: signature mismatch: changed since signed, or another key")
    elif require_signature:
        raise ModelError(f"{path}: cannot check the signature without MODEL_SIGNING_KEY")
    return model
