"""The module, the notebook and the manifest are written together: an interruption between two
of the writes never leaves them disagreeing in silence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod._fs
from dsprod.notebook._manifest import digest
from tests.helpers import code_sources, run_cli, snapshot, write_notebook

CELLS = ("def f(x):\n    return x + 1", "print(f(1))")
JOURNAL = Path(".dsprod") / "extract-journal.json"

# dsprod extract, killed (as by SIGKILL: no clean-up runs) as it is about to put one file in
# place (`move_into_place`, after the journal's commit point), or to write its new text beside
# it (`stage_beside`, before).
KILLED_AT = """
import os, sys
import dsprod._fs as fs
real = getattr(fs, sys.argv[2])
def dying(path, other):
    if sys.argv[1] in (path.name, getattr(other, "name", "")):
        os._exit(137)
    return real(path, other)
setattr(fs, sys.argv[2], dying)
from dsprod.cli import run
sys.exit(run(["extract", "nb.ipynb"]))
"""


def killed_at(folder: Path, name: str, step: str = "move_into_place") -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AT, name, step],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 137, done.stderr


def staged(folder: Path) -> list[Path]:
    """The new texts written beside their files and not yet put in place."""
    return sorted(folder.rglob(".*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nb.ipynb", "manifest.json"])
def test_a_kill_between_writes_is_reported_by_check_and_finished_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", *CELLS)
    killed_at(tmp_path, name)
    assert (tmp_path / "nb.py").exists()  # the module was written
    assert not (tmp_path / ".dsprod" / "manifest.json").exists()
    assert (tmp_path / JOURNAL).exists()

    checked = run_cli(capsys, "check", "nb.ipynb")
    assert checked.code == 1
    assert f"{JOURNAL}: an extraction was stopped half way" in checked.out
    assert "`dsprod extract nb.ipynb` (or `dsprod check --fix`) finishes it" in checked.out

    finished = run_cli(capsys, "extract", "nb.ipynb")
    assert finished.code == 0, finished.err
    assert "finish  the extraction of nb.ipynb that was stopped half way" in finished.err
    assert "nothing to extract" in finished.err
    assert code_sources(nb) == ["from nb import f", "print(f(1))"]
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    assert list(manifest["modules"]["nb.py"]["symbols"]) == ["f"]
    assert not (tmp_path / JOURNAL).exists()
    assert run_cli(capsys, "check", "nb.ipynb").code == 0


@pytest.mark.slow
def test_a_file_changed_after_the_kill_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", *CELLS)
    killed_at(tmp_path, "nb.ipynb")
    write_notebook(nb, *CELLS, "print('mine')")  # edited after the kill
    before = snapshot(tmp_path)

    outcome = run_cli(capsys, "extract", "nb.ipynb")

    assert outcome.code == 1
    assert "was stopped half way, and nb.ipynb changed since" in outcome.err
    assert f"delete {tmp_path / JOURNAL} and run again" in outcome.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        ("nb.ipynb", KeyboardInterrupt()),
        ("manifest.json", KeyboardInterrupt()),
        ("nb.ipynb", PermissionError(13, "Permission denied")),
        ("manifest.json", PermissionError(13, "Permission denied")),
    ],
)
def test_a_stop_while_renaming_is_finished_by_the_next_run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    failure: BaseException,
) -> None:
    # Past the journal's commit point a run that stops (an interruption, a file made
    # read-only meanwhile) leaves the journal and the new texts not yet in place, as a kill
    # does: putting files back instead would use up the new texts of those already renamed,
    # and a failure or a kill during that would leave a journal no run can finish.
    write_notebook(tmp_path / "nb.ipynb", *CELLS)
    real = dsprod._fs.move_into_place

    def stopped(temporary: Path, path: Path) -> None:
        if path.name == name:
            if isinstance(failure, OSError):
                try:
                    raise failure
                except OSError as exc:
                    raise dsprod._fs._target_error(path, exc) from exc
            raise failure
        real(temporary, path)

    monkeypatch.setattr(dsprod._fs, "move_into_place", stopped)
    outcome = run_cli(capsys, "extract", "nb.ipynb")
    assert outcome.code == (130 if isinstance(failure, KeyboardInterrupt) else 1)
    if isinstance(failure, OSError):
        assert "Permission denied; the extraction of nb.ipynb stopped half way" in outcome.err
        assert "it finishes this extraction first" in outcome.err
    assert (tmp_path / JOURNAL).exists() and staged(tmp_path)
    assert run_cli(capsys, "check", "nb.ipynb").code == 1  # it says the next run finishes it
    monkeypatch.setattr(dsprod._fs, "move_into_place", real)

    again = run_cli(capsys, "extract", "nb.ipynb")

    assert again.code == 0, again.err
    assert "finish" in again.err
    assert not (tmp_path / JOURNAL).exists() and not staged(tmp_path)
    assert code_sources(tmp_path / "nb.ipynb") == ["from nb import f", "print(f(1))"]
    assert "def f(x):" in (tmp_path / "nb.py").read_text(encoding="utf-8")
    assert run_cli(capsys, "check", "nb.ipynb").code == 0


@pytest.mark.slow
def test_a_kill_before_the_journal_is_written_leaves_the_files_as_they_were(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", *CELLS)
    original = nb.read_bytes()
    killed_at(tmp_path, "nb.ipynb", "stage_beside")
    assert nb.read_bytes() == original
    assert not (tmp_path / "nb.py").exists()
    assert not (tmp_path / JOURNAL).exists()
    # The module's new text, written beside it before the kill, stays there, unused.
    assert [p.name.startswith(".nb.py.") for p in staged(tmp_path)] == [True]

    outcome = run_cli(capsys, "extract", "nb.ipynb")
    assert outcome.code == 0, outcome.err
    assert code_sources(nb) == ["from nb import f", "print(f(1))"]


@pytest.mark.slow
def test_a_file_changed_after_it_was_put_in_place_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path / "nb.ipynb", *CELLS)
    killed_at(tmp_path, "manifest.json")
    with (tmp_path / "nb.py").open("a") as fh:
        fh.write("\nMINE = 1\n")  # the module, written before the kill, edited after it
    before = snapshot(tmp_path)

    outcome = run_cli(capsys, "extract", "nb.ipynb")

    assert outcome.code == 1
    assert "was stopped half way, and nb.py changed since" in outcome.err
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_a_new_text_that_is_gone_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_notebook(tmp_path / "nb.ipynb", *CELLS)
    killed_at(tmp_path, "nb.ipynb")
    for path in staged(tmp_path):
        if path.name.startswith(".nb.ipynb."):
            path.unlink()
    before = snapshot(tmp_path)

    outcome = run_cli(capsys, "extract", "nb.ipynb")

    assert outcome.code == 1
    assert "the new text of nb.ipynb (a temporary file beside it) is gone" in outcome.err
    assert f"delete {tmp_path / JOURNAL} and run again" in outcome.err
    assert snapshot(tmp_path) == before


def _first_format_journal(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The files an extraction of CELLS writes in `folder`, and, in their place, the journal a
    dsprod of the first format leaves when killed before writing any: each file's new text,
    and the SHA-256 of its text before."""
    nb = write_notebook(folder / "nb.ipynb", *CELLS)
    original = nb.read_text(encoding="utf-8")
    assert run_cli(capsys, "extract", "nb.ipynb").code == 0
    written = {p: (folder / p).read_text(encoding="utf-8") for p in ("nb.py", "nb.ipynb")}
    written[".dsprod/manifest.json"] = (folder / ".dsprod" / "manifest.json").read_text()
    (folder / "nb.py").unlink()
    (folder / ".dsprod" / "manifest.json").unlink()
    nb.write_text(original, encoding="utf-8")
    before = {"nb.ipynb": digest(original)}
    entries = [{"path": p, "before": before.get(p), "after": t} for p, t in written.items()]
    (folder / JOURNAL).write_text(json.dumps({"what": "nb.ipynb", "files": entries}) + "\n")
    return written


def test_a_journal_of_the_first_format_is_finished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = _first_format_journal(tmp_path, capsys)

    finished = run_cli(capsys, "extract", "nb.ipynb")

    assert finished.code == 0, finished.err
    assert "finish  the extraction of nb.ipynb that was stopped half way" in finished.err
    assert "nothing to extract" in finished.err
    assert {p: (tmp_path / p).read_text(encoding="utf-8") for p in written} == written
    assert not (tmp_path / JOURNAL).exists()


def test_a_journal_of_the_first_format_does_not_overwrite_a_file_changed_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _first_format_journal(tmp_path, capsys)
    write_notebook(tmp_path / "nb.ipynb", *CELLS, "print('mine')")
    before = snapshot(tmp_path)

    outcome = run_cli(capsys, "extract", "nb.ipynb")

    assert outcome.code == 1
    assert "was stopped half way, and nb.ipynb changed since" in outcome.err
    assert snapshot(tmp_path) == before
