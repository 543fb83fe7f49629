"""The one error handler: exceptions become messages and exit codes.

0 success; 1 a user error or a finding; 2 a usage error; 3 an internal error (traceback
written to a file, named in the message); 130 interrupted. It imports no typer: the fast path
(`_fast`) runs through it too; typer's own outcomes are turned into codes by `_app.run_app`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from dsprod import __version__
from dsprod._output import Output
from dsprod.errors import DsprodError

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "EXIT_USER", "guarded"]

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def guarded(call: Callable[[], int], *, color: bool | None = None) -> int:
    """`call()`'s exit code; an exception becomes a message on stderr and its exit code.
    `color` is the --color/--no-color choice (None: on a terminal without NO_COLOR)."""
    output = Output(color=color)
    try:
        return call()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DsprodError as exc:
        output.error(exc)
        return EXIT_USER
    except ModuleNotFoundError as exc:
        from dsprod._extras import missing_dependency

        missing = missing_dependency(exc)
        if missing is None:
            return _internal(output)
        output.error(missing)
        return EXIT_USER
    except Exception:  # noqa: BLE001 - the last line of defence: report, never crash raw
        return _internal(output)


def _internal(output: Output) -> int:
    log = _write_traceback()
    output.error(
        DsprodError(
            f"internal error in dsprod {__version__}: this is a bug, not your input; "
            f"traceback: {log}",
            hint="report it with that file attached",
        )
    )
    return EXIT_INTERNAL


def _write_traceback() -> Path:
    import os  # imported here: the start-up of every command pays for what is at the top
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="dsprod-traceback-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"dsprod {__version__}, Python {sys.version}\nargv: {sys.argv}\n\n")
        fh.write(traceback.format_exc())
    return Path(name)
