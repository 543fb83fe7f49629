"""`dsprod new` from the command line: status lines, next steps, names, the template's home."""

from __future__ import annotations

import importlib
import json
import stat
import sys
from pathlib import Path

import pytest
import yaml

import dsprod
from dsprod.errors import TemplateError
from dsprod.scaffold import find_template
from tests.helpers import run_cli, write_notebook


def test_creates_and_says_what_next(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "new", "churn-model", "--defaults", "-d", "service=fastapi")
    assert result.code == 0, result.err
    assert result.out == ""  # status lines only, on stderr
    promoted, *lines = result.err.splitlines()
    assert promoted.split()[:2] == ["extract", "DIGITS,"]  # the example notebook's code
    assert lines[0].split()[:2] == ["create", "churn-model/"]
    assert "package churn_model, Python 3.11, CI github, service fastapi" in lines[0]
    assert "service fastapi" in lines[0]
    nexts = [line.split(None, 1)[1] for line in lines[1:]]
    assert all(line.split()[0] == "next" for line in lines[1:])
    assert nexts[0] == "cd churn-model"
    assert "dsprod setup && dsprod doctor" in nexts
    project = tmp_path / "churn-model"
    assert (project / "src" / "churn_model" / "service.py").is_file()
    # The folder is the user's, with their umask, not the private mode of a temporary folder.
    assert stat.S_IMODE(project.stat().st_mode) & 0o755 == 0o755


def test_quiet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "-q", "new", "proj", "--defaults")
    assert result.code == 0, result.err
    assert result.err == ""
    assert (tmp_path / "proj" / "pyproject.toml").is_file()


def test_empty_existing_folder_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir(mode=0o750)
    result = run_cli(capsys, "new", "proj", "--defaults")
    assert result.code == 0, result.err
    assert (tmp_path / "proj" / "pyproject.toml").is_file()
    assert stat.S_IMODE((tmp_path / "proj").stat().st_mode) == 0o750


def test_into_the_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `mkdir p && cd p && dsprod new .`: the shell's folder must stay the project's folder.
    (tmp_path / "p").mkdir()
    monkeypatch.chdir(tmp_path / "p")
    inode = Path.cwd().stat().st_ino
    result = run_cli(capsys, "new", ".", "--defaults")
    assert result.code == 0, result.err
    assert Path("pyproject.toml").is_file()
    assert Path.cwd().stat().st_ino == inode
    assert "next  cd" not in result.err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_parents_are_made(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "new", "work/2026/proj", "--defaults")
    assert result.code == 0, result.err
    assert (tmp_path / "work" / "2026" / "proj" / "src" / "proj").is_dir()


@pytest.mark.parametrize(
    ("folder", "project", "package"),
    [
        ("My Project", "my-project", "my_project"),
        ("2048", "2048", "pkg_2048"),
        ("email", "email", "email_pkg"),
        ("class", "class", "class_pkg"),
        ("Données_Été", "donnees_ete", "donnees_ete"),
        ("a--b..c", "a--b..c", "a_b_c"),
        ("x" * 60, "x" * 50, "x" * 36),
    ],
)
def test_names_derived_from_the_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, folder: str, project: str, package: str
) -> None:
    result = run_cli(capsys, "new", folder, "--defaults")
    assert result.code == 0, result.err
    pyproject = (tmp_path / folder / "pyproject.toml").read_text()
    assert f'name = "{project}"' in pyproject
    assert f'package = "{package}"' in pyproject


def test_git_identity_becomes_the_author(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # conftest sets GIT_AUTHOR_NAME=Test, GIT_AUTHOR_EMAIL=test@example.com
    assert run_cli(capsys, "new", "proj", "--defaults").code == 0
    pyproject = (tmp_path / "proj" / "pyproject.toml").read_text()
    assert 'authors = [{ name = "Test", email = "test@example.com" }]' in pyproject
    assert "Copyright (c)" in (tmp_path / "proj" / "LICENSE").read_text()
    assert run_cli(capsys, "new", "p2", "--defaults", "-d", "author_name=Grace").code == 0
    assert 'name = "Grace"' in (tmp_path / "p2" / "pyproject.toml").read_text()


def test_the_example_notebook_arrives_promoted_and_stays_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = run_cli(capsys, "new", "proj", "--defaults")
    assert created.code == 0
    assert "extract  DIGITS, spread from notebooks/01-explore-demo-data.ipynb" in created.err
    project = tmp_path / "proj"
    monkeypatch.chdir(project)
    notebook = Path("notebooks/01-explore-demo-data.ipynb")
    module = project / "src" / "proj" / "nb_01_explore_demo_data.py"
    text = module.read_text()
    for name in ("def spread(points: pd.DataFrame)", "DIGITS = 3", "import pandas as pd"):
        assert name in text
    # Exactly what the notebook still uses: DIGITS moved with spread, which alone needs it.
    assert 'from proj.nb_01_explore_demo_data import spread"' in notebook.read_text()
    assert "def spread" not in notebook.read_text()
    assert run_cli(capsys, "check").code == 0
    again = run_cli(capsys, "extract", str(notebook))
    assert again.code == 0 and module.read_text() == text

    # A new definition in the notebook: check finds it, extract promotes it.
    document = json.loads(notebook.read_text())
    document["cells"].append(
        {"cell_type": "code", "execution_count": None, "id": "new", "metadata": {},
         "outputs": [], "source": ["def double(x):\n", "    return 2 * x"]}
    )  # fmt: skip
    notebook.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    found = run_cli(capsys, "check")
    assert found.code == 1
    where = f"notebooks/01-explore-demo-data.ipynb:cell {len(document['cells'])}:line 1"
    assert f"{where}: function `double`" in found.out
    assert run_cli(capsys, "extract", str(notebook)).code == 0
    assert "def double" in module.read_text()
    assert run_cli(capsys, "check").code == 0


def test_a_notebook_written_by_hand_lands_in_the_package_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(capsys, "new", "proj", "--defaults", "-d", "example_notebook=no").code == 0
    monkeypatch.chdir(tmp_path / "proj")
    assert not list(Path("notebooks").glob("*.ipynb"))
    write_notebook(Path("notebooks/02-scale.ipynb"), "def double(x):\n    return 2 * x")
    assert run_cli(capsys, "extract", "notebooks/02-scale.ipynb").code == 0
    assert "def double" in Path("src/proj/nb_02_scale.py").read_text()


def test_template_is_found_in_the_checkout() -> None:
    template = find_template()
    assert template.path == Path(dsprod.__file__).resolve().parents[2] / "template"
    config = yaml.safe_load((template.path / "copier.yml").read_text())
    names = [k for k in config if not k.startswith("_") and k != "reserved_names"]
    assert list(template.questions) == names


def test_template_inside_an_installed_package_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "dsprod"
    (package / "_template").mkdir(parents=True)
    (package / "_template" / "copier.yml").write_text("project_name:\n  type: str\n")
    monkeypatch.setattr(dsprod, "__file__", str(package / "__init__.py"))
    assert find_template().path == package / "_template"
    (package / "_template" / "copier.yml").unlink()
    with pytest.raises(TemplateError, match="template is missing"):
        find_template()


def test_reserved_names_cover_the_standard_library() -> None:
    text = (find_template().path / "copier.yml").read_text()
    reserved = set(text.split("reserved_names:", 1)[1].split("\n\n", 1)[0].split())
    public = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert public <= reserved, sorted(public - reserved)


def test_library_call_returns_the_recorded_answers(tmp_path: Path) -> None:
    new_project = importlib.import_module("dsprod").new_project
    result = new_project(tmp_path / "lib", {"ci": "none"}, defaults=True)
    assert result.path == tmp_path / "lib"
    assert result.answers["ci"] == "none"
    assert result.answers["package_name"] == "lib"
    assert "kubernetes" not in result.answers  # not asked without the service
    assert result.template_version == dsprod.__version__
    assert result.files == sum(1 for p in result.path.rglob("*") if p.is_file())
