"""`dsprod doctor`: switches only; the work is `dsprod.devenv.checks`."""

from __future__ import annotations

from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import VersionOption

__all__ = ["doctor"]


def doctor(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    version: VersionOption = False,
) -> None:
    """Check the development environment: Python, .venv, hooks, kernel, dev settings, git,
    template version. One line each; a problem comes with the command that fixes it."""
    from dsprod.devenv import doctor as run_doctor

    output: Output = ctx.obj
    checks = run_doctor()
    problems = [c.problem() for c in checks if c.status == "problem"]
    if json_:
        rows = [c.as_json() for c in checks]
        output.data_json({"checks": rows, "problems": [p.as_json() for p in problems]})
    else:
        for check in checks:
            output.data(str(check))
    if output.found(problems):
        raise typer.Exit(1)
    output.status("ok", "the development environment is in order")
