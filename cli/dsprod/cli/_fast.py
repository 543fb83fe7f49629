"""The fast path: `dsprod check`, `dsprod extract`, `--help` and `--version` without typer.

The commit hook runs `dsprod check` on every commit, `--help` is the first thing anyone runs,
and `extract` is the command that runs on whole notebooks; they should cost Python's start-up
and the work, not a CLI framework's (typer 0.29 imports pydantic and builds every command:
100-250 ms). It answers only what it can answer exactly as the typer application would: any
`--help` of a command, a narrow terminal, or arguments it does not take as they are go to
`_app`, which declares every command (and prints the usage errors, in its words).

Its parser is a table of each command's options, not argparse: importing argparse, building a
parser and parsing cost 3-5 ms of every start (gettext's lookups, and the usage line that
`parse_intermixed_args` formats with a dozen patterns). It takes options and positionals in
any order, `--option value` and `--option=value`; anything else (attached short values,
`--`, a value that starts with `-`, an unknown or abbreviated option) goes to typer.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator, Mapping

# Set by the console script (`cli.main`), whose process ends when the command returns; not by
# `cli.run`, which tests and other callers call in a process that goes on.
PROCESS_ENDS_AFTER = False


@contextlib.contextmanager
def _absent(*names: str) -> Iterator[None]:
    """`names` known missing while the block runs: importing one fails at once.

    pathlib imports ntpath (for its Windows paths), which asks for six names of Windows' own
    `nt` and `_winapi` modules, one `from ... import` each, each looked for in every folder of
    `sys.path` before it fails: 2.3 M instructions of every start-up. Marked missing (None in
    `sys.modules`), each fails with the same ImportError at once, which ntpath catches as it
    did; nothing is left marked. Only for names not imported: on Windows, `nt` is os's own.
    """
    marked = [name for name in names if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system's "missing"
    try:
        yield
    finally:
        for name in marked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


if sys.platform != "win32" and "ntpath" not in sys.modules:
    with _absent("nt", "_winapi"):
        import ntpath  # noqa: F401 - imported here for pathlib, see _absent

from pathlib import Path  # noqa: E402 - after ntpath

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = ["CHECK_OPTIONS", "EXTRACT_OPTIONS", "Options", "color_option", "run"]

_GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "--color": "color", "--no-color": "color"}
_HELP = {"-h", "--help"}


class _NotMineError(Exception):
    """The arguments are for the typer application (it explains a usage error better)."""


# A command's options: option -> (its parameter, what it takes: the value a switch sets, or
# the type of the value that follows), and each parameter's default. "Any" a string: typing is
# not imported at run time.
Options = tuple[Mapping[str, tuple[str, bool | type[str] | type[int]]], Mapping[str, "Any"]]


def _switches(*names: str) -> dict[str, tuple[str, bool]]:
    return {f"--{name.replace('_', '-')}": (name, True) for name in names}


# As `cli/check.py` and `cli/extract.py` declare them (a test compares the two).
CHECK_OPTIONS: Options = (
    {
        **_switches("fix", "report", "verify", "tests", "json", "version", "quiet"),
        "-q": ("quiet", True),
    },
    dict.fromkeys(("fix", "report", "verify", "tests", "json", "version", "quiet"), False),
)
EXTRACT_OPTIONS: Options = (
    {
        "-m": ("module", str),
        "--module": ("module", str),
        "--only": ("only", str),
        **_switches("dry_run", "force", "verify", "tests", "version", "quiet"),
        "-q": ("quiet", True),
        # --x/--no-x: True or False, the last one wins; None when neither is given.
        **_switches("format", "autoreload", "parametrize"),
        **{f"--no-{name}": (name, False) for name in ("format", "autoreload", "parametrize")},
        "--timeout": ("timeout", int),
    },
    {
        **dict.fromkeys(("dry_run", "force", "verify", "tests", "version", "quiet"), False),
        **dict.fromkeys(("module", "only", "format", "autoreload", "parametrize")),
        "timeout": 120,
    },
)


def _parse(args: list[str], options: Options) -> tuple[dict[str, Any], list[str]]:
    """The parameters and the positionals in `args`; _NotMineError for whatever typer must
    judge (its parser, click's, takes all this the same way)."""
    takes, defaults = options
    values = dict(defaults)
    positionals: list[str] = []
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("-"):
            positionals.append(arg)
            continue
        option, equals, attached = arg.partition("=")
        if option not in takes or (equals and not option.startswith("--")):
            # click reads `-m=x` as the value `=x`: typer's to answer, as any unknown option
            raise _NotMineError(f"{arg}: not an option this parser takes")
        name, taken = takes[option]
        if isinstance(taken, bool):
            if equals:
                raise _NotMineError(f"{option} takes no value")
            values[name] = taken
            continue
        value = attached if equals else next(rest, None)
        if value is None or (not equals and value.startswith("-")):
            raise _NotMineError(f"{option} needs a value")
        if taken is int and not value.strip().isascii():
            # int() reads other scripts' digits (`٣`), which typer refuses: typer's to answer.
            raise _NotMineError(f"{option}: not an ASCII number")
        try:
            values[name] = taken(value)
        except ValueError:
            raise _NotMineError(f"{option}: not a {taken.__name__}") from None
    return values, positionals


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


def _check(args: list[str], globals_: list[str]) -> int:
    parsed, files = _parse(args, CHECK_OPTIONS)
    if parsed["version"]:
        return _version()
    from dsprod._output import Output
    from dsprod.cli._check import run_check

    output = Output(
        quiet="-q" in globals_ or "--quiet" in globals_ or parsed["quiet"],
        color=color_option(globals_),
    )
    return run_check(
        output,
        [Path(f) for f in files],
        fix=parsed["fix"],
        report=parsed["report"],
        verify=parsed["verify"],
        tests=parsed["tests"],
        as_json=parsed["json"],
    )


def _extract(args: list[str], globals_: list[str]) -> int:
    parsed, notebooks = _parse(args, EXTRACT_OPTIONS)
    if not notebooks:
        raise _NotMineError("no notebook: typer says so")
    if parsed["version"]:
        return _version()
    if parsed["timeout"] < 1:
        raise _NotMineError("an argument typer would refuse")
    if parsed["only"] is not None and not _only_names(parsed["only"]):
        raise _NotMineError("--only names nothing: typer explains it")
    return _run_extract(parsed, [Path(n) for n in notebooks], globals_)


def _run_extract(parsed: Mapping[str, Any], notebooks: list[Path], globals_: list[str]) -> int:
    # ruff is what extract writes modules with, and a dependency: in an environment without
    # dsprod's dependencies (the commit hook's) this says so, as the typer path would. Looked
    # up, not imported: its package imports sysconfig to find its binary (0.5 ms), which the
    # engine finds without it in a virtual environment.
    if not _findable("ruff"):
        raise ModuleNotFoundError("No module named 'ruff'", name="ruff")

    from dsprod._output import Output
    from dsprod.cli._extract import run_extract
    from dsprod.notebook.extract import ExtractOptions, keep_until_exit

    if PROCESS_ENDS_AFTER:
        # The process ends after the command, through `_leave`'s os._exit where it can (else
        # the interpreter's exit frees all the same): nothing is freed sooner by freeing the
        # extraction's trees one by one here.
        keep_until_exit()

    output = Output(
        quiet="-q" in globals_ or "--quiet" in globals_ or parsed["quiet"],
        color=color_option(globals_),
    )
    only = _only_names(parsed["only"]) if parsed["only"] is not None else None
    options = ExtractOptions(
        module=parsed["module"],
        only=only,
        dry_run=parsed["dry_run"],
        force=parsed["force"],
        format=parsed["format"],
        autoreload=parsed["autoreload"],
        parametrize=parsed["parametrize"],
        verify=parsed["verify"],
        tests=parsed["tests"],
        timeout=parsed["timeout"],
    )
    return run_extract(output, notebooks, options)


def _findable(name: str) -> bool:
    """`importlib.util.find_spec(name) is not None`, for a top-level module, without importing
    importlib.util (1 M instructions of every extract's start-up): for a module not imported
    yet, find_spec asks each finder of `sys.meta_path` in turn, `finder.find_spec(name, None,
    None)`, as this does (what a finder raises, such as ModuleNotFoundError, goes through).
    Anything else (a module imported, a finder of before Python 3.4) is find_spec's to say."""
    finders = sys.meta_path
    if name in sys.modules or not finders or not all(hasattr(f, "find_spec") for f in finders):
        import importlib.util

        return importlib.util.find_spec(name) is not None
    return any(finder.find_spec(name, None, None) is not None for finder in finders)


def _only_names(only: str) -> frozenset[str]:
    from dsprod.cli._extract import only_names

    return only_names(only)
