"""`dsprod update`: bring the changes of a newer template into a project, keeping local edits.

Copier does the three-way update: it renders the template version the project was made from
and the version this dsprod ships, and merges the difference into the project; where a local
edit and a template change touch the same lines it leaves standard conflict markers. dsprod
adds what makes that safe to run:

- the versions are found on any machine (`_history`);
- the refusals come before anything is touched (no git, a dirty tree, no answers file, a
  downgrade: `_update_checks`);
- the update never runs in the project: copier runs in a clone inside the repository's git
  folder, and the finished result is brought in as one journalled step (`_bring_in`), so a
  kill at any moment, `kill -9` included, leaves the project as committed or fully updated
  (after a `kill -9` while the result is being brought in, the next `dsprod update` finishes
  it). Ctrl-C, SIGTERM and SIGHUP are handled alike (`_interrupt`);
- what copier would drop silently is kept: a gitignored file it renders, a file the project
  deleted, an edit in a file the new version deletes or renames (`_in_clone`, `_dropped`);
- `--dry-run` is the same run without the last step, and shows its diff.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dsprod._fs import project_lock
from dsprod._git import git, require_git
from dsprod._interrupt import as_keyboard_interrupt, deferred, received
from dsprod._output import Output, shown
from dsprod.errors import Flag, Step, TemplateError, UserError
from dsprod.scaffold._bring_in import Journal, Workspace, changes_between, workspace_for
from dsprod.scaffold._bring_in import conflict_index as _conflict_index
from dsprod.scaffold._choices import deleted_choices
from dsprod.scaffold._history import TemplateSource, materialise, version_of_tag
from dsprod.scaffold._in_clone import outcome, run_copier
from dsprod.scaffold._template import Template, find_template
from dsprod.scaffold._update_checks import check_clean, check_versions, locate, read_answers
from dsprod.scaffold._update_report import report
from dsprod.scaffold._update_result import Conflict, UpdateResult

__all__ = ["Conflict", "UpdateResult", "update_project"]

_UNTOUCHED = "nothing was changed: the project is as it was committed"


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
    With `dry_run`, the project is not touched (nor need it be committed): the result carries
    the diff of the update of its last commit.
    """
    output = output or Output()
    template = template or find_template()
    data = dict(data or {})
    require_git()
    project, root = locate(Path(path))
    with _locked(project, root, output):
        return _run(project, root, template, data, output, dry_run=dry_run)


@contextlib.contextmanager
def _locked(project: Path, root: Path, output: Output) -> Iterator[None]:
    """Hold the project's lock (the one extract takes) and the repository's (its update
    workspace, .git/dsprod-update, is one per repository) for the whole update, dry runs
    included: they use the workspace too. A second update refuses at once; it does not wait
    to start from a tree the first is changing."""
    # In a monorepo the workspace is shared: an update of another project holds it too.
    where = shown(project) if root == project else f"{shown(project)}, or its repository"
    busy = UserError(
        f"another dsprod is changing {where} (an update, or an extract, is running): "
        "nothing was changed",
        hint="wait for it to finish, then run dsprod update again",
    )
    with contextlib.ExitStack() as locks:
        for folder in dict.fromkeys((root, project)):
            locks.enter_context(project_lock(folder, output, busy=busy))
        yield


def _run(
    project: Path,
    root: Path,
    template: Template,
    data: dict[str, str],
    output: Output,
    *,
    dry_run: bool,
) -> UpdateResult:
    workspace = workspace_for(root)
    journal = workspace.pending()
    if journal is not None:
        return _finish(workspace, journal, project, output, dry_run=dry_run)
    with as_keyboard_interrupt():
        try:
            start, source, dirty = _ready(project, template, data, output, dry_run=dry_run)
        except KeyboardInterrupt:
            _say(output, f"interrupted before the update started: {_UNTOUCHED}")
            raise
        if start == source.ref and not data:
            output.status("identical", f"{shown(project)} is on template {source.version} already")
            return UpdateResult(project, version_of_tag(start), source.version, dry_run=dry_run)
        return _update(
            workspace, project, start, source, template, data, output, dry_run=dry_run, dirty=dirty
        )


def _ready(
    project: Path, template: Template, data: dict[str, str], output: Output, *, dry_run: bool
) -> tuple[str, TemplateSource, bool]:
    """The checks before anything is done, and the answers the project's deletions give
    (added to `data`): the version to start from, the template's, and whether the tree is
    dirty (a refusal, except for --dry-run)."""
    answers = read_answers(project)
    template.check_answers(data)
    dirty = False
    try:
        check_clean(project)
    except UserError:
        if not dry_run:
            raise
        dirty = True  # --dry-run writes nothing: it may show the update of the last commit
    source = materialise(template)
    start = check_versions(project, answers, source, template)
    for name, files in deleted_choices(project, answers, source, start, data).items():
        data[name] = "false"
        output.status("record", f"{name}=false (you deleted {', '.join(files)})")
    return start, source, dirty


def _update(
    workspace: Workspace,
    project: Path,
    start: str,
    source: TemplateSource,
    template: Template,
    data: Mapping[str, str],
    output: Output,
    *,
    dry_run: bool,
    dirty: bool,
) -> UpdateResult:
    root = workspace.root
    prefix = project.relative_to(root).as_posix()
    head = git("rev-parse", "HEAD", cwd=root).strip()
    try:
        workspace.start(head)
        work = workspace.clone / prefix
        old = run_copier(work, workspace.clone, source, template, data)
        done = outcome(work, workspace.clone, project, old)
        diff = _diff(workspace.clone, prefix) if dry_run else ""
        result = UpdateResult(
            project,
            version_of_tag(start),
            source.version,
            done.changes,
            tuple(Conflict(*c) for c in done.conflicts),
            diff,
            dry_run,
            read_answers(work),
            done.kept,
            dict(data),
            dirty,
            done.watched,
        )
        if dry_run:
            report(result, output)
            return result
        check_clean(project)  # nothing was edited while the update ran
        journal = Journal(
            prefix,
            head,
            changes_between(work, project, done.paths),
            _conflict_index(workspace.clone, root),
            _as_record(result),
        )
    except KeyboardInterrupt:
        _discard(workspace)
        _say(output, f"interrupted before the update was brought in: {_UNTOUCHED}")
        raise
    except OSError as exc:  # a full disk, a folder that cannot be written
        _discard(workspace)
        if received():
            _say(output, f"interrupted before the update was brought in: {_UNTOUCHED}")
            raise KeyboardInterrupt from exc
        raise TemplateError(
            f"the update failed: {exc}",
            hint=f"{_UNTOUCHED}; fix the cause (free disk space, make the folder writable), "
            "then dsprod update",
        ) from exc
    except BaseException as exc:
        _discard(workspace)
        if received():  # a Ctrl-C that copier reported as the failure of a git it ran
            _say(output, f"interrupted before the update was brought in: {_UNTOUCHED}")
            raise KeyboardInterrupt from exc
        raise
    finally:
        if dry_run:
            _discard(workspace)
    _bring_in(workspace, journal, result, output)
    report(result, output)
    return result


def _bring_in(workspace: Workspace, journal: Journal, result: UpdateResult, output: Output) -> None:
    committed = False
    try:
        with deferred():
            try:
                workspace.commit(journal)
            except OSError as exc:  # the journal could not be written: nothing was
                _discard(workspace)
                raise TemplateError(
                    f"the update failed: {exc}",
                    hint=f"{_UNTOUCHED}; fix the cause (free disk space, make the folder "
                    "writable), then dsprod update",
                ) from exc
            committed = True
            try:
                workspace.apply(journal)
            except (OSError, TemplateError) as exc:
                _roll_back(workspace, journal, exc)
    except KeyboardInterrupt:  # held back until now
        if not committed:
            _discard(workspace)
            _say(output, f"interrupted before the update was brought in: {_UNTOUCHED}")
        else:
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                report(result, output)
            _say(output, "interrupted after the update was brought in: the project is fully "
                 "updated; review with git diff, then commit")  # fmt: skip
        raise


def _roll_back(workspace: Workspace, journal: Journal, exc: Exception) -> None:
    try:
        workspace.roll_back(journal)
    except (OSError, TemplateError):
        raise TemplateError(
            f"the update failed while it was brought into the project: {exc}; putting the "
            "project back failed too",
            hint="fix the cause (free disk space, make the folder writable), then dsprod "
            "update: it finishes the update",
        ) from exc
    raise TemplateError(
        f"the update failed while it was brought into the project: {exc}",
        hint="the project is back as it was committed; fix the cause (free disk space, make "
        "the folder writable), then dsprod update",
    ) from exc


def _finish(
    workspace: Workspace, journal: Journal, project: Path, output: Output, *, dry_run: bool
) -> UpdateResult:
    """Finish the update a `kill -9` stopped while it was brought in."""
    files = ", ".join(c.path for c in journal.files[:5]) or "(none)"
    if dry_run:
        raise UserError(
            f"an update of {shown(project)} was interrupted while it was brought in (files "
            f"{files}); it must be finished before another can be shown",
            hint=Step("dsprod update (without ", Flag("dry_run"), ") finishes it"),
        )
    head = git("rev-parse", "HEAD", cwd=workspace.root).strip()
    changed = workspace.unfinished(journal)
    if head != journal.head or changed:
        moved = "new commits" if head != journal.head else f"edits in {', '.join(changed[:5])}"
        raise UserError(
            f"an update of {shown(project)} was interrupted while it was brought in, and the "
            f"project has changed since ({moved}): finishing it would overwrite that",
            hint=f"drop it: rm -r {workspace.folder} && git checkout {journal.head[:12]} -- "
            f"{files} (check git status), then dsprod update",
        )
    output.status("finish", "the update that was interrupted while it was brought in")
    try:
        with deferred():
            workspace.apply(journal)
    except (OSError, TemplateError) as exc:
        raise TemplateError(
            f"finishing the interrupted update failed: {exc}",
            hint="fix the cause (free disk space, make the folder writable), then dsprod "
            "update again: it goes on where it stopped",
        ) from exc
    result = _from_record(project, journal.report)
    report(result, output)
    return result


def _diff(clone: Path, prefix: str) -> str:
    scope = ["--", prefix] if prefix != "." else []
    # Intent-to-add: new files appear in the diff (this is the clone's index, not yours).
    git("add", "--all", "--intent-to-add", *scope, cwd=clone)
    return git("diff", "--no-color", "--find-renames", "HEAD", *scope, cwd=clone)


def _discard(workspace: Workspace) -> None:
    with contextlib.suppress(OSError, TemplateError):
        workspace.discard()


def _say(output: Output, text: str) -> None:
    # After SIGHUP the terminal may be gone: the state of the project matters, not the message.
    with contextlib.suppress(OSError):
        output.problem(text)


def _as_record(result: UpdateResult) -> dict[str, Any]:
    return {
        "from": result.from_version,
        "to": result.to_version,
        "changes": [list(c) for c in result.changes],
        "conflicts": [[c.path, c.line, c.kind] for c in result.conflicts],
        "kept": [list(k) for k in result.kept],
        "changed_answers": dict(result.changed_answers),
        "watched": result.watched,
    }


def _from_record(project: Path, record: Mapping[str, Any]) -> UpdateResult:
    return UpdateResult(
        project,
        record["from"],
        record["to"],
        tuple((verb, rel) for verb, rel in record["changes"]),
        tuple(Conflict(path, line, kind) for path, line, kind in record["conflicts"]),
        answers=read_answers(project),
        kept=tuple((rel, why) for rel, why in record["kept"]),
        changed_answers=record["changed_answers"],
        watched=record["watched"],
    )
