"""Serving as data: a whole dataset scored ahead of time into a table keyed by id.

`score --data FILE --id COLUMN` writes the table; a lookup is then one index search, with no
model in the reader's process. The table is SQLite (the standard library's; one file, no server
to run), a clustered primary key (WITHOUT ROWID): a lookup reads the few pages on the path to
its row, so it takes the same time, within noise, for a thousand rows or a hundred million.
Readers open it read-only, per lookup: many processes share it through the page cache, and a
new table (written beside the old one, then renamed over it) is seen by the next lookup.

Every row records the model that scored it: its registry version (empty for a file) and hash.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from {{ package_name }}.contract import ContractError
from {{ package_name }}.predictor import Predictor

__all__ = ["Score", "ScoresError", "lookup", "write_scores"]

_SHOWN = 5


class ScoresError(Exception):
    """No score table where one was expected, or a file that is not one."""


@dataclass(frozen=True)
class Score:
    id: str
    prediction: str
    model_version: str
    model_sha256: str
    scored_at: str


def write_scores(predictor: Predictor, frame: pd.DataFrame, id_column: str, path: Path, source: str) -> int:
    """Score every row of `frame` and write the table at `path` (replacing any); return the
    number of rows. ContractError for a missing, empty or repeated id, or a row the model
    cannot take."""
    if id_column not in frame.columns:
        raise ContractError(
            f"{source}: no id column {id_column!r} (columns: {', '.join(map(str, frame.columns))})"
        )
    ids = frame[id_column].astype(str)
    empty = [int(i) for i in ids.index[ids.str.strip() == ""]]
    if empty:
        rows = ", ".join(f"row {i + 1} (line {i + 2})" for i in empty[:_SHOWN])
        raise ContractError(f"{source}: empty {id_column} in {rows}")
    repeated = ids[ids.duplicated(keep=False)]
    if not repeated.empty:
        shown = [
            f"{value!r} in rows {', '.join(str(int(i) + 1) for i in group.index)}"
            for value, group in list(repeated.groupby(repeated, sort=False))[:_SHOWN]
        ]
        raise ContractError(f"{source}: {id_column} repeats: {'; '.join(shown)}")
    labels = predictor.predict(frame.drop(columns=[id_column]), source)
    scored_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    info = predictor.info
    rows = [
        (key, label, info.version, info.sha256, scored_at)
        for key, label in zip(ids.tolist(), labels, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Beside the old table, then renamed over it: readers see the old table or the new one.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with sqlite3.connect(temporary) as db:
            db.execute(
                "CREATE TABLE scores (id TEXT PRIMARY KEY, prediction TEXT NOT NULL, "
                "model_version TEXT NOT NULL, model_sha256 TEXT NOT NULL, "
                "scored_at TEXT NOT NULL) WITHOUT ROWID"
            )
            db.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?)", rows)
        db.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return len(rows)


def lookup(path: Path, key: str) -> Score | None:
    """The score of `key`, None when the table has no such id."""
    if not path.is_file():
        raise ScoresError(f"no score table at {path}: run the score command first")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(
                "SELECT id, prediction, model_version, model_sha256, scored_at FROM scores "
                "WHERE id = ?",
                (key,),
            ).fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise ScoresError(f"{path}: not a score table ({exc})") from None
    return None if row is None else Score(*(str(value) for value in row))
