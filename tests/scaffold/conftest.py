"""Projects generated once per session and shared by the tests that only read them.

Rendering runs in-process (`new_project`), with a fixed git identity and HOME, so the answers
do not depend on the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import dsprod.scaffold.new
from dsprod._output import Output
from dsprod.scaffold import new_project
from tests.scaffold._releases import Releases, answers_only_project, make_releases

# The meaningful combinations of options: each option's values appear at least once, and
# the ones that interact (service x kubernetes x ci) together.
COMBOS: dict[str, dict[str, str]] = {
    "default": {},
    "fastapi": {"service": "fastapi"},
    "fastapi-k8s-gitlab": {
        "service": "fastapi",
        "kubernetes": "true",
        "ci": "gitlab",
        # The longest names the template accepts: every line must still pass ruff.
        "project_name": "churn-prediction-service-for-the-retail-store-team",
        "package_name": "churn_prediction_service_for_retail_team",
    },
    "fastapi-k8s-github": {"service": "fastapi", "kubernetes": "true", "python_version": "3.12"},
    "batch-gitlab": {"ci": "gitlab", "license": "Apache-2.0"},
    "minimal": {"ci": "none", "example_notebook": "false", "license": "proprietary"},
    "py310-bsd": {"python_version": "3.10", "license": "BSD-3-Clause", "service": "fastapi"},
    "py313": {"python_version": "3.13", "ci": "gitlab"},
    # The Spark engine, with the retraining CronJob of the Kubernetes option.
    "spark-k8s": {"engine": "spark", "service": "fastapi", "kubernetes": "true"},
}

Render = Callable[[str], Path]


def generate(dest: Path, answers: dict[str, str], *, lock: bool = False) -> Path:
    """Render in-process. No uv.lock unless asked: resolving costs seconds and the package
    index; the tests that install a project (tests/scaffold/_env.py) go through `dsprod new`,
    which locks."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_AUTHOR_NAME", "Ada Lovelace")
        mp.setenv("GIT_AUTHOR_EMAIL", "ada@example.com")
        mp.setenv("HOME", str(dest.parent))
        new_project(dest, answers, defaults=True, output=Output(quiet=True), lock=lock)
    return dest


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """`rendered(combo)`: the project generated for COMBOS[combo] (rendered once)."""
    projects: dict[str, Path] = {}

    def render(combo: str) -> Path:
        if combo not in projects:
            folder = tmp_path_factory.mktemp(combo)
            projects[combo] = generate(folder / f"{combo}-project", COMBOS[combo])
        return projects[combo]

    return render


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    """Two releases of the template (v1.0.0, v2.0.0) in a git repository, once per module."""
    return make_releases(tmp_path_factory.mktemp("releases"))


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """A project as the steps before copier read it: a committed answers file, nothing
    rendered (cheap: for the refusals and for tests that replace copier)."""
    return answers_only_project(tmp_path / "churn")


@pytest.fixture(autouse=True)
def _no_lock_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process `dsprod new` skips `uv lock` (seconds, and the package index) except in tests
    marked `lock`; projects made by an installed dsprod (subprocesses) always lock."""
    if request.node.get_closest_marker("lock") is None:
        monkeypatch.setattr(dsprod.scaffold.new, "_lock", lambda project, output: None)
