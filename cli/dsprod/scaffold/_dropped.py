"""What copier would drop without a word, found while it runs in the clone.

Copier renders the project's old template version in a temporary folder, and at the end of the
update deletes every file that version had and the new one has not (`_remove_old_files`), edited
or not; and it brings back a file of the old version that the project deleted when that file is
one the project owns (`_skip_if_exists`: the example notebook). Both need the old render, which
copier throws away, so dsprod looks at it at the one moment it exists: wrapped around copier's
deletion step (a private function; if a copier release renames it, `OldRender.watched` is False
and the update says, for every deleted file, how to get the project's version back).
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from filecmp import dircmp
from pathlib import Path
from typing import Any

from dsprod._git import git
from dsprod.scaffold._bring_in import digest

__all__ = ["OldRender", "carried", "watch"]


@dataclass
class OldRender:
    watched: bool = False
    # Every file of the old version's render, relative to the repository root.
    files: set[str] = field(default_factory=set)
    # Files copier deletes whose content in the project is not the old render's (an edit):
    # path relative to the repository root -> the old render's blob, written in the clone.
    edited: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def watch(clone: Path) -> Iterator[OldRender]:
    found = OldRender()
    try:
        from copier import _main
    except ImportError:  # pragma: no cover - copier's layout before 9
        yield found
        return
    original: Callable[..., None] | None = getattr(_main, "_remove_old_files", None)
    if original is None:
        yield found
        return
    found.watched = True
    busy = False

    def surveyed(prefix: Path, cmp: dircmp[str], *args: Any, **kwargs: Any) -> None:
        nonlocal busy
        if busy:  # copier's own recursion into sub-folders: the survey saw them already
            original(prefix, cmp, *args, **kwargs)
            return
        busy = True
        try:
            _survey(found, Path(prefix), cmp, clone)
            original(prefix, cmp, *args, **kwargs)
        finally:
            busy = False

    _main._remove_old_files = surveyed
    try:
        yield found
    finally:
        _main._remove_old_files = original


def _survey(found: OldRender, top: Path, cmp: dircmp[str], clone: Path) -> None:
    old = Path(cmp.left)
    for folder, dirs, files in os.walk(old):
        dirs[:] = [d for d in dirs if not (folder == str(old) and d == ".git")]
        for name in files:
            found.files.add((Path(folder) / name).relative_to(old).as_posix())
    for rel in _left_only(cmp, Path()):
        project_file = top / rel
        if project_file.is_file() and digest(project_file) != digest(old / rel):
            blob = git("hash-object", "-w", "--no-filters", "--", old / rel, cwd=clone)
            found.edited[rel.as_posix()] = blob.strip()


def _left_only(cmp: dircmp[str], here: Path) -> Iterator[Path]:
    """The files only the old render has, relative to its top."""
    for name in cmp.left_only:
        path = Path(cmp.left) / name
        if path.is_dir() and not path.is_symlink():
            for folder, _, files in os.walk(path):
                for file in files:
                    yield here / (Path(folder) / file).relative_to(cmp.left)
        else:
            yield here / name
    for name, sub in cmp.subdirs.items():
        yield from _left_only(sub, here / name)


def carried(edited: str, base: str, candidates: list[str]) -> bool:
    """Whether the lines the project added to a file (`edited`, against the old render
    `base`) are all in one of `candidates`: a migration moved the file with its edits."""
    added = [
        line
        for tag, _, _, j1, j2 in difflib.SequenceMatcher(
            None, base.splitlines(), edited.splitlines(), autojunk=False
        ).get_opcodes()
        if tag in ("replace", "insert")
        for line in edited.splitlines()[j1:j2]
        if line.strip()
    ]
    if not added:
        return False
    return any(all(line in text.splitlines() for line in added) for text in candidates)
