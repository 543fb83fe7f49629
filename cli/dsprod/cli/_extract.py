"""The body of `dsprod extract`, shared by the typer command (`extract`) and the fast path
(`_fast`): it imports no typer."""

from __future__ import annotations

from pathlib import Path

from dsprod._output import Output

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod.notebook.extract import ExtractOptions

__all__ = ["only_names", "run_extract"]


def only_names(only: str) -> frozenset[str]:
    """The names `--only` gives; empty when it gives none, which each front end refuses as a
    usage error in its own words (an empty selection must not widen to "everything")."""
    return frozenset(n.strip() for n in only.split(",") if n.strip())


def run_extract(output: Output, notebooks: list[Path], options: ExtractOptions) -> int:
    """Extract from `notebooks`, show each notebook's error; the exit code."""
    from dsprod.notebook.extract import extract

    if options.verify:
        from dsprod._extras import require

        require("verify")  # before anything is written
    results = extract(notebooks, options, output=output)
    for result in results:
        if result.error is not None:
            output.error(result.error)
    return 1 if any(r.failed for r in results) else 0
