"""The one error handler: exceptions become messages and exit codes.

0 success; 1 a user error or a finding; 2 a usage error; 3 an internal error (traceback
written to a file, named in the message); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

import typer

from dsprod import __version__
from dsprod._output import format_error
from dsprod.errors import DsprodError

__all__ = ["run"]

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def run(app: typer.Typer, argv: list[str] | None) -> int:
    # typer vendors click (typer._click); only typer's public names are used here.
    try:
        result = app(args=argv, prog_name="dsprod", standalone_mode=False)
    except typer.Exit as exc:
        result = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:
        # Usage errors (unknown option, missing argument) carry exit code 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", EXIT_USAGE))
    except DsprodError as exc:
        print(format_error(exc, color=_color()), file=sys.stderr)
        return EXIT_USER
    except Exception:  # noqa: BLE001 - the last line of defence: report, never crash raw
        log = _write_traceback()
        print(
            f"internal error in dsprod {__version__}: this is a bug, not your input.\n"
            f"  traceback: {log}\n  next: report it with that file attached",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    # Without standalone mode typer returns exit codes instead of raising typer.Exit.
    code = result if isinstance(result, int) else EXIT_OK
    if code == EXIT_INTERRUPTED:
        # typer turns Ctrl-C inside a command into exit code 130, silently.
        print("interrupted", file=sys.stderr)
    return code


def _write_traceback() -> Path:
    fd, name = tempfile.mkstemp(prefix="dsprod-traceback-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"dsprod {__version__}, Python {sys.version}\nargv: {sys.argv}\n\n")
        fh.write(traceback.format_exc())
    return Path(name)


def _color() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")
