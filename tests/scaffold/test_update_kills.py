"""Slow tier: `dsprod update` killed at several moments of a real multi-file update.

The update of tests/scaffold/_releases.py (v1 -> v2: a changed line, a conflict, a new file, a
renamed file with the user's edit carried by a migration) runs as a real `dsprod` process, and
is killed with SIGTERM, SIGKILL or SIGHUP: while copier is in the middle of the update, and
while the finished update is brought into the project (after two of its files). A process is
paused at those moments by a launcher that wraps one internal function, so each kill lands
where it is meant to; one more kill lands at a point in time. Whatever the moment, the project
is as committed or fully updated (after a `kill -9` while it was brought in: once the next
`dsprod update` has finished it), compared file by file with an update that was not killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dsprod.scaffold._template import Template
from tests.scaffold._env import tool_env
from tests.scaffold._releases import Releases, edit_like_a_user, git, make_releases
from tests.scaffold.test_update import check_updated, generate, state

pytestmark = pytest.mark.slow

LAUNCHER = """
import os, sys, time
from pathlib import Path
from dsprod.scaffold import update, _bring_in, _dropped
from dsprod.scaffold._template import Template

update.find_template = lambda: Template(
    Path(os.environ["V2"]), Path(os.environ["V2_BUNDLE"]), "2.0.0"
)


def hold():
    Path(os.environ["READY"]).touch()
    go = Path(os.environ["GO"])
    for _ in range(3000):  # polled, not one sleep: a held-back signal must not be needed
        if go.exists():
            return
        time.sleep(0.01)


pause = os.environ.get("PAUSE_AT")
if pause == "copier":  # copier has rewritten the clone's files, not yet deleted old ones
    survey = _dropped._survey
    def _survey(*args):
        survey(*args)
        hold()
    _dropped._survey = _survey
elif pause == "bring-in":  # two files of the project replaced, the others not yet
    put, done = _bring_in._put, []
    def _put(*args):
        put(*args)
        done.append(args)
        if len(done) == 2:
            hold()
    _bring_in._put = _put

from dsprod.cli import main
sys.exit(main())
"""


class Runner:
    def __init__(self, tmp: Path, releases: Releases, project: Path) -> None:
        self.tmp, self.project = tmp, project
        self.launcher = tmp / "launcher.py"
        self.launcher.write_text(LAUNCHER, encoding="utf-8")
        assert releases.v2.history is not None
        self.env = tool_env(
            Path(os.environ["HOME"]),
            V2=str(releases.v2.path),
            V2_BUNDLE=str(releases.v2.history),
            READY=str(tmp / "ready"),
            GO=str(tmp / "go"),
        )

    def start(self, pause: str = "") -> subprocess.Popen[str]:
        for name in ("ready", "go"):
            (self.tmp / name).unlink(missing_ok=True)
        return subprocess.Popen(
            [sys.executable, self.launcher, "update"],
            cwd=self.project,
            env={**self.env, "PAUSE_AT": pause},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def paused(self, pause: str) -> subprocess.Popen[str]:
        process = self.start(pause)
        for _ in range(12000):
            if (self.tmp / "ready").exists():
                return process
            assert process.poll() is None, process.communicate()
            time.sleep(0.01)
        process.kill()
        raise AssertionError(f"never reached {pause}")

    def run(self) -> subprocess.CompletedProcess[str]:
        process = self.start()
        out, err = process.communicate(timeout=300)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def reset(self) -> None:
        git(self.project, "reset", "-q", "--hard", "HEAD")
        git(self.project, "clean", "-q", "-d", "--force")


def stopped(process: subprocess.Popen[str], signum: int, go: Path | None = None) -> str:
    process.send_signal(signum)
    if go is not None:
        go.touch()
    _, err = process.communicate(timeout=120)
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130, err
    return err


def test_a_killed_update_leaves_the_project_committed_or_updated(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    releases = make_releases(tmp_path_factory.mktemp("releases"))
    v1 = Template(tmp_path / "v1" / "template", releases.v1.history, "1.0.0")
    shutil.copytree(releases.v1.path, v1.path)
    project = generate(tmp_path, v1)
    edit_like_a_user(project)
    shutil.rmtree(v1.path)
    runner = Runner(tmp_path, releases, project)
    workspace = project / ".git" / "dsprod-update"
    committed = state(project)

    # The update that is not killed: the reference.
    done = runner.run()
    assert done.returncode == 1, done.stderr  # the conflict in conf/base.toml
    check_updated(project)
    updated = state(project)
    runner.reset()
    assert state(project) == committed

    # SIGTERM while copier is half-way: nothing of the update is in the project.
    err = stopped(runner.paused("copier"), signal.SIGTERM)
    assert "nothing was changed: the project is as it was committed" in err
    assert state(project) == committed
    assert not workspace.exists()

    # SIGKILL there: the same, and the next run cleans up and updates.
    stopped(runner.paused("copier"), signal.SIGKILL)
    assert state(project) == committed
    assert workspace.exists()  # the clone, which the next run removes
    assert runner.run().returncode == 1
    assert state(project) == updated
    runner.reset()

    # SIGTERM while the result is brought in: held back until it is all in, then obeyed.
    err = stopped(runner.paused("bring-in"), signal.SIGTERM, go=tmp_path / "go")
    assert "the project is fully updated" in err
    assert state(project) == updated
    assert not workspace.exists()
    runner.reset()

    # SIGKILL there: two files are new, the rest old; the next run finishes the update.
    stopped(runner.paused("bring-in"), signal.SIGKILL)
    half = state(project)
    assert half not in (committed, updated)
    assert (workspace / "journal.json").is_file()
    finished = runner.run()
    assert "finish" in finished.stderr
    assert "conf/base.toml:" in finished.stderr  # the conflict is reported again
    assert finished.returncode == 1, finished.stderr
    assert state(project) == updated
    assert not workspace.exists()
    runner.reset()

    # SIGHUP (a closed terminal) at a point in time: half a second into the update itself
    # (before it, Python's default would end the process, which changes nothing either).
    process = runner.start()
    while not workspace.exists() and process.poll() is None:
        time.sleep(0.01)
    time.sleep(0.5)
    process.send_signal(signal.SIGHUP)
    process.communicate(timeout=120)
    assert process.returncode in (1, 130)  # 1: the update had finished (its conflict)
    assert state(project) in (committed, updated)
    assert not workspace.exists()
