"""The CLI contract: version, help, exit codes, the one error handler, --quiet.

Exit codes: 0 success; 1 a user error or a finding; 2 a usage error; 3 an internal error (with
the traceback written to a file the message names); 130 interrupted.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod
import dsprod.notebook.extract
from dsprod._extras import install_command
from dsprod.cli import _root_help
from dsprod.notebook.extract import ExtractOptions, ExtractResult
from tests.helpers import CliResult, code_sources, run_cli, write_notebook

REPO = Path(__file__).resolve().parents[1]
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


def test_keyboard_interrupt_says_so_and_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)

    def interrupted(path: Path, options: ExtractOptions, output: object) -> ExtractResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(dsprod.notebook.extract, "extract_notebook", interrupted)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 130, result.err
    assert "interrupted" in result.err
    assert "internal error" not in result.err
    assert list((tmp_path / "tmp").iterdir()) == []  # no traceback file: not a bug


def test_the_console_script_reaches_main_after_only_light_imports() -> None:
    # The console script imports `dsprod.cli` before `main` can catch a Ctrl-C: whatever that
    # import pulls in is a window where Ctrl-C prints a traceback instead of "interrupted".
    # pathlib and typing cost 20 ms each; neither may be imported on the way to `main`.
    probe = "import sys, dsprod.cli; print([m for m in ('pathlib', 'typing') if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def console_script(tmp_path: Path, before: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`dsprod ARGS` as the console script runs it (`main()`), after the Python in `before`;
    its standard streams buffered, as they are in a pipe."""
    script = f"{before}\nfrom dsprod.cli import main\nmain()"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def test_the_fast_path_ends_with_its_output_written_and_its_code(tmp_path: Path) -> None:
    # The fast path's process ends without the interpreter's finalization: what it printed
    # is written all the same (a pipe buffers it), and the exit code is the command's.
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    shown = console_script(tmp_path, "", "--version")
    assert (shown.returncode, shown.stdout) == (0, f"dsprod {dsprod.__version__}\n")
    done = console_script(tmp_path, "", "extract", "--no-format", str(nb))
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+extract  area ", done.stderr, re.MULTILINE), done.stderr
    assert "def area(r):" in (tmp_path / "shapes.py").read_text()
    refused = console_script(tmp_path, "", "extract", "missing.ipynb")
    assert refused.returncode == 1
    assert "missing.ipynb: no such file" in refused.stderr


@pytest.mark.parametrize(
    "before",
    [
        "import atexit\natexit.register(lambda: print('at exit'))",
        # A thread the exit waits for: it prints after the command's output.
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('at exit'))).start()",
    ],
)
def test_the_fast_path_ends_as_python_does_when_something_waits_for_the_exit(
    tmp_path: Path, before: str
) -> None:
    done = console_script(tmp_path, before, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"dsprod {dsprod.__version__}\nat exit\n"


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
    assert script is not None, "the dsprod console script is not installed: pip install -e ."
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


# --- the fast path: check, --help and --version without typer --------------------------------

# Every package `pip install dsprod` brings, by import name: the dsprod-check hook's environment
# has none of them (it installs dsprod with --no-deps).
DEPENDENCIES = (
    "typer", "click", "rich", "pydantic", "jupytext", "nbformat", "ruff", "jupyter_client",
    "packaging", "filelock", "copier", "yaml", "pathspec", "nbclient", "ipykernel",
)  # fmt: skip
# Runs dsprod as in an environment without them: importing one fails as it would there.
WITHOUT_DEPENDENCIES = """
import sys
from importlib.abc import MetaPathFinder

class Absent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Absent())
from dsprod.cli import main
main(sys.argv[1:])
"""


def without_dependencies(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = WITHOUT_DEPENDENCIES.format(blocked=set(DEPENDENCIES))
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"},
    )


def test_the_hook_path_needs_none_of_dsprods_dependencies(tmp_path: Path) -> None:
    write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    write_notebook(tmp_path / "clean.ipynb", "x = 1")
    found = without_dependencies(tmp_path, "check", "shapes.ipynb", "clean.ipynb")
    assert found.returncode == 1, found.stderr
    assert found.stdout.startswith("shapes.ipynb:cell 2:line 1: function `area` is defined"), (
        found.stdout + found.stderr
    )
    assert "found  2 problem(s)" in found.stderr
    assert without_dependencies(tmp_path, "-q", "check", "clean.ipynb").returncode == 0
    assert json.loads(without_dependencies(tmp_path, "check", "--json", "clean.ipynb").stdout) == {
        "problems": []
    }
    # A percent script needs jupytext: said, located, and the other files are still checked.
    (tmp_path / "analysis.py").write_text("# %%\ndef f():\n    return 1\n")
    percent = without_dependencies(tmp_path, "check", "analysis.py", "shapes.ipynb")
    assert percent.returncode == 1, percent.stderr
    assert percent.stdout.startswith(
        "analysis.py: a percent-format notebook: reading it needs jupytext, not installed here\n"
        "  next: "
    ), percent.stdout + percent.stderr
    assert "shapes.ipynb:cell 2:line 1: function `area`" in percent.stdout
    shown = without_dependencies(tmp_path, "--help")
    assert (shown.returncode, shown.stdout) == (0, _root_help.TEXT), shown.stderr
    version = without_dependencies(tmp_path, "--version")
    assert version.stdout == f"dsprod {dsprod.__version__}\n"
    # Any other command says what is missing and the command that installs it.
    other = without_dependencies(tmp_path, "extract", "shapes.ipynb")
    assert other.returncode == 1, other.stderr
    assert "installed without its dependencies" in other.stderr
    assert "it can run `dsprod check` only" in other.stderr
    assert re.search(r"next: \S+ -m pip install", other.stderr), other.stderr


@pytest.mark.parametrize("columns", ["80", "132"])
def test_the_fast_help_is_the_applications(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """`dsprod --help` prints a stored copy of typer's text; it must not drift."""
    from dsprod.cli import _fast
    from dsprod.cli._app import run_app

    monkeypatch.setenv("COLUMNS", columns)
    capsys.readouterr()
    assert run_app(["--help"]) == 0
    by_typer = capsys.readouterr().out
    assert _fast.run(["--help"]) == 0
    assert capsys.readouterr().out == by_typer, (
        "cli/dsprod/cli/_root_help.py is stale: write it again with "
        "python -c 'from dsprod.cli._app import write_root_help as w; w()'"
    )
    # A narrow terminal wraps differently: typer answers.
    monkeypatch.setenv("COLUMNS", "60")
    assert _fast.run(["--help"]) is None


def test_the_fast_check_and_typers_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same arguments give the same output and exit code by both paths."""
    from dsprod.cli import _fast
    from dsprod.cli._app import run_app

    write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    for args in (["check", "shapes.ipynb"], ["-q", "check", "--json", "shapes.ipynb"]):
        capsys.readouterr()
        fast = _fast.run(args)
        by_fast = capsys.readouterr()
        slow = run_app(args)
        by_typer = capsys.readouterr()
        assert fast == slow == 1
        assert (by_fast.out, by_fast.err) == (by_typer.out, by_typer.err)
    # What it does not know goes to typer, which explains it.
    assert _fast.run(["check", "--no-such-option"]) is None
    assert _fast.run(["check", "--help"]) is None
    assert _fast.run(["env", "list"]) is None
    # --version is eager there too: the check does not run.
    capsys.readouterr()
    assert _fast.run(["--version", "check", "shapes.ipynb"]) == 0
    assert capsys.readouterr().out == f"dsprod {dsprod.__version__}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["extract", "{nb}"],
        ["-q", "extract", "{nb}", "--no-format", "-m", "geometry"],
        ["--no-color", "extract", "--dry-run", "--only", "area", "{nb}", "--parametrize"],
        ["extract", "{nb}", "--module", "bad name"],  # an error of dsprod's, exit 1
        ["extract", "{nb}", "missing.ipynb", "--no-parametrize", "--no-autoreload"],
        ["extract", "--module=geometry", "{nb}", "--timeout=5", "--format", "--no-format"],
    ],
    ids=["plain", "quiet-module", "dry-only", "bad-module", "one-missing", "equals"],
)
def test_the_fast_extract_and_typers_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """`dsprod extract` without typer: the same output, exit code and files as typer's."""
    from dsprod.cli import _fast
    from dsprod.cli._app import run_app

    outcomes = []
    for way, runner in (("fast", _fast.run), ("typer", run_app)):
        folder = tmp_path / way
        nb = write_notebook(folder / "shapes.ipynb", *CELLS)
        capsys.readouterr()
        code = runner([a.format(nb=nb) for a in args])
        said = capsys.readouterr()
        files = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        # Paths are shown relative to the working folder, or absolute.
        out, err = (t.replace(str(folder), "DIR").replace(f"{way}/", "DIR/") for t in said)
        outcomes.append((code, out, err, files))
    assert outcomes[0][0] is not None, "the fast path left it to typer"
    assert outcomes[0] == outcomes[1]


def test_the_fast_extract_needs_no_typer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsprod.cli import _fast

    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    for heavy in ("typer", "pydantic", "nbclient", "copier"):
        monkeypatch.setitem(sys.modules, heavy, None)  # importing it raises ImportError
    assert _fast.run(["-q", "extract", str(nb)]) == 0, capsys.readouterr().err
    assert "def area(r):" in (tmp_path / "shapes.py").read_text()
    assert "def area" not in "".join(code_sources(nb))


class _Refusing:
    """A finder that says a module is missing, as the commit hook's environment would."""

    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == "json":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


class _Legacy:
    """A finder of before Python 3.4: find_module only."""

    def find_module(self, name: str, path: object = None) -> None:
        return None


@pytest.mark.parametrize("finders", [(), (_Refusing(),), (_Legacy(),)])
@pytest.mark.parametrize("name", ["json", "ruff", "pytest", "no_such_module_here", "sys"])
def test_the_fast_extract_finds_ruff_as_find_spec_does(
    monkeypatch: pytest.MonkeyPatch, finders: tuple[object, ...], name: str
) -> None:
    import importlib.util
    import warnings

    from dsprod.cli import _fast

    monkeypatch.setattr(sys, "meta_path", [*finders, *sys.meta_path])
    if name == "json":  # not imported yet: the finders are asked
        monkeypatch.delitem(sys.modules, "json")
    answers: list[bool | str | None] = []
    for find in (_fast._findable, lambda n: importlib.util.find_spec(n) is not None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)  # the legacy finder's
            try:
                answers.append(find(name))
            except ModuleNotFoundError as exc:
                answers.append(exc.name)
    assert answers[0] == answers[1]


def test_the_fast_path_imports_ntpath_as_python_does() -> None:
    # `_fast` imports ntpath with Windows' modules marked missing: the same module results
    # (each name, a function by where it is defined), and nothing is left marked.
    probe = (
        "import sys\n{first}import ntpath\n"
        "code = lambda v: getattr(v, '__code__', None)\n"
        "print([(k, code(v).co_firstlineno if code(v) else repr(v)) for k, v in"
        " sorted(vars(ntpath).items()) if k not in ('__builtins__', '__loader__', '__spec__')])\n"
        "print([m for m in ('nt', '_winapi') if m in sys.modules])"
    )
    found = [
        subprocess.run(
            [sys.executable, "-c", probe.format(first=first)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for first in ("", "import dsprod.cli._fast\n")
    ]
    assert found[0] == found[1]
    assert found[1].endswith("\n[]\n")


def test_the_fast_extract_imports_only_what_it_uses(tmp_path: Path) -> None:
    # What only rare inputs need is imported where it is used: a `%run` line (shlex), a
    # notebook name that is not ASCII (unicodedata), a percent script (copy), --verify's kernel
    # client. And typing is for mypy: records are `dsprod._records`', annotations strings (12 M
    # instructions); importlib is not needed to find ruff or a SHA-256 (1.5 M).
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    rare = ("shlex", "unicodedata", "copy", "jupyter_client", "typer", "typing", "importlib")
    probe = (
        "import sys\nfrom dsprod.cli import _fast\n"
        f"assert _fast.run(['-q', 'extract', '--no-format', {str(nb)!r}]) == 0\n"
        f"print(sorted(m for m in {rare!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr
    assert "def area(r):" in (tmp_path / "shapes.py").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["extract", "--help"],
        ["extract", "x.ipynb", "-h"],
        ["extract"],  # typer's help, as no_args_is_help says
        ["extract", "--bogus", "x.ipynb"],
        ["extract", "--only", " , ", "x.ipynb"],  # names nothing: typer's usage error
        ["extract", "--timeout", "0", "x.ipynb"],
        ["extract", "--timeout", "soon", "x.ipynb"],
        ["extract", "--timeout", "\u0663", "x.ipynb"],  # int() reads Arabic-Indic 3; typer not
        ["extract", "--dry", "x.ipynb"],  # argparse would take the abbreviation; click not
        ["extract", "--dry-run=yes", "x.ipynb"],
        ["extract", "-m=lib", "x.ipynb"],  # click's value is `=lib`
        ["extract", "x.ipynb", "-m"],
        ["extract", "-m", "-x", "x.ipynb"],
        ["extract", "--", "x.ipynb"],
        ["extract", "--version"],  # no notebook: typer's to say what it does then
        ["check", "--fix=yes"],
    ],
)
def test_what_the_fast_extract_leaves_to_typer(args: list[str]) -> None:
    from dsprod.cli import _fast

    assert _fast.run(args) is None


def test_the_error_handler_honours_color(capsys: pytest.CaptureFixture[str]) -> None:
    coloured = run_cli(capsys, "--color", "extract", "missing.ipynb")
    assert "\x1b[31merror\x1b[0m: missing.ipynb: no such file" in coloured.err
    plain = run_cli(capsys, "--no-color", "extract", "missing.ipynb")
    assert plain.err.startswith("error: missing.ipynb: no such file")


def test_verify_without_its_extra_stops_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    before = nb.read_bytes()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nbclient" else real(name, *a)
    )
    result = run_cli(capsys, "extract", "--verify", str(nb))
    assert result.code == 1, result.err
    assert "nbclient is not installed beside dsprod" in result.err
    assert "it comes with dsprod[verify]" in result.err
    install = install_command("verify")
    assert f"next: {install}" in result.err
    # dsprod runs from this checkout: the extra is installed from it.
    assert install.endswith((f"{REPO}[verify]", f"{REPO}[verify]'")), install
    assert nb.read_bytes() == before
    assert not (tmp_path / "shapes.py").exists()  # no module either


@pytest.mark.parametrize("command", ["check", "extract"])
def test_the_fast_parsers_declare_typers_options(command: str) -> None:
    """The fast path parses a command's options a second time: a test keeps the two the same.

    An option added to the typer command and not to the fast parser would be refused as an
    unknown option (then left to typer, which is slower but right); one whose default differs
    would silently run differently. Options, kinds and defaults are compared.
    """
    import importlib
    import typing

    import typer.models

    from dsprod.cli import _fast

    # What the command function declares (typer's public model: Annotated[T, typer.Option(...)]
    # and the default), not typer's parsed command, whose internals change between releases.
    function = getattr(importlib.import_module(f"dsprod.cli.{command}"), command)
    hints = typing.get_type_hints(function, include_extras=True)
    takes, defaults = getattr(_fast, f"{command.upper()}_OPTIONS")

    def typers() -> dict[str, object]:
        found: dict[str, object] = {}
        for name, parameter in inspect.signature(function).parameters.items():
            hint = hints[name]
            if typing.get_origin(hint) is not typing.Annotated:
                continue  # the typer context
            kind, *extras = typing.get_args(hint)
            info = next(e for e in extras if isinstance(e, typer.models.ParameterInfo))
            if not isinstance(info, typer.models.OptionInfo):
                continue  # an argument
            kinds = [k for k in typing.get_args(kind) if k is not type(None)] or [kind]
            spelled = "switch" if kinds[0] is bool else kinds[0].__name__
            # Inside Annotated, typer takes Option's first positional (`default`) as the first
            # declaration: typer.Option("--fix") declares --fix.
            first = (info.default,) if isinstance(info.default, str) else ()
            for declared in (*first, *(info.param_decls or ())):
                for flag in declared.split("/"):
                    found[flag] = (spelled, parameter.default)
        return found

    def fasts() -> dict[str, object]:
        found: dict[str, object] = {}
        for flag, (name, taken) in takes.items():
            kind = "switch" if isinstance(taken, bool) else taken.__name__
            found[flag] = (kind, defaults[name])
        return found

    assert fasts() == typers()


def test_a_deleted_working_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A shell left in a folder that was removed: exit 1 and a next step, not exit 3."""
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    gone = tmp_path / "gone"
    gone.mkdir()
    dsprod = shutil.which("dsprod", path=str(Path(sys.executable).parent)) or "dsprod"
    for args in (["extract", str(nb)], ["check", str(nb)], ["env", "list"]):
        # The shell enters the folder, removes it, then runs dsprod there.
        done = subprocess.run(
            ["sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh", gone, dsprod, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        gone.mkdir()
        assert done.returncode == 1, (args, done.stderr)
        assert "the working folder no longer exists" in done.stderr
        assert "next: cd to an existing folder" in done.stderr
    assert "def area" in "".join(code_sources(nb)), "the notebook was changed"


@pytest.mark.parametrize("ends", [False, True])
def test_what_an_extraction_made_is_kept_only_when_the_process_ends_after_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ends: bool,
) -> None:
    # The console script's process ends with the command: its trees are left to the exit to
    # free. Any other caller's process goes on: nothing is kept.
    from dsprod.cli import _fast

    monkeypatch.setattr(_fast, "PROCESS_ENDS_AFTER", ends)
    monkeypatch.setattr(dsprod.notebook.extract, "_KEPT", None)
    nb = write_notebook(tmp_path / "nb.ipynb", "def f(x):\n    return x + 1", "print(f(1))")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    kept = dsprod.notebook.extract._KEPT
    if ends:
        assert kept is not None and len(kept) == 1
    else:
        assert kept is None
    assert code_sources(nb) == ["from nb import f", "print(f(1))"]


def test_the_console_script_says_its_process_ends_after_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dsprod.cli import _fast, main

    monkeypatch.setattr(_fast, "PROCESS_ENDS_AFTER", False)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert _fast.PROCESS_ENDS_AFTER is False  # given argv: called by code that goes on
    monkeypatch.setattr(sys, "argv", ["dsprod", "--version"])
    monkeypatch.setattr("dsprod.cli._leave", lambda code: None)
    with pytest.raises(SystemExit):
        main()
    assert _fast.PROCESS_ENDS_AFTER is True
