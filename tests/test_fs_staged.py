"""Files staged beside their targets and put on disk together (`stage_beside`, `sync_staged`)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from dsprod._fs import move_into_place, stage_beside, sync_staged, umask
from dsprod.errors import TargetError


def _open_descriptors() -> set[str]:
    listed = Path("/proc/self/fd")
    return {p.name for p in listed.iterdir()} if listed.is_dir() else set()


def _targets(folder: Path) -> list[Path]:
    (folder / "sub").mkdir()
    existing = folder / "kept.txt"
    existing.write_text("old")
    existing.chmod(0o640)
    return [existing, folder / "new.txt", folder / "sub" / "other.txt"]


def test_each_staged_file_is_on_disk_closed_and_with_its_file_s_permissions(
    tmp_path: Path,
) -> None:
    before = _open_descriptors()
    targets = _targets(tmp_path)
    staged = [stage_beside(path, f"text of {path.name}".encode()) for path in targets]
    sync_staged(staged)
    assert all(s.fd is None for s in staged)
    assert _open_descriptors() == before
    for file in staged:
        assert file.tmp.parent == file.path.parent
        assert file.tmp.read_text() == f"text of {file.path.name}"
    assert stat.S_IMODE(staged[0].tmp.stat().st_mode) == 0o640  # as the file it replaces
    assert stat.S_IMODE(staged[1].tmp.stat().st_mode) == 0o666 & ~umask()  # a new file
    assert targets[0].read_text() == "old"  # nothing replaced yet
    for file in staged:
        move_into_place(file.tmp, file.path)
    assert [p.read_text() for p in targets] == [f"text of {p.name}" for p in targets]


def test_the_fsyncs_wait_for_the_disk_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every fsync in flight at the same time, or the barrier breaks: one after the other,
    # each waits for its own commit of the file system's log.
    targets = _targets(tmp_path)
    barrier = threading.Barrier(len(targets), timeout=10)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        barrier.wait()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    staged = [stage_beside(path, b"x") for path in targets]
    sync_staged(staged)
    assert all(file.tmp.read_bytes() == b"x" for file in staged)


@pytest.mark.parametrize("failing", [[1], [2, 0]])
def test_a_failed_fsync_names_the_first_file_and_removes_every_staged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: list[int]
) -> None:
    before = _open_descriptors()
    targets = _targets(tmp_path)
    staged = [stage_beside(path, b"new") for path in targets]
    bad = {staged[number].fd for number in failing}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if fd in bad:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(TargetError) as raised:
        sync_staged(staged)
    first = targets[min(failing)]
    assert raised.value.message == f"cannot write {first}: No space left on device"
    assert not list(tmp_path.rglob(".*.tmp"))
    assert _open_descriptors() == before
    assert targets[0].read_text() == "old"


def test_a_file_that_cannot_be_written_is_removed_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _open_descriptors()

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(TargetError) as raised:
        stage_beside(tmp_path / "out.txt", b"data")
    monkeypatch.undo()
    assert raised.value.message == f"cannot write {tmp_path / 'out.txt'}: No space left on device"
    assert not list(tmp_path.glob(".out.txt.*"))
    assert _open_descriptors() == before


def test_without_threads_the_files_are_synced_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    staged = [stage_beside(path, b"x") for path in _targets(tmp_path)]
    fds = [file.fd for file in staged if file.fd is not None]
    sync_staged(staged)
    assert sorted(synced) == sorted(fds)
    assert all(file.tmp.read_bytes() == b"x" and file.fd is None for file in staged)


def test_every_file_and_the_journal_are_on_disk_before_the_commit_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsprod.notebook._journal import JOURNAL_PATH, write_all

    events: list[str] = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd: int) -> None:
        events.append("sync " + Path(f"/proc/self/fd/{fd}").readlink().name.split(".")[1])
        real_fsync(fd)

    def replace(self: Path, target: Path) -> Path:
        events.append("rename " + Path(target).name)
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    files = {tmp_path / "m.py": "x = 1\n", tmp_path / "nb.ipynb": "{}\n"}
    write_all(tmp_path, files, "nb.ipynb")
    commit = events.index("rename extract-journal.json")
    assert sorted(events[:commit]) == ["sync extract-journal", "sync m", "sync nb"]
    assert sorted(events[commit + 1 :]) == ["rename m.py", "rename nb.ipynb"]
    assert not (tmp_path / JOURNAL_PATH).exists()
    assert [p.read_text() for p in files] == list(files.values())
