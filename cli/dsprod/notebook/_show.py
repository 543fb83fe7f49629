"""What extract shows: why definitions stay, and diffs of a module and of a notebook's code
cells (`--dry-run`, conflicts)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dsprod._output import Output, shown
from dsprod.notebook._model import Notebook
from dsprod.notebook._plan import ExtractionPlan

__all__ = ["code_view", "code_view_after", "report_plan", "show_diff"]


def report_plan(
    plan: ExtractionPlan, output: Output, held: Mapping[str, str] | None = None
) -> None:
    """What stays and why, and which `def` became which version. `held`: the module's
    symbols whose body its other code runs for the notebook, with why (`_merge`)."""
    held = held or {}
    for issue in plan.issues:
        if issue.is_error:
            output.problem(f"{issue.location}: {issue.reason}")
        else:
            output.status("skip", f"{issue.location}: {issue.reason}")
    for kept in plan.kept:
        output.status("skip", f"{kept.name} ({kept.location}): kept in the notebook")
    for refusal in plan.refusals:
        output.problem(f"{refusal.location}: {refusal.name} not extracted: {refusal.reason}")
    for base, versions in plan.evolved().items():
        # Located, one line per name: which `def` became which version in the module.
        where = ", ".join(f"cell {at.cell}:line {at.line} as {name}" for name, at in versions)
        if base in held:
            output.status(
                "version",
                f"{versions[0][1]}: {base} stays in the module as it is ({held[base]}); the "
                f"notebook's new body moves as a version of its own, and each def is now an "
                f"import of its version, so every cell calls the one it called before: {where}",
            )
            continue
        count = len({name for name, _ in versions})
        if count > 1:
            which = f"is defined with {count} different bodies; each moves"
        elif base in plan.from_module:
            # The other body is the module's, which the notebook imported before its def.
            which = "is defined again after its import from the module; the new body moves"
        else:  # bound first by code that stays (`f = len`): notebook state
            which = "is bound before its def by code that stays in the notebook; the def moves"
        output.status(
            "version",
            f"{versions[0][1]}: {base} {which}, and each def is now an import of its version, "
            f"so every cell calls the one it called before: {where}",
        )


def code_view(notebook: Notebook) -> str:
    return "".join(
        f"# %% cell {c.index + 1}\n{c.source}\n" for c in notebook.cells if c.kind == "code"
    )


def code_view_after(notebook: Notebook, sources: dict[int, str | None]) -> str:
    parts = []
    for cell in notebook.cells:
        if cell.kind != "code":
            continue
        source = sources.get(cell.index, cell.source)
        if source is not None:
            parts.append(f"# %% cell {cell.index + 1}\n{source}\n")
    return "".join(parts)


def show_diff(output: Output, path: Path, old: str, new: str) -> None:
    import difflib  # here: only --dry-run and conflicts show a diff

    # Every line ends with a newline, as in `diff`'s output: a symbol's text has none after
    # its last line, which would otherwise run into the next line of the diff.
    diff = difflib.unified_diff(
        [line + "\n" for line in old.splitlines()],
        [line + "\n" for line in new.splitlines()],
        fromfile=f"a/{shown(path)}",
        tofile=f"b/{shown(path)}",
    )
    output.data("".join(diff))
