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

import click
import typer

from dsprod import __version__
from dsprod._output import format_error
from dsprod.errors import DsprodError

__all__ = ["run"]

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def run(app: typer.Typer, argv: list[str] | None) -> int:
    try:
        result = app(args=argv, prog_name="dsprod", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_USER
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
    return result if isinstance(result, int) else EXIT_OK


def _write_traceback() -> Path:
    fd, name = tempfile.mkstemp(prefix="dsprod-traceback-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"dsprod {__version__}, Python {sys.version}\nargv: {sys.argv}\n\n")
        fh.write(traceback.format_exc())
    return Path(name)


def _color() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")
