"""One project model for every command: its pyproject.toml read once, bad tables refused the
same way everywhere, one interpreter, one way of running git."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dsprod._project as project_module
from dsprod._git import run_git, toplevel
from dsprod._output import say
from dsprod._project import find_project, project_python, require_project, venv_python
from dsprod._toml import load_toml
from dsprod.errors import ConfigError
from tests.helpers import make_project, run_cli, snapshot, write_notebook

DEFINITION = "def double(x):\n    return 2 * x"


def _fake_interpreter(venv: Path) -> Path:
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    return python


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('tool = 3\n[project]\nname = "mypkg"\n', "`tool` must be a table"),
        ('[project]\nname = "mypkg"\n[tool]\ndsprod = "x"\n', "[tool.dsprod] must be a table"),
        ("project = 3\n", "[project] must be a table"),
    ],
)
def test_a_table_that_is_not_one_is_the_same_clear_error_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pyproject: str, message: str
) -> None:
    make_project(tmp_path)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "dev.toml").write_text("")
    (tmp_path / "pyproject.toml").write_text(pyproject)
    nb = write_notebook(tmp_path / "notebooks" / "prices.ipynb", DEFINITION)
    before = snapshot(tmp_path)
    for command in (
        ["extract", str(nb)],
        ["check", str(nb)],
        ["env", "list"],
        ["env", "show", "dev"],
        ["doctor"],
    ):
        result = run_cli(capsys, *command)
        said = result.err + result.out
        assert result.code == 1, (command, said)
        assert f"pyproject.toml: {message}" in said, (command, said)
        assert "internal error" not in said, (command, said)
    assert snapshot(tmp_path) == before


def test_pyproject_is_parsed_once_per_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    # Lint reads it too ([tool.mypy], [tool.ruff]), and so does the debt ledger.
    nb = write_notebook(tmp_path / "notebooks" / "prices.ipynb", DEFINITION, "double(2)")
    parsed: list[Path] = []
    real = load_toml

    def counting(path: Path, root: Path | None = None, data: bytes | None = None) -> dict[str, Any]:
        parsed.append(path)
        return real(path, root, data)

    monkeypatch.setattr(project_module, "load_toml", counting)
    for command in (["extract", str(nb)], ["check", str(nb)]):
        project_module._parsed.cache_clear()
        parsed.clear()
        result = run_cli(capsys, *command)
        assert result.code == 0, result.err
        assert parsed == [tmp_path / "pyproject.toml"], command
    # A file edited since is read again, not served from the cache, even at the same size
    # within one tick of the file system's clock.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("tool = 3\n")
    with pytest.raises(ConfigError, match="`tool` must be a table"):
        find_project(tmp_path)
    pyproject.write_text("tooo = 3\n")  # the same size, at once
    found = find_project(tmp_path)
    assert found is not None and found.pyproject == {"tooo": 3}


def test_a_declared_package_that_is_missing_is_never_swapped_for_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, "other")
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('[tool.dsprod]\npackage = "mypkgg"\n')
    project = require_project(tmp_path)
    # `env` and `doctor` name the declared package (its import fails, and says so); they used
    # to fall back to src/other/ without a word.
    assert (project.package, project.package_dir) == ("mypkgg", None)
    assert project.settings_module == "mypkgg.settings"
    nb = write_notebook(tmp_path / "prices.ipynb", DEFINITION)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 1
    assert "[tool.dsprod] package = 'mypkgg', but neither src/mypkgg/ nor mypkgg/" in result.err
    assert snapshot(tmp_path) == before


def test_outside_a_project_extract_goes_on_and_env_refuses(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the search stops at the top of the repository
    assert find_project(tmp_path) is None
    with pytest.raises(ConfigError, match="not inside a project") as caught:
        require_project(tmp_path)
    # The next step names `dsprod new`'s option as data; the CLI spells it.
    assert say(caught.value.hint) == (
        "cd into a project made by `dsprod new`, or make one: dsprod new NAME --defaults"
    )


def test_one_interpreter_for_verify_tests_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.venv`, else the active virtual environment, else dsprod's own: extract --verify and
    --tests used to skip the active environment that `env show` honoured."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    assert project_python(root) == Path(sys.executable)
    active = _fake_interpreter(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    assert project_python(root) == active
    own = _fake_interpreter(root / ".venv")
    assert own == venv_python(root)
    assert project_python(root) == own
    assert project_python(root, active) == active  # --python wins
    with pytest.raises(ConfigError, match="no interpreter at"):
        project_python(root, tmp_path / "nowhere" / "python")


def test_run_git_reports_rather_than_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "caf\udce9.ipynb").write_text("{}")  # a name that is not UTF-8 (Latin-1 bytes)
    listed = run_git("ls-files", "-z", "--others", cwd=repo)
    assert listed is not None and listed.returncode == 0
    assert listed.stdout == "caf\ufffd.ipynb\0"
    assert toplevel(repo) == repo.resolve()
    assert toplevel(tmp_path) is None  # not a repository
    outside = run_git("rev-parse", "--show-toplevel", cwd=tmp_path)
    assert outside is not None and outside.returncode != 0
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run_git("--version", cwd=repo) is None  # no git: nothing to run, no exception
    assert toplevel(repo) is None
