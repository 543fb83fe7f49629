"""The typer application: switches and help only; the work happens in the library."""

from __future__ import annotations

import sys
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

__all__ = ["app", "main"]

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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app through the one error handler."""
    from dsprod.cli._handler import run

    sys.exit(run(app, argv))
