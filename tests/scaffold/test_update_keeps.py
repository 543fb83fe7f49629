"""`dsprod update` keeps what plain copier drops, and says what state the project is in.

Ignored files the template renders, edits in files the new version deletes or renames, files
the user deleted; a failure or Ctrl-C at any step; the answers-only wording; --dry-run on a
dirty tree. (Kills of a real process: tests/scaffold/test_update_kills.py.)
"""

from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dsprod._output import shown
from dsprod.scaffold import _bring_in
from dsprod.scaffold._template import Template
from tests.helpers import CliResult, run_cli
from tests.scaffold._releases import (
    COMPOSE_NOTE,
    NEW_NAME,
    USER_NOTE,
    Releases,
    answers_only_project,
    commit_all,
    git,
    replace_once,
)
from tests.scaffold.test_update import check_updated, dsprod_v2, generate, state, v1_project

__all__ = ["dsprod_v2", "v1_project"]  # fixtures used here


def test_an_ignored_file_the_template_renders_keeps_its_content(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    # copier #1162/#2729: an ignored file has no commit to merge from; copier renders over it.
    with (v1_project / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("conf/dev.toml\n")
    git(v1_project, "rm", "-q", "--cached", "conf/dev.toml")
    commit_all(v1_project, "Local dev settings")
    dev = v1_project / "conf" / "dev.toml"
    dev.write_text(dev.read_text() + 'log_level = "TRACE"  # mine\n')
    ours = dev.read_bytes()

    shown = run_cli(capsys, "update", "--dry-run", str(v1_project))
    assert "keep  conf/dev.toml (ignored by git: your copy is kept)" in shown.err
    result = run_cli(capsys, "update", str(v1_project))

    assert result.code == 1, result.err  # conf/base.toml's conflict, as always
    assert dev.read_bytes() == ours
    assert "keep  conf/dev.toml (ignored by git: your copy is kept)" in result.err
    check_updated(v1_project)


def test_an_edit_in_a_file_a_renaming_answer_drops_is_kept_as_a_conflict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v2)
    gate = project / "src" / "churn" / "gate.py"
    gate.write_text(gate.read_text() + "\n\ndef ours() -> int:\n    return 42\n")
    commit_all(project, "Our own gate helper")
    ours = gate.read_bytes()

    shown = run_cli(capsys, "update", "--dry-run", str(project), "-d", "package_name=churn2")
    assert shown.code == 1, shown.err
    assert "src/churn/gate.py: you edited this file" in shown.err
    result = run_cli(capsys, "update", str(project), "-d", "package_name=churn2")

    assert result.code == 1, result.err
    assert gate.read_bytes() == ours  # in the file, and as "ours" in the index
    assert (project / "src" / "churn2" / "gate.py").is_file()
    assert not (project / "src" / "churn" / "data.py").exists()  # not edited: gone
    assert "UD src/churn/gate.py" in git(project, "status", "--porcelain")
    assert (
        "src/churn/gate.py: you edited this file and the new template version no longer has "
        "it (it has src/churn2/gate.py now, without your edits)"
    ) in result.err
    assert "git rm src/churn/gate.py" in result.err
    assert "with new answers (package_name=churn2), template 2.0.0" in result.err


def test_a_deleted_example_notebook_stays_deleted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v1_copy(tmp_path / "v1"))
    notebook = "notebooks/01-explore-demo-data.ipynb"
    git(project, "rm", "-q", notebook)
    commit_all(project, "We have our own notebooks")

    result = run_cli(capsys, "update", str(project))
    assert result.code == 0, result.err
    assert not (project / notebook).exists()
    # The choice is recorded: the answer, and what the template does with it.
    assert f"record  example_notebook=false (you deleted {notebook})" in result.err
    assert "example_notebook: false" in (project / ".copier-answers.yml").read_text()
    assert "execute = []" in (project / "pyproject.toml").read_text()
    commit_all(project, "Template 2.0.0")

    again = run_cli(capsys, "update", str(project), "-d", "service=fastapi")
    assert again.code == 0, again.err
    assert not (project / notebook).exists()
    assert (project / "src" / "churn" / "service.py").is_file()


def test_the_rename_recipe_of_the_docs_works_in_a_monorepo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    # `git show HEAD:compose.yaml` reads the repository's root; `HEAD:./compose.yaml` the
    # project's folder (where copier runs migrations).
    from tests.scaffold._env import ROOT
    from tests.scaffold._releases import RENAME_MIGRATION

    recipe = RENAME_MIGRATION.split("command: >-", 1)[1].split()
    docs = (ROOT / "docs" / "update.md").read_text(encoding="utf-8").split()
    assert " ".join(recipe) in " ".join(docs)
    monorepo = tmp_path / "mono"
    (monorepo / "services").mkdir(parents=True)
    git(monorepo, "init", "-q")
    project = monorepo / "services" / "churn"
    from dsprod._output import Output
    from dsprod.scaffold import new_project

    new_project(
        project,
        {},
        defaults=True,
        output=Output(quiet=True),
        template=releases.v1_copy(tmp_path / "v1"),
    )
    with (project / "compose.yaml").open("a", encoding="utf-8") as compose:
        compose.write(f"{COMPOSE_NOTE}\n")
    commit_all(monorepo, "A project among others")

    result = run_cli(capsys, "update", str(project))
    assert result.code == 0, result.err
    assert COMPOSE_NOTE in (project / NEW_NAME).read_text(encoding="utf-8")


# --- failures and interruptions: the message says what state the project is in -------------

UNTOUCHED = "nothing was changed: the project is as it was committed"


def update_while_copier(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    project: Path,
    run_update: Callable[..., None],
) -> CliResult:
    """`dsprod update` of `project` with copier's update replaced by `run_update` (a failure,
    a Ctrl-C): the project must be as committed afterwards."""
    import copier

    monkeypatch.setattr(copier, "run_update", run_update)
    before = state(project)
    result = run_cli(capsys, "update", str(project))
    assert state(project) == before
    assert "Traceback" not in result.err
    return result


def test_ctrl_c_says_nothing_was_changed(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    committed: Path,
    dsprod_v2: Template,
) -> None:
    def pressed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    result = update_while_copier(capsys, monkeypatch, committed, pressed)
    assert result.code == 130
    assert UNTOUCHED in result.err
    assert not (committed / ".git" / "dsprod-update").exists()


def test_ctrl_c_before_the_update_starts_says_so(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    committed: Path,
    dsprod_v2: Template,
) -> None:
    from dsprod.scaffold import update

    def pressed(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(update, "materialise", pressed)  # while the template history is read
    before = state(committed)
    result = run_cli(capsys, "update", str(committed))
    assert result.code == 130
    assert "interrupted before the update started: nothing was changed" in result.err
    assert state(committed) == before


def test_a_signal_copier_reports_as_a_failure_is_an_interruption(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    committed: Path,
    dsprod_v2: Template,
) -> None:
    # A Ctrl-C in a terminal reaches the git processes copier runs too; copier may then report
    # the failure of one of them instead of the KeyboardInterrupt.
    from copier.errors import CopierError

    def git_died(*_: object, **__: object) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise CopierError("git checkout died of signal 2") from None

    result = update_while_copier(capsys, monkeypatch, committed, git_died)
    assert result.code == 130, result.err
    assert UNTOUCHED in result.err
    assert "the template update failed" not in result.err


def test_a_full_disk_while_writing_is_undone_and_said(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    v1_project: Path,
    dsprod_v2: Template,
) -> None:
    put, written = _bring_in._put, list[Path]()

    def full_after_two(source: Path, target: Path) -> None:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        put(source, target)
        written.append(target)

    monkeypatch.setattr(_bring_in, "_put", full_after_two)
    before = state(v1_project)
    result = run_cli(capsys, "update", str(v1_project))
    assert result.code == 1, result.err
    assert "No space left on device" in result.err
    assert "the project is back as it was committed" in result.err
    assert "internal error" not in result.err
    assert state(v1_project) == before
    assert len(written) == 2  # two files had been replaced, and were put back


def test_an_os_error_in_the_update_is_a_clear_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    committed: Path,
    dsprod_v2: Template,
) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "conf/base.toml")

    result = update_while_copier(capsys, monkeypatch, committed, read_only)
    assert result.code == 1, result.err
    assert "Permission denied" in result.err
    assert UNTOUCHED in result.err


def test_dry_run_on_a_dirty_tree_shows_the_update_of_the_last_commit(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    replace_once(v1_project / "README.md", USER_NOTE, "work in progress")
    before = state(v1_project)
    result = run_cli(capsys, "update", "--dry-run", str(v1_project))
    assert result.code == 1, result.err  # the predicted conflict
    assert "+++ b/CHANGELOG.md" in result.out
    assert "your uncommitted changes are not in this diff" in result.err
    assert state(v1_project) == before


class Killed(BaseException):
    """A stand-in for SIGKILL in-process: nothing catches it, nothing cleans up."""


def test_an_interrupted_update_is_not_finished_over_later_edits(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    v1_project: Path,
    dsprod_v2: Template,
) -> None:
    put, written = _bring_in._put, list[Path]()

    def killed_after_two(source: Path, target: Path) -> None:
        if len(written) == 2:
            raise Killed
        put(source, target)
        written.append(target)

    monkeypatch.setattr(_bring_in, "_put", killed_after_two)
    with pytest.raises(Killed):
        run_cli(capsys, "update", str(v1_project))
    monkeypatch.undo()
    capsys.readouterr()
    assert (v1_project / ".git" / "dsprod-update" / "journal.json").is_file()
    # The user edits a file the update had written, then runs the update again.
    with written[0].open("a", encoding="utf-8") as edited:
        edited.write("# mine, after the crash\n")
    kept = written[0].read_bytes()

    result = run_cli(capsys, "update", str(v1_project))

    assert result.code == 1, result.err
    assert (
        "was interrupted while it was brought in, and the project has changed since" in result.err
    )
    assert f"edits in {written[0].relative_to(v1_project)}" in result.err
    assert "rm -r" in result.err
    assert written[0].read_bytes() == kept
    shown = run_cli(capsys, "update", "--dry-run", str(v1_project))
    assert "it must be finished before another can be shown" in shown.err


@pytest.mark.parametrize("second", [(), ("--dry-run",)])
def test_a_second_update_while_one_runs_is_refused_and_touches_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    committed: Path,
    dsprod_v2: Template,
    second: tuple[str, ...],
) -> None:
    # The first update is in copier (its clone made, the project's lock held) when the second
    # starts: the second must neither wait nor share the first's workspace.
    import copier

    clone = committed / ".git" / "dsprod-update" / "clone"
    seen: list[tuple[int, str, bool]] = []

    def second_update(*_: object, **__: object) -> None:
        before = state(committed)
        result = run_cli(capsys, "update", *second, str(committed))
        assert state(committed) == before
        seen.append((result.code, result.err, clone.is_dir()))
        raise KeyboardInterrupt  # the first then ends as a Ctrl-C there would end it

    first = update_while_copier(capsys, monkeypatch, committed, second_update)
    [(code, err, clone_kept)] = seen
    assert code == 1, err
    assert err == (
        f"error: another dsprod is changing {shown(committed)} (an update, or an extract, is "
        "running): nothing was changed\n"
        "  next: wait for it to finish, then run dsprod update again\n"
    )
    assert clone_kept  # the first's workspace was left alone
    assert first.code == 130, first.err
    # The lock goes with the first update: the next one runs.
    monkeypatch.setattr(copier, "run_update", lambda *_, **__: None)
    after = run_cli(capsys, "update", str(committed))
    assert (after.code, after.err) == (0, "    update  churn from template 1.0.0 to 2.0.0\n")


def test_an_update_of_another_project_of_the_same_repository_is_refused_too(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    dsprod_v2: Template,
) -> None:
    # Two projects of one monorepo share its update workspace (.git/dsprod-update): one update
    # at a time there too.
    mono = tmp_path / "mono"
    mono.mkdir()
    churn = answers_only_project(mono / "churn", mono)
    other = answers_only_project(mono / "other", mono)
    said: list[CliResult] = []

    def second_update(*_: object, **__: object) -> None:
        said.append(run_cli(capsys, "update", str(other)))
        raise KeyboardInterrupt

    update_while_copier(capsys, monkeypatch, churn, second_update)
    [second] = said
    assert second.code == 1, second.err
    assert f"another dsprod is changing {shown(other)}, or its repository" in second.err
