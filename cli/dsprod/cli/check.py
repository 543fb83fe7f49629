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
            "--fix",
            help="Extract the notebooks with findings, measure the lint debt again, then check.",
        ),
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="List the definitions left in notebooks (and why) and the lint debt ledger.",
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
    """Find definitions written into notebooks since dsprod extracted from them."""
    from dsprod.notebook._debt import read_debt
    from dsprod.notebook.check import check as run_check
    from dsprod.notebook.extract import ExtractOptions

    output: Output = ctx.obj
    output.quiet = output.quiet or quiet
    options = ExtractOptions(verify=verify, tests=tests) if fix else None
    findings = run_check(files or [], output, fix=options)
    debt = read_debt(Path.cwd())
    as_json = [{"where": f.where, "message": f.message, "fix": f.fix} for f in findings]
    if json_ and report:
        output.data_json({"findings": as_json, "debt": debt.as_json() if debt else None})
    elif json_:
        output.data_json(as_json)
    else:
        for finding in findings:
            output.data(str(finding))
        for line in debt.lines() if debt and report else []:
            output.data(line)
    if debt is not None and (debt.left or debt.lint_size):
        hint = "" if report else " (dsprod check --report lists them)"
        output.status("debt", f"{debt.summary()}{hint}")
    if findings:
        output.status("found", f"{len(findings)} problem(s); see the `fix:` of each line")
        raise typer.Exit(1)
