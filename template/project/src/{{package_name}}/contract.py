"""The input contract, one for train, predict and the service's /predict.

A model is trained on named numeric features and a label; its `Schema` travels with it (inside
the model file). Every input is checked against that schema before the model sees it: a missing
or unexpected column, a cell that is not a number, NaN or an infinity is refused, with the row
and column named, instead of being scored into a silent wrong answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ContractError", "Schema", "check_records", "features_frame", "training_frame"]

# Problems listed in one error at most: enough to see a pattern, short enough to read.
_SHOWN = 5


class ContractError(ValueError):
    """Input that breaks the contract; the message names where."""


@dataclass(frozen=True)
class Schema:
    features: tuple[str, ...]
    target: str
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "target": self.target,
            "classes": list(self.classes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Schema:
        features, classes = data["features"], data.get("classes", [])
        if not isinstance(features, list) or not isinstance(classes, list):
            raise ContractError("a schema's features and classes are lists")
        return cls(tuple(map(str, features)), str(data["target"]), tuple(map(str, classes)))


def training_frame(frame: pd.DataFrame, target: str, source: str) -> tuple[Schema, pd.DataFrame]:
    """The schema a table defines (every column but `target` is a feature) and its features as
    floats. Refuses what no model should learn from: no rows, no features, one class only."""
    if target not in frame.columns:
        raise ContractError(
            f"{source}: no column {target!r} to learn (columns: {', '.join(frame.columns)})"
        )
    if frame.empty:
        raise ContractError(f"{source}: no rows")
    labels = frame[target].astype(str)
    empty = labels.index[labels.str.strip() == ""]
    if len(empty):
        raise ContractError(_located(source, [(int(i), target, "empty label") for i in empty]))
    classes = tuple(sorted(labels.unique()))
    if len(classes) < 2:
        raise ContractError(
            f"{source}: every row has the label {classes[0]!r}: a classifier needs at least two "
            f"classes in {target!r}"
        )
    features = tuple(str(c) for c in frame.columns if c != target)
    if not features:
        raise ContractError(f"{source}: no feature columns besides {target!r}")
    schema = Schema(features, target, classes)
    return schema, _numbers(frame, schema, source)


def features_frame(
    frame: pd.DataFrame, schema: Schema, source: str, *, allow_target: bool = True
) -> pd.DataFrame:
    """The schema's features as floats, in the schema's order. The target column may be
    present (labelled data, to evaluate); any other column is refused."""
    allowed = set(schema.features) | ({schema.target} if allow_target else set())
    missing = [name for name in schema.features if name not in frame.columns]
    extra = [str(name) for name in frame.columns if name not in allowed]
    if missing or extra:
        parts = [f"missing column(s) {', '.join(missing)}"] if missing else []
        parts += [f"unexpected column(s) {', '.join(extra)}"] if extra else []
        raise ContractError(
            f"{source}: {'; '.join(parts)} (the model takes {', '.join(schema.features)})"
        )
    if frame.empty:
        raise ContractError(f"{source}: no rows")
    return _numbers(frame, schema, source)


def check_records(records: Sequence[Mapping[str, object]], schema: Schema) -> pd.DataFrame:
    """Records (the service's instances) as a frame of floats, or ContractError naming
    `instances[i]` and the field."""
    problems: list[str] = []
    expected = set(schema.features)
    for number, record in enumerate(records):
        where = f"instances[{number}]"
        missing = [name for name in schema.features if name not in record]
        extra = sorted(set(record) - expected)
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
        if extra:
            problems.append(f"{where}: unexpected field(s) {', '.join(extra)}")
        for name in schema.features:
            value = record.get(name)
            if name in record and not _finite_number(value):
                problems.append(f"{where}.{name}: {value!r} is not a finite number")
    if problems:
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise ContractError("; ".join(problems[:_SHOWN]) + more)
    rows = [[_number(record[name]) for name in schema.features] for record in records]
    return pd.DataFrame(rows, columns=list(schema.features), dtype=float)


def _number(value: object) -> float:
    if isinstance(value, (int, float)):  # checked by _finite_number already
        return float(value)
    raise ContractError(f"{value!r} is not a number")


def _finite_number(value: object) -> bool:
    # bool is an int to Python, but `true` is not a measurement.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _numbers(frame: pd.DataFrame, schema: Schema, source: str) -> pd.DataFrame:
    columns = list(schema.features)
    text = frame[columns].astype(str)
    numbers: pd.DataFrame = text.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        rows, cols = np.nonzero(bad)
        problems = []
        for row, col in zip(rows, cols, strict=True):
            cell = str(text.iat[int(row), int(col)])
            why = "empty" if not cell.strip() else f"{cell!r} is not a finite number"
            problems.append((int(frame.index[int(row)]), columns[col], why))
        raise ContractError(_located(source, problems))
    return numbers.reset_index(drop=True)


def _located(source: str, problems: Sequence[tuple[int, str, str]]) -> str:
    # Row numbers count data rows from 1; the file's line is one more (the header).
    shown = [
        f"row {index + 1} (line {index + 2}), column {column}: {why}"
        for index, column, why in problems[:_SHOWN]
    ]
    more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    return f"{source}: " + "; ".join(shown) + more
