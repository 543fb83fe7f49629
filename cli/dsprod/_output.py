"""Status lines on stderr, data on stdout; honours --quiet, --color and --json."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dsprod._problem import Problem, render
from dsprod.errors import DsprodError

__all__ = ["Output", "format_error", "shown"]

_VERB_COLOURS = {
    "create": "32",
    "update": "33",
    "extract": "32",
    "identical": "2",
    "skip": "2",
    "refuse": "31",
    "conflict": "31",
    "warning": "33",
    "error": "31",
    "would": "36",
}
_VERB_WIDTH = 10


@dataclass
class Output:
    """Where and how dsprod talks to the user.

    Status lines are short verbs followed by what they act on, so a script can grep them and a
    person can scan them; they go to stderr so stdout stays clean for data (diffs, JSON).
    """

    quiet: bool = False
    color: bool | None = None
    json: bool = False
    err: TextIO | None = None
    out: TextIO | None = None

    def _err(self) -> TextIO:
        return self.err or sys.stderr

    def _out(self) -> TextIO:
        return self.out or sys.stdout

    def _use_color(self, stream: TextIO) -> bool:
        if self.color is not None:
            return self.color
        if os.environ.get("NO_COLOR"):
            return False
        return bool(getattr(stream, "isatty", lambda: False)())

    def status(self, verb: str, text: str) -> None:
        """One status line such as `  extract  f (notebook.ipynb:cell 3:line 1)`."""
        if self.quiet:
            return
        stream = self._err()
        label = verb.rjust(_VERB_WIDTH)
        if self._use_color(stream):
            label = f"\x1b[{_VERB_COLOURS.get(verb, '1')}m{label}\x1b[0m"
        print(f"{label}  {text}", file=stream)

    def problem(self, problem: Problem | str) -> None:
        """A located problem (`path:cell N:line L: message`) and its next step; shown even
        with --quiet."""
        print(str(problem), file=self._err())

    def error(self, error: DsprodError) -> None:
        """An error with its next step, the way the error handler prints it."""
        self.problem(format_error(error, color=self._use_color(self._err())))

    def found(self, problems: Sequence[Problem]) -> int:
        """The closing line of a command that looks for problems; its exit code."""
        if not problems:
            return 0
        self.status("found", f"{len(problems)} problem(s); each shows its next step")
        return 1

    def data(self, text: str) -> None:
        """Data for stdout: diffs, listings."""
        stream = self._out()
        stream.write(text)
        if text and not text.endswith("\n"):
            stream.write("\n")

    def data_json(self, value: Any) -> None:
        """The --json document: see docs/check.md#json for the contract every command keeps."""
        print(json.dumps(value, indent=2, ensure_ascii=False), file=self._out())


def format_error(error: DsprodError, *, color: bool = False) -> str:
    label = "\x1b[31merror\x1b[0m" if color else "error"
    return render(f"{label}: {error.message}", error.hint)


def shown(path: Path) -> str:
    """`path` as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
