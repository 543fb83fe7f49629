"""`dsprod extract`: switches only; `_extract.run_extract` runs `dsprod.notebook.extract`.

A plain extraction usually takes the fast path (`_fast`), which calls the same `run_extract`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsprod._output import Output
from dsprod.cli._common import QuietOption, VersionOption

__all__ = ["extract"]


def extract(
    ctx: typer.Context,
    notebooks: Annotated[
        list[Path],
        typer.Argument(
            help="Notebooks (.ipynb or jupytext percent .py) to promote.", metavar="NOTEBOOK..."
        ),
    ],
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            "-m",
            help="Target module: a dotted name (pkg.features) or a path (src/pkg/features.py). "
            "Default: a module of the project's package named after the notebook.",
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option("--only", help="Comma-separated names to extract (and what they need)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diffs; write nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace symbols edited by hand in the module (shown first)."),
    ] = False,
    format_: Annotated[
        bool | None,
        typer.Option("--format/--no-format", help="Format the module with ruff (default: on)."),
    ] = None,
    autoreload: Annotated[
        bool | None,
        typer.Option(
            "--autoreload/--no-autoreload",
            help="Add %autoreload lines above the new import (default: [tool.dsprod] autoreload).",
        ),
    ] = None,
    parametrize: Annotated[
        bool | None,
        typer.Option(
            "--parametrize/--no-parametrize",
            help="A function that reads a notebook variable takes it as a keyword-only "
            "parameter, and every call in the notebook passes it (default: on; "
            "[tool.dsprod] parametrize).",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Run the notebook before and after in a Jupyter kernel and compare the outputs; "
            "put everything back if the rewritten notebook fails where the original did not.",
        ),
    ] = False,
    tests: Annotated[
        bool,
        typer.Option(
            "--tests",
            help="Write characterization tests from the outputs the notebook recorded for calls "
            "of the extracted functions (with --verify, from that run's outputs where the "
            "notebook has none).",
        ),
    ] = False,
    timeout: Annotated[
        int, typer.Option("--timeout", help="Seconds each cell may run, with --verify.", min=1)
    ] = 120,
    quiet: QuietOption = False,
    version: VersionOption = False,
) -> None:
    """Move a notebook's functions and classes into a module; the notebook imports them."""
    from dsprod.cli._extract import only_names, run_extract
    from dsprod.notebook.extract import ExtractOptions

    output: Output = ctx.obj
    output.quiet = output.quiet or quiet
    names = None
    if only is not None:
        names = only_names(only)
        if not names:
            raise typer.BadParameter(
                f"{only!r} names no definition; give names (--only area,Customer), or leave "
                "--only out to extract everything",
                param_hint="--only",
            )
    options = ExtractOptions(
        module=module,
        only=names,
        dry_run=dry_run,
        force=force,
        format=format_,
        autoreload=autoreload,
        parametrize=parametrize,
        verify=verify,
        tests=tests,
        timeout=timeout,
    )
    if code := run_extract(output, notebooks, options):
        raise typer.Exit(code)
