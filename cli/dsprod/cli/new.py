"""`dsprod new`: switches only; the work is `dsprod.scaffold.new_project`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import VersionOption

__all__ = ["new", "parse_data"]


def parse_data(pairs: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="'-d' / '--data'")
        answers[name.strip()] = value
    return answers


def new(
    ctx: typer.Context,
    dest: Annotated[
        Path, typer.Argument(help="Folder for the new project (new, or empty).", metavar="DEST")
    ],
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Answer a question: -d package_name=churn (repeatable).",
            metavar="NAME=VALUE",
        ),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", help="Take the default for every question not answered by -d."),
    ] = False,
    version: VersionOption = False,
) -> None:
    """Create a project ready for dev, staging and prod from dsprod's template."""
    from dsprod.scaffold import new_project

    output: Output = ctx.obj
    new_project(dest, parse_data(data or []), defaults=defaults, output=output)
