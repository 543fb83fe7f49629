"""Every version of the template, reachable by its tag on any machine where dsprod is installed.

Copier updates a project by rendering both the template version the project was made from
and the new one, then merging the difference into the project. So the old version must still
exist after dsprod is upgraded (the old wheel's template folder is gone) and on a machine
that never had it. Copier finds versions as git tags, so:

- Releases: `template-history.bundle` (in the wheel: `dsprod/_template-history.bundle`) is a
  git bundle holding each released template as a tag `vX.Y.Z`; `nox -s release_template`
  adds the current `template/` as the tag of the current version. Each dsprod release thus
  carries every earlier template. A bundle is one file, needs no network, and git reads it.
- Each machine: before rendering, dsprod materialises a per-user repository at
  `~/.local/share/dsprod/template` and fetches the bundle's tags into it. Tags are only
  added, never removed, so the repository is also a cache that `rm -r` cannot break: the
  next command makes it again from the bundle.
- The version rendered is the template folder this dsprod ships. When its files are those
  of the tag `v<dsprod version>`, that tag. Otherwise (a development checkout, a change not
  released yet) a tag `v<version>+dev.<tree>` on a commit with a fixed author and date, so
  that every machine with the same dsprod makes the same commit under the same name.
- Projects record the source as `~/.local/share/dsprod/template`, with the `~`: copier
  expands it, so it names the right folder under any user's HOME.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dsprod._git import GitError, git
from dsprod._output import shown
from dsprod.errors import TemplateError
from dsprod.scaffold._template import BUNDLE_NAME, Template

__all__ = [
    "BUNDLE_NAME",
    "SOURCE",
    "TemplateSource",
    "materialise",
    "release",
    "tag_for",
    "version_of_tag",
]

SOURCE = "~/.local/share/dsprod/template"
# Commits dsprod makes for a template that is not released: the same everywhere, so that the
# tag recorded in a project resolves on every machine with the same dsprod.
_IDENTITY = {
    "GIT_AUTHOR_NAME": "dsprod",
    "GIT_AUTHOR_EMAIL": "dsprod@localhost",
    "GIT_COMMITTER_NAME": "dsprod",
    "GIT_COMMITTER_EMAIL": "dsprod@localhost",
}
_FIXED_IDENTITY = {
    **_IDENTITY,
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}


# Files a Python run or a desktop may leave in a template folder (copier.yml excludes them too):
# not part of the template's version.
_NOT_TEMPLATE = (
    ":(exclude,glob)**/__pycache__/**",
    ":(exclude,glob)**/*.py[co]",
    ":(exclude,glob)**/.DS_Store",
)


@dataclass(frozen=True)
class TemplateSource:
    url: str  # as recorded in a project's answers file (`~` kept)
    path: Path  # the repository on this machine
    ref: str  # the tag of the template version this dsprod renders

    @property
    def version(self) -> str:
        return version_of_tag(self.ref)


def tag_for(version: str) -> str:
    return f"v{version}"


def version_of_tag(tag: str) -> str:
    return tag.removeprefix("v")


def materialise(template: Template) -> TemplateSource:
    """Bring the per-user template repository up to date with this dsprod; return where it is
    and which tag is this dsprod's template."""
    repo = Path(SOURCE).expanduser()
    try:
        return _materialise(template, repo)
    except (OSError, GitError) as exc:
        # A cache: whatever state it is in (half-made, read-only, not a repository), removing
        # it is the cure, as the next command makes it again from the bundle.
        raise TemplateError(
            f"dsprod's template history at {SOURCE} cannot be used: {exc}",
            hint=f"rm -rf {SOURCE} (a cache: dsprod makes it again), then run the command again",
        ) from exc


def _materialise(template: Template, repo: Path) -> TemplateSource:
    bundle, version = template.history, template.version
    _ensure_repository(repo)
    tags = _tags(repo)
    if bundle is not None and bundle.is_file():
        shipped = _bundle_tags(bundle)
        stale = sorted(tag for tag, commit in shipped.items() if tags.get(tag) != commit)
        if stale:
            # `+`: a released tag is the bundle's, even if this cache holds another commit
            # under that name (a development build of the same version, say).
            refspecs = [f"+refs/tags/{tag}:refs/tags/{tag}" for tag in stale]
            _in(repo, "fetch", "--quiet", "--no-tags", bundle, *refspecs)
            tags.update({tag: shipped[tag] for tag in stale})
    tree = _tree_of(template.path, repo)
    released = tag_for(version)
    if released in tags and _tree_of_commit(repo, released) == tree:
        return TemplateSource(SOURCE, repo, released)
    ref = tag_for(f"{version}+dev.{tree[:12]}")
    if ref not in tags:
        commit = _in(
            repo,
            "commit-tree",
            "--no-gpg-sign",
            tree,
            "-m",
            f"dsprod template {version} (not released; files {tree[:12]})",
            env=_FIXED_IDENTITY,
        ).strip()
        # update-ref, not `git tag`: a second dsprod making the same tag at the same time
        # makes the same commit, and setting a ref to what it already is succeeds.
        _in(repo, "update-ref", f"refs/tags/{ref}", commit)
    return TemplateSource(SOURCE, repo, ref)


def release(template_dir: Path, bundle: Path, version: str) -> str:
    """Add `template_dir` to `bundle` as the tag of `version` (the release step); return the tag.

    Refuses a version that is already released with other files: a released version never
    changes, since projects made from it rely on re-rendering it exactly.
    """
    tag = tag_for(version)
    with tempfile.TemporaryDirectory(prefix="dsprod-release-") as scratch:
        repo = Path(scratch) / "history"
        git("init", "--quiet", repo)
        if bundle.is_file():
            _in(repo, "fetch", "--quiet", "--no-tags", bundle, "+refs/tags/*:refs/tags/*")
        tags = _tags(repo)
        tree = _tree_of(template_dir, repo)
        if tag in tags:
            if _tree_of_commit(repo, tag) == tree:
                return tag
            raise TemplateError(
                f"template version {version} is already released with other files",
                hint="raise __version__ in cli/dsprod/__init__.py, then release again",
            )
        parents: list[str] = []
        if tags:
            from packaging.version import InvalidVersion, Version

            def order(name: str) -> Version:
                try:
                    return Version(version_of_tag(name))
                except InvalidVersion:
                    return Version("0")

            parents = ["-p", tags[max(tags, key=order)]]
        message = f"dsprod template {version}"
        commit = _in(
            repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", message, env=_IDENTITY
        ).strip()
        _in(repo, "update-ref", f"refs/tags/{tag}", commit)
        written = Path(scratch) / BUNDLE_NAME
        _in(repo, "bundle", "create", "--quiet", written, "--tags")
        # Moved into place whole: a half-written bundle would lose every earlier release.
        partial = bundle.with_name(bundle.name + ".tmp")
        shutil.copyfile(written, partial)
        partial.replace(bundle)
    return tag


def _ensure_repository(repo: Path) -> None:
    if (repo / ".git").is_dir():
        return
    try:
        repo.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=repo.parent, prefix=".template-"))
    except OSError as exc:
        raise TemplateError(
            f"cannot create dsprod's template repository in {shown(repo.parent)}: {exc}",
            hint="make that folder writable (dsprod keeps its template versions there)",
        ) from exc
    try:
        git("init", "--quiet", staging)
        staging.rename(repo)  # whole, or not at all
    except OSError:
        if not (repo / ".git").is_dir():  # another dsprod did not just make it
            raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)


def _tags(repo: Path) -> dict[str, str]:
    out = _in(repo, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags")
    tags: dict[str, str] = {}
    for line in out.splitlines():
        name, _, commit = line.partition(" ")
        tags[name] = commit
    return tags


def _bundle_tags(bundle: Path) -> dict[str, str]:
    out = git("bundle", "list-heads", bundle.resolve())
    heads: dict[str, str] = {}
    for line in out.splitlines():
        commit, _, ref = line.partition(" ")
        if ref.startswith("refs/tags/"):
            heads[ref.removeprefix("refs/tags/")] = commit
    return heads


def _in(repo: Path, *args: str | Path, env: dict[str, str] | None = None) -> str:
    """git in the template repository `repo`, and only there: with GIT_DIR given, git never
    looks above it, so a broken cache cannot send it into an enclosing repository (a HOME
    under git)."""
    return git(*args, cwd=repo, env={**(env or {}), "GIT_DIR": str(repo / ".git")})


# The same files must give the same tree on every machine: no user attributes or filters.
_PLAIN_FILES = ("-c", "core.attributesFile=/dev/null", "-c", "core.autocrlf=false")


def _tree_of(folder: Path, repo: Path) -> str:
    """The git tree of `folder`'s files, written into `repo`'s object store."""
    with tempfile.TemporaryDirectory(prefix="dsprod-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        where = (*_PLAIN_FILES, "--git-dir", repo / ".git", "--work-tree", folder)
        # --force: the template's own .gitignore (a file it renders) must not hide its files.
        git(*where, "add", "--all", "--force", "--", ".", *_NOT_TEMPLATE, cwd=folder, env=env)
        return git(*where, "write-tree", cwd=folder, env=env).strip()


def _tree_of_commit(repo: Path, ref: str) -> str:
    return _in(repo, "rev-parse", f"refs/tags/{ref}^{{tree}}").strip()
