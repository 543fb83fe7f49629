"""Writing an extraction's files all together, or, after a kill, finishing on the next run.

An extraction writes up to four files: the module (and a new subpackage's `__init__.py`), the
notebook and the manifest. Each write is atomic, but a kill between two of them would leave,
say, module and notebook written with no manifest entry: a re-run then says "nothing to
extract" and `dsprod check` sees nothing wrong. So:

1. each file's new text is written to a temporary file beside it (`stage_beside`);
2. the journal (`.dsprod/extract-journal.json`, next to the manifest) lists every file with
   its temporary file and a checksum of its text before and after; it is written to a
   temporary file and renamed into place: that rename is the commit point;
3. each temporary file replaces its file (`move_into_place`, a rename);
4. the journal is deleted.

SIGINT, SIGTERM and SIGHUP are held back from step 1 to 4 (`_interrupt.deferred`), so Ctrl-C
lands before or after. After a SIGKILL or a power cut, the next `dsprod extract` in the
project finishes the job before anything else (`finish`): it renames what was not renamed
yet. `dsprod check` reports it (`pending`). A file changed since (a hand edit after the kill)
is never overwritten: the next run stops and says what to do. A kill before the commit point
leaves the files as they were (and maybe a temporary file beside one); a rename that fails
after it (a file made read-only meanwhile) stops the run as a kill would, and the next run
finishes it.

Each text is written once, to its temporary file: the journal holds no text, only checksums.
A journal an older dsprod left (each file's whole new text and the SHA-256 of its old one) is
finished as that dsprod would have.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod.errors import TargetError
from dsprod.notebook._manifest import MANIFEST_PATH, digest

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod._output import Output

__all__ = ["JOURNAL_PATH", "finish", "pending", "write_all"]

JOURNAL_PATH = MANIFEST_PATH.parent / "extract-journal.json"
_FORMAT = 2  # 1 (no `format`): each file's new text in the journal


def pending(root: Path) -> Path | None:
    """The journal of an extraction that was stopped half way under `root`, if any."""
    path = root / JOURNAL_PATH
    return path if path.exists() else None


def write_all(root: Path, files: Mapping[Path, str], what: str) -> None:
    """Write every file of `files` (path -> new text), all or none; `what` names the
    extraction for a later run that has to finish it."""
    from dsprod._fs import Staged, move_into_place, stage_beside, sync_staged
    from dsprod._interrupt import deferred

    before = {path: path.read_bytes() if path.exists() else None for path in files}
    after = {path: text.encode("utf-8") for path, text in files.items()}
    changed = [path for path in files if after[path] != before[path]]
    if not changed:
        return
    journal = root / JOURNAL_PATH
    staged: list[Staged] = []
    with deferred():
        journal.parent.mkdir(parents=True, exist_ok=True)
        try:
            for path in changed:
                path.parent.mkdir(parents=True, exist_ok=True)
                staged.append(stage_beside(path, after[path]))
            entries = [
                {
                    "path": _relative(file.path, root),
                    "staged": file.tmp.name,
                    "before": _checksum(before[file.path]),
                    "after": _checksum(after[file.path]),
                }
                for file in staged
            ]
            document = {"format": _FORMAT, "what": what, "renames": entries}
            staged.append(stage_beside(journal, (json.dumps(document) + "\n").encode("utf-8")))
            # Every new text and the journal on disk before the commit point, in one go
            # (`sync_staged`: one commit of the file system's log instead of one per file).
            sync_staged(staged)
            move_into_place(staged[-1].tmp, journal)  # the commit point
        except BaseException:
            for file in staged:
                file.discard()  # nothing was replaced yet
            raise
        # Past the commit point the journal decides, whatever happens: a rename that fails
        # leaves it and the temporary files not yet renamed, and the next run finishes the
        # extraction, as after a kill. Putting files back instead would consume the
        # temporary files of those already renamed, and a failure or a kill half way through
        # that would leave a journal no run can finish.
        try:
            for file in staged[:-1]:
                move_into_place(file.tmp, file.path)
        except TargetError as exc:
            raise TargetError(
                f"{exc.message}; the extraction of {what} stopped half way",
                hint="free some space or make the folder writable, then run dsprod extract "
                "again: it finishes this extraction first",
            ) from exc
        journal.unlink()


def finish(root: Path, output: Output) -> bool:
    """Finish the extraction a kill stopped half way, if there is one: write the files it had
    not written yet (whether there was one). Nothing is overwritten that changed since."""
    journal = pending(root)
    if journal is None:
        return False
    hint = (
        f"look at the files named, put them as you want them, then delete {journal} and run again"
    )
    try:
        document = json.loads(journal.read_text(encoding="utf-8"))
        what = str(document["what"])
        staged = document.get("format") == _FORMAT
        entries = [
            (root / str(e["path"]), e.get("staged"), e["before"], e["after"])
            # Format 2 names them `renames`: a dsprod of the first format, which reads
            # `files`, refuses such a journal as unreadable instead of misreading it.
            for e in document["renames" if staged else "files"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TargetError(
            f"{journal}: cannot read the journal of an extraction: {exc}", hint=hint
        ) from exc
    from dsprod._fs import atomic_write_text, move_into_place
    from dsprod._interrupt import deferred

    if staged:
        moves = _moves(entries, what, hint)
        with deferred():
            for temporary, path in moves:
                move_into_place(temporary, path)
            with contextlib.suppress(FileNotFoundError):
                journal.unlink()
    else:
        _refuse_changed(what, [p for p, _, b, a in entries if _changed_v1(p, b, str(a))], hint)
        with deferred():
            for path, _, _, after in entries:
                if not path.exists() or path.read_text(encoding="utf-8") != after:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_text(path, str(after))
            with contextlib.suppress(FileNotFoundError):
                journal.unlink()
    output.status("finish", f"the extraction of {what} that was stopped half way")
    return True


def _moves(
    entries: list[tuple[Path, object, object, object]], what: str, hint: str
) -> list[tuple[Path, Path]]:
    """(temporary file, file) for each file still to replace; a TargetError when a file
    changed since the kill, or its new text is gone."""
    moves: list[tuple[Path, Path]] = []
    done: list[Path] = []  # removed only once the journal can be finished
    changed: list[Path] = []
    lost: list[str] = []
    for path, name, before, after in entries:
        temporary = path.with_name(str(name))
        now = _checksum(path.read_bytes() if path.exists() else None)
        if temporary.exists() and now == before:
            moves.append((temporary, path))
        elif temporary.exists() and now == after:
            done.append(temporary)  # as the extraction left it already
        elif not temporary.exists() and now == before:
            lost.append(shown(path))
        elif now != after:
            changed.append(path)
    _refuse_changed(what, changed, hint)
    if lost:
        raise TargetError(
            f"an extraction of {what} was stopped half way, and the new text of "
            f"{', '.join(lost)} (a temporary file beside it) is gone: dsprod cannot finish it",
            hint=hint,
        )
    _discard(done)
    return moves


def _changed_v1(path: Path, before: object, after: str) -> bool:
    """Whether a file a journal of the first format names changed since the kill: neither
    its new text nor the text of the SHA-256 `before`."""
    now = path.read_text(encoding="utf-8") if path.exists() else None
    return now != after and (None if now is None else digest(now)) != before


def _refuse_changed(what: str, changed: list[Path], hint: str) -> None:
    if changed:
        raise TargetError(
            f"an extraction of {what} was stopped half way, and "
            f"{', '.join(shown(p) for p in changed)} changed since: dsprod cannot finish it "
            "without overwriting that",
            hint=hint,
        )


def _checksum(data: bytes | None) -> str | None:
    """The size and CRC-32 of a file's bytes (None: no file), to tell, after a kill, whether
    the file is as the extraction found it or left it, or was changed since by hand.

    Not SHA-256: that took 20-35 M instructions a run (the old notebook), this a tenth. Safe
    for what it guards, an accident, not a forgery: a change of size is always seen, and so is
    any change within 4 bytes in a row (CRC-32 sees every burst of up to 32 bits); any other
    change of a file goes unseen once in 4 billion, and only in a run killed between the
    commit and the last rename, with that file edited by hand before the next run.
    """
    if data is None:
        return None
    from binascii import crc32

    return f"{len(data)}:{crc32(data):08x}"


def _discard(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())
