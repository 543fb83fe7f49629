"""The fast path: `dsprod check`, `dsprod --help` and `dsprod --version` without typer.

The commit hook runs `dsprod check` on every commit, and `--help` is the first thing anyone
runs; both should cost Python's start-up and the work, not a CLI framework's (typer 0.29
imports pydantic). As pre-commit and nbQA do, this parses with argparse. It answers only what
it can answer exactly as the typer application would: any `--help` of a command, a narrow
terminal, or arguments it does not know go to `_app`, which declares every command (and
prints the usage errors, in its words).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

__all__ = ["color_option", "run"]

_GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--color": "color", "--no-color": "color"}
_HELP = {"-h", "--help"}


class _NotMineError(Exception):
    """The arguments are for the typer application (it explains a usage error better)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotMineError(message)


def color_option(argv: list[str]) -> bool | None:
    """The global --color/--no-color choice in `argv` (the last one wins); None without."""
    color: bool | None = None
    for arg in _leading_globals(argv):
        if arg in ("--color", "--no-color"):
            color = arg == "--color"
    return color


def run(argv: list[str]) -> int | None:
    """The exit code, or None when the typer application must answer."""
    globals_ = _leading_globals(argv)
    rest = argv[len(globals_) :]
    if "--version" in globals_:  # eager, as typer's: whatever follows is not run
        return _version()
    if not rest:
        return None  # `dsprod` alone: typer's no-args help and its exit code
    if rest in (["--help"], ["-h"]) and not globals_:
        return _root_help()
    if rest[0] == "check" and not _HELP.intersection(rest):
        try:
            return _check(rest[1:], globals_)
        except _NotMineError:
            return None
    return None


def _leading_globals(argv: list[str]) -> list[str]:
    found = []
    for arg in argv:
        if arg not in _GLOBAL_FLAGS and arg != "--version":
            break
        found.append(arg)
        if arg == "--version":
            break
    return found


def _version() -> int:
    from dsprod import __version__

    print(f"dsprod {__version__}")
    return 0


def _root_help() -> int | None:
    import shutil  # here: `dsprod check` does not need it

    # click wraps at min(terminal columns, 80) - 2: the stored text is the 80-column one.
    if shutil.get_terminal_size().columns < 80:
        return None
    from dsprod.cli._root_help import TEXT

    sys.stdout.write(TEXT)
    return 0


def _check(args: list[str], globals_: list[str]) -> int:
    parser = _Parser(prog="dsprod check", add_help=False, allow_abbrev=False)
    parser.add_argument("files", nargs="*", type=Path)
    for flag in ("--fix", "--report", "--verify", "--tests", "--json", "--version"):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    parsed = parser.parse_intermixed_args(args)
    if parsed.version:
        return _version()
    if any(str(f).startswith("-") for f in parsed.files):
        raise _NotMineError("an option typer would refuse")
    from dsprod._output import Output
    from dsprod.cli._check import run_check

    output = Output(
        quiet="-q" in globals_ or "--quiet" in globals_ or parsed.quiet,
        color=color_option(globals_),
    )
    return run_check(
        output,
        parsed.files,
        fix=parsed.fix,
        report=parsed.report,
        verify=parsed.verify,
        tests=parsed.tests,
        as_json=parsed.json,
    )
