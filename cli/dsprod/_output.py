"""Status lines on stderr, data on stdout; honours --quiet, --color and --json.

The renderer of the command line: the one place that spells an option the library names as
data (`errors.Flag`) the way the CLI takes it (`--python PATH`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dsprod.errors import DsprodError, Flag, Hint, Step

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:  # _problem renders through this module: a runtime import would be a cycle
    from typing import Any, TextIO

    from dsprod._problem import Problem

__all__ = ["Output", "format_error", "render", "say", "shown"]

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


class Output:
    """Where and how dsprod talks to the user.

    Status lines are short verbs followed by what they act on, so a script can grep them and a
    person can scan them; they go to stderr so stdout stays clean for data (diffs, JSON).

    A plain class, not a dataclass: see `dsprod.errors` (every command's start-up makes it).
    """

    def __init__(
        self,
        quiet: bool = False,
        color: bool | None = None,
        json: bool = False,
        err: TextIO | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.quiet = quiet
        self.color = color
        self.json = json
        self.err = err
        self.out = out

    def __repr__(self) -> str:
        return (
            f"Output(quiet={self.quiet!r}, color={self.color!r}, json={self.json!r}, "
            f"err={self.err!r}, out={self.out!r})"
        )

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

    def status(self, verb: str, text: Hint) -> None:
        """One status line such as `  extract  f (notebook.ipynb:cell 3:line 1)`; a `Step`
        (a line that names an option) is spelled as the CLI takes it."""
        if self.quiet:
            return
        stream = self._err()
        label = verb.rjust(_VERB_WIDTH)
        if self._use_color(stream):
            label = f"\x1b[{_VERB_COLOURS.get(verb, '1')}m{label}\x1b[0m"
        print(f"{label}  {say(text)}", file=stream)

    def problem(self, problem: Problem | str) -> None:
        """A located problem (`path:cell N:line L: message`) and its next step; shown even
        with --quiet."""
        print(str(problem), file=self._err())

    def error(self, error: DsprodError) -> None:
        """An error with its next step, the way the error handler prints it."""
        self.problem(format_error(error, color=self._use_color(self._err())))

    def live(self) -> bool:
        """Whether a progress line can be redrawn in place: status lines on, on a terminal."""
        return not self.quiet and bool(getattr(self._err(), "isatty", lambda: False)())

    def progress(self, text: str) -> None:
        """Redraw the one progress line under the last status; an empty `text` erases it."""
        import shutil  # here: only setup's long commands redraw; the hook's start-up pays none

        stream = self._err()
        width = max(20, shutil.get_terminal_size().columns - 1)
        stream.write("\r\x1b[K" + text[:width])
        stream.flush()

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


def say(hint: Hint | None) -> str | None:
    """A next step as the user reads it: each `Flag` spelled as the CLI takes it."""
    if not isinstance(hint, Step):
        return hint
    return "".join(_flag(part) if isinstance(part, Flag) else part for part in hint.parts)


def _flag(flag: Flag) -> str:
    # Every option is its parameter's name in kebab case (typer's own rule, and _fast's).
    spelled = "--" + flag.name.replace("_", "-")
    return f"{spelled} {flag.value}" if flag.value else spelled


def render(text: str, next_step: Hint | None) -> str:
    """The one way dsprod shows something wrong: the line, then the next step under it."""
    shown_step = say(next_step)
    return f"{text}\n  next: {shown_step}" if shown_step else text


def format_error(error: DsprodError, *, color: bool = False) -> str:
    label = "\x1b[31merror\x1b[0m" if color else "error"
    return render(f"{label}: {error.message}", error.hint)


def shown(path: Path) -> str:
    """`path` as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
