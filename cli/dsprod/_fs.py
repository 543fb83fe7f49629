"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from dsprod.errors import DsprodError, Flag, Step, TargetError

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod._output import Output

__all__ = [
    "Staged",
    "atomic_write_text",
    "check_writable",
    "move_into_place",
    "project_lock",
    "restore",
    "snapshot",
    "stage_beside",
    "sync_staged",
    "umask",
    "write_beside",
]


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, then replace.

    The same folder matters: `os.replace` is atomic only within one file system.
    """
    tmp = write_beside(path, text.encode("utf-8"))
    try:
        move_into_place(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_beside(path: Path, data: bytes) -> Path:
    """A new temporary file in `path`'s folder holding `data`, on disk (fsync), with the
    permissions `path` has (a new file: those the umask leaves), for `move_into_place`."""
    staged = stage_beside(path, data)
    sync_staged([staged])
    return staged.tmp


class Staged:
    """A temporary file `stage_beside` wrote for `path`, still open, maybe not on disk yet."""

    __slots__ = ("fd", "path", "tmp")

    def __init__(self, fd: int, tmp: Path, path: Path) -> None:
        self.fd: int | None = fd
        self.tmp = tmp
        self.path = path

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def discard(self) -> None:
        """Close and remove it, quietly: on a failure already being reported. A close may
        report a network file system's write error again; the descriptor is released all
        the same (POSIX), and the error being reported is the one that counts."""
        with contextlib.suppress(OSError):
            self.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def stage_beside(path: Path, data: bytes) -> Staged:
    """`write_beside`'s temporary file written but left open, for `sync_staged` to put on
    disk together with others."""
    try:
        fd, tmp = _new_file_beside(path)
    except OSError as exc:
        raise TargetError(
            f"cannot write in {path.parent}: {exc.strerror or exc}",
            hint="make the folder writable, then run again",
        ) from exc
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException as exc:
        with contextlib.suppress(OSError):  # released even so; the write's error counts
            os.close(fd)
        _failed(tmp, path, exc)
        raise
    return Staged(fd, tmp, path)


def sync_staged(staged: list[Staged]) -> None:
    """Put each staged file on disk (fsync) and close it, with the permissions its file has
    (a new file: those the umask leaves). On failure, every one of them is closed and
    removed, and the error names the first file whose text could not be written.

    The fsyncs run at once, one thread each (an fsync waits for the disk, not for the
    interpreter's lock): the kernel writes the files out together and commits them in one
    entry of a journalling file system's log. One after the other, each waited for its own
    commit: an extraction's four files took 15 ms on ext4 here, at once 2-2.5 ms.
    """
    failed: dict[int, BaseException] = {}
    current: Staged | None = None
    try:
        _fsync_at_once(staged, failed)
        for number, current in enumerate(staged):
            if number in failed:
                raise failed[number]
            current.close()
            if current.path.exists():
                # Keep the permissions the user gave the file.
                current.tmp.chmod(current.path.stat().st_mode & 0o7777)
            else:
                current.tmp.chmod(0o666 & ~umask())
    except BaseException as exc:
        for each in staged:
            if each is not current:
                each.discard()
            else:
                with contextlib.suppress(OSError):
                    each.close()
        if current is None:
            raise
        _failed(current.tmp, current.path, exc)
        raise


def _fsync_at_once(staged: list[Staged], failed: dict[int, BaseException]) -> None:
    """fsync every open staged file, the first in this thread and each other in its own;
    what fails, by the file's number in `staged`."""
    import threading  # on the extract path already (`_meanwhile`); not for every `_fs` user

    def fsync(number: int, fd: int) -> None:
        try:
            os.fsync(fd)
        except BaseException as exc:  # noqa: BLE001 - raised again by the caller, in order
            failed[number] = exc

    fds = [(number, s.fd) for number, s in enumerate(staged) if s.fd is not None]
    others = [threading.Thread(target=fsync, args=pair, daemon=True) for pair in fds[1:]]
    try:
        for thread, pair in zip(others, fds[1:], strict=True):
            try:
                thread.start()
            except RuntimeError:  # no thread to be had (a process at its limit): here, then
                fsync(*pair)
        if fds:
            fsync(*fds[0])
    finally:
        for thread in others:
            if thread.ident is not None:
                thread.join()


def move_into_place(tmp: Path, path: Path) -> None:
    """Replace `path` by the file `write_beside` (or `sync_staged`) wrote for it, in one step.

    On failure `tmp` stays: past an extraction journal's commit point it holds the text the
    next run puts in place (`notebook/_journal`); other callers remove it themselves."""
    try:
        tmp.replace(path)
    except OSError as exc:
        raise _target_error(path, exc) from exc


def _failed(tmp: Path, path: Path, exc: BaseException) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()
    if isinstance(exc, OSError):
        raise _target_error(path, exc) from exc


def _target_error(path: Path, exc: OSError) -> TargetError:
    # A full disk, a quota, a read-only file system: the user's to fix, and `path` itself is
    # untouched (the temporary file took the failed write, or the rename did not happen).
    return TargetError(
        f"cannot write {path}: {exc.strerror or exc}",
        hint="free some space or make the folder writable, then run again",
    )


def _new_file_beside(path: Path) -> tuple[int, Path]:
    """A new file in `path`'s folder, open for writing and readable by its owner only, as
    `tempfile.mkstemp` makes them.

    Not mkstemp itself: importing tempfile imports shutil, random and the compression modules,
    2 ms of every extract's start. The process id names it; O_EXCL makes sure no other writer
    (another thread, a process killed with the same id) has the name.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)  # POSIX, Windows
    for attempt in range(100):
        candidate = path.with_name(f".{path.name}.{os.getpid()}-{attempt}.tmp")
        try:
            return os.open(candidate, flags, 0o600), candidate
        except FileExistsError:
            continue
        except PermissionError:
            # Windows says so of a name whose file is pending deletion: another name, as
            # mkstemp does; anywhere else, or in a folder not writable, it is the answer.
            if os.name == "nt" and path.parent.is_dir() and os.access(path.parent, os.W_OK):
                continue
            raise
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def check_writable(*folders: Path) -> None:
    """Fail before anything is written if a folder (or the nearest existing parent of one that
    is still to be made) is read-only or is a file."""
    for folder in folders:
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise TargetError(
                f"cannot write in {folder}: {probe} is a file, not a folder",
                hint=Step(
                    "rename or move that file, or choose another target with ", Flag("module")
                ),
            )
        if not os.access(probe, os.W_OK | os.X_OK):
            raise TargetError(
                f"cannot write in {probe}: permission denied",
                hint=Step(
                    "make the folder writable, or choose another target with ", Flag("module")
                ),
            )


def umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def snapshot(*paths: Path) -> dict[Path, str | None]:
    """The text of each file (None for a file that does not exist), to `restore` later."""
    return {p: p.read_text(encoding="utf-8") if p.exists() else None for p in paths}


def restore(saved: dict[Path, str | None]) -> None:
    """Put the files back as `snapshot` found them; files it did not find are removed."""
    for path, text in saved.items():
        if text is None:
            path.unlink(missing_ok=True)
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            # Only what changed is written back: on a full disk, rewriting the rest would fail.
            atomic_write_text(path, text)


@contextlib.contextmanager
def project_lock(
    root: Path, output: Output, *, shared: bool = False, busy: DsprodError | None = None
) -> Iterator[None]:
    """Hold the lock of the project at `root` while its shared files are read and written.

    The lock is taken on the project's folder itself (flock works on a folder's descriptor):
    no lock file appears for git to pick up or for a kill to leave behind, and the kernel
    releases it when the process ends, whatever ends it. `shared` (a dry run) takes none: it
    writes nothing. Where flock does not exist (Windows), filelock's lock file in the
    temporary folder stands in.

    When another process holds it, the caller waits for it; or, given `busy`, is refused
    with that error at once (an update does not queue behind another: the second would
    start from a tree the first is about to change).
    """
    if shared:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        with _temporary_file_lock(root, output, busy):
            yield
        return
    descriptor = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if busy is not None:
                raise busy from None
            output.status("wait", f"another dsprod is writing in {root}; waiting for it")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextlib.contextmanager
def _temporary_file_lock(  # pragma: no cover
    root: Path, output: Output, busy: DsprodError | None
) -> Iterator[None]:
    import hashlib
    import tempfile

    from filelock import FileLock, Timeout

    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    lock = FileLock(Path(tempfile.gettempdir()) / f"dsprod-{key}.lock")
    try:
        lock.acquire(timeout=1)
    except Timeout:
        if busy is not None:
            raise busy from None
        output.status("wait", f"another dsprod is writing in {root}; waiting for it")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
