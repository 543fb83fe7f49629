"""The update itself, run by copier in the clone (`_bring_in.Workspace.clone`), and what it
changed there: the files to bring into the project, the conflicts, and what is kept."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dsprod._git import git
from dsprod.errors import TemplateError
from dsprod.scaffold._dropped import OldRender, carried, watch
from dsprod.scaffold._history import TemplateSource
from dsprod.scaffold._jinja_cache import shared_compilation
from dsprod.scaffold._template import Template
from dsprod.scaffold._version_pins import settle_pins

__all__ = ["Outcome", "outcome", "run_copier"]

# The marker `git merge-file` writes first, with the label copier gives the project's side.
CONFLICT_START = "<<<<<<< before updating"
IGNORED = "ignored by git: your copy is kept"
DELETED = "you deleted it: it stays deleted"


@dataclass(frozen=True)
class Outcome:
    # (verb, path relative to the project): "update", "create", "delete".
    changes: tuple[tuple[str, str], ...]
    # (path, line of the first marker, kind): "lines" (markers in the file) or "deleted" (an
    # edited file the new version no longer has, kept as a conflict).
    conflicts: tuple[tuple[str, int, str], ...]
    kept: tuple[tuple[str, str], ...]  # (path, why the update leaves it as it is)
    paths: tuple[str, ...]  # every path to bring in (written or deleted)
    watched: bool  # whether edits in deleted files could be told apart


def run_copier(
    work: Path, clone: Path, source: TemplateSource, template: Template, data: Mapping[str, str]
) -> OldRender:
    """Run copier's update in the clone (`work`: the project's folder in it).

    Copier's own temporary folders (template clones, the old and new renders) go next to the
    clone, so that a `kill -9` leaves nothing outside it, and the next run removes it all."""
    import copier
    from copier.errors import CopierError

    from dsprod.notebook._manifest import load_manifest

    # The modules `dsprod extract` wrote are the project's: a template file of the same name
    # must not overwrite them (the template's own list is in copier.yml, _skip_if_exists).
    extracted = sorted(load_manifest(work).modules)
    owned = _matcher([*template.skip_if_exists, *extracted])
    try:
        with watch(clone) as old, shared_compilation(), _temporary_files(clone.parent / "tmp"):
            copier.run_update(
                work,
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
            hint="nothing was changed: the project is as it was committed; fix the cause, "
            "then dsprod update",
        ) from exc
    # Copier deletes what the new version no longer renders, skip-if-exists or not: a file the
    # project owns (a notebook, an extracted module) comes back from the commit.
    prefix = work.relative_to(clone)
    for rel in git("ls-files", "--deleted", "--", ".", cwd=work).splitlines():
        if owned(rel):
            git("checkout", "--quiet", "HEAD", "--", rel, cwd=work)
            old.edited.pop((prefix / rel).as_posix(), None)
    _keep_edited_deletions(old, clone)
    settle_pins(clone)
    return old


@contextlib.contextmanager
def _temporary_files(folder: Path) -> Iterator[None]:
    folder.mkdir(exist_ok=True)
    previous, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def _keep_edited_deletions(old: OldRender, clone: Path) -> None:
    """A file the new version no longer has, which the project had edited, stays as a
    conflict ("deleted by them", as git says): the project's version in the file, the old
    render and the project's version in the index. Unless a migration carried the edits into
    a file of the new version (a rename)."""
    created = [
        name
        for line in git("status", "--porcelain", "--untracked-files=all", cwd=clone).splitlines()
        if line[:2] in ("??", "A ") and (name := line[3:])
    ]
    texts = [_text(clone / name) for name in created]
    lines = []
    for rel, blob in sorted(old.edited.items()):
        try:
            ours = git("show", f"HEAD:./{rel}", cwd=clone)
            base = git("cat-file", "blob", blob, cwd=clone)
        except UnicodeDecodeError:  # not text: no lines to look for elsewhere
            ours = base = ""
        if ours and carried(ours, base, texts):
            continue
        git("checkout", "--quiet", "HEAD", "--", rel, cwd=clone)
        mode, head_blob = git("ls-files", "--stage", "--", rel, cwd=clone).split()[:2]
        lines += [f"0 {'0' * 40}\t{rel}", f"{mode} {blob} 1\t{rel}", f"{mode} {head_blob} 2\t{rel}"]
    if lines:
        git("update-index", "--index-info", cwd=clone, stdin="".join(f"{x}\n" for x in lines))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def outcome(work: Path, clone: Path, project: Path, old: OldRender) -> Outcome:
    """What the update changed in the clone, and what of it comes into the project."""
    prefix = work.relative_to(clone).as_posix()
    scope = ["--", prefix] if prefix != "." else []
    changes: list[tuple[str, str]] = []
    kept: list[tuple[str, str]] = []
    for verb, name in _status(clone, scope):
        rel = name if prefix == "." else name.removeprefix(prefix + "/")
        if verb == "create" and os.path.lexists(project / rel):
            # The project has a file the clone had not: one git ignores (the tree is clean).
            # Copier would render over it, and the project's content is in no commit.
            kept.append((rel, IGNORED))
            (work / rel).unlink()
        elif verb == "create" and name in old.files:
            # The old version had it and the project has not: the project deleted it.
            kept.append((rel, DELETED))
            (work / rel).unlink()
        else:
            changes.append((verb, rel))
    # A file of the old version that git ignores in the project is not in the clone, so copier
    # took it for one the project deleted and left it alone: the project's copy stays.
    inside = "" if prefix == "." else prefix + "/"
    kept_paths = {rel for rel, _ in kept} | {rel for _, rel in changes}
    for name in sorted(old.files):
        rel = name.removeprefix(inside)
        if (
            name.startswith(inside)
            and rel not in kept_paths
            and not os.path.lexists(clone / name)
            and os.path.lexists(project / rel)
        ):
            kept.append((rel, IGNORED))
    unmerged: dict[str, str] = {}
    for line in git("ls-files", "--unmerged", "--", ".", cwd=work).splitlines():
        meta, rel = line.split("\t", 1)
        unmerged.setdefault(rel, "lines")
        if meta.split()[2] == "1" and (f"{prefix}/{rel}" if prefix != "." else rel) in old.edited:
            unmerged[rel] = "deleted"
    rejected = {rel for verb, rel in changes if verb == "create" and rel.endswith(".rej")}
    conflicts = [
        (rel, line, unmerged.get(rel, "lines"))
        for rel in sorted(set(unmerged) | rejected)
        for line in _conflict_lines(work, rel, unmerged.get(rel, "lines"))
    ]
    listed = {rel for _, rel in changes}
    changes += [("conflict", rel) for rel, kind in unmerged.items() if kind == "deleted"]
    return Outcome(
        tuple(sorted(changes, key=lambda c: c[1])),
        tuple(conflicts),
        tuple(sorted(kept)),
        tuple(sorted(listed)),
        old.watched,
    )


_VERBS = {"M": "update", "T": "update", "A": "create", "?": "create", "D": "delete", "R": "rename"}


def _status(root: Path, scope: list[str]) -> list[tuple[str, str]]:
    out = git("status", "--porcelain", "-z", "--untracked-files=all", "--ignored", *scope, cwd=root)
    entries: list[tuple[str, str]] = []
    fields = iter(out.split("\0"))
    for item in fields:
        if not item:
            continue
        code, name = item[:2], item[3:]
        letter = code[0] if code[0] not in " ?!" else code[1]
        if code in ("??", "!!"):
            letter = "?"
        if letter in "RC":
            next(fields, None)  # -z gives a rename's old name as the next field
        if code == "UD":  # an edited file the new version deleted, kept: it stays as it is
            continue
        entries.append((_VERBS.get(letter, "update"), name))
    return sorted(entries, key=lambda e: e[1])


def _conflict_lines(work: Path, rel: str, kind: str) -> list[int]:
    if rel.endswith(".rej") or kind == "deleted":
        return [1]
    try:
        text = (work / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [1]
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip() == CONFLICT_START]
    return found or [1]


def _matcher(patterns: list[str]) -> Callable[[str], bool]:
    from packaging.version import Version
    from pathspec import PathSpec
    from pathspec import __version__ as pathspec_version

    # pathspec 1.0 renamed its gitignore-style patterns.
    style = "gitignore" if Version(pathspec_version) >= Version("1.0.0") else "gitwildmatch"
    spec = PathSpec.from_lines(style, patterns)
    return spec.match_file
