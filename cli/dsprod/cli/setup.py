"""`dsprod setup`: switches only; the work is `dsprod.devenv.setup_project`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import VersionOption

__all__ = ["setup"]


def setup(
    ctx: typer.Context,
    python: Annotated[
        Path | None,
        typer.Option(
            "--python",
            help="The interpreter for a new .venv (default: dsprod's own when the project "
            "accepts it, else the newest python3.N on PATH that it accepts).",
            metavar="PYTHON",
        ),
    ] = None,
    uv: Annotated[
        bool | None,
        typer.Option("--uv/--no-uv", help="Use uv, or venv and pip (default: uv when on PATH)."),
    ] = None,
    version: VersionOption = False,
) -> None:
    """Make the development environment: .venv, the project with its dev group, git hooks,
    a Jupyter kernel, .env. Run it again at any time: it does only what is missing."""
    from dsprod.devenv import setup_project

    output: Output = ctx.obj
    result = setup_project(output=output, python=python, uv=uv)
    if result.incomplete:
        not_done = len(result.incomplete)
        output.status("warning", f"{not_done} step(s) not done; each shows its next step")
    if result.changed:
        output.status("next", "dsprod doctor")
    elif not result.incomplete:  # with a step not done, the environment is not set up
        output.status("identical", "nothing to do: the development environment is set up")
