"""What `dsprod update` tells the user: the status lines of an update and its next step."""

from __future__ import annotations

from dsprod._output import Output, shown
from dsprod.errors import Flag, Step
from dsprod.scaffold._update_result import Conflict, UpdateResult

__all__ = ["report"]


def report(result: UpdateResult, output: Output) -> None:
    where = shown(result.path)
    verb = "would update" if result.dry_run else "update"
    output.status(verb, f"{where} {_what(result)}")
    conflicted = {c.path for c in result.conflicts}
    for change, rel in result.changes:
        output.status("conflict" if rel in conflicted else change, rel)
    for rel, why in result.kept:
        output.status("keep", f"{rel} ({why})")
    for conflict in result.conflicts:
        output.problem(_conflict_message(result, conflict))
    if not result.watched and any(change == "delete" for change, _ in result.changes):
        output.status(
            "note",
            "the template no longer has the deleted files; if you had edited one, "
            "git checkout HEAD -- PATH brings your version back",
        )
    if result.dry_run:
        if result.diff:
            output.data(result.diff.rstrip("\n"))
        if result.dirty:
            output.status(
                "note",
                "your uncommitted changes are not in this diff (it starts from the last "
                "commit); dsprod update needs them committed or stashed first",
            )
        output.status(
            "dry-run", Step("nothing was changed; run without ", Flag("dry_run"), " to apply")
        )
    elif result.conflicts:
        output.status(
            "next", "resolve the conflicts, then: git add -A && git commit -m 'Update template'"
        )
    elif result.changes:
        output.status("next", "review with git diff, then: git add -A && git commit")


def _what(result: UpdateResult) -> str:
    answers = ", ".join(f"{k}={v}" for k, v in sorted(result.changed_answers.items()))
    if result.from_version == result.to_version:
        return f"with new answers ({answers}), template {result.to_version}"
    versions = f"from template {result.from_version} to {result.to_version}"
    return f"{versions}, with new answers ({answers})" if answers else versions


def _conflict_message(result: UpdateResult, conflict: Conflict) -> str:
    if conflict.kind == "deleted":
        moved = [
            rel
            for change, rel in result.changes
            if change == "create" and rel.rsplit("/", 1)[-1] == conflict.path.rsplit("/", 1)[-1]
        ]
        instead = f" (it has {moved[0]} now, without your edits)" if moved else ""
        would = "would keep" if result.dry_run else "kept"
        return (
            f"{conflict.path}: you edited this file and the new template version no longer "
            f"has it{instead}; your version is {would} as a conflict: carry your edits over, "
            f"then git rm {conflict.path} (or git add {conflict.path} to keep it)"
        )
    if result.dry_run:
        return (
            f"{conflict}: would conflict: your edit and the template's change touch the same lines"
        )
    return (
        f"{conflict}: your edit and the template's change touch the same lines; keep what you "
        "want between the <<<<<<< and >>>>>>> markers and delete the markers"
    )
