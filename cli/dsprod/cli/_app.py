"""The typer application: every command's switches and help; the work happens in the library.

`dsprod.cli.run` sends here whatever the fast path (`_fast`) does not answer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli import check as check_command
from dsprod.cli import doctor as doctor_command
from dsprod.cli import env as env_command
from dsprod.cli import extract as extract_command
from dsprod.cli import new as new_command
from dsprod.cli import setup as setup_command
from dsprod.cli import update as update_command
from dsprod.cli._common import VersionOption
from dsprod.cli._handler import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

__all__ = ["app", "render_root_help", "run_app", "write_root_help"]

app = typer.Typer(
    name="dsprod",
    help="Take data science from notebooks to production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print problems only.")] = False,
    color: Annotated[
        bool | None,
        typer.Option("--color/--no-color", help="Colour the status lines (default: on a tty)."),
    ] = None,
    version: VersionOption = False,
) -> None:
    ctx.obj = Output(quiet=quiet, color=color)


app.command(name="extract", no_args_is_help=True)(extract_command.extract)
app.command(name="new", no_args_is_help=True)(new_command.new)
app.command(name="check")(check_command.check)
app.add_typer(env_command.app, name="env")
app.command(name="setup")(setup_command.setup)
app.command(name="doctor")(doctor_command.doctor)
app.command(name="update")(update_command.update)


def run_app(argv: list[str]) -> int:
    """Run the typer application; typer's own outcomes (exit, usage error, Ctrl-C) become exit
    codes. dsprod's errors pass through to the handler (`_handler.guarded`)."""
    # typer vendors click (typer._click); only typer's public names are used here.
    try:
        result = app(args=argv, prog_name="dsprod", standalone_mode=False)
    except typer.Exit as exc:
        result = exc.exit_code
    except typer.Abort:
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
    # Without standalone mode typer returns exit codes instead of raising typer.Exit.
    code = result if isinstance(result, int) else EXIT_OK
    if code == EXIT_INTERRUPTED:
        # typer turns Ctrl-C inside a command into exit code 130, silently.
        print("interrupted", file=sys.stderr)
    return code


def render_root_help() -> str:
    """What `dsprod --help` prints on a terminal of 80 columns or more: the text `_fast` prints
    without importing typer (`_root_help.TEXT`, which a test keeps equal to this)."""
    import typer.main

    command = typer.main.get_command(app)
    # click wraps at min(terminal columns, 80) - 2: 78 on any terminal of 80 columns or more.
    context = command.make_context(
        "dsprod", [], resilient_parsing=True, terminal_width=78, max_content_width=80
    )
    return command.get_help(context) + "\n"


def write_root_help() -> Path:
    """Write `_root_help.py` again from the application (after a command or option changed)."""
    text = render_root_help()
    if '"""' in text or "\\" in text:
        raise ValueError("the root help cannot be stored as a plain triple-quoted string")
    path = Path(__file__).with_name("_root_help.py")
    path.write_text(
        '"""What `dsprod --help` prints on a terminal of 80 columns or more, for the fast path.\n\n'
        "Generated from the typer application; tests/test_cli.py fails when it differs. Write\n"
        "it again with: python -c 'from dsprod.cli._app import write_root_help as w; w()'\n"
        '"""\n\nTEXT = """\\\n' + text + '"""\n',
        encoding="utf-8",
    )
    return path
