"""The module, the notebook and the manifest are written together: an interruption between two
of the writes never leaves them disagreeing in silence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod._fs
from tests.helpers import code_sources, run_cli, snapshot, write_notebook

CELLS = ("def f(x):\n    return x + 1", "print(f(1))")
JOURNAL = Path(".dsprod") / "extract-journal.json"

# dsprod extract, killed (as by SIGKILL: no clean-up runs) as it is about to write one file.
KILLED_AT = """
import os, sys
import dsprod._fs as fs
real = fs.atomic_write_text
def dying(path, text):
    if path.name == sys.argv[1]:
        os._exit(137)
    real(path, text)
fs.atomic_write_text = dying
from dsprod.cli import run
sys.exit(run(["extract", "nb.ipynb"]))
"""


def killed_at(folder: Path, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AT, name], cwd=folder, capture_output=True, check=False
    )
    assert done.returncode == 137, done.stderr


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


@pytest.mark.parametrize("name", ["nb.ipynb", "manifest.json"])
def test_ctrl_c_while_writing_leaves_nothing_half_done(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    write_notebook(tmp_path / "nb.ipynb", *CELLS)
    before = snapshot(tmp_path)
    real = dsprod._fs.atomic_write_text

    def interrupted(path: Path, text: str) -> None:
        if path.name == name:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(dsprod._fs, "atomic_write_text", interrupted)
    outcome = run_cli(capsys, "extract", "nb.ipynb")
    assert outcome.code == 130
    assert snapshot(tmp_path) == before  # the module written first is gone again
