"""`dsprod update`: switches only; the work is `dsprod.scaffold.update_project`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import VersionOption
from dsprod.cli.new import parse_data

__all__ = ["update"]


def update(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="The project: its root folder, with .copier-answers.yml.", metavar="[PATH]"
        ),
    ] = Path(),
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Change an answer: -d service=fastapi (repeatable). Others stay as recorded.",
            metavar="NAME=VALUE",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show the diff the update would make; change nothing. Exit 1 if it conflicts.",
        ),
    ] = False,
    version: VersionOption = False,
) -> None:
    """Bring the template of this dsprod into a project made by dsprod new, keeping your edits."""
    from dsprod.scaffold.update import update_project

    output: Output = ctx.obj
    result = update_project(path, parse_data(data or []), dry_run=dry_run, output=output)
    # Conflicts left to resolve, or (--dry-run) predicted: a script must not take it for clean.
    if result.conflicts:
        raise typer.Exit(1)
