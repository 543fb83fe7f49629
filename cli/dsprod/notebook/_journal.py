"""Writing an extraction's files all together, or, after a kill, finishing on the next run.

An extraction writes up to four files: the module (and a new subpackage's `__init__.py`), the
notebook and the manifest. Each write is atomic, but a kill between two of them would leave,
say, module and notebook written with no manifest entry: a re-run then says "nothing to
extract" and `dsprod check` sees nothing wrong. So:

1. the journal (`.dsprod/extract-journal.json`, next to the manifest) lists every file with
   the digest of its text before and its whole text after; it is written to a temporary file
   and renamed into place: that rename is the commit point;
2. each file is replaced whole (`atomic_write_text`);
3. the journal is deleted.

SIGINT, SIGTERM and SIGHUP are held back from step 1 to 3 (`_interrupt.deferred`), so Ctrl-C
lands before or after. After a SIGKILL or a power cut, the next `dsprod extract` in the
project finishes the job before anything else (`finish`), and `dsprod check` reports it
(`pending`). A file changed since (a hand edit after the kill) is never overwritten: the next
run stops and says what to do.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod.errors import TargetError
from dsprod.notebook._manifest import MANIFEST_PATH, digest

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod._output import Output

__all__ = ["JOURNAL_PATH", "finish", "pending", "write_all"]

JOURNAL_PATH = MANIFEST_PATH.parent / "extract-journal.json"


def pending(root: Path) -> Path | None:
    """The journal of an extraction that was stopped half way under `root`, if any."""
    path = root / JOURNAL_PATH
    return path if path.exists() else None


def write_all(root: Path, files: Mapping[Path, str], what: str) -> None:
    """Write every file of `files` (path -> new text), all or none; `what` names the
    extraction for a later run that has to finish it."""
    from dsprod._fs import atomic_write_text, restore, snapshot  # `check` only asks `pending`
    from dsprod._interrupt import deferred

    if not files:
        return
    journal = root / JOURNAL_PATH
    before = snapshot(*files)
    entries = [
        {
            "path": _relative(path, root),
            "before": None if old is None else digest(old),
            "after": files[path],
        }
        for path, old in before.items()
    ]
    with deferred():
        journal.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(journal, json.dumps({"what": what, "files": entries}) + "\n")
        try:
            for path, text in files.items():
                if before[path] != text:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_text(path, text)
        except BaseException:
            # A full disk or a read-only file half way: what was written goes back.
            restore(before)
            journal.unlink(missing_ok=True)
            raise
        journal.unlink()


def finish(root: Path, output: Output) -> bool:
    """Finish the extraction a kill stopped half way, if there is one: write the files it had
    not written yet (whether there was one). Nothing is overwritten that changed since."""
    journal = pending(root)
    if journal is None:
        return False
    from dsprod._fs import atomic_write_text
    from dsprod._interrupt import deferred

    hint = (
        f"look at the files named, put them as you want them, then delete {journal} and run again"
    )
    try:
        document = json.loads(journal.read_text(encoding="utf-8"))
        entries = [(root / e["path"], e["before"], str(e["after"])) for e in document["files"]]
        what = str(document["what"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TargetError(
            f"{journal}: cannot read the journal of an extraction: {exc}", hint=hint
        ) from exc
    changed = []
    for path, before, after in entries:
        now = path.read_text(encoding="utf-8") if path.exists() else None
        if now != after and (None if now is None else digest(now)) != before:
            changed.append(shown(path))
    if changed:
        raise TargetError(
            f"an extraction of {what} was stopped half way, and {', '.join(changed)} changed "
            "since: dsprod cannot finish it without overwriting that",
            hint=hint,
        )
    with deferred():
        for path, _, after in entries:
            if not path.exists() or path.read_text(encoding="utf-8") != after:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(path, after)
        with contextlib.suppress(FileNotFoundError):
            journal.unlink()
    output.status("finish", f"the extraction of {what} that was stopped half way")
    return True


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
