"""`dsprod update` on real git repositories: template v1 -> v2 with a user's edits.

dsprod is "upgraded" here by rendering with v1's folder, deleting it, and updating with v2's:
from then on v1 exists only as a tag in v2's history bundle, as after `pip install -U dsprod`.
(tests/scaffold/test_update_wheels.py does the same with real wheels.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsprod._output import Output
from dsprod.scaffold import new_project
from dsprod.scaffold import update as update_module
from dsprod.scaffold._history import SOURCE, materialise
from dsprod.scaffold._template import Template
from tests.helpers import run_cli, snapshot
from tests.scaffold._releases import (
    COMPOSE_NOTE,
    NEW_FILE,
    NEW_NAME,
    OLD_NAME,
    README_LINE,
    TEMPLATE_LINE,
    USER_LINE,
    USER_NOTE,
    Releases,
    commit_all,
    edit_like_a_user,
    git,
    make_releases,
    replace_once,
)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    return make_releases(tmp_path_factory.mktemp("releases"))


def generate(tmp_path: Path, template: Template, name: str = "churn") -> Path:
    project = tmp_path / name
    new_project(project, {}, defaults=True, output=Output(quiet=True), template=template)
    git(project, "init", "-q")
    commit_all(project, "Project as generated")
    return project


@pytest.fixture
def v1_project(tmp_path: Path, releases: Releases) -> Path:
    """A project made by dsprod 1.0.0 and edited by its users; dsprod is then upgraded."""
    installed = releases.v1_copy(tmp_path / "site-packages-v1" / "template")
    project = generate(tmp_path, installed)
    edit_like_a_user(project)
    shutil.rmtree(installed.path)  # pip install -U dsprod: the v1 folder is gone
    return project


@pytest.fixture
def dsprod_v2(monkeypatch: pytest.MonkeyPatch, releases: Releases) -> Template:
    monkeypatch.setattr(update_module, "find_template", lambda: releases.v2)
    return releases.v2


def state(project: Path) -> tuple[str, str, dict[str, bytes]]:
    """Everything an update could change: HEAD, git status, every file's bytes."""
    return (
        git(project, "rev-parse", "HEAD"),
        git(project, "status", "--porcelain", "--ignored"),
        {k: v for k, v in snapshot(project).items() if not k.startswith(".git/")},
    )


def answers(project: Path) -> str:
    return (project / ".copier-answers.yml").read_text(encoding="utf-8")


def check_updated(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert README_LINE in readme  # the template's change ...
    assert USER_NOTE in readme  # ... and the far edit, both there
    base = (project / "conf" / "base.toml").read_text(encoding="utf-8")
    assert "<<<<<<< before updating" in base
    assert f"{USER_LINE}\n=======\n{TEMPLATE_LINE}\n>>>>>>> after updating" in base
    assert (project / NEW_FILE).is_file()
    assert not (project / OLD_NAME).exists()
    assert COMPOSE_NOTE in (project / NEW_NAME).read_text(encoding="utf-8")
    assert "_commit: v2.0.0" in answers(project)
    assert "template_version: 2.0.0" in answers(project)


def test_update_merges_edits_and_reports_the_conflict(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    module = next((v1_project / "src" / "churn").glob("nb_*.py"))
    extracted = module.read_bytes()

    result = run_cli(capsys, "update", str(v1_project))

    assert result.code == 1, result.err
    check_updated(v1_project)
    line = next(
        n
        for n, text in enumerate((v1_project / "conf" / "base.toml").read_text().splitlines(), 1)
        if text.startswith("<<<<<<<")
    )
    assert f"conf/base.toml:{line}: your edit and the template's change" in result.err
    assert "from template 1.0.0 to 2.0.0" in result.err
    for verb, name in (("create", NEW_FILE), ("create", NEW_NAME), ("delete", OLD_NAME)):
        assert f"{verb}  {name}" in result.err
    assert "resolve the conflicts" in result.err
    # What the project owns is left alone: the notebook, the extracted module.
    assert module.read_bytes() == extracted
    assert "notebooks/" not in git(v1_project, "status", "--porcelain")


def test_update_from_a_fresh_home_on_another_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, v1_project: Path, dsprod_v2: Template
) -> None:
    # Another machine: a new HOME holding nothing of dsprod's, the project cloned there.
    other_home = tmp_path / "other-machine-home"
    other_home.mkdir()
    monkeypatch.setenv("HOME", str(other_home))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(v1_project), str(clone))

    result = update_module.update_project(clone, output=Output(quiet=True))

    assert [str(c).split(":")[0] for c in result.conflicts] == ["conf/base.toml"]
    assert result.answers["template_version"] == "2.0.0"  # as recorded after the update
    check_updated(clone)
    assert (other_home / ".local/share/dsprod/template/.git").is_dir()


def test_dry_run_changes_nothing_and_shows_the_diff(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    before = state(v1_project)

    result = run_cli(capsys, "update", "--dry-run", str(v1_project))

    assert result.code == 1, result.err  # it predicts a conflict: not a clean update
    assert "conf/base.toml:15: would conflict" in result.err
    assert state(v1_project) == before
    assert f"+{README_LINE}" in result.out
    assert f"+++ b/{NEW_FILE}" in result.out
    assert "+<<<<<<< before updating" in result.out
    assert "nothing was changed" in result.err


def test_update_without_conflicts_then_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v1_copy(tmp_path / "v1"))
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(f"\n{USER_NOTE}\n")
    commit_all(project, "A note")

    first = run_cli(capsys, "update", str(project))
    assert first.code == 0, first.err
    assert "_commit: v2.0.0" in answers(project)
    assert USER_NOTE in (project / "README.md").read_text()
    assert "review with git diff" in first.err
    commit_all(project, "Template 2.0.0")

    second = run_cli(capsys, "update", str(project))
    assert second.code == 0, second.err
    assert "on template 2.0.0 already" in second.err


def test_changed_answer_renders_new_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v2)
    result = run_cli(capsys, "update", str(project), "-d", "service=fastapi")
    assert result.code == 0, result.err
    assert (project / "src" / "churn" / "service.py").is_file()
    assert "service: fastapi" in answers(project)


# --- refusals: a clear message, exit 1, nothing changed -------------------------------------


def refused(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> str:
    before = state(project)
    result = run_cli(capsys, "update", str(project), *args)
    assert result.code == 1, result.err
    assert state(project) == before
    assert "Traceback" not in result.err
    return result.err


def test_refuses_a_dirty_tree(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    replace_once(v1_project / "README.md", USER_NOTE, "work in progress")
    (v1_project / "scratch.py").write_text("x = 1\n")
    err = refused(capsys, v1_project)
    assert "changes that are not committed (README.md, scratch.py)" in err
    assert "git stash -u" in err


def test_refuses_without_answers_file(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    git(v1_project, "rm", "-q", ".copier-answers.yml")
    commit_all(v1_project, "No answers")
    err = refused(capsys, v1_project)
    assert "has no .copier-answers.yml: it was not made by dsprod new" in err


def test_refuses_without_git(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    v1_project: Path,
    dsprod_v2: Template,
) -> None:
    before = state(v1_project)
    empty = tmp_path / "no-git-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_cli(capsys, "update", str(v1_project))
    monkeypatch.undo()
    assert result.code == 1
    assert "git is not on PATH" in result.err
    assert "install git" in result.err
    assert state(v1_project) == before


def test_refuses_a_downgrade(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    releases: Releases,
) -> None:
    project = generate(tmp_path, releases.v2)
    monkeypatch.setattr(update_module, "find_template", lambda: releases.v1)
    err = refused(capsys, project)
    assert "on template 2.0.0, newer than the template 1.0.0" in err
    assert "pip install -U dsprod" in err


def test_refuses_outside_git(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v1_copy(tmp_path / "v1"))
    shutil.rmtree(project / ".git")
    before = snapshot(project)
    result = run_cli(capsys, "update", str(project))
    assert result.code == 1
    assert "is not in a git repository" in result.err
    assert snapshot(project) == before


def test_refuses_an_unknown_question(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    err = refused(capsys, v1_project, "-d", "colour=blue")
    assert "no question 'colour'" in err


def test_refuses_another_template(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    replace_once(v1_project / ".copier-answers.yml", SOURCE, "gh:someone/else")
    commit_all(v1_project, "Another source")
    err = refused(capsys, v1_project)
    assert "records no template version dsprod can find" in err
    assert "copier update" in err


def test_a_project_of_dsprod_0_1_is_told_how_to_record_its_version(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    # dsprod 0.1.0 recorded the template folder it rendered, and no version tag.
    answers_file = v1_project / ".copier-answers.yml"
    lines = answers_file.read_text().splitlines(keepends=True)
    old = [line for line in lines if not line.startswith(("_commit:", "_src_path:"))]
    answers_file.write_text(
        "".join([*old[:2], "_src_path: /old/site-packages/dsprod/_template\n", *old[2:]])
    )
    commit_all(v1_project, "As dsprod 0.1.0 wrote it")

    err = refused(capsys, v1_project)
    assert "does not record where template 1.0.0 is" in err
    assert f"    _commit: v1.0.0\n    _src_path: {SOURCE}" in err

    replace_once(
        answers_file,
        "_src_path: /old/site-packages/dsprod/_template\n",
        f"_commit: v1.0.0\n_src_path: {SOURCE}\n",
    )
    commit_all(v1_project, "Record the template version")
    result = run_cli(capsys, "update", str(v1_project))
    assert result.code == 1, result.err  # the conflict of the user's edit, as before
    check_updated(v1_project)


def test_a_failed_update_is_rolled_back(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    v1_project: Path,
    dsprod_v2: Template,
) -> None:
    import copier
    from copier.errors import CopierError

    def half_way(project: Path, **_: object) -> None:
        (project / "README.md").write_text("half-written\n")
        (project / "new-file.txt").write_text("new\n")
        (project / OLD_NAME).unlink()
        raise CopierError("a migration failed")

    monkeypatch.setattr(copier, "run_update", half_way)
    err = refused(capsys, v1_project)
    assert "the template update failed: a migration failed" in err


# --- the template history ------------------------------------------------------------------


def test_release_adds_versions_and_never_changes_one(tmp_path: Path, releases: Releases) -> None:
    from dsprod.errors import TemplateError
    from dsprod.scaffold._history import release

    assert releases.v2.history is not None
    heads = git(tmp_path, "bundle", "list-heads", str(releases.v2.history))
    assert "refs/tags/v1.0.0" in heads
    assert "refs/tags/v2.0.0" in heads
    bundle = tmp_path / "copy.bundle"
    shutil.copyfile(releases.v2.history, bundle)
    assert release(releases.v2.path, bundle, "2.0.0") == "v2.0.0"  # the same files: a no-op
    assert bundle.read_bytes() == releases.v2.history.read_bytes()
    with pytest.raises(TemplateError, match=r"2\.0\.0 is already released with other files"):
        release(releases.v1.path, bundle, "2.0.0")


def test_an_unreleased_template_gets_the_same_tag_on_every_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, releases: Releases
) -> None:
    changed = releases.v1_copy(tmp_path / "dev" / "template")
    (changed.path / "project" / "NOTES.md").write_text("not released\n")
    sources = []
    for machine in ("a", "b"):
        home = tmp_path / machine
        home.mkdir()
        monkeypatch.setenv("HOME", str(home))
        source = materialise(changed)
        commit = git(source.path, "rev-parse", f"refs/tags/{source.ref}")
        sources.append((source.ref, commit))
    assert sources[0] == sources[1]
    assert sources[0][0].startswith("v1.0.0+dev.")
    # A cache removed by hand is made again.
    shutil.rmtree(tmp_path / "b" / ".local")
    assert materialise(changed).ref == sources[0][0]
    # The released files give the released tag.
    assert materialise(releases.v1).ref == "v1.0.0"


# --- what a review found: the project's files are never at risk -----------------------------


def test_refuses_a_project_its_enclosing_repository_ignores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    # A dotfiles repository in HOME that ignores everything: git finds it, but it holds none
    # of the project's files, so it could neither restore them nor tell edits apart.
    outer = tmp_path / "dotfiles"
    outer.mkdir()
    git(outer, "init", "-q")
    (outer / ".gitignore").write_text("*\n!.gitignore\n")
    commit_all(outer, "dotfiles")
    project = outer / "work" / "churn"
    new_project(
        project,
        {},
        defaults=True,
        output=Output(quiet=True),
        template=releases.v1_copy(tmp_path / "v1"),
    )
    before = snapshot(project)
    result = run_cli(capsys, "update", str(project))
    assert result.code == 1
    assert ".copier-answers.yml is not tracked there" in result.err
    assert "git init" in result.err
    assert snapshot(project) == before


def test_a_notebook_the_new_answers_drop_is_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v2)
    notebook = project / "notebooks" / "01-explore-demo-data.ipynb"
    kept = notebook.read_bytes()
    result = run_cli(capsys, "update", str(project), "-d", "example_notebook=false")
    assert result.code == 0, result.err
    assert notebook.read_bytes() == kept  # copier deleted it; it is the project's
    assert "example_notebook: false" in answers(project)


def test_refuses_files_git_is_told_not_to_look_at(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    git(v1_project, "update-index", "--skip-worktree", "conf/dev.toml")
    with (v1_project / "conf" / "dev.toml").open("a") as dev:
        dev.write("# a local edit git does not show\n")
    err = refused(capsys, v1_project)
    assert "conf/dev.toml (skip-worktree or assume-unchanged)" in err
    assert "git update-index --no-skip-worktree" in err


def test_a_marker_like_line_of_the_user_is_not_a_conflict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, releases: Releases, dsprod_v2: Template
) -> None:
    project = generate(tmp_path, releases.v1_copy(tmp_path / "v1"))
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nA conflict looks like this:\n\n<<<<<<< HEAD\n")
    commit_all(project, "Docs about conflicts")
    result = run_cli(capsys, "update", str(project))
    assert result.code == 0, result.err
    assert "conflict" not in result.err


def test_a_broken_template_cache_says_how_to_mend_it(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    cache = Path(SOURCE).expanduser()
    shutil.rmtree(cache)
    cache.write_text("not a repository\n")
    err = refused(capsys, v1_project)
    assert "template history at" in err
    assert "next: rm -rf ~/.local/share/dsprod/template (a cache" in err


def test_a_project_of_an_unreleased_build_is_told_the_way_out(
    capsys: pytest.CaptureFixture[str], v1_project: Path, dsprod_v2: Template
) -> None:
    replace_once(
        v1_project / ".copier-answers.yml", "_commit: v1.0.0", "_commit: v1.0.0+dev.0123456789ab"
    )
    commit_all(v1_project, "Made by a development build")
    err = refused(capsys, v1_project)
    assert "a dsprod build that was not released" in err
    assert "set `_commit: v1.0.0`" in err
