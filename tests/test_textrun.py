"""`run_on_text` gives what `subprocess.run` through pipes gives, from memory files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod import _textrun
from dsprod._textrun import run_on_text

# A program that echoes its input to stdout, says how much it read on stderr, and exits
# with the code in its first argument: what ruff does with a module, in small.
_ECHO = (
    "import sys; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(data); "
    "sys.stderr.write(f'read {len(data)} bytes\\r\\n'); sys.exit(int(sys.argv[1]))"
)


def _piped(argv: list[str], text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=text, capture_output=True, text=True, encoding="utf-8", cwd=cwd, check=False
    )


def _same(argv: list[str], text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = run_on_text(argv, text, cwd)
    expected = _piped(argv, text, cwd)
    assert (done.returncode, done.stdout, done.stderr) == (
        expected.returncode,
        expected.stdout,
        expected.stderr,
    )
    assert done.args == argv
    return done


@settings(max_examples=40, deadline=None)
@given(
    text=st.lists(st.sampled_from(["a", "é", "\n", "\r", "\r\n", " ", "\t", "😀", "\x00"])).map(
        "".join
    ),
    code=st.sampled_from([0, 1, 2]),
)
def test_the_same_as_through_pipes(
    tmp_path_factory: pytest.TempPathFactory, text: str, code: int
) -> None:
    _same([sys.executable, "-c", _ECHO, str(code)], text, tmp_path_factory.mktemp("run"))


def test_a_text_larger_than_a_pipe_comes_back_whole(tmp_path: Path) -> None:
    # 64 KiB fills a pipe: the program's output must not wait for anyone to read it.
    text = "".join(f"line {n} é\n" for n in range(40_000))
    done = _same([sys.executable, "-c", _ECHO, "0"], text, tmp_path)
    assert done.stdout == text
    assert done.stderr == f"read {len(text.encode())} bytes\n"  # universal newlines


def test_runs_in_the_folder_given(tmp_path: Path) -> None:
    done = _same([sys.executable, "-c", "import os; print(os.getcwd())"], "", tmp_path)
    assert done.stdout.strip() == str(tmp_path)


def test_a_program_that_cannot_start_raises_as_subprocess_does(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_on_text([str(tmp_path / "no-such-ruff"), "format", "-"], "x = 1\n", tmp_path)


def test_no_descriptor_is_left_open(tmp_path: Path) -> None:
    before = _open_descriptors()
    for _ in range(5):
        run_on_text([sys.executable, "-c", _ECHO, "1"], "x = 1\n", tmp_path)
    with pytest.raises(FileNotFoundError):
        run_on_text([str(tmp_path / "missing")], "x", tmp_path)
    assert _open_descriptors() == before


@pytest.mark.parametrize("how", ["absent", "refused"])
def test_without_memory_files_it_goes_through_pipes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    made: list[int] = []

    def refused(name: str, flags: int = 0) -> int:
        if made:  # the second file cannot be had: the first is closed again
            raise OSError(24, "Too many open files")
        made.append(os.open(os.devnull, os.O_RDONLY))
        return made[-1]

    if how == "absent":
        monkeypatch.delattr(os, "memfd_create", raising=False)
    else:
        monkeypatch.setattr(os, "memfd_create", refused)
    assert _textrun._memory_files() is None
    if made:
        with pytest.raises(OSError):
            os.fstat(made[0])  # closed
    _same([sys.executable, "-c", _ECHO, "0"], "é\r\nb\n", tmp_path)


def test_memory_files_are_used_where_the_system_has_them() -> None:
    files = _textrun._memory_files()
    assert (files is not None) == hasattr(os, "memfd_create")  # Linux's: CI's
    for descriptor in files or ():
        os.close(descriptor)


def _open_descriptors() -> set[str]:
    listed = Path("/proc/self/fd")
    return {p.name for p in listed.iterdir()} if listed.is_dir() else set()


def test_the_program_reads_and_writes_memory_files_not_pipes(tmp_path: Path) -> None:
    # Where the system has them: a pipe would make the calling thread feed and drain it.
    shows = "import os, stat; print([stat.S_ISFIFO(os.fstat(n).st_mode) for n in (0, 1, 2)])"
    done = run_on_text([sys.executable, "-c", shows], "", tmp_path)
    piped = not hasattr(os, "memfd_create")
    assert done.stdout.strip() == str([piped] * 3)
