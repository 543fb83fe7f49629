"""The one problem record: what `check`, `env check`, `env show` and `doctor` find.

A problem is data: where it is, what is wrong, and the step that fixes it. The library makes
them; the CLI renders them (`Output.problem`, and `as_json` for `--json`), the same way for
every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, TypedDict

from dsprod._output import render, say
from dsprod.errors import Hint

__all__ = ["Problem", "ProblemJson"]


class ProblemJson(TypedDict):
    """A problem in every command's `--json` (docs/check.md#json)."""

    where: str
    message: str
    next: str | None


class Problem(NamedTuple):
    # A NamedTuple, not a dataclass: made at the commit hook's start-up (see `dsprod.errors`).

    # `path.ipynb:cell N:line L`, `conf/prod.toml:4`, `$LOG_LEVEL`, a path, or a check's name
    where: str
    message: str
    next: Hint | None = None  # the command, or step, that fixes it
    # The file a fix acts on (the notebook `check --fix` extracts); not shown, not compared.
    path: Path | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and self[:3] == other[:3]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:3])

    def __str__(self) -> str:
        return render(f"{self.where}: {self.message}", self.next)

    def as_json(self) -> ProblemJson:
        return {"where": self.where, "message": self.message, "next": say(self.next)}
