"""Options every command shares."""

from __future__ import annotations

from typing import Annotated

import typer

from dsprod import __version__

__all__ = ["QuietOption", "VersionOption"]


def _show_version(value: bool) -> None:
    if value:
        print(f"dsprod {__version__}")
        raise typer.Exit(0)


VersionOption = Annotated[
    bool,
    typer.Option(
        "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
    ),
]

# Also accepted after the command name (`dsprod extract -q`), where users and the docs put it.
QuietOption = Annotated[bool, typer.Option("-q", "--quiet", help="Print problems only.")]
