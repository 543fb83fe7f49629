"""`ProjectLint.settled`: the project's ruff fixed point in as few ruff runs as it takes, and
the codes left at it, read from the last `check --fix` instead of another `ruff check`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod._meanwhile import Meanwhile
from dsprod.notebook import _lint
from dsprod.notebook._lint import ProjectLint, module_debt
from dsprod.notebook._ruff_config import ruff_line_length

RULES = '[tool.ruff]\nline-length = 60\n[tool.ruff.lint]\nselect = ["E", "F", "I", "UP", "N"]\n'

# Needs ruff's fixes (UP010, UP004, F401, E401, I001) and its formatter, in more than one
# round: the formatter joins the list the fixes leave, and keeps what no fix changes (F821,
# N802) for the debt.
AUTHORED = (
    "from __future__ import print_function\n"
    "import sys, os\n"
    "import json\n"
    "class Point(object):\n"
    "  values = [1,\n"
    "   2]\n"
    "def ScaleIt(a):\n"
    "  return sys.argv + [json.dumps(a), undefined_name]   \n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(RULES)
    (tmp_path / "pkg").mkdir()
    return tmp_path


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    lint = ProjectLint(root, None)
    assert lint.ruff is not None
    return subprocess.run(
        [lint.ruff, *args, "--no-cache"], cwd=root, capture_output=True, text=True, check=False
    )


class _Counted:
    """subprocess.run, counting ruff's runs by subcommand. `calls` in sorted order: the
    first `check --fix` runs beside the formatter, in a thread (`ProjectLint.settled`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self._run = subprocess.run
        monkeypatch.setattr(subprocess, "run", self)

    def __call__(self, command: list[str], **kwargs: object) -> object:
        self.calls.append(command[1])
        self.calls.sort()
        return self._run(command, **kwargs)  # type: ignore[call-overload]


def test_the_settled_text_is_ruffs_fixed_point_and_its_codes_are_ruffs(project: Path) -> None:
    module = project / "pkg" / "points.py"
    text, codes = ProjectLint(project, None).settled(AUTHORED, module)
    module.write_text(text)
    # The fixes ran and so did the formatter...
    assert "class Point:" in text and "__future__" not in text and "import os" not in text
    assert "values = [1, 2]" in text
    # ...and neither has anything left to change.
    assert ruff(project, "format", "--check", str(module)).returncode == 0
    fixed = ruff(project, "check", "--fix", "--exit-zero", str(module))
    assert fixed.returncode == 0 and module.read_text() == text
    # The codes are exactly what a plain `ruff check` reports on the written module.
    report = ruff(project, "check", "--exit-zero", "--output-format", "json", str(module))
    assert codes == {d["code"] for d in json.loads(report.stdout)} == {"F821", "N802"}


def test_a_settled_text_costs_a_format_and_a_fix(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = project / "pkg" / "points.py"
    lint = ProjectLint(project, None)
    settled, _ = lint.settled(AUTHORED, module)
    counted = _Counted(monkeypatch)
    again, codes = lint.settled(settled, module)
    assert again == settled and codes == {"F821", "N802"}
    # The formatter keeps the text: the fix run beside it is the round's, one of each.
    assert counted.calls == ["check", "format"]


def test_module_debt_header_is_at_the_fixed_point_and_measured_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = project / "pkg" / "points.py"
    counted = _Counted(monkeypatch)
    text, debt = module_debt(ProjectLint(project, None), AUTHORED, module, None)
    # E501: the header's own first line is longer than 60.
    assert debt.ruff == ("E501", "F821", "N802")
    assert text.startswith("# Lint debt of code promoted from notebooks")
    # Format (beside it a fix of the text as it was, which the formatter changes: not used),
    # fix, format (which changes nothing: settled). No plain `ruff check` of the body: the
    # `check --fix` measured it. One of the header, which may break a rule of its own (E501
    # here: the line length is 60).
    assert counted.calls == ["check", "check", "check", "format", "format"]
    module.write_text(text)
    assert ruff(project, "check", str(module)).returncode == 0
    assert ruff(project, "format", "--check", str(module)).returncode == 0


def test_clean_code_needs_no_header_and_no_second_measure(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = project / "pkg" / "clean.py"
    counted = _Counted(monkeypatch)
    authored = "def area(r):\n  return r*r\n"
    text, debt = module_debt(ProjectLint(project, None), authored, module, None)
    assert text == "def area(r):\n    return r * r\n" and debt.size == 0
    # Format (and the unused fix beside it), then the fix of the formatted text: settled.
    assert counted.calls == ["check", "check", "format"]


@pytest.mark.parametrize(
    ("stderr", "codes"),
    [
        ("[]", set()),
        ('warning: `select` is deprecated\n[\n  {"code": "F821"}, {"code": null}\n]\n', {"F821"}),
        ("", None),  # a ruff that gives no report: measured with a plain `ruff check`
        ("error: something else\n", None),
        ("[not json", None),
    ],
)
def test_the_report_of_check_fix_is_read_or_left(stderr: str, codes: set[str] | None) -> None:
    assert _lint._reported_codes(stderr) == codes


def test_mypy_debt_without_mypy_is_unknown_not_empty(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's interpreter has no mypy: what was recorded stands, nothing is left
    behind, and the interpreter is not asked again."""
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("[tool.mypy]\nstrict = true\n")
    # The same Python without site-packages: no mypy there.
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    monkeypatch.setattr(_lint, "_WITHOUT_MYPY", set())
    module = project / "pkg" / "points.py"
    lint = ProjectLint(project, bare)
    assert lint.mypy_codes("def f(x):\n    return x\n", module) is None
    assert list((project / "pkg").iterdir()) == []  # the probe file is gone
    counted = _Counted(monkeypatch)
    previous = _lint.ModuleDebt((), ("no-untyped-def",))
    _, debt = module_debt(lint, "def f(x):\n    return x\n", module, previous)
    assert debt.mypy == ("no-untyped-def",)
    # Format with the fix beside it (the formatter keeps the text), and the header's check
    # (the recorded mypy debt makes a header): no mypy.
    assert counted.calls == ["check", "check", "format"]


def test_without_a_project_ruff_it_is_the_ruff_ruff_itself_finds(tmp_path: Path) -> None:
    """The shortcut for a virtual environment finds the binary ruff's own lookup finds."""
    from ruff.__main__ import find_ruff_bin

    assert ProjectLint(tmp_path, None).ruff == find_ruff_bin()


@pytest.mark.parametrize(
    "names",
    [
        ["f_0", "f_1"],
        ["function_0", "function_1", "function_2"],
        [f"function_{i}" for i in range(12)],
        ["compute_customer_lifetime_value_for_a_year"],  # alone: no trailing comma
        ["größe_berechnen", "mittelwert_der_messungen", "standardabweichung"],
    ],
)
def test_an_exports_list_is_written_as_the_formatter_leaves_it(
    project: Path, names: list[str]
) -> None:
    """`__all__` as ruff's formatter leaves it (one line while it fits the project's line
    length, 60 here): the formatter then has nothing to change, and its run and the fix beside
    it are the whole settling. Formatted, the module is what it was when dsprod wrote the
    list on one line and left the rest to the formatter."""
    from dsprod.notebook._module import ModuleText, compose_module, new_module_text

    module = project / "pkg" / "m.py"
    base = ModuleText.parse(new_module_text(["n.ipynb"]), module)

    def composed(line_length: int | None) -> str:
        return compose_module(
            base,
            imports=[],
            constants=[],
            definitions=[(n, f"def {n}():\n    return {i}") for i, n in enumerate(names)],
            replacements={},
            exported=names,
            line_length=line_length,
        )

    module.write_text(composed(None))
    assert ruff(project, "format", str(module)).returncode == 0
    written = composed(ruff_line_length(module))
    if all(n.isascii() for n in names):
        assert written == module.read_text()
    else:  # ruff counts widths: left on one line, for the formatter to split
        assert written == composed(None)


def test_the_line_length_is_the_one_ruff_uses_for_the_module(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ruff finds it, or None when it is not known for sure."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    module = project / "pkg" / "m.py"
    assert ruff_line_length(module) == 60
    (project / "ruff.toml").write_text("line-length = 120\n")
    assert ruff_line_length(module) == 120  # ruff.toml before pyproject.toml
    (project / ".ruff.toml").write_text("line-length = 90\n")
    assert ruff_line_length(module) == 90  # .ruff.toml before ruff.toml
    (project / "pkg" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 70\n")
    assert ruff_line_length(module) == 70  # the closest to the module
    (project / "pkg" / "pyproject.toml").write_text("[tool.other]\n")
    assert ruff_line_length(module) == 90  # no [tool.ruff]: not ruff's configuration
    (project / ".ruff.toml").write_text('extend = "base.toml"\n')
    assert ruff_line_length(module) is None  # whatever base.toml says
    (project / ".ruff.toml").write_text('extend = "base.toml"\nline-length = 100\n')
    assert ruff_line_length(module) == 100  # its own wins over base.toml's (a dsprod project)
    (project / ".ruff.toml").write_text("line-length = [\n")  # ruff reports that itself
    assert ruff_line_length(module) is None
    (project / ".ruff.toml").write_text("[lint]\nselect = ['E']\n")
    assert ruff_line_length(module) == 88  # ruff's own
    for name in (".ruff.toml", "ruff.toml", "pyproject.toml"):
        (project / name).unlink()
    assert ruff_line_length(module) == 88  # no configuration anywhere
    (tmp_path / "config" / "ruff").mkdir(parents=True)
    (tmp_path / "config" / "ruff" / "ruff.toml").write_text("line-length = 200\n")
    assert ruff_line_length(module) is None  # the user's applies: not read here


_lines_text = st.lists(
    st.text(
        alphabet=st.sampled_from(["a", "#", " ", "\t", "\r", "\x0c", "\u3000", ":"]), max_size=6
    ),
    max_size=6,
).map("\n".join)


@settings(max_examples=500)
@given(_lines_text)
def test_the_quick_text_paths_give_what_splitting_every_line_gives(text: str) -> None:
    """A large module is not split line by line when nothing is to change: the result is
    still what the line-by-line rules give."""
    whole = "\n".join(line.rstrip() for line in text.rstrip().split("\n")) + "\n"
    assert _lint._whitespace_fixed(text) == whole
    lines = text.split("\n")
    leading = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    assert _lint._leading_comments(text) == lines[:leading]
    # The debt header goes, every other line stays (this alphabet writes no header line).
    header = f'{_lint._HEADER_NOTE}\n# ruff: noqa: E501\n# mypy: disable-error-code="misc"\n'
    assert _lint.strip_debt_header(header + text) == _lint.strip_debt_header(text) == text


def test_without_formatting_the_exports_stay_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-format writes the module as dsprod makes it: no layout borrowed from ruff."""
    from tests.helpers import run_cli, write_notebook

    names = [f"compute_feature_number_{i}" for i in range(6)]
    nb = write_notebook(tmp_path / "nb.ipynb", *(f"def {n}():\n    return 1" for n in names))
    assert run_cli(capsys, "extract", "--no-format", str(nb)).code == 0
    text = (tmp_path / "nb.py").read_text()
    assert '__all__: list[str] = ["compute_feature_number_0", "compute_feature_' in text


def test_the_switch_interval_is_short_while_any_work_runs_and_back_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = sys.getswitchinterval()
    first = Meanwhile(lambda: 1)
    second = Meanwhile(lambda: 2)
    assert sys.getswitchinterval() < before
    assert first() == 1  # ended first: the second still runs
    assert sys.getswitchinterval() < before
    second.abandon()
    assert sys.getswitchinterval() == before

    def no_thread(self: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(RuntimeError):
        Meanwhile(lambda: 3)
    assert sys.getswitchinterval() == before


@settings(max_examples=800)
@given(
    st.text(
        alphabet=st.sampled_from(
            ["a", "\n", " ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u3000", "é"]
        ),
        max_size=12,
    )
)
def test_whitespace_before_a_break_is_found_as_the_pattern_finds_it(text: str) -> None:
    assert _lint._space_before_a_break(text) == (_lint._SPACE_AT_END.search(text) is not None)
