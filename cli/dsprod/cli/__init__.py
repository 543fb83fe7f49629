"""dsprod's command line.

`main` starts light: `dsprod check` (the commit hook, run on every commit), a plain
`dsprod extract`, `dsprod --help` and `--version` are answered without importing typer
(`_fast`), so their start-up is Python's and the work's, whatever typer release is installed.
Every other command, and any `--help` of a command, goes to the typer application (`_app`),
which declares all of them.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: see dsprod/__init__.py

if TYPE_CHECKING:
    from typing import Any

    from dsprod.cli._app import app

__all__ = ["app", "main", "run"]


def run(argv: list[str]) -> int:
    """Run dsprod with `argv` (without the program name) through the one error handler; the
    exit code."""
    from dsprod.cli import _fast
    from dsprod.cli._handler import guarded

    def dispatch() -> int:
        _require_working_folder()
        code = _fast.run(argv)
        if code is None:
            from dsprod.cli._app import run_app

            code = run_app(argv)
        return code

    return guarded(dispatch, color=_fast.color_option(argv))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from dsprod.cli import _fast

    _fast.PROCESS_ENDS_AFTER = argv is None
    try:
        code = run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        # A Ctrl-C before the handler in `run` is in place (the first imports): the same words.
        print("interrupted", file=sys.stderr)
        code = 130
    if code == 130:
        # After a Ctrl-C that dsprod caught, CPython (3.11) may still end the process by
        # SIGINT, not with this code, when the KeyboardInterrupt first passed through C code
        # that records it as unhandled: leave now, with the code (everything is cleaned up).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if argv is None and "dsprod.cli._app" not in sys.modules:
        _leave(code)
    sys.exit(code)


def _leave(code: int) -> None:
    """End the process now, with `code`, when nothing is left for the interpreter's exit to do.

    The fast path's command has returned and the console script ends here: the interpreter's
    finalization would only free, one by one, every module and what the command left (7 M
    instructions, ~0.5% of a 2,000-cell extract), which the process's end frees wholesale.
    Exact only when nothing else waits for the exit: no atexit callbacks, no other thread
    (threading joins them at exit), and both standard streams written out (a flush that fails,
    a closed pipe, is left to the exit, which reports it as before). Returns otherwise.
    """
    import atexit

    threading = sys.modules.get("threading")
    if atexit._ncallbacks() or (threading is not None and threading.active_count() > 1):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: started without it (its descriptor closed)
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the exit says so, as before
        return
    os._exit(code)


def _require_working_folder() -> None:
    # Every command shows paths relative to the working folder; a shell left in a folder that
    # was deleted (a `git clean`, a test's temporary folder) has none.
    try:
        os.getcwd()  # noqa: PTH109 - no pathlib before `main` catches Ctrl-C
    except FileNotFoundError:
        from dsprod.errors import UserError

        raise UserError(
            "the working folder no longer exists (it was deleted or moved): nothing was changed",
            hint="cd to an existing folder, then run the command again",
        ) from None


def __getattr__(name: str) -> Any:
    # The typer application, for the docs and the tests that walk it; loaded on first use.
    if name == "app":
        from dsprod.cli._app import app

        return app
    raise AttributeError(f"module 'dsprod.cli' has no attribute {name!r}")
