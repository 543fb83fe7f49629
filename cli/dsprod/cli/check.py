"""`dsprod check`: switches only; the work is `dsprod.notebook.check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import QuietOption, VersionOption

__all__ = ["check"]


def check(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files to check, as pre-commit passes them: notebooks, extracted modules, "
            ".dsprod/manifest.json. Default: every notebook and manifest in the repository.",
            metavar="[FILE]...",
        ),
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Extract the notebooks with findings and record hand edits, then check."
        ),
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="With --fix: extract with --verify.")
    ] = False,
    tests: Annotated[
        bool, typer.Option("--tests", help="With --fix: extract with --tests.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    quiet: QuietOption = False,
    version: VersionOption = False,
) -> None:
    """Find definitions in notebooks and extracted modules out of step with the manifest."""
    from dsprod.notebook.check import check as run_check
    from dsprod.notebook.extract import ExtractOptions

    output: Output = ctx.obj
    output.quiet = output.quiet or quiet
    options = ExtractOptions(verify=verify, tests=tests) if fix else None
    findings = run_check(files or [], output, fix=options)
    if json_:
        output.data_json([{"where": f.where, "message": f.message, "fix": f.fix} for f in findings])
    else:
        for finding in findings:
            output.data(str(finding))
    if findings:
        output.status("found", f"{len(findings)} problem(s); see the `fix:` of each line")
        raise typer.Exit(1)
