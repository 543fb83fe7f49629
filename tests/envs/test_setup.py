"""Slow tier: `dsprod setup` on a fresh clone of a generated project, then `dsprod doctor`.

Real components: a git repository, a `.venv` made by uv (and one by venv + pip), the project
installed with its dev group, `pre-commit install`, `ipykernel install --user` (under a HOME of
the session), a kernel started by nbclient through the registered kernelspec. dsprod itself
runs from this checkout (`python -m dsprod`); the project's dev group takes dsprod from a wheel
built from it, since dsprod is not on the package index yet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsprod.devenv.setup import STAMP
from tests.envs.conftest import PACKAGE
from tests.scaffold._env import run, tool_env
from tests.scaffold.conftest import generate

pytestmark = pytest.mark.slow

NAME = "demo-project"


@dataclass(frozen=True)
class SetUp:
    project: Path
    env: dict[str, str]
    first: str  # what the first `dsprod setup` said (stderr)

    def dsprod(self, *args: str, check: bool = True, **extra: str) -> tuple[int, str, str]:
        done = run(
            [sys.executable, "-m", "dsprod", *args],
            cwd=self.project,
            env={**self.env, **extra},
            check=check,
        )
        return done.returncode, done.stdout, done.stderr


def fresh_clone(base: Path, wheel: Path) -> tuple[Path, dict[str, str]]:
    project = generate(base / NAME, {})
    env = tool_env(
        base / "home",
        # dsprod is not on the package index: the dev group takes it from the wheel.
        UV_FIND_LINKS=str(wheel.parent),
        PIP_FIND_LINKS=str(wheel.parent),
        PRE_COMMIT_HOME=str(base / "pre-commit"),
    )
    run(["git", "init", "-q"], cwd=project, env=env)
    run(["git", "add", "-A"], cwd=project, env=env)
    return project, env


@pytest.fixture(scope="session")
def set_up(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> SetUp:
    project, env = fresh_clone(tmp_path_factory.mktemp("setup"), wheel)
    done = run([sys.executable, "-m", "dsprod", "setup"], cwd=project, env=env)
    return SetUp(project, env, done.stderr)


def test_setup_makes_the_environment(set_up: SetUp) -> None:
    project, said = set_up.project, set_up.first
    for line in (
        "create  .env (from .env.example: put your local values there)",
        "create  .venv (Python ",
        f"install  {NAME} and its dev group: uv pip install --python .venv/bin/python -e . "
        "--group dev",
        "done  installed in ",
        "create  hooks (.git/hooks/pre-commit runs pre-commit from .venv)",
        "install  hook environments: .venv/bin/pre-commit install-hooks",
        "create  hook envs (",
        "create  filter (notebooks are committed stripped by ",
        f'create  kernel ({NAME}: "{NAME} (.venv)" starts .venv/bin/python)',
        "run  mypy, to fill its cache: the first extract's check is then quick",
        "create  mypy cache (filled in ",
        "next  dsprod doctor",
    ):
        assert line in said, said
    assert (project / ".env").read_text() == (project / ".env.example").read_text()
    assert (project / ".env").stat().st_mode & 0o777 == 0o600
    assert (project / ".venv" / STAMP).is_file()


def test_doctor_is_all_ok_after_setup(set_up: SetUp) -> None:
    code, out, err = set_up.dsprod("doctor")
    assert code == 0, out + err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * len(lines), out
    assert f"ok       venv: .venv imports {PACKAGE} from src/{PACKAGE}" in lines
    assert "ok       env dev: dsprod env check dev passes" in lines
    assert "ok  the development environment is in order" in err


def test_the_dsprod_check_hook_environment_is_light(set_up: SetUp) -> None:
    """The hook installs dsprod without its dependencies (`dsprod check` needs none): its
    environment is dsprod, pip and the interpreter, far under 40 MB, and it works (doctor ran
    it on a sample notebook above)."""
    home = Path(set_up.env["PRE_COMMIT_HOME"])
    (environment,) = [p.parents[1] for p in home.glob("repo*/py_env-*/bin/dsprod")]
    installed = {
        p.name.split("-")[0].lower()
        for p in environment.glob("lib/python*/site-packages/*.dist-info")
    }
    assert "dsprod" in installed
    assert not installed & {"typer", "ruff", "jupytext", "nbformat", "copier", "rich"}, installed
    size = sum(p.lstat().st_size for p in environment.rglob("*") if not p.is_dir())
    assert size < 40e6, f"{size / 1e6:.1f} MB"


def test_the_kernel_imports_the_package(
    set_up: SetUp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import nbclient
    import nbformat

    # The kernelspec was registered for the user of the session's HOME.
    monkeypatch.setenv("HOME", set_up.env["HOME"])
    source = f"import sys, {PACKAGE}\nprint(sys.executable)\nprint({PACKAGE}.__file__)"
    notebook = nbformat.from_dict(
        {
            "cells": [{"cell_type": "code", "execution_count": None, "id": "imports",
                       "metadata": {}, "outputs": [], "source": source}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )  # type: ignore[no-untyped-call]  # fmt: skip
    client = nbclient.NotebookClient(
        notebook, kernel_name=NAME, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    text = notebook.cells[0].outputs[0]["text"]
    executable, module = text.splitlines()
    assert Path(executable) == set_up.project / ".venv" / "bin" / "python"
    assert Path(module).is_relative_to(set_up.project / "src" / PACKAGE)


def test_a_second_setup_changes_nothing_and_says_so(set_up: SetUp) -> None:
    project = set_up.project
    home = Path(set_up.env["HOME"])
    watched = [
        project / ".env",
        project / ".git" / "hooks" / "pre-commit",
        project / ".venv" / STAMP,
        project / ".venv" / "pyvenv.cfg",
        *home.glob(".local/share/jupyter/kernels/*/kernel.json"),
    ]
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in watched}
    packages = sorted(p.name for p in project.glob(".venv/lib/python*/site-packages/*"))
    code, _, said = set_up.dsprod("setup")
    assert code == 0, said
    assert [line.split()[0] for line in said.splitlines()] == ["identical"] * 9, said
    assert said.splitlines()[-1] == (
        " identical  nothing to do: the development environment is set up"
    )
    assert {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in watched} == before
    assert sorted(p.name for p in project.glob(".venv/lib/python*/site-packages/*")) == packages


def test_removed_hooks_are_reported_with_the_fix_and_setup_restores_them(set_up: SetUp) -> None:
    hook = set_up.project / ".git" / "hooks" / "pre-commit"
    hook.unlink()
    code, out, err = set_up.dsprod("doctor", check=False)
    assert code == 1
    assert (
        "problem  hooks: no pre-commit hook at .git/hooks/pre-commit\n"
        "  next: .venv/bin/pre-commit install\n"
    ) in out
    assert "found  1 problem(s)" in err
    code, _, said = set_up.dsprod("setup")
    assert "create  hooks (.git/hooks/pre-commit runs pre-commit from .venv)" in said
    assert "create  .venv" not in said  # only what was missing
    assert set_up.dsprod("doctor")[0] == 0


def test_env_check_runs_in_the_project_venv(set_up: SetUp) -> None:
    code, out, err = set_up.dsprod("env", "check", "prod", check=False)
    assert code == 1
    assert "MODEL_SIGNING_KEY must be set" in out
    code, out, err = set_up.dsprod("env", "check", "prod", MODEL_SIGNING_KEY="k" * 32)
    assert code == 0
    assert "(settings run by .venv/bin/python)" in err


def test_setup_without_uv_uses_venv_and_pip(wheel: Path, tmp_path: Path) -> None:
    project, env = fresh_clone(tmp_path, wheel)
    # PATH without uv: the tools' folder of the tests holds one, so leave it out.
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if not (Path(p) / "uv").exists())
    assert shutil.which("uv", path=env["PATH"]) is None
    done = run([sys.executable, "-m", "dsprod", "setup"], cwd=project, env=env)
    assert "-m venv .venv" in done.stderr
    assert ".venv/bin/python -m pip install -e . --group dev" in done.stderr
    doctor = run([sys.executable, "-m", "dsprod", "doctor"], cwd=project, env=env, check=False)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert (
        json.loads(
            run([sys.executable, "-m", "dsprod", "doctor", "--json"], cwd=project, env=env).stdout
        )["checks"][1]["status"]
        == "ok"
    )


# --- hook environments and the notebook filter (issue 12: items 4 and 8) --------------------

NOTEBOOK = "notebooks/01-explore-demo-data.ipynb"


def with_outputs(path: Path, extra: dict[str, object] | None = None) -> int:
    """Give every code cell an output, as running the notebook would; return how many."""
    document = json.loads(path.read_text())
    code = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    for number, cell in enumerate(code, 1):
        cell["execution_count"] = number
        cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": [f"{number}\n"]}]
    document["metadata"]["language_info"]["version"] = "3.11.7"  # what a kernel records
    if extra:
        document["cells"].append(extra)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return len(code)


def outputs(text: str) -> int:
    return sum(bool(cell.get("outputs")) for cell in json.loads(text)["cells"])


def git(set_up: SetUp, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["git", *args], cwd=set_up.project, env=set_up.env, check=check)


def test_a_refused_commit_keeps_outputs_on_disk_and_installs_nothing(set_up: SetUp) -> None:
    path = set_up.project / NOTEBOOK
    definition: dict[str, object] = {
        "cell_type": "code", "execution_count": None, "id": "added", "metadata": {},
        "outputs": [], "source": ["def double(x: int) -> int:\n", "    return 2 * x"],
    }  # fmt: skip
    shown = with_outputs(path, definition)
    git(set_up, "add", "-A")
    refused = git(set_up, "commit", "-m", "a definition in a notebook", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode == 1, said
    assert "function `double` is defined in a notebook" in said
    assert "Installing environment" not in said  # setup built them all
    assert outputs(path.read_text()) == shown  # the refused commit left them on disk
    staged = git(set_up, "show", f":{NOTEBOOK}").stdout
    assert outputs(staged) == 0
    assert '"version"' not in staged  # nor what the kernel recorded

    document = json.loads(path.read_text())
    document["cells"] = [cell for cell in document["cells"] if cell["id"] != "added"]
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    git(set_up, "add", "-A")
    done = git(set_up, "commit", "-m", "Project as generated, run once")
    assert "Installing environment" not in done.stdout + done.stderr
    assert outputs(path.read_text()) == shown
    committed = json.loads(git(set_up, "show", f"HEAD:{NOTEBOOK}").stdout)
    assert outputs(json.dumps(committed)) == 0
    assert [c["id"] for c in committed["cells"]] == [c["id"] for c in document["cells"]]
    # No phantom change: a notebook touched (or run again) is not "modified".
    path.touch()
    assert git(set_up, "status", "--porcelain").stdout == ""
    assert git(set_up, "diff").stdout == ""


def test_doctor_finds_hook_environments_missing_without_making_them(
    set_up: SetUp, tmp_path: Path
) -> None:
    empty = tmp_path / "no-pre-commit-home"
    code, out, _ = set_up.dsprod("doctor", check=False, PRE_COMMIT_HOME=str(empty))
    assert code == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if " hook envs: " in line)
    line = lines[at]
    assert line.startswith("problem  hook envs: not installed: ruff-check, ruff-format, "), line
    assert line.endswith("(a commit would install them)")
    assert lines[at + 1] == "  next: dsprod setup  (it builds them)"
    assert not empty.exists()  # asked, not made


def test_doctor_runs_the_hooks_and_finds_a_broken_one(set_up: SetUp) -> None:
    home = Path(set_up.env["PRE_COMMIT_HOME"])
    # The ruff hooks' environment (dsprod's has a ruff too: it depends on it).
    (ruff,) = [
        p for p in home.glob("repo*/py_env-*/bin/ruff") if not p.with_name("dsprod").exists()
    ]
    # A damaged environment: its ruff no longer runs.
    ruff.rename(ruff.with_name("ruff.away"))
    ruff.write_text("#!/bin/sh\necho 'ruff: damaged' >&2\nexit 3\n")
    ruff.chmod(0o755)
    try:
        code, out, _ = set_up.dsprod("doctor", check=False)
    finally:
        ruff.with_name("ruff.away").replace(ruff)
    assert code == 1
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if " hook envs: " in line)
    assert "installed, but the hooks failed on sample files: ruff check" in lines[at], lines[at]
    assert lines[at + 1] == (
        "  next: .venv/bin/pre-commit clean && dsprod setup  (it builds them again)"
    )
    assert set_up.dsprod("doctor")[0] == 0


def test_a_clone_without_the_filter_is_told_and_setup_configures_it(set_up: SetUp) -> None:
    for key in ("clean", "smudge", "required", "extrakeys"):
        git(set_up, "config", "--unset", f"filter.nbstripout.{key}")
    assert git(set_up, "status", "--porcelain").returncode == 0  # git works without it
    code, out, _ = set_up.dsprod("doctor", check=False)
    assert code == 1
    assert (
        "problem  filter: .gitattributes gives notebooks the filter nbstripout, which git is not "
        "configured to run: commits would keep the outputs\n"
        "  next: dsprod setup  (it configures it)\n"
    ) in out
    _, _, said = set_up.dsprod("setup")
    assert "create  filter (notebooks are committed stripped by " in said
    assert set_up.dsprod("doctor")[0] == 0
