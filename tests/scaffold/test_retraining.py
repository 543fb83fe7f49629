"""Slow tier (tools, no installs): scheduled retraining and the engine's files, as rendered.

The retraining workflow runs on a schedule, is pinned and zizmor-clean, and publishes a
candidate without promoting it; GitLab's scheduled pipelines retrain and never deploy; the
Kubernetes CronJob runs with the service's security context and outside the Service; the spark
engine keeps pyspark and Java out of the service's image, and `dsprod env check` validates its
Spark settings through the project's own settings.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scaffold._env import TEST_BIN, run, tool_env
from tests.scaffold.conftest import generate

pytestmark = pytest.mark.slow

DIGEST = "sha256:" + "ab" * 32
ENGINES = ("pandas", "spark")


def tool(name: str) -> Path:
    return TEST_BIN / name


@pytest.mark.parametrize("engine", ENGINES)
def test_the_retrain_workflow_is_scheduled_pinned_and_never_promotes(
    tmp_path: Path, engine: str
) -> None:
    project = generate(tmp_path / "p", {"engine": engine})
    path = ".github/workflows/retrain.yml"
    text = (project / path).read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert re.fullmatch(r"[\d*/,-]+( [\d*/,-]+){4}", triggers["schedule"][0]["cron"])
    for action, comment in re.findall(r"uses: (\S+)(.*)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), action
    (job,) = workflow["jobs"].values()
    scripts = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "dvc repro" in scripts and " gate " in scripts and " publish" in scripts
    # A candidate, never a deploy: no step runs `promote` (the summary only says how to).
    assert not re.search(r"--no-sync \S+ promote", scripts), scripts
    assert job["permissions"] == {"contents": "read"}
    env = tool_env(tmp_path / "home")
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        run([tool("check-jsonschema"), "--builtin-schema", schema, path], cwd=project, env=env)
    done = run([tool("zizmor"), "--offline", "--no-progress", "--format", "json", path],
               cwd=project, env=env, check=False)  # fmt: skip
    assert json.loads(done.stdout) == [], done.stdout


def test_gitlab_schedules_retrain_and_never_deploy(tmp_path: Path) -> None:
    answers = {"ci": "gitlab", "engine": "spark", "service": "fastapi", "kubernetes": "true"}
    project = generate(tmp_path / "p", answers)
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
        cwd=project, env=tool_env(tmp_path / "home"))  # fmt: skip
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    schedule = {"if": '$CI_PIPELINE_SOURCE == "schedule"'}
    assert schedule in pipeline["workflow"]["rules"]
    assert pipeline["retrain"]["rules"] == [schedule]
    script = "\n".join(pipeline["retrain"]["script"])
    assert "dvc repro" in script and " gate " in script and " publish" in script
    assert not re.search(r"--no-sync \S+ promote", script), script
    assert "openjdk-17-jre-headless" in script  # Spark's driver, in the Python image
    deploying = [name for name in pipeline if name.startswith(("promote-", "deploy-"))]
    for name in ["model", "build-image", *deploying]:
        assert pipeline[name]["rules"][0] == {**schedule, "when": "never"}, name


def _documents(text: str) -> dict[str, Any]:
    return {d["kind"]: d for d in yaml.safe_load_all(text) if d}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_cronjob_runs_as_the_service_does(tmp_path: Path, engine: str) -> None:
    answers = {"engine": engine, "service": "fastapi", "kubernetes": "true"}
    project = generate(tmp_path / "p", answers)
    env = tool_env(tmp_path / "home")
    ref, batch = f"ghcr.io/o/app@{DIGEST}", f"ghcr.io/o/app-batch@{DIGEST}"
    images = [ref, batch] if engine == "spark" else [ref]
    done = run(["sh", "deploy/k8s/render.sh", "staging", *images], cwd=project, env=env)
    manifests = tmp_path / "staging.yaml"
    manifests.write_text(done.stdout)
    run([tool("kubernetes-validate"), "--strict", manifests], cwd=tmp_path, env=env)
    documents = _documents(done.stdout)
    server = documents["Deployment"]["spec"]["template"]
    job = documents["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]
    assert job["spec"]["securityContext"] == server["spec"]["securityContext"]
    (container,) = job["spec"]["containers"]
    (served,) = server["spec"]["containers"]
    assert container["securityContext"] == served["securityContext"]
    assert container["envFrom"] == served["envFrom"]
    assert container["image"] == (batch if engine == "spark" else ref)
    assert (
        documents["CronJob"]["metadata"]["namespace"]
        == documents["Deployment"]["metadata"]["namespace"]
    )
    # The Service selects the server's pods, never the job's.
    selector = documents["Service"]["spec"]["selector"].items()
    assert selector <= server["metadata"]["labels"].items()
    assert not selector <= job["metadata"]["labels"].items()
    command = " ".join(container["args"])
    assert " gate " in command and " publish " in command and " promote " not in command


def test_without_the_batch_digest_the_spark_cronjob_is_left_out(tmp_path: Path) -> None:
    answers = {"engine": "spark", "service": "fastapi", "kubernetes": "true"}
    project = generate(tmp_path / "p", answers)
    env = tool_env(tmp_path / "home")
    done = run(["sh", "deploy/k8s/render.sh", "prod", f"ghcr.io/o/app@{DIGEST}"], cwd=project,
               env=env)  # fmt: skip
    assert "warning: no batch image digest: the retraining CronJob is left out" in done.stderr
    assert "CronJob" not in _documents(done.stdout)
    refused = run(["sh", "deploy/k8s/render.sh", "prod", f"ghcr.io/o/app@{DIGEST}", "b:latest"],
                  cwd=project, env=env, check=False)  # fmt: skip
    assert refused.returncode == 1 and "'b:latest' is not an image digest" in refused.stderr


def test_pyspark_and_java_stay_out_of_the_service_image(tmp_path: Path) -> None:
    spark = generate(tmp_path / "s", {"engine": "spark", "service": "fastapi"})
    pandas = generate(tmp_path / "p", {"service": "fastapi"})
    assert "pyspark" in (spark / "pyproject.toml").read_text()
    assert "pyspark" not in (pandas / "pyproject.toml").read_text()
    assert not (pandas / "src" / "p" / "spark.py").exists()
    assert (spark / "src" / "s" / "spark.py").is_file()
    dockerfile = (spark / "Dockerfile").read_text()
    stages = re.split(r"(?m)^FROM ", dockerfile)
    service, batch = stages[-1], next(s for s in stages if " AS batch\n" in s)
    assert service.startswith("${PYTHON_IMAGE} AS runtime")
    assert "openjdk" not in service and "build-batch" not in service
    assert "openjdk-17-jre-headless" in batch and "COPY --from=build-batch" in batch
    # The pandas variant's image is the one it always was: no batch stage at all.
    assert "batch" not in (pandas / "Dockerfile").read_text()
    done = run([tool("hadolint"), "Dockerfile"], cwd=spark, env=tool_env(tmp_path / "home"),
               check=False)  # fmt: skip
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_env_check_validates_the_spark_settings(tmp_path: Path) -> None:
    project = generate(tmp_path / "p", {"engine": "spark"})
    env = tool_env(tmp_path / "home")
    check = [sys.executable, "-m", "dsprod", "env", "check", "prod", "--python", sys.executable]
    key = {"MODEL_SIGNING_KEY": "k" * 32}
    assert run(check, cwd=project, env={**env, **key}).returncode == 0
    bad = {**key, "SPARK__MASTER": "spork://cluster:7077", "SPARK__REMOTE": "http://connect"}
    done = run(check, cwd=project, env={**env, **bad}, check=False)
    assert done.returncode == 1
    assert "SPARK__MASTER: 'spork://cluster:7077' is not a Spark master" in done.stdout
    assert "SPARK__REMOTE: 'http://connect' is not a Spark Connect URL" in done.stdout
