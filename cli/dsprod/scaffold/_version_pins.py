"""The `dsprod==X.Y.Z` pin of the project's dsprod hook is not a conflict.

The template writes the dsprod version into `.pre-commit-config.yaml` (the hook's environment
must be rebuilt when dsprod changes, and `dsprod setup` reads the pin), so that line changes
with every release, and a user's edit next to it (which files the hook checks) would be a
conflict on every update. A conflicted file whose old render or project version holds a pin
is merged again as if both already had the new pin: what is left is the real disagreement,
if any.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from dsprod._git import git

__all__ = ["settle_pins"]

_PIN = re.compile(r"dsprod==[^\"',\s\]]+")
_LABELS = ("-L", "before updating", "-L", "last update", "-L", "after updating")


def settle_pins(clone: Path) -> None:
    """Re-merge the clone's conflicted files that hold a dsprod pin; keep the result if it
    has no conflict left (and record the file as resolved in the clone's index)."""
    listed = git("ls-files", "--unmerged", "-z", cwd=clone)
    stages: dict[str, set[str]] = {}
    for item in filter(None, listed.split("\0")):
        meta, path = item.split("\t", 1)
        stages.setdefault(path, set()).add(meta.split()[2])
    for path, present in sorted(stages.items()):
        if present != {"1", "2", "3"}:
            continue
        try:
            base, ours, theirs = (git("show", f":{n}:./{path}", cwd=clone) for n in "123")
        except UnicodeDecodeError:
            continue
        pin = _PIN.search(theirs)
        if pin is None or not (_PIN.search(base) or _PIN.search(ours)):
            continue
        merged = _merge(_PIN.sub(pin[0], ours), _PIN.sub(pin[0], base), theirs, clone)
        if merged is not None:
            (clone / path).write_text(merged, encoding="utf-8")
            git("add", "--", path, cwd=clone)


def _merge(ours: str, base: str, theirs: str, clone: Path) -> str | None:
    with tempfile.TemporaryDirectory(prefix="dsprod-pins-") as scratch:
        files = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(scratch) / name
            file.write_text(text, encoding="utf-8")
            files.append(file)
        merged = git("merge-file", "-p", *_LABELS, *files, cwd=clone, check=False)
    if any(line.rstrip() == "<<<<<<< before updating" for line in merged.splitlines()):
        return None
    if theirs and not merged:  # git could not merge at all (it said why on stderr)
        return None
    return merged
