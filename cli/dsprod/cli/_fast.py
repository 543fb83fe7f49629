"""The fast path: `dsprod check`, `dsprod extract`, `--help` and `--version` without typer.

The commit hook runs `dsprod check` on every commit, `--help` is the first thing anyone runs,
and `extract` is the command that runs on whole notebooks; they should cost Python's start-up
and the work, not a CLI framework's (typer 0.29 imports pydantic and builds every command:
100-250 ms). As pre-commit and nbQA do, this parses with argparse. It answers only what it
can answer exactly as the typer application would: any `--help` of a command, a narrow
terminal, or arguments it does not know go to `_app`, which declares every command (and
prints the usage errors, in its words).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

__all__ = ["color_option", "run"]

_GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--color": "color", "--no-color": "color"}
_HELP = {"-h", "--help"}


class _NotMineError(Exception):
    """The arguments are for the typer application (it explains a usage error better)."""


class _Formatter(argparse.HelpFormatter):
    """Never prints (errors go to the typer application); argparse still makes one for every
    option it adds, to check its metavar, and without a width asks the terminal for one, which
    imports shutil and the compression modules it imports: 1 ms of every start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=80)


class _Parser(argparse.ArgumentParser):
    def __init__(self, prog: str) -> None:
        super().__init__(prog=prog, add_help=False, allow_abbrev=False, formatter_class=_Formatter)

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
    commands = {"check": _check, "extract": _extract}
    if rest[0] in commands and not _HELP.intersection(rest):
        try:
            with _one_command():
                return commands[rest[0]](rest[1:], globals_)
        except _NotMineError:
            return None
    return None


@contextlib.contextmanager
def _one_command() -> Iterator[None]:
    """No cyclic garbage collection: one command runs, then the process ends.

    The collector would walk the syntax trees as they pile up, and whatever the command
    leaves once more when it is enabled again or at the interpreter's exit, which collects
    even with the collector off: 60-80 ms of a 2,000-cell extract and 50 ms of a `check` of
    42 notebooks, to free nothing sooner than the exit does. Frozen, what is left is freed
    by reference counting alone. Off before the engine's modules are imported: their classes
    and tables are objects too, and collecting while they are made took another 5-15 ms.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


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


def check_parser() -> argparse.ArgumentParser:
    """`dsprod check`'s options, as `cli/check.py` declares them (a test compares the two)."""
    parser = _Parser("dsprod check")
    parser.add_argument("files", nargs="*", type=Path)
    for flag in ("--fix", "--report", "--verify", "--tests", "--json", "--version"):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser


def _check(args: list[str], globals_: list[str]) -> int:
    parsed = check_parser().parse_intermixed_args(args)
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


def extract_parser() -> argparse.ArgumentParser:
    """`dsprod extract`'s options, as `cli/extract.py` declares them (a test compares the two)."""
    parser = _Parser("dsprod extract")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("-m", "--module")
    parser.add_argument("--only")
    for flag in ("--dry-run", "--force", "--verify", "--tests", "--version"):
        parser.add_argument(flag, action="store_true")
    for switch in ("format", "autoreload", "parametrize"):  # --x/--no-x, the last one wins
        parser.add_argument(f"--{switch}", dest=switch, action="store_const", const=True)
        parser.add_argument(f"--no-{switch}", dest=switch, action="store_const", const=False)
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser


def _extract(args: list[str], globals_: list[str]) -> int:
    parsed = extract_parser().parse_intermixed_args(args)
    if parsed.version:
        return _version()
    if any(str(f).startswith("-") for f in parsed.notebooks) or parsed.timeout < 1:
        raise _NotMineError("an argument typer would refuse")
    if parsed.only is not None and not _only_names(parsed.only):
        raise _NotMineError("--only names nothing: typer explains it")
    return _run_extract(parsed, globals_)


def _run_extract(parsed: argparse.Namespace, globals_: list[str]) -> int:
    # ruff is what extract writes modules with, and a dependency: in an environment without
    # dsprod's dependencies (the commit hook's) this says so, as the typer path would. Looked
    # up, not imported: its package imports sysconfig to find its binary (0.5 ms), which the
    # engine finds without it in a virtual environment.
    import importlib.util

    if importlib.util.find_spec("ruff") is None:
        raise ModuleNotFoundError("No module named 'ruff'", name="ruff")

    from dsprod._output import Output
    from dsprod.cli._extract import run_extract
    from dsprod.notebook.extract import ExtractOptions

    output = Output(
        quiet="-q" in globals_ or "--quiet" in globals_ or parsed.quiet,
        color=color_option(globals_),
    )
    only = _only_names(parsed.only) if parsed.only is not None else None
    options = ExtractOptions(
        module=parsed.module,
        only=only,
        dry_run=parsed.dry_run,
        force=parsed.force,
        format=parsed.format,
        autoreload=parsed.autoreload,
        parametrize=parsed.parametrize,
        verify=parsed.verify,
        tests=parsed.tests,
        timeout=parsed.timeout,
    )
    return run_extract(output, parsed.notebooks, options)


def _only_names(only: str) -> frozenset[str]:
    from dsprod.cli._extract import only_names

    return only_names(only)
