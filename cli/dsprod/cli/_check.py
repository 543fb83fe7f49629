"""The body of `dsprod check`, shared by the typer command (`check`) and the fast path
(`_fast`): it imports no typer."""

from __future__ import annotations

from pathlib import Path

from dsprod._output import Output

__all__ = ["run_check"]


def run_check(
    output: Output,
    files: list[Path],
    *,
    fix: bool,
    report: bool,
    verify: bool,
    tests: bool,
    as_json: bool,
) -> int:
    from dsprod.notebook.check import check

    options = None
    if fix:
        from dsprod.notebook.extract import ExtractOptions

        if verify:
            from dsprod._extras import require

            require("verify")
        options = ExtractOptions(verify=verify, tests=tests)
    result = check(files, output, fix=options, debt=report)
    problems, debt = result.problems, result.debt
    for error in result.errors:  # --fix: a notebook that could not be extracted
        output.error(error)
    if as_json:
        extra = {"debt": debt.as_json() if debt else None} if report else {}
        output.data_json({"problems": [p.as_json() for p in problems], **extra})
    else:
        for problem in problems:  # the command's result: on stdout, as its JSON would be
            output.data(str(problem))
        for line in debt.lines() if debt else []:
            output.data(line)
    if debt is not None and (debt.left or debt.lint_size):
        output.status("debt", debt.summary())
    elif result.left and not report:
        # A commit reads no module header or ledger: the count the manifest gives, and where
        # the rest is.
        output.status(
            "debt",
            f"{result.left} definition(s) left in notebooks "
            "(dsprod check --report lists them, and the lint debt)",
        )
    return output.found(problems)
