"""Slow tier: `dsprod update` after a real upgrade of dsprod, and on another machine.

Two dsprod releases are built as wheels from copies of this checkout (1.0.0, then 2.0.0 with
the template changes of tests/scaffold/_releases.py), each with its release step run. dsprod
1.0.0 generates a project; the user edits and commits; `pip install -U` brings 2.0.0, after
which template 1.0.0 exists as a folder nowhere. `dsprod update` runs from the 2.0.0
installation, under the same HOME and under a new one, and the project's own pre-commit hook
stops the conflict markers it leaves.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dsprod.scaffold._history import release
from tests.scaffold._env import ROOT, build_wheel, run, tool_env
from tests.scaffold._releases import commit_all, edit_like_a_user, git, make_v2
from tests.scaffold.test_update import check_updated

pytestmark = pytest.mark.slow

SOURCES = ["cli", "template", "template-history.bundle", "pyproject.toml", "README.md", "LICENSE"]


def make_release(source: Path, version: str, outdir: Path, home: Path) -> Path:
    """The release of `version` from the checkout copy `source`: version raised, release step
    run, wheel built."""
    init = source / "cli" / "dsprod" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    init.write_text(re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', text), "utf-8")
    release(source / "template", source / "template-history.bundle", version)
    return build_wheel(outdir, home, source)


def test_update_after_upgrading_dsprod(tmp_path: Path) -> None:
    source = tmp_path / "dsprod-source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name)
        else:
            shutil.copyfile(ROOT / name, source / name)
    home = tmp_path / "home"
    venv = tmp_path / "venv"
    env = tool_env(home, venv / "bin", PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))
    run(["python3", "-m", "venv", venv], cwd=tmp_path, env=env)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "install", "-q"]

    wheel1 = make_release(source, "1.0.0", tmp_path / "dist1", home)
    run([*pip, wheel1, "pre-commit"], cwd=tmp_path, env=env)
    run(["dsprod", "new", "churn", "--defaults"], cwd=tmp_path, env=env)
    project = tmp_path / "churn"
    git(project, "init", "-q")
    commit_all(project, "Project as generated")
    edit_like_a_user(project)
    other_machine = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(other_machine))

    # dsprod 2.0.0: the same source tree moves on, so template 1.0.0's folder is gone.
    make_v2(source / "template")
    wheel2 = make_release(source, "2.0.0", tmp_path / "dist2", home)
    wheel1.unlink()
    run([*pip, "--upgrade", wheel2], cwd=tmp_path, env=env)
    assert "2.0.0" in run(["dsprod", "--version"], cwd=tmp_path, env=env).stdout
    installed = list(venv.glob("lib/python*/site-packages/dsprod/_template"))
    assert len(installed) == 1
    assert not (source / "template" / "project" / "compose.yaml.jinja").exists()

    done = run(["dsprod", "update"], cwd=project, env=env, check=False)
    assert done.returncode == 1, done.stderr
    assert "conf/base.toml:" in done.stderr
    check_updated(project)

    # Another machine: a HOME that has never seen dsprod, with dsprod 2.0.0 installed.
    fresh = tool_env(tmp_path / "fresh-home", venv / "bin")
    done = run(["dsprod", "update"], cwd=other_machine, env=fresh, check=False)
    assert done.returncode == 1, done.stderr
    check_updated(other_machine)

    # The project's hook catches the markers left in conf/base.toml.
    hook = run(
        ["pre-commit", "run", "check-merge-conflict", "--files", "conf/base.toml"],
        cwd=project,
        env=env,
        check=False,
    )
    assert hook.returncode == 1, hook.stdout + hook.stderr
    assert "conf/base.toml:" in hook.stdout
