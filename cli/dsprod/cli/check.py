"""`dsprod check`: switches only; `_check.run_check` renders `dsprod.notebook.check`'s result.

The commit hook usually takes the fast path (`_fast`), which calls the same `run_check`.
"""

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
    from dsprod.cli._check import run_check

    output: Output = ctx.obj
    output.quiet = output.quiet or quiet
    code = run_check(
        output, files or [], fix=fix, report=report, verify=verify, tests=tests, as_json=json_
    )
    if code:
        raise typer.Exit(code)
