"""The refusals of `dsprod update`: everything checked before the project is touched."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dsprod._git import git, toplevel
from dsprod._output import shown
from dsprod._project import ANSWERS_FILE
from dsprod.errors import UserError
from dsprod.scaffold._history import SOURCE, TemplateSource, tag_for, version_of_tag
from dsprod.scaffold._template import Template

__all__ = ["check_clean", "check_versions", "has_tag", "locate", "read_answers"]


def locate(path: Path) -> tuple[Path, Path]:
    """The project folder (with the answers file) and the root of its git work tree."""
    project = path.expanduser().resolve()
    if not project.is_dir():
        raise UserError(
            f"{shown(project)} is not a folder",
            hint="run dsprod update in a project made by dsprod new, or give its path",
        )
    if not (project / ANSWERS_FILE).is_file():
        raise UserError(
            f"{shown(project)} has no {ANSWERS_FILE}: it was not made by dsprod new (or the "
            "file was removed), so there is no template version to update from",
            hint="run dsprod update in the project's root folder, where dsprod new wrote "
            f"{ANSWERS_FILE}",
        )
    root = toplevel(project)
    if root is None:
        raise UserError(
            f"{shown(project)} is not in a git repository: the update merges template changes "
            "with your edits through git",
            hint=f"cd {shlex.quote(shown(project))} && git init && git add -A && "
            "git commit -m 'Project as generated', then dsprod update",
        )
    # The repository found must be the project's: one that ignores it (a dotfiles repository
    # in HOME, say) cannot restore its files, nor tell an edit from a template change.
    tracked = git("ls-files", "--", ANSWERS_FILE, cwd=project).strip()
    if not tracked:
        raise UserError(
            f"the project's files are not committed in the git repository at {shown(root)} "
            f"({ANSWERS_FILE} is not tracked there; is the project ignored by it?)",
            hint=f"cd {shlex.quote(shown(project))} && git init && git add -A && "
            "git commit -m 'Project as generated', then dsprod update",
        )
    return project, root


def read_answers(project: Path) -> dict[str, Any]:
    import yaml  # copier's dependency

    where = project / ANSWERS_FILE
    try:
        loaded = yaml.safe_load(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(
            f"{shown(where)} cannot be read: {exc}",
            hint=f"restore it from git: git checkout -- {ANSWERS_FILE}",
        ) from exc
    if not isinstance(loaded, dict):
        raise UserError(
            f"{shown(where)} is not a mapping of answers",
            hint=f"restore it from git: git checkout -- {ANSWERS_FILE}",
        )
    return loaded


def check_clean(project: Path) -> None:
    # --no-optional-locks: a check must not rewrite the index (git refreshes it otherwise).
    status = git(
        "--no-optional-locks", "status", "--porcelain", "--untracked-files=all", "--", ".",
        cwd=project,
    ).splitlines()  # fmt: skip
    # Files git is told not to look at (skip-worktree, assume-unchanged) may hold edits that
    # status does not show and the update would overwrite.
    hidden = [
        line[2:]
        for line in git("ls-files", "-v", "--", ".", cwd=project).splitlines()
        if line[:1] == "S" or line[:1].islower()
    ]
    if hidden:
        raise UserError(
            f"git is told not to look at {', '.join(hidden[:5])} (skip-worktree or "
            "assume-unchanged): edits there would be overwritten unseen",
            hint=f"git update-index --no-skip-worktree --no-assume-unchanged {hidden[0]}, "
            "commit or stash what it holds, then dsprod update",
        )
    if status:
        shown_files = ", ".join(line[3:] for line in status[:5])
        more = f" and {len(status) - 5} more" if len(status) > 5 else ""
        raise UserError(
            f"{shown(project)} has changes that are not committed ({shown_files}{more}): the "
            "update must be separable from your own work",
            hint="commit them (git add -A && git commit) or put them aside (git stash -u), "
            "then dsprod update",
        )


def check_versions(
    project: Path, answers: Mapping[str, Any], source: TemplateSource, template: Template
) -> str:
    """The tag the project was made from, once it is known to be one this update can start
    from; refusals otherwise."""
    from packaging.version import InvalidVersion, Version

    start = _recorded_start(project, answers, source)
    try:
        old, new = Version(version_of_tag(start)), Version(source.version)
    except InvalidVersion as exc:
        raise UserError(
            f"{shown(project / ANSWERS_FILE)} records the template version {start!r}, which "
            "is not a version",
            hint=_fix_commit(project, source, answers.get("template_version")),
        ) from exc
    if Version(old.public) > Version(new.public):
        raise UserError(
            f"the project is on template {version_of_tag(start)}, newer than the template "
            f"{source.version} of this dsprod ({template.version}): an update would be a downgrade",
            hint="upgrade dsprod (pip install -U dsprod), then dsprod update",
        )
    if not has_tag(source, start) and "+dev." in start:
        raise UserError(
            f"the project was made by a dsprod build that was not released (template "
            f"{version_of_tag(start)}); no release knows that version",
            hint=_fix_dev_build(start, source),
        )
    if not has_tag(source, start):
        raise UserError(
            f"the template version the project was made from ({version_of_tag(start)}) is not "
            "in this dsprod's template history: it came from a dsprod build that was not "
            "released",
            hint="run dsprod update with the dsprod that made the project, or a release of "
            "dsprod newer than it",
        )
    return start


def _recorded_start(project: Path, answers: Mapping[str, Any], source: TemplateSource) -> str:
    where = shown(project / ANSWERS_FILE)
    recorded_source = answers.get("_src_path")
    start = answers.get("_commit")
    made_by = answers.get("template_version")
    if "_commit" not in answers and made_by and has_tag(source, tag_for(str(made_by))):
        # dsprod 0.1.0 did not record where its template's versions are; the history has
        # that version, so two lines (committed, as the update needs a clean tree) fix it.
        raise UserError(
            f"{where} does not record where template {made_by} is (a project made by dsprod 0.1.0)",
            hint=f"in {ANSWERS_FILE}, replace the _src_path line with these two, commit, and "
            "run dsprod update again:\n"
            f"    _commit: {tag_for(str(made_by))}\n    _src_path: {SOURCE}",
        )
    if recorded_source == SOURCE and not (isinstance(start, str) and start.strip()):
        raise UserError(
            f"{where} has an empty _commit: the template version the project is on is not recorded",
            hint=_fix_commit(project, source, made_by),
        )
    if recorded_source != SOURCE or not isinstance(start, str):
        raise UserError(
            f"{where} records no template version dsprod can find (source "
            f"{recorded_source!r}, version {start!r}); the project was made by dsprod "
            f"{made_by or '(unknown version)'} without git, or from another template",
            hint="dsprod update needs a project made by dsprod new with git installed; for "
            "another template use copier update",
        )
    if not start.startswith("v") and not has_tag(source, start) and has_tag(source, f"v{start}"):
        raise UserError(
            f"{where} records `_commit: {start}`, which is not a tag of the template history",
            hint=f"did you mean v{start}? In {ANSWERS_FILE}, set `_commit: v{start}`, commit, "
            "and run dsprod update",
        )
    return start


def _fix_commit(project: Path, source: TemplateSource, made_by: object) -> str:
    """How to record the version again: the last one in the answers file's git history."""
    log = git("log", "--format=", "-p", "--", ANSWERS_FILE, cwd=project, check=False)
    for line in log.splitlines():
        if line.startswith(("+_commit:", "-_commit:")):
            value = line.split(":", 1)[1].strip().strip("'\"")
            if value and has_tag(source, value):
                return (
                    f"its git history (git log -p -- {ANSWERS_FILE}) last recorded {value}: "
                    f"set `_commit: {value}` in {ANSWERS_FILE}, commit, and run dsprod update"
                )
    if made_by and has_tag(source, tag_for(str(made_by))):
        tag = tag_for(str(made_by))
        return (
            f"it records template_version {made_by}: set `_commit: {tag}` in {ANSWERS_FILE}, "
            "commit, and run dsprod update"
        )
    return (
        f"set `_commit:` in {ANSWERS_FILE} to the release the project was made from (a tag "
        f"such as v1.0.0; git -C {SOURCE} tag lists them), commit, and run dsprod update"
    )


def _fix_dev_build(start: str, source: TemplateSource) -> str:
    """A development build's tag names its files' tree: a release with the same files is the
    version to record; otherwise the release the build's version number names."""
    from packaging.version import Version

    tree = start.rsplit("+dev.", 1)[1]
    listed = git(
        "for-each-ref", "--format=%(refname:strip=2) %(tree)", "refs/tags", cwd=source.path
    )
    for line in listed.splitlines():
        tag, _, tag_tree = line.partition(" ")
        if "+dev." not in tag and tree and tag_tree.startswith(tree):
            return (
                f"its files are those of release {tag}: in {ANSWERS_FILE}, set `_commit: "
                f"{tag}`, commit, and run dsprod update"
            )
    public = tag_for(str(Version(version_of_tag(start)).public))
    return (
        f"in {ANSWERS_FILE}, set `_commit: {public}`, commit, and run dsprod update: what "
        "that build changed then shows as your own edits"
    )


def has_tag(source: TemplateSource, tag: str) -> bool:
    return bool(git("tag", "--list", tag, cwd=source.path).strip())
