"""Promoted code at the project's own lint fixed point, and the debt it still carries.

dsprod writes a module the way the project's hooks would leave it: the project's ruff fixes
and formatter, with the project's configuration and, when the project's environment has one,
the project's own ruff. The hooks then change nothing, so nothing dsprod wrote looks edited.

What ruff cannot fix, and what mypy reports, is the authors' code as they wrote it. It is
recorded as debt instead of turning the project red on the day of the extraction:

- a promoted module carries it in its first lines, `# ruff: noqa: CODES` and
  `# mypy: disable-error-code="CODES"`, the two tools' own per-file switches. Per file and per
  code rather than per line: the authors' lines stay as they wrote them, the debt is read at
  the top of the file it belongs to, and ruff's RUF100 (in the template's rule set) drops a
  ruff code from it as soon as the code is clean;
- a notebook carries it in `.dsprod/ruff-debt.toml`, which the project's ruff configuration
  extends (`[tool.ruff] extend`): a notebook's cells are the author's, not a place for
  dsprod's comments. A notebook ruff cannot read (Python 2 cells, nbformat v3) is excluded
  there, with the reason.

Each extraction and `dsprod check --fix` measure again from scratch, so the debt only shrinks
as the code gets clean.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from dsprod._meanwhile import Meanwhile
from dsprod._records import NamedTuple
from dsprod._textrun import run_on_text
from dsprod.errors import Flag, Step, TargetError
from dsprod.notebook._ruff_config import project_ruff

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "UNSILENCEABLE",
    "ModuleDebt",
    "ProjectLint",
    "Settling",
    "module_debt",
    "module_debt_meanwhile",
    "read_module_debt",
    "read_pyproject",
    "strip_debt_header",
]

# Whitespace a line ends with (`\s` is what `str.rstrip` strips), but the line break itself.
_SPACE_AT_END = re.compile(r"[^\S\n]\n")
_FIX = ["check", "--fix", "--exit-zero", "--quiet", "--output-format", "json"]

_HEADER_NOTE = "# Lint debt of code promoted from notebooks, recorded by dsprod (docs/check.md)."
_RUFF_LINE = re.compile(r"^# ruff: noqa: (?P<codes>[A-Z0-9, ]+)$")
_MYPY_LINE = re.compile(r'^# mypy: disable-error-code="(?P<codes>[a-z0-9, -]+)"$')
# A pattern, compiled (and cached by `re`) when mypy reports: extract without mypy never does.
_MYPY_ERROR = r"^(?P<path>.+?):\d+(?::\d+)?: error: .*\[(?P<code>[a-z0-9-]+)\]$"
# Codes a per-file switch cannot silence: the file has to be fixed.
UNSILENCEABLE = frozenset({"invalid-syntax", "syntax"})
_MAX_ROUNDS = 4  # format and fix alternate until neither changes the text


class ModuleDebt(NamedTuple):
    # A NamedTuple, not a dataclass: made at every extract's start-up (see `dsprod.errors`).

    ruff: tuple[str, ...] = ()
    mypy: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.ruff) + len(self.mypy)


class ProjectLint:
    """The project's ruff (and mypy, when its environment has it), run on text in memory."""

    def __init__(self, root: Path, python: str | Path | None) -> None:
        self.root = root
        self.python = str(python) if python is not None else None
        self.ruff = project_ruff(root)

    def settle(self, text: str, path: Path) -> str:
        """`text` after the project's `ruff format` and `ruff check --fix`, repeated until
        neither changes it; the text unchanged when ruff is absent or refuses it."""
        return self.settled(text, path)[0]

    def settled(self, text: str, path: Path) -> tuple[str, set[str] | None]:
        """`settle`, and the codes the project's ruff still reports on the settled text;
        None when they are not known (no ruff, or a report this ruff does not give).

        One process per step, and no step only to confirm: formatting and fixing each keep
        their own output (ruff's formatter is idempotent, and `check --fix` applies fixes
        until none applies), so the text is settled as soon as one step changes nothing.
        Starting with the formatter lets the last step be a `check --fix`, whose report of
        what it could not fix is the measure of the debt: no separate `ruff check`.
        """
        text = _whitespace_fixed(text)
        if self.ruff is None:
            return text, None
        codes: set[str] | None = None
        measured: str | None = None  # the text `codes` describe
        for round_ in range(_MAX_ROUNDS):
            # The first `check --fix` runs beside the formatter, on the text as it is: when
            # the formatter keeps that text (a module made of formatted cells), it is the very
            # run this round needs next, and ruff's two steps take the time of one.
            ahead = Meanwhile(partial(self._run, _FIX, text, path, True)) if not round_ else None
            try:
                formatted = self._ruff(["format"], text, path, True)
            except BaseException:
                if ahead is not None:
                    ahead.abandon()
                raise
            if formatted is not None and formatted != text:
                # A text equal to one fixed already needs no scan (1.3 ms on a large module).
                formatted = _whitespace_fixed(formatted)
            if ahead is not None and formatted != text:
                ahead.abandon()  # it checked a text the formatter changes: not the one needed
                ahead = None
            if formatted is None:
                return text, codes if measured == text else None
            if formatted == text and measured == text:
                return text, codes  # `check --fix` made it; the formatter keeps it
            done = ahead() if ahead is not None else self._run(_FIX, formatted, path, True)
            if done is None or not done.stdout:
                return formatted, None
            codes, measured = _reported_codes(done.stderr), done.stdout
            fixed = done.stdout if done.stdout == formatted else _whitespace_fixed(done.stdout)
            if fixed == formatted:
                return fixed, codes if measured == fixed else None
            text = fixed
        return text, codes if measured == text else None

    def diagnostics(self, text: str, path: Path) -> list[dict[str, Any]]:
        """What the project's ruff reports on `text` as the file at `path` (ruff's JSON)."""
        if self.ruff is None:
            return []
        found = self._ruff(["check", "--exit-zero", "--output-format", "json"], text, path)
        try:
            diagnostics = json.loads(found or "[]")
        except ValueError:
            return []
        return (
            [d for d in diagnostics if isinstance(d, dict)] if isinstance(diagnostics, list) else []
        )

    def ruff_codes(self, text: str, path: Path) -> set[str]:
        return {str(d["code"]) for d in self.diagnostics(text, path) if d.get("code")}

    def mypy_codes(self, text: str, path: Path) -> set[str] | None:
        """The error codes the project's mypy reports on `text` as the module at `path`;
        None when the project's environment has no mypy."""
        from dsprod._project import configures_mypy

        if self.python is None or not configures_mypy(self.root):
            return None
        if self.python in _WITHOUT_MYPY:
            return None
        # mypy needs the module inside its package (relative imports, the package's own
        # names): a probe file beside the target, under a name no import uses.
        probe = path.with_name(f"_dsprod_probe_{os.getpid()}.py")
        try:
            probe.write_text(text, encoding="utf-8")
            done = subprocess.run(
                [self.python, "-m", "mypy", "--no-error-summary", "--show-error-codes",
                 "--hide-error-context", "--no-pretty", "--no-color-output", str(probe)],
                cwd=self.root, capture_output=True, text=True, check=False,
            )  # fmt: skip
        except OSError:
            return None
        finally:
            probe.unlink(missing_ok=True)
        # Asked of the run itself, not of a `python -c "import mypy"` before it (a process
        # and 100 ms more): without mypy, `python -m mypy` says so and exits 1, mypy's own
        # code for "errors found", but with nothing on stdout.
        missing = done.returncode == 1 and not done.stdout.strip()
        if missing and "No module named mypy" in done.stderr:
            _WITHOUT_MYPY.add(self.python)
            return None
        if done.returncode not in (0, 1):  # 2: mypy itself failed (a plugin it cannot load)
            return None
        codes: set[str] = set()
        for line in done.stdout.splitlines():
            match = re.match(_MYPY_ERROR, line.strip())
            if match and Path(match["path"]).name == probe.name:
                codes.add(match["code"])
        return codes

    def _ruff(self, args: list[str], text: str, path: Path, required: bool = False) -> str | None:
        """ruff's output on `text`; None when it cannot run."""
        done = self._run(args, text, path, required)
        if done is None or done.returncode != 0 or not done.stdout:
            return None
        return done.stdout

    def _run(
        self, args: list[str], text: str, path: Path, required: bool
    ) -> subprocess.CompletedProcess[str] | None:
        """ruff run on `text` as the file at `path`; None when it cannot run. With `required`
        (formatting), a ruff that runs and fails is an error: a module written unformatted
        without a word would fail the project's hooks at the commit, for a reason nobody was
        told."""
        if self.ruff is None:
            return None
        try:
            done = run_on_text(
                [self.ruff, *args, "--no-cache", "--stdin-filename", str(path), "-"],
                text, self.root,
            )  # fmt: skip
        except OSError:
            return None
        if done.returncode != 0 and required:
            said = " ".join(done.stderr.split())[:600] or f"exit code {done.returncode}"
            raise TargetError(
                f"{path}: the project's ruff ({self.ruff}) cannot {args[0]} it: {said}",
                hint=Step(
                    "fix what ruff says (its settings: [tool.ruff] in pyproject.toml, or "
                    "ruff.toml), then run again; or extract without formatting: ",
                    Flag("no_format"),
                ),
            )
        return done


def _reported_codes(stderr: str) -> set[str] | None:
    """The codes in the JSON report `ruff check --fix` gives on stderr when it fixes its
    standard input (the fixed text goes to stdout); None when there is no such report (a
    ruff that gives none): the caller then asks with a plain `ruff check`. Warnings about the
    configuration may come first."""
    start = re.search(r"^\[", stderr, re.MULTILINE)
    if start is None:
        return None
    try:
        report, _ = json.JSONDecoder().raw_decode(stderr, start.start())
    except ValueError:
        return None
    if not isinstance(report, list) or not all(isinstance(d, dict) for d in report):
        return None
    return {str(d["code"]) for d in report if d.get("code")}


def _whitespace_fixed(text: str) -> str:
    """What the project's trailing-whitespace and end-of-file hooks would leave: they rewrite
    every line, strings included, so dsprod writes it that way first."""
    if not _space_before_a_break(text) and text.endswith("\n") and not text[-2:-1].isspace():
        return text  # one search instead of splitting and joining every line (the usual case)
    return "\n".join(line.rstrip() for line in text.rstrip().split("\n")) + "\n"


def _space_before_a_break(text: str) -> bool:
    """Whether whitespace ends a line: `_SPACE_AT_END.search`, 4x faster on ASCII text (1.4
    -> 0.35 ms on a 2,000-cell module). There whitespace is ` `, tab and seven control characters
    rare in code: two substring searches, and the pattern only where one of those seven is."""
    if not text.isascii():
        return _SPACE_AT_END.search(text) is not None
    if " \n" in text or "\t\n" in text:
        return True
    rare = any(c in text for c in "\r\x0b\x0c\x1c\x1d\x1e\x1f")
    return rare and _SPACE_AT_END.search(text) is not None


def module_debt(
    lint: ProjectLint, text: str, path: Path, previous: ModuleDebt | None
) -> tuple[str, ModuleDebt]:
    """`text` settled, with the debt header it needs; the debt."""
    body, codes = lint.settled(strip_debt_header(text), path)
    if codes is None:
        codes = lint.ruff_codes(body, path)
    ruff = sorted(codes - UNSILENCEABLE)
    measured = lint.mypy_codes(body, path)
    if measured is None:
        # Without mypy nothing can be measured: what was recorded stands.
        mypy = list(previous.mypy) if previous else []
    else:
        mypy = sorted(measured - UNSILENCEABLE)
    debt = ModuleDebt(tuple(ruff), tuple(mypy))
    text = _with_header(body, debt)
    # The header itself may break a rule (a long mypy line is E501): it is recorded too.
    # Without a header the text is the body, measured already.
    if debt.size and (extra := lint.ruff_codes(text, path) - set(ruff) - UNSILENCEABLE):
        debt = ModuleDebt(tuple(sorted({*ruff, *extra})), debt.mypy)
        text = _with_header(body, debt)
    return text, debt


def module_debt_meanwhile(
    lint: ProjectLint, text: str, path: Path, previous: ModuleDebt | None
) -> Settling:
    """`module_debt`, started in a thread: the project's ruff runs in its own processes, so
    the caller's work goes on meanwhile (on a large notebook ruff's two runs are a tenth of
    an extraction). Calling the result waits for it, and raises what it raised."""
    return Meanwhile(lambda: module_debt(lint, text, path, previous))


# A module being settled by the project's ruff (and checked by its mypy).
Settling = Meanwhile[tuple[str, ModuleDebt]]


def read_module_debt(text: str) -> ModuleDebt:
    ruff: tuple[str, ...] = ()
    mypy: tuple[str, ...] = ()
    for line in _leading_comments(text):
        if match := _RUFF_LINE.match(line):
            ruff = _codes(match["codes"])
        elif match := _MYPY_LINE.match(line):
            mypy = _codes(match["codes"])
    return ModuleDebt(ruff, mypy)


def strip_debt_header(text: str) -> str:
    leading = _leading_comments(text)
    kept = [
        line
        for line in leading
        if line != _HEADER_NOTE and not _RUFF_LINE.match(line) and not _MYPY_LINE.match(line)
    ]
    if len(kept) == len(leading):
        return text
    rest = text.split("\n", len(leading))[len(leading) :]
    return "\n".join([*kept, *rest])


def _with_header(text: str, debt: ModuleDebt) -> str:
    if not debt.size:
        return text
    header = [_HEADER_NOTE]
    if debt.ruff:
        header.append(f"# ruff: noqa: {', '.join(debt.ruff)}")
    if debt.mypy:
        header.append(f'# mypy: disable-error-code="{", ".join(debt.mypy)}"')
    return "\n".join(header) + "\n" + text


def _leading_comments(text: str) -> list[str]:
    """The comment lines the text starts with; the rest of a large module is not split."""
    lines = []
    start = 0
    while text.startswith("#", start):
        end = text.find("\n", start)
        lines.append(text[start:] if end < 0 else text[start:end])
        if end < 0:
            break
        start = end + 1
    return lines


def _codes(raw: str) -> tuple[str, ...]:
    return tuple(sorted(c.strip() for c in raw.split(",") if c.strip()))


def read_pyproject(root: Path) -> Mapping[str, Any]:
    """The project's pyproject.toml; empty when it is missing or broken (the commands that
    read it for their own settings report that)."""
    from dsprod._project import read_pyproject as parsed
    from dsprod.errors import ConfigError

    try:
        data = parsed(root)
    except ConfigError:
        return {}
    return data if isinstance(data.get("tool", {}), dict) else {}


# Interpreters found without mypy: not asked again in this process.
_WITHOUT_MYPY: set[str] = set()
