"""`dsprod new`: what it generates for each combination of options, and what it refuses.

Fast tier: rendering and static reading of the generated files. The slow tier
(test_generated.py) installs the projects and runs their own tools.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import dsprod
from dsprod._project import find_project
from tests.scaffold.conftest import COMBOS, Render

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

# Template syntax that must not survive rendering. GitHub Actions' own `${{ ... }}` is kept.
UNRENDERED = re.compile(r"\{\{|\{%|\{#|%\}|#\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# {{ $labels.job }} in alert annotations, {{status}} in dashboard legends.
MONITORING_TEMPLATE = re.compile(r"\{\{ \$labels\.\w+ \}\}|\{\{\w+\}\}")


def files(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def answers(project: Path) -> dict[str, str]:
    pairs = {}
    for line in (project / ".copier-answers.yml").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(": ")
            pairs[key] = value.strip("'")
    return pairs


@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_generates_without_template_syntax_left(rendered: Render, combo: str) -> None:
    project = rendered(combo)
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if path.parent.name == "workflows":
                line = GITHUB_EXPRESSION.sub("", line)  # noqa: PLW2901 - only what is left counts
            if path.parent.name == "monitoring":  # Prometheus's and Grafana's own templates
                line = MONITORING_TEMPLATE.sub("", line)  # noqa: PLW2901 - only what is left counts
            assert not UNRENDERED.search(line), f"{path}:{number}: {line}"
        assert "{" not in path.name, path
        assert text.endswith("\n") or not text, f"{path}: no final newline"


@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_files_follow_the_options(rendered: Render, combo: str) -> None:
    project = rendered(combo)
    options = {
        "service": "none",
        "kubernetes": "false",
        "ci": "github",
        "example_notebook": "true",
        **COMBOS[combo],
    }
    package = answers(project)["package_name"]
    present = files(project)
    always = {
        ".copier-answers.yml", ".dockerignore", ".env.example", ".gitignore",
        ".pre-commit-config.yaml", "Dockerfile", "LICENSE", "README.md", "compose.yaml",
        "conf/base.toml", "conf/dev.toml", "conf/staging.toml", "conf/prod.toml",
        "data/.gitkeep", "models/.gitkeep", "notebooks/README.md", "noxfile.py",
        "pyproject.toml", f"src/{package}/__init__.py", f"src/{package}/settings.py",
        f"src/{package}/logs.py", f"src/{package}/cli.py", f"src/{package}/model.py",
        f"src/{package}/gate.py", f"src/{package}/py.typed", "tests/test_settings.py",
        "tests/test_logging.py", "tests/test_cli.py", "tests/test_gate.py",
        f"src/{package}/predictor.py", f"src/{package}/scores.py", f"src/{package}/drift.py",
        f"src/{package}/tracing.py", f"src/{package}/jobs.py", "tests/test_jobs.py",
        "tests/test_predictor.py", "tests/test_tracing.py", "deploy/monitoring/alerts.yaml",
        "deploy/monitoring/alerts.test.yaml", "deploy/monitoring/dashboard.json",
    }  # fmt: skip
    assert always <= present, always - present
    fastapi = options["service"] == "fastapi"
    for name in ("service", "metrics", "server"):
        assert (f"src/{package}/{name}.py" in present) == fastapi, name
    assert ("tests/test_service.py" in present) == fastapi
    assert ("tests/test_serve.py" in present) == fastapi
    k8s = fastapi and options["kubernetes"] == "true"
    assert ("deploy/k8s/overlays/prod/kustomization.yaml" in present) == k8s
    assert ("deploy/k8s/components/monitoring/servicemonitor.yaml" in present) == k8s
    assert (".github/workflows/ci.yml" in present) == (options["ci"] == "github")
    assert (".gitlab-ci.yml" in present) == (options["ci"] == "gitlab")
    notebook = "notebooks/01-explore-demo-data.ipynb"
    assert (notebook in present) == (options["example_notebook"] == "true")
    dockerfile = (project / "Dockerfile").read_text()
    assert ("HEALTHCHECK --interval" in dockerfile) == fastapi
    assert "USER 10001" in dockerfile
    # The spark engine adds the batch image's two stages (build-batch, batch).
    assert dockerfile.count("FROM ") == (4 if options.get("engine") == "spark" else 2)


@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_structured_files_parse(rendered: Render, combo: str) -> None:
    project = rendered(combo)
    for path in project.rglob("*"):
        if path.suffix == ".py":
            ast.parse(path.read_text(encoding="utf-8"), str(path))
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))
        elif path.suffix in {".yml", ".yaml"}:
            assert yaml.safe_load(path.read_text(encoding="utf-8")) is not None, path
        elif path.suffix == ".ipynb":
            document = json.loads(path.read_text(encoding="utf-8"))
            assert document["nbformat"] == 4
            assert all(not c.get("outputs") for c in document["cells"])


@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_ruff_clean(rendered: Render, combo: str) -> None:
    # dsprod's own ruff; the project pins its own version for its hooks (slow tier).
    project = rendered(combo)
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_pyproject_ties_the_project_to_dsprod(rendered: Render) -> None:
    project = rendered("default")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["dsprod"]["package"] == "default_project"
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert set(pyproject["dependency-groups"]) >= {"dev", "test", "lint"}
    assert "dsprod>=0.1" in pyproject["dependency-groups"]["dev"]
    assert pyproject["project"]["scripts"] == {"default-project": "default_project.cli:app"}
    # What `dsprod extract` reads to find where promoted code goes.
    found = find_project(project / "notebooks")
    assert found is not None
    assert found.package == "default_project"
    assert found.package_dir == project / "src" / "default_project"


def test_answers_record_the_template_version(rendered: Render) -> None:
    recorded = answers(rendered("fastapi-k8s-gitlab"))
    assert recorded["template_version"] == dsprod.__version__
    # Where dsprod update finds the template's versions, and the one to start from.
    assert recorded["_src_path"] == "~/.local/share/dsprod/template"
    assert recorded["_commit"].startswith(f"v{dsprod.__version__}")
    assert recorded["package_name"] == "churn_prediction_service_for_retail_team"
    assert recorded["kubernetes"] == "true"
    assert recorded["author_name"] == "Ada Lovelace"  # from git's identity
    assert recorded["author_email"] == "ada@example.com"
    assert "reserved_names" not in recorded


def test_licences(rendered: Render) -> None:
    assert (rendered("default") / "LICENSE").read_text().startswith("MIT License")
    assert "Apache License" in (rendered("batch-gitlab") / "LICENSE").read_text()
    assert "BSD 3-Clause" in (rendered("py310-bsd") / "LICENSE").read_text()
    minimal = rendered("minimal")
    assert "All rights reserved" in (minimal / "LICENSE").read_text()
    pyproject = tomllib.loads((minimal / "pyproject.toml").read_text())
    assert "Private :: Do Not Upload" in pyproject["project"]["classifiers"]


def test_python_version_reaches_every_tool(rendered: Render) -> None:
    project = rendered("py313")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.13"
    assert pyproject["tool"]["ruff"]["target-version"] == "py313"
    assert pyproject["tool"]["mypy"]["python_version"] == "3.13"
    # The base image by digest, the same in the Dockerfile and in the GitLab jobs.
    image = re.search(r"ARG PYTHON_IMAGE=(python:3\.13-slim-bookworm@sha256:[0-9a-f]{64})\n",
                      (project / "Dockerfile").read_text())  # fmt: skip
    assert image is not None
    assert f"image: {image[1]}" in (project / ".gitlab-ci.yml").read_text()
    matrix = (rendered("py310-bsd") / ".github" / "workflows" / "ci.yml").read_text()
    assert '["3.10", "3.11", "3.12", "3.13"]' in matrix


def test_env_file_is_ignored_and_example_complete(rendered: Render) -> None:
    project = rendered("fastapi")
    ignored = (project / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert "!.env.example" in ignored
    example = (project / ".env.example").read_text()
    for variable in (
        "MODEL_SIGNING_KEY", "LOG_LEVEL", "GATE__TOLERANCE", "SERVICE__PORT", "SERVICE__WORKERS",
        "PUSHGATEWAY_URL", "SCORES_PATH", "OTEL_EXPORTER_OTLP_ENDPOINT",
    ):  # fmt: skip
        assert variable in example


def test_pre_commit_hooks_install_from_the_package_index(rendered: Render) -> None:
    config = yaml.safe_load((rendered("default") / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert all(hook["language"] == "python" for hook in hooks)
    assert {"ruff-check", "ruff-format", "dsprod-check", "detect-private-key"} <= {
        hook["id"] for hook in hooks
    }
    # Outputs are stripped by the git filter, not by a hook that rewrites the files on disk.
    assert "nbstripout" not in {hook["id"] for hook in hooks}
    attributes = (rendered("default") / ".gitattributes").read_text().splitlines()
    assert "*.ipynb filter=nbstripout" in attributes
    for hook in hooks:
        for requirement in hook["additional_dependencies"]:
            if requirement == "--no-deps":  # dsprod-check holds dsprod alone (docs/check.md)
                continue
            pinned = r"[a-z0-9-]+==[0-9.]+(; python_version < '3\.[0-9]+')?"
            assert re.fullmatch(pinned, requirement), requirement
