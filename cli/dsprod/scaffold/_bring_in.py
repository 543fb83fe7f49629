"""Bringing a finished update into the project: all of it, or, after a `kill -9`, the rest of
it on the next run.

The update is prepared in full in a clone inside the repository's git folder
(`.git/dsprod-update/clone`), where a kill costs nothing: the project is untouched and the next
run deletes the remains. Bringing the result in is then a journalled write:

1. the journal (`.git/dsprod-update/journal.json`) lists every file to write or delete, with a
   digest of its content before and after, and the conflicts to record in git's index. It is
   written to a temporary file and renamed into place: that rename is the commit point;
2. each file is replaced whole: a temporary file in the same folder, renamed over it;
3. the conflicts go into the index (one `git update-index`, which git itself writes under a
   lock and renames into place); the journal is deleted, then the clone.

Why not let git do step 2 (commit the result in the clone, then check it out in the project):
git writes a checkout file by file too, deleting each one before writing it, so a kill in the
middle leaves missing or partial files and a stale `index.lock`, and nothing says what was
meant. Here, after a kill at any moment every listed file is either as before or as after,
the new content is still in the clone, and the next `dsprod update` finishes the job before
anything else (`pending`, `check_resumable`, `apply`). SIGINT, SIGTERM and SIGHUP are held
back during steps 1-3 (`_interrupt.deferred`), so only SIGKILL or a power cut can land there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dsprod._git import git
from dsprod.errors import TemplateError

__all__ = ["FileChange", "Journal", "Workspace", "digest", "workspace_for"]

_FOLDER = "dsprod-update"
_PARTIAL = ".dsprod-update"  # suffix of a file being written, next to its final name


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the project
    before: str | None  # digest of the project's file before the update; None: no file
    after: str | None  # digest after; None: the update deletes it


@dataclass(frozen=True)
class Journal:
    prefix: str  # the project's folder, relative to the repository root ("." at the root)
    head: str  # the commit the update was made from
    files: tuple[FileChange, ...]
    index: str  # `git update-index --index-info` lines: the conflicts, as unmerged entries
    report: Mapping[str, Any]  # what the update reports, to report again when finished later

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "version": 1}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Journal:
        data = json.loads(text)
        files = tuple(FileChange(**f) for f in data["files"])
        return cls(data["prefix"], data["head"], files, data["index"], data["report"])


@dataclass(frozen=True)
class Workspace:
    root: Path  # the work tree of the project's repository
    folder: Path  # <git dir>/dsprod-update

    @property
    def clone(self) -> Path:
        return self.folder / "clone"

    @property
    def journal(self) -> Path:
        return self.folder / "journal.json"

    def pending(self) -> Journal | None:
        """The journal of an update that was killed while it was brought in, if any."""
        try:
            return Journal.from_json(self.journal.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TemplateError(
                f"the journal of an interrupted dsprod update ({self.journal}) cannot be read: "
                f"{exc}",
                hint=f"git status shows what it changed; rm -r {self.folder}, then "
                "git checkout -- . to go back to the last commit",
            ) from exc

    def start(self, head: str) -> None:
        """A fresh clone of the repository at `head`, sharing its objects (no copy)."""
        self.discard()
        self.folder.mkdir(parents=True)
        git("clone", "--quiet", "--shared", "--no-checkout", self.root, self.clone)
        # The commit itself, detached: HEAD may be detached or any branch in the project.
        git("checkout", "--quiet", "--detach", head, cwd=self.clone)

    def discard(self) -> None:
        """Remove what a run left behind (an update that was killed before it touched the
        project, or one finished): never the journal of one half brought in."""
        if self.journal.exists():
            raise TemplateError(f"internal: {self.journal} must be finished first")
        # After a signal, a git that copier started may still be writing into the clone for a
        # moment (it is not our child to kill): remove again until nothing is left.
        for _ in range(50):
            shutil.rmtree(self.folder, ignore_errors=True)
            if not self.folder.exists():
                return
            time.sleep(0.1)

    def commit(self, journal: Journal) -> None:
        """Write the journal: from here on, the update is finished, now or by the next run."""
        partial = self.journal.with_name(self.journal.name + ".tmp")
        with partial.open("w", encoding="utf-8") as fh:
            fh.write(journal.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(self.journal)

    def apply(self, journal: Journal) -> None:
        """Steps 2 and 3; safe to repeat (each step leaves a file as before or as after)."""
        project = self.root / journal.prefix
        source = self.clone / journal.prefix
        for change in journal.files:
            if change.after is None:
                _remove(project / change.path, project)
            else:
                _put(source / change.path, project / change.path)
        if journal.index:
            git("update-index", "--index-info", cwd=self.root, stdin=journal.index)
        self.journal.unlink()
        shutil.rmtree(self.folder, ignore_errors=True)

    def roll_back(self, journal: Journal) -> None:
        """Put back what `apply` wrote (the update failed in the middle: a full disk, a
        read-only folder). The files were as committed before: git has them."""
        project = self.root / journal.prefix
        restore = []
        for change in journal.files:
            if change.before is None:
                _remove(project / change.path, project)
            else:
                restore.append(change.path)
        unmerged = [line.split("\t", 1)[1] for line in journal.index.splitlines()]
        if unmerged:
            git("reset", "--quiet", journal.head, "--", *sorted(set(unmerged)), cwd=self.root)
        if restore:
            git("checkout", "--quiet", journal.head, "--", *restore, cwd=project)
        self.journal.unlink()
        shutil.rmtree(self.folder, ignore_errors=True)

    def unfinished(self, journal: Journal) -> list[str]:
        """The files changed since the journal was written (neither as before nor as after),
        which finishing it would overwrite."""
        project = self.root / journal.prefix
        return [
            c.path for c in journal.files if digest(project / c.path) not in (c.before, c.after)
        ]


def workspace_for(root: Path) -> Workspace:
    git_dir = Path(git("rev-parse", "--absolute-git-dir", cwd=root).strip())
    return Workspace(root, git_dir / _FOLDER)


def digest(path: Path) -> str | None:
    """The content of a file (a symbolic link: its target); None if there is none."""
    try:
        if path.is_symlink():
            return "link:" + hashlib.sha256(str(path.readlink()).encode()).hexdigest()
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def conflict_index(clone: Path, root: Path) -> str:
    """The clone's unmerged index entries, as `--index-info` lines for the project's index,
    with the blobs they name written into the project's repository (the clone made the
    "before updating"/"after updating" blobs in its own object store)."""
    listed = git("ls-files", "--unmerged", "-z", cwd=clone)
    entries = [item for item in listed.split("\0") if item]
    if not entries:
        return ""
    paths = sorted({item.split("\t", 1)[1] for item in entries})
    # Each stage's content, written out as temporary files; hashed into the project's store.
    temps = git("checkout-index", "--stage=all", "--temp", "-z", "--", *paths, cwd=clone)
    written: list[Path] = []
    lines: list[str] = []
    modes = {(e.split("\t", 1)[1], e.split()[2]): e.split()[0] for e in entries}
    try:
        for record in filter(None, temps.split("\0")):
            names, _, path = record.partition("\t")
            lines.append(f"0 {'0' * 40}\t{path}")
            for stage, name in enumerate(names.split(" "), 1):
                if name == ".":
                    continue
                file = clone / name
                written.append(file)
                blob = git("hash-object", "-w", "--no-filters", "--", file, cwd=root).strip()
                lines.append(f"{modes[(path, str(stage))]} {blob} {stage}\t{path}")
    finally:
        for file in written:
            file.unlink(missing_ok=True)
    return "".join(line + "\n" for line in lines)


def _put(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + _PARTIAL)
    partial.unlink(missing_ok=True)
    shutil.copy2(source, partial, follow_symlinks=False)
    partial.replace(target)  # the file is either the old one or the new one, never half


def _remove(target: Path, project: Path) -> None:
    target.unlink(missing_ok=True)
    # As git does: a folder the deletion emptied goes too.
    folder = target.parent
    while folder != project and folder.is_relative_to(project):
        with contextlib.suppress(OSError):
            folder.rmdir()
            folder = folder.parent
            continue
        break


def changes_between(
    clone_project: Path, project: Path, paths: Iterable[str]
) -> tuple[FileChange, ...]:
    """For each path the update touched, its digest in the project now and in the clone."""
    found = []
    for rel in paths:
        before, after = digest(project / rel), digest(clone_project / rel)
        if before != after:
            found.append(FileChange(rel, before, after))
    return tuple(found)
