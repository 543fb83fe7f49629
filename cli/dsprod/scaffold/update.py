"""`dsprod update`: bring the changes of a newer template into a project, keeping local edits.

Copier does the three-way update: it renders the template version the project was made from
and the version this dsprod ships, and merges the difference into the project; where a local
edit and a template change touch the same lines it leaves standard conflict markers. dsprod
adds what makes that safe to run: the versions are found on any machine (`_history`), the
refusals come before anything is touched (no git, a dirty tree, no answers file, a
downgrade), an update that fails half-way is rolled back with git, and `--dry-run` runs the
whole update on a clone of the project and shows its diff.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsprod._git import git, require_git
from dsprod._output import Output, shown
from dsprod.errors import TemplateError
from dsprod.scaffold._history import TemplateSource, materialise, version_of_tag
from dsprod.scaffold._template import Template, find_template
from dsprod.scaffold._update_checks import (
    check_clean,
    check_versions,
    locate,
    read_answers,
)

__all__ = ["Conflict", "UpdateResult", "update_project"]

# The marker `git merge-file` writes first, with the label copier gives the project's side.
_CONFLICT_START = "<<<<<<< before updating"


@dataclass(frozen=True)
class Conflict:
    path: str  # relative to the project
    line: int  # of the first conflict marker

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    from_version: str
    to_version: str
    # (verb, path relative to the project): "update", "create", "delete", "rename".
    changes: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    diff: str = ""  # the whole change, as `git diff` shows it (--dry-run only)
    dry_run: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)


def update_project(
    path: Path | str = ".",
    data: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
    output: Output | None = None,
    template: Template | None = None,
) -> UpdateResult:
    """Update the project at `path` to the template this dsprod ships.

    `data` changes answers by name (`-d NAME=VALUE`); every other answer stays as recorded.
    With `dry_run`, the project is not touched: the update runs on a clone, and the result
    carries its diff.
    """
    output = output or Output()
    template = template or find_template()
    require_git()
    project, root = locate(Path(path))
    answers = read_answers(project)
    template.check_answers(data or {})
    check_clean(project)
    source = materialise(template)
    start = check_versions(project, answers, source, template)
    if start == source.ref and not data:
        output.status("identical", f"{shown(project)} is on template {source.version} already")
        return UpdateResult(project, version_of_tag(start), source.version, dry_run=dry_run)
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="dsprod-update-") as scratch:
            clone = Path(scratch) / "project"
            git("clone", "--quiet", "--no-hardlinks", root, clone)
            work = clone / project.relative_to(root)
            _run_copier(work, source, template, data or {})
            result = _result(work, clone, project, start, source, dry_run=True)
    else:
        try:
            _run_copier(project, source, template, data or {})
        except BaseException:
            _roll_back(project)
            raise
        result = _result(project, root, project, start, source, dry_run=False)
    _report(result, output)
    return result


def _run_copier(
    project: Path, source: TemplateSource, template: Template, data: Mapping[str, str]
) -> None:
    import copier
    from copier.errors import CopierError

    from dsprod.notebook._manifest import load_manifest

    # The modules `dsprod extract` wrote are the project's: a template file of the same name
    # must not overwrite them (the template's own list is in copier.yml, _skip_if_exists).
    extracted = sorted(load_manifest(project).modules)
    owned = _matcher([*template.skip_if_exists, *extracted])
    try:
        copier.run_update(
            project,
            skip_if_exists=extracted,
            data={**data, "template_version": template.version},
            defaults=True,  # a question new in this version takes its default
            overwrite=True,
            skip_answered=True,
            unsafe=True,  # the template's migrations are dsprod's own
            conflict="inline",
            vcs_ref=source.ref,
            quiet=True,
        )
    except ValueError as exc:  # an answer given with -d that fails validation
        raise TemplateError(
            f"invalid answer: {' '.join(str(exc).split())}", hint="correct the -d NAME=VALUE"
        ) from None
    except CopierError as exc:
        raise TemplateError(
            f"the template update failed: {exc}",
            hint="the project is back as it was committed; fix the cause, then dsprod update",
        ) from exc
    # Copier deletes what the new version no longer renders, skip-if-exists or not: a file the
    # project owns (a notebook, an extracted module) comes back from the commit.
    for rel in git("ls-files", "--deleted", "--", ".", cwd=project).splitlines():
        if owned(rel):
            git("checkout", "--quiet", "HEAD", "--", rel, cwd=project)


def _matcher(patterns: list[str]) -> Callable[[str], bool]:
    from packaging.version import Version
    from pathspec import PathSpec
    from pathspec import __version__ as pathspec_version

    # pathspec 1.0 renamed its gitignore-style patterns.
    style = "gitignore" if Version(pathspec_version) >= Version("1.0.0") else "gitwildmatch"
    spec = PathSpec.from_lines(style, patterns)
    return spec.match_file


def _roll_back(project: Path) -> None:
    """Put the project back as it was committed (the update starts from a clean project);
    nothing outside it is touched, ignored files (.env, .venv) included."""
    with contextlib.suppress(TemplateError):
        git("reset", "--quiet", "HEAD", "--", ".", cwd=project)
        git("checkout", "--quiet", "HEAD", "--", ".", cwd=project)
        git("clean", "--quiet", "-d", "--force", "--", ".", cwd=project)


def _result(
    work: Path,
    root: Path,
    project: Path,
    start: str,
    source: TemplateSource,
    *,
    dry_run: bool,
) -> UpdateResult:
    """What the update changed in `work` (the project, or its clone under `root`)."""
    prefix = work.relative_to(root).as_posix()
    scope = ["--", prefix] if prefix != "." else []
    changes: list[tuple[str, str]] = []
    for entry in _status(root, scope):
        verb, name = entry
        rel = name if prefix == "." else name.removeprefix(prefix + "/")
        changes.append((verb, rel))
    # Copier records each file it merged with conflicts as unmerged in the index: that, not
    # a marker-like line a file may hold on purpose, says where the conflicts are.
    unmerged = {
        line.split("\t", 1)[1] for line in git("ls-files", "-u", "--", ".", cwd=work).splitlines()
    }
    rejected = {rel for verb, rel in changes if verb == "create" and rel.endswith(".rej")}
    conflicts = tuple(
        found for rel in sorted(unmerged | rejected) for found in _conflicts_in(work, rel)
    )
    diff = ""
    if dry_run:
        # Intent-to-add: new files appear in the diff (this is the clone's index, not yours).
        git("add", "--all", "--intent-to-add", *scope, cwd=root)
        diff = git("diff", "--no-color", "--find-renames", "HEAD", *scope, cwd=root)
    answers = read_answers(work)
    return UpdateResult(
        project,
        version_of_tag(start),
        source.version,
        tuple(changes),
        conflicts,
        diff,
        dry_run,
        answers,
    )


_VERBS = {"M": "update", "T": "update", "A": "create", "?": "create", "D": "delete", "R": "rename"}


def _status(root: Path, scope: list[str]) -> list[tuple[str, str]]:
    out = git(
        "status", "--porcelain", "-z", "--untracked-files=all", "--find-renames", *scope,
        cwd=root,
    )  # fmt: skip
    entries: list[tuple[str, str]] = []
    fields = iter(out.split("\0"))
    for item in fields:
        if not item:
            continue
        code, name = item[:2], item[3:]
        letter = code[0] if code[0] not in " ?" else code[1]
        if code == "??":
            letter = "?"
        if letter in "RC":
            next(fields, None)  # -z gives a rename's old name as the next field
        entries.append((_VERBS.get(letter, "update"), name))
    return sorted(entries, key=lambda e: e[1])


def _conflicts_in(work: Path, rel: str) -> list[Conflict]:
    if rel.endswith(".rej"):  # a hunk copier could not place even with a three-way merge
        return [Conflict(rel, 1)]
    try:
        text = (work / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [Conflict(rel, 1)]
    found = [
        Conflict(rel, number)
        for number, line in enumerate(text.splitlines(), 1)
        if line.rstrip() == _CONFLICT_START
    ]
    return found or [Conflict(rel, 1)]


def _report(result: UpdateResult, output: Output) -> None:
    where = shown(result.path)
    verb = "would update" if result.dry_run else "update"
    output.status(verb, f"{where} from template {result.from_version} to {result.to_version}")
    conflicted = {c.path for c in result.conflicts}
    for change, rel in result.changes:
        output.status("conflict" if rel in conflicted else change, rel)
    for conflict in result.conflicts:
        if result.dry_run:
            output.problem(
                f"{conflict}: would conflict: your edit and the template's change touch the "
                "same lines"
            )
        else:
            output.problem(
                f"{conflict}: your edit and the template's change touch the same lines; keep "
                "what you want between the <<<<<<< and >>>>>>> markers and delete the markers"
            )
    if any(change == "delete" for change, _ in result.changes):
        output.status(
            "note",
            "the template no longer has the deleted files; if you had edited one, "
            "git checkout HEAD -- PATH brings your version back",
        )
    if result.dry_run:
        if result.diff:
            output.data(result.diff.rstrip("\n"))
        output.status("dry-run", "nothing was changed; run without --dry-run to apply")
    elif result.conflicts:
        output.status(
            "next", "resolve the conflicts, then: git add -A && git commit -m 'Update template'"
        )
    elif result.changes:
        output.status("next", "review with git diff, then: git add -A && git commit")
