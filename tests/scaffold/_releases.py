"""Two releases of the template, as a dsprod release would ship them: v1 (this checkout's
template) and v2 (a changed line, a new file, a file renamed by a migration); and a user's
project with the edits a user makes."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dsprod.scaffold._history import release
from dsprod.scaffold._template import BUNDLE_NAME, Template
from tests.scaffold._env import ROOT

# The template change and the user's edit of the same line: a conflict.
BASE_LINE = "tolerance = 0.01"
TEMPLATE_LINE = "tolerance = 0.02"
USER_LINE = "tolerance = 0.05"
# A template change near the top of the README, and the user's note at its end: both stay.
README_LINE = "Template v2: see CHANGELOG.md."
USER_NOTE = "Our team's notes: the churn data comes from the CRM export."
COMPOSE_NOTE = "# ours: the CRM export is mounted read-only"
NEW_FILE = "CHANGELOG.md"
# Renamed in v2; the migration carries the project's own version of it to the new name.
OLD_NAME, NEW_NAME = "compose.yaml", "compose.yml"
RENAME_MIGRATION = f"""_migrations:
  - version: "2.0.0"
    when: "{{{{ _stage == 'after' }}}}"
    command: >-
      git cat-file -e HEAD:./{OLD_NAME} 2>/dev/null
      && git show HEAD:./{OLD_NAME} > {NEW_NAME} || true"""


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_v2(template: Path) -> None:
    """Turn a copy of the template into its next version."""
    project = template / "project"
    replace_once(project / "conf" / "base.toml.jinja", BASE_LINE, TEMPLATE_LINE)
    replace_once(project / "README.md.jinja", "\n\n", f"\n\n{README_LINE}\n\n")
    (project / f"{NEW_FILE}").write_text("# Changes\n\n## 2.0.0\n- compose.yml\n", "utf-8")
    (project / f"{OLD_NAME}.jinja").rename(project / f"{NEW_NAME}.jinja")
    replace_once(template / "copier.yml", "_migrations: []", RENAME_MIGRATION)


@dataclass(frozen=True)
class Releases:
    v1: Template
    v2: Template

    def v1_copy(self, folder: Path) -> Template:
        """v1's folder as an installed dsprod 1.0.0 has it (the caller removes it to 'upgrade')."""
        shutil.copytree(self.v1.path, folder)
        return Template(folder, self.v1.history, self.v1.version)


def make_releases(base: Path) -> Releases:
    v1 = base / "v1" / "template"
    shutil.copytree(ROOT / "template", v1)
    bundle1 = base / "v1" / BUNDLE_NAME
    release(v1, bundle1, "1.0.0")
    v2 = base / "v2" / "template"
    shutil.copytree(v1, v2)
    make_v2(v2)
    bundle2 = base / "v2" / BUNDLE_NAME
    shutil.copyfile(bundle1, bundle2)
    release(v2, bundle2, "2.0.0")
    return Releases(Template(v1, bundle1, "1.0.0"), Template(v2, bundle2, "2.0.0"))


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, check=True, capture_output=True, text=True
    ).stdout


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "--no-verify", "-m", message)


def edit_like_a_user(project: Path) -> None:
    """One edit far from any template change, one on a line the template changes, one in the
    file v2 renames; committed."""
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(f"\n{USER_NOTE}\n")
    replace_once(project / "conf" / "base.toml", BASE_LINE, USER_LINE)
    with (project / OLD_NAME).open("a", encoding="utf-8") as compose:
        compose.write(f"{COMPOSE_NOTE}\n")
    commit_all(project, "Our edits")


def answers_only_project(project: Path, repository: Path | None = None) -> Path:
    """What `dsprod update` reads before copier runs, of a project made by template 1.0.0 and
    committed: its answers file. For the tests of what happens before copier, or instead of
    it (copier replaced by a failure): no rendering, so they stay cheap. `repository`: the
    git repository it is committed in (a monorepo above it), else its own."""
    from dsprod.scaffold._history import SOURCE

    project.mkdir(parents=True)
    (project / ".copier-answers.yml").write_text(
        f"_commit: v1.0.0\n_src_path: {SOURCE}\nproject_name: churn\ntemplate_version: 1.0.0\n",
        encoding="utf-8",
    )
    repository = repository or project
    if not (repository / ".git").exists():
        git(repository, "init", "-q")
    commit_all(repository, "Project as generated")
    return project
