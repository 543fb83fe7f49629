"""The CLI contract: version, help, exit codes, the one error handler, --quiet.

Exit codes: 0 success; 1 a user error or a finding; 2 a usage error; 3 an internal error (with
the traceback written to a file the message names); 130 interrupted.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod
import dsprod.notebook.extract
from dsprod.notebook.extract import ExtractOptions, ExtractResult
from tests.helpers import CliResult, code_sources, run_cli, write_notebook

# One definition that moves, one that reads data and stays with a located refusal.
CELLS = (
    "import math",
    "def area(r):\n    return math.pi * r**2",
    "radii = [float(line) for line in open('radii.txt')]",
    "def total():\n    return sum(area(r) for r in radii)",
)


def both(result: CliResult) -> str:
    return result.out + result.err


# --- version and help ------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--version")
    assert result.code == 0, result.err
    assert result.out == f"dsprod {dsprod.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", dsprod.__version__)


def test_version_wins_over_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    # Eager: printed before the command runs, so nothing is read or written.
    result = run_cli(capsys, "--version", "extract", "missing.ipynb")
    assert result.code == 0, result.err
    assert result.out == f"dsprod {dsprod.__version__}\n"
    assert "no such file" not in result.err


@pytest.mark.parametrize("switch", ["--help", "-h"])
def test_help(capsys: pytest.CaptureFixture[str], switch: str) -> None:
    result = run_cli(capsys, switch)
    assert result.code == 0, result.err
    assert "Usage: dsprod" in result.out
    assert re.search(r"^\s+extract\s+\S", result.out, re.MULTILINE), result.out
    for option in ("--quiet", "--version", "--help"):
        assert option in result.out


def test_extract_help(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "extract", "--help")
    assert result.code == 0, result.err
    assert "Usage: dsprod extract" in result.out
    for option in ("--module", "--only", "--dry-run"):
        assert option in result.out


def test_version_after_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "extract", "--version")
    assert result.code == 0, both(result)
    assert result.out == f"dsprod {dsprod.__version__}\n"


# --- usage errors: exit 2 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bogus"], "--bogus"),
        (["extract", "--bogus", "x.ipynb"], "--bogus"),
        (["frobnicate"], "frobnicate"),
    ],
    ids=["unknown-root-option", "unknown-extract-option", "unknown-command"],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    result = run_cli(capsys, *args)
    assert result.code == 2, both(result)
    assert "internal error" not in both(result)
    assert expected in result.err and "Usage: dsprod" in result.err
    # A bad switch is not a crash: no traceback file.
    assert list((tmp_path / "tmp").iterdir()) == []


def test_extract_without_notebooks_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "extract")
    assert result.code == 2, both(result)
    assert "internal error" not in both(result)
    assert "Usage: dsprod extract" in both(result) and "notebooks" in both(result).lower()


# --- the error handler: exit 3 and 130 -------------------------------------------------------


def test_internal_error_exits_3_with_a_traceback_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)

    def crash(path: Path, options: ExtractOptions, output: object) -> ExtractResult:
        raise RuntimeError("simulated failure inside the engine")

    monkeypatch.setattr(dsprod.notebook.extract, "extract_notebook", crash)
    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 3, result.err
    assert "internal error" in result.err and dsprod.__version__ in result.err
    match = re.search(r"traceback: (\S+)", result.err)
    assert match, result.err
    log = Path(match.group(1))
    assert log.is_file() and log.parent == tmp_path / "tmp"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: simulated failure inside the engine" in text
    assert "next:" in result.err
    # The traceback is in the file, not dumped on the user.
    assert "Traceback" not in result.err


def test_keyboard_interrupt_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)

    def interrupted(path: Path, options: ExtractOptions, output: object) -> ExtractResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(dsprod.notebook.extract, "extract_notebook", interrupted)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 130, result.err
    assert "internal error" not in result.err
    assert list((tmp_path / "tmp").iterdir()) == []


def test_keyboard_interrupt_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)

    def interrupted(path: Path, options: ExtractOptions, output: object) -> ExtractResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(dsprod.notebook.extract, "extract_notebook", interrupted)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 130
    assert "interrupted" in result.err


# --- --quiet ---------------------------------------------------------------------------------


def test_quiet_keeps_problems_and_drops_status_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loud_nb = write_notebook(tmp_path / "loud" / "shapes.ipynb", *CELLS)
    quiet_nb = write_notebook(tmp_path / "quiet" / "shapes.ipynb", *CELLS)
    refusal = "shapes.ipynb:cell 4:line 1: total not extracted: uses `radii`"

    # Without parametrization `total` stays, and says why.
    loud = run_cli(capsys, "extract", "--no-parametrize", str(loud_nb))
    quiet = run_cli(capsys, "-q", "extract", "--no-parametrize", str(quiet_nb))

    assert loud.code == quiet.code == 0, loud.err + quiet.err
    # Without -q the status lines are there, so their absence below means something.
    assert re.search(r"^\s+extract  area ", loud.err, re.MULTILINE), loud.err
    assert re.search(r"^\s+create  ", loud.err, re.MULTILINE), loud.err
    assert refusal in loud.err
    assert refusal in quiet.err
    assert [line for line in quiet.err.splitlines() if refusal not in line] == []
    # Quiet is about output only: the work is the same.
    assert code_sources(quiet_nb) == code_sources(loud_nb)
    assert "from shapes import area" in code_sources(quiet_nb)
    module = (tmp_path / "quiet" / "shapes.py").read_bytes()
    assert module == (tmp_path / "loud" / "shapes.py").read_bytes()


def test_quiet_still_prints_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--quiet", "extract", "missing.ipynb")
    assert result.code == 1
    assert "error: missing.ipynb: no such file" in result.err
    assert "next:" in result.err


# --- real processes --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_processes(tmp_path: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "dsprod", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == f"dsprod {dsprod.__version__}\n"

    # The console script of this interpreter first, so a stale one on PATH is not tested.
    script = shutil.which("dsprod", path=str(Path(sys.executable).parent)) or shutil.which("dsprod")
    if script is None:
        pytest.skip("the dsprod console script is not installed")
    shown = subprocess.run(
        [script, "--help"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    assert "Usage: dsprod" in shown.stdout and "extract" in shown.stdout
    refused = subprocess.run(
        [script, "extract", "missing.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert refused.returncode == 1, refused.stderr
    assert "missing.ipynb: no such file" in refused.stderr
