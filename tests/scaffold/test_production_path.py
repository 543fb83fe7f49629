"""Slow tier: a generated project's path to production, checked for real here.

Kubernetes names from odd project names, workflows that zizmor passes with every action pinned
by commit, the image's environment from the same lock as the dev venv, the SBOM, and the
project's own `nox -s pipeline` (train -> gate -> publish -> staging, served on 127.0.0.1 ->
prod -> a worse model refused). One installed project (FastAPI, Kubernetes) serves the module.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.scaffold._env import TEST_BIN, Generated, make_environment, run, tool_env
from tests.scaffold.conftest import generate

pytestmark = pytest.mark.slow

DNS1123 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")  # DNS-1035 too: starts with a letter
DIGEST = "sha256:" + "ab" * 32


def tool(name: str) -> Path:
    found = shutil.which(name, path=str(TEST_BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: .ci/run must install it", pytrace=False)
    return Path(found)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Generated:
    base = tmp_path_factory.mktemp("production-path")
    answers = {"service": "fastapi", "kubernetes": "true", "project_name": "Churn.Model"}
    return make_environment(base, wheel, "Churn.Model", answers)


@pytest.mark.parametrize(
    ("project_name", "k8s_name"),
    [("Churn.Model", "churn-model"), ("churn_model", "churn-model"), ("9lives", "app-9lives")],
)
def test_names_kubernetes_and_docker_accept(
    tmp_path: Path, project_name: str, k8s_name: str
) -> None:
    answers = {"service": "fastapi", "kubernetes": "true", "project_name": project_name}
    project = generate(tmp_path / "p", answers)
    env = tool_env(tmp_path / "home")
    ref = f"ghcr.io/owner/repo@{DIGEST}"
    for overlay in ("staging", "prod"):
        done = run(["sh", "deploy/k8s/render.sh", overlay, ref], cwd=project, env=env)
        documents = [d for d in yaml.safe_load_all(done.stdout) if d]
        for document in documents:
            name = document["metadata"]["name"]
            # ConfigMap names get a content hash: still a DNS-1123 subdomain.
            assert DNS1123.match(name) or document["kind"] == "ConfigMap", name
            assert len(name) <= 63
        namespaces = {d["metadata"].get("namespace") for d in documents} - {None}
        assert namespaces == {f"{k8s_name}-{overlay}"}
        (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
        assert deployment["metadata"]["name"] == k8s_name
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == ref
        manifests = tmp_path / f"{overlay}.yaml"
        manifests.write_text(done.stdout)
        run([tool("kubernetes-validate"), "--strict", manifests], cwd=tmp_path, env=env)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    assert compose["name"] == k8s_name
    assert compose["services"]["api"]["image"] == f"{k8s_name}:local"


def test_render_refuses_a_tag(tmp_path: Path) -> None:
    project = generate(tmp_path / "p", {"service": "fastapi", "kubernetes": "true"})
    done = run(
        ["sh", "deploy/k8s/render.sh", "prod", "ghcr.io/owner/repo:latest"],
        cwd=project,
        env=tool_env(tmp_path / "home"),
        check=False,
    )
    assert done.returncode == 1
    assert "not an image digest" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "answers",
    [{}, {"service": "fastapi", "kubernetes": "true"}, {"service": "fastapi"}],
    ids=["batch", "k8s", "service"],
)
def test_workflows_are_pinned_and_pass_zizmor(tmp_path: Path, answers: dict[str, str]) -> None:
    project = generate(tmp_path / "p", answers)
    workflow = project / ".github" / "workflows" / "ci.yml"
    uses = re.findall(r"uses: (\S+)(.*)", workflow.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), f"{action}: no version comment"
    done = run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "json", ".github/workflows"],
        cwd=project,
        env=tool_env(tmp_path / "home"),
        check=False,
    )
    assert json.loads(done.stdout) == [], done.stdout
    parsed = yaml.safe_load(workflow.read_text())
    for name, job in parsed["jobs"].items():
        steps = job["steps"]
        for step in steps:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
        if name.startswith("deploy-") or name == "model":
            _no_dev_tool_with_secrets(name, steps)


def _no_dev_tool_with_secrets(job: str, steps: list[dict[str, object]]) -> None:
    """Deploy jobs never install dsprod, and no step that holds a secret installs anything."""
    for step in steps:
        script = str(step.get("run", ""))
        assert "dsprod" not in script, job
        env = step.get("env") or {}
        assert isinstance(env, dict)
        holds_secret = any("secrets." in str(value) for value in env.values())
        installs = re.search(r"\b(pip install|uv sync|uv pip|uvx|npm)\b", script)
        assert not (holds_secret and installs), f"{job}: {script}"
        if installs:
            assert "uv sync --locked --no-default-groups" in script, f"{job}: {script}"


def test_gitlab_images_are_pinned_by_digest(tmp_path: Path) -> None:
    answers = {"service": "fastapi", "kubernetes": "true", "ci": "gitlab"}
    text = (generate(tmp_path / "p", answers) / ".gitlab-ci.yml").read_text()
    images = re.findall(r"(?:image|name): (\S+:\S+)|- \"?(\S+-dind\S*?)\"?\]", text)
    refs = [a or b for a, b in images if (a or b) and not (a or b).startswith("$")]
    refs += re.findall(r"- (python:\S+)", text)  # the tests' matrix
    assert refs
    for ref in refs:
        assert re.search(r"@sha256:[0-9a-f]{64}$", ref), ref
    assert ":latest" not in text
    assert "dsprod" not in text.split("promote-staging:")[1]


def test_the_image_gets_the_dev_venvs_runtime_versions(served: Generated, tmp_path: Path) -> None:
    """The Dockerfile's install command, run here, and a developer's `uv sync`: one lock, the
    same versions of every runtime package."""
    project = served.project
    assert (project / "uv.lock").is_file()
    dockerfile = (project / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:\S+@sha256:[0-9a-f]{64}$", dockerfile, re.M)
    commands = re.findall(r"^RUN (uv sync .*)$", dockerfile, re.M)
    assert commands and all("--locked" in c for c in commands), commands
    uv = tool("uv")
    env = {**served.env, "UV_PYTHON_DOWNLOADS": "never"}
    image_env = tmp_path / "image-venv"
    dev_env = tmp_path / "dev-venv"
    # The image's final install, as written in the Dockerfile (with its environment folder).
    args = shlex.split(commands[-1])[1:]
    run([uv, *args, "--python", served.venv / "bin" / "python"], cwd=project,
        env={**env, "UV_PROJECT_ENVIRONMENT": str(image_env)})  # fmt: skip
    run([uv, "sync", "--locked", "--python", served.venv / "bin" / "python"], cwd=project,
        env={**env, "UV_PROJECT_ENVIRONMENT": str(dev_env)})  # fmt: skip
    image = _versions(uv, image_env, project, env)
    dev = _versions(uv, dev_env, project, env)
    assert {"pandas", "scikit-learn", "skops", "fsspec", "typer", "fastapi"} <= set(image)
    assert "pytest" not in image and "dsprod" not in image  # runtime only
    assert {name: dev[name] for name in image} == image


def _versions(uv: Path, venv: Path, project: Path, env: dict[str, str]) -> dict[str, str]:
    done = run([uv, "pip", "list", "--format", "json", "--python", venv / "bin" / "python"],
               cwd=project, env=env)  # fmt: skip
    return {p["name"]: p["version"] for p in json.loads(done.stdout) if p["name"] != "churn-model"}


def test_sbom_lists_the_locked_runtime(served: Generated) -> None:
    workflow = (served.project / ".github" / "workflows" / "ci.yml").read_text()
    (command,) = re.findall(r"- run: (uv export .*cyclonedx.*)$", workflow, re.M)
    run([tool("uv"), *shlex.split(command)[1:]], cwd=served.project, env=served.env)
    sbom = json.loads((served.project / "sbom.cdx.json").read_text())
    (served.project / "sbom.cdx.json").unlink()
    assert sbom["bomFormat"] == "CycloneDX"
    names = {c["name"] for c in sbom["components"]}
    assert {"pandas", "scikit-learn", "skops", "fastapi"} <= names
    assert not {"pytest", "dsprod", "mypy"} & names


def test_nox_pipeline_goes_to_production(served: Generated) -> None:
    done = served.run(
        served.bin("nox"),
        "-s",
        "pipeline",
        check=False,
        UV_PYTHON=str(served.venv / "bin" / "python"),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    log = done.stderr
    assert "staging: the service on 127.0.0.1" in log and "serves model version 1" in log
    assert "prod: the service on 127.0.0.1" in log
    assert "FAIL accuracy" in log
    assert "Session pipeline was successful" in log
