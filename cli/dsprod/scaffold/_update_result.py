"""The result of `dsprod update`: what changed, what conflicts, what was kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Conflict", "UpdateResult"]


@dataclass(frozen=True)
class Conflict:
    path: str  # relative to the project
    line: int  # of the first conflict marker
    # "lines": markers in the file; "deleted": an edited file the new version no longer has.
    kind: str = "lines"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    from_version: str
    to_version: str
    # (verb, path relative to the project): "update", "create", "delete", "conflict".
    changes: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    diff: str = ""  # the whole change, as `git diff` shows it (--dry-run only)
    dry_run: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)
    # (path, why): files the update leaves as they are (ignored by git, deleted by the user).
    kept: tuple[tuple[str, str], ...] = ()
    changed_answers: Mapping[str, str] = field(default_factory=dict)  # given with -d
    dirty: bool = False  # --dry-run on a tree with uncommitted changes
    # Whether edits in files the update deletes were looked for (see _dropped).
    watched: bool = True
