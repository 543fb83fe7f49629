"""Slow tier: generated projects installed in fresh venvs pass their own checks, here.

Two combinations are installed (the default; FastAPI + Kubernetes + GitLab with the longest
names), each by a dsprod installed from its wheel: that is also the proof that the template
ships inside the wheel. Their tests, linters, type checker, pre-commit hooks, Dockerfile
linter, CI schemas and Kubernetes overlays must all pass; the default one also runs its nox
sessions and installs with `uv sync`.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scaffold._env import (
    ROOT,
    TEST_BIN,
    Generated,
    make_environment,
    run,
    tool_env,
)
from tests.scaffold.conftest import COMBOS, generate

pytestmark = pytest.mark.slow

INSTALLED = ["default", "fastapi-k8s-gitlab"]


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Callable[[str], Generated]:
    made: dict[str, Generated] = {}

    def get(combo: str) -> Generated:
        if combo not in made:
            base = tmp_path_factory.mktemp(f"env-{combo}")
            made[combo] = make_environment(base, wheel, f"{combo}-project", COMBOS[combo])
        return made[combo]

    return get


def tool(name: str) -> Path:
    found = shutil.which(name, path=str(TEST_BIN)) or shutil.which(name)
    if found is None:
        # Not a skip: a skip in CI hides a hole. The test group and .ci/run install these.
        pytest.fail(f"{name} is not installed: `pip install -e . --group dev` or .ci/run has it")
    return Path(found)


def test_the_wheel_ships_the_template(wheel: Path, installed: Callable[[str], Generated]) -> None:
    prefix = "dsprod/_template/"
    shipped = {
        name.removeprefix(prefix)
        for name in zipfile.ZipFile(wheel).namelist()
        if name.startswith(prefix)
    }
    template = ROOT / "template"
    # Every file of the template, dot-files and .gitkeep placeholders included.
    assert shipped == {
        str(p.relative_to(template))
        for p in template.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    # Every released template version, for dsprod update.
    assert "dsprod/_template-history.bundle" in zipfile.ZipFile(wheel).namelist()
    generated = installed("default")
    found = generated.run(
        generated.bin("python"),
        "-c",
        "from dsprod.scaffold import find_template; t = find_template(); print(t.path, t.history)",
    ).stdout.split()
    # The installed wheel's copies, not this checkout's.
    site = str(generated.venv / "lib")
    assert found[0].startswith(site) and found[0].endswith("site-packages/dsprod/_template")
    assert found[1].startswith(site) and found[1].endswith("dsprod/_template-history.bundle")
    answers = (generated.project / ".copier-answers.yml").read_text()
    assert "_src_path: ~/.local/share/dsprod/template\n" in answers


@pytest.mark.parametrize("combo", INSTALLED)
def test_tests_pass(installed: Callable[[str], Generated], combo: str) -> None:
    generated = installed(combo)
    done = generated.run(generated.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in done.stdout
    assert "failed" not in done.stdout
    assert "warning" not in done.stdout


@pytest.mark.parametrize("combo", INSTALLED)
def test_linters_and_type_checker_pass(installed: Callable[[str], Generated], combo: str) -> None:
    generated = installed(combo)
    generated.run(generated.bin("ruff"), "check", "--no-cache", ".")
    generated.run(generated.bin("ruff"), "format", "--check", "--no-cache", ".")
    generated.run(generated.bin("mypy"), "--cache-dir", "/dev/null")


@pytest.mark.parametrize("combo", INSTALLED)
def test_pre_commit_hooks_pass(installed: Callable[[str], Generated], combo: str) -> None:
    generated = installed(combo)
    generated.run("git", "init", "-q")
    generated.run("git", "add", "-A")
    done = generated.run(generated.bin("pre-commit"), "run", "--all-files", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    changed = generated.run("git", "status", "--porcelain").stdout.splitlines()
    assert [line for line in changed if not line.startswith("A ")] == []  # hooks changed nothing
    assert ".env" not in generated.run("git", "ls-files").stdout.split()


def test_the_dsprod_check_hook_stops_a_definition_until_it_is_extracted(
    installed: Callable[[str], Generated], tmp_path: Path
) -> None:
    shared = installed("default")
    # A copy: the generated project is shared with the other tests of this module.
    copy = tmp_path / "project"
    shutil.copytree(shared.project, copy, ignore=shutil.ignore_patterns(".git", ".nox"))
    generated = Generated(copy, shared.venv, shared.env)
    generated.run("git", "init", "-q")
    generated.run("git", "add", "-A")
    clean = generated.run(generated.bin("pre-commit"), "run", "--all-files", check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "dsprod check (no definitions in notebooks)" in clean.stdout
    notebook = copy / "notebooks" / "01-explore-demo-data.ipynb"
    document = json.loads(notebook.read_text())
    document["cells"].append(
        {"cell_type": "code", "execution_count": None, "id": "added", "metadata": {},
         "outputs": [], "source": ["def double(x: int) -> int:\n", "    return 2 * x\n", "\n",
                                   "double(21)"]}
    )  # fmt: skip
    notebook.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    generated.run("git", "add", "-A")
    refused = generated.run(generated.bin("pre-commit"), "run", "--all-files", check=False)
    assert refused.returncode == 1
    where = f"notebooks/01-explore-demo-data.ipynb:cell {len(document['cells'])}:line 1"
    assert f"{where}: function `double` is defined in a notebook" in refused.stdout
    generated.run(generated.bin("dsprod"), "extract", "notebooks/01-explore-demo-data.ipynb")
    generated.run("git", "add", "-A")
    accepted = generated.run(generated.bin("pre-commit"), "run", "--all-files", check=False)
    changes = generated.run("git", "diff").stdout
    assert accepted.returncode == 0, accepted.stdout + changes


@pytest.mark.parametrize("combo", INSTALLED)
def test_dockerfile_ci_and_compose_validate(
    installed: Callable[[str], Generated], combo: str
) -> None:
    generated = installed(combo)
    done = generated.run(tool("hadolint"), "Dockerfile", check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout
    schemas = [
        (".github/workflows/ci.yml", "vendor.github-workflows"),
        # Every job has a time limit: a hung job must not burn six hours of runner time.
        (".github/workflows/ci.yml", "custom.github-workflows-require-timeout"),
        (".gitlab-ci.yml", "vendor.gitlab-ci"),
        ("compose.yaml", "vendor.compose-spec"),
    ]
    checked = 0
    for path, schema in schemas:
        if (generated.project / path).is_file():
            generated.run(tool("check-jsonschema"), "--builtin-schema", schema, path)
            checked += 1
    assert checked == (3 if (generated.project / ".github").is_dir() else 2)


def test_kustomize_renders_each_overlay(installed: Callable[[str], Generated]) -> None:
    combo = "fastapi-k8s-gitlab"
    generated = installed(combo)
    overlays = generated.project / "deploy" / "k8s" / "overlays"
    kubectl = tool("kubectl")
    for env in ("staging", "prod"):
        rendered = generated.run(kubectl, "kustomize", overlays / env).stdout
        assert f"APP_ENV: {env}" in rendered
        assert "kind: Deployment" in rendered
        assert "path: /ready" in rendered
        assert f"namespace: {COMBOS[combo]['project_name']}-{env}" in rendered


def test_settings_fail_fast_in_a_real_process(installed: Callable[[str], Generated]) -> None:
    generated = installed("default")
    command = generated.bin("default-project")
    done = generated.run(command, "demo-data", "d.csv", check=False, APP_ENV="prod")
    assert done.returncode == 2
    assert "MODEL_SIGNING_KEY must be set in the environment when APP_ENV=prod" in done.stderr
    assert not (generated.project / "d.csv").exists()
    key = "k" * 32
    done = generated.run(command, "demo-data", "data/d.csv", APP_ENV="prod", MODEL_SIGNING_KEY=key)
    event = json.loads(done.stderr.splitlines()[-1])
    assert event["env"] == "prod"
    assert event["message"] == "wrote demo data"
    (generated.project / "data" / "d.csv").unlink()


def test_service_runs_and_answers(installed: Callable[[str], Generated]) -> None:
    generated = installed("fastapi-k8s-gitlab")
    command = generated.bin(COMBOS["fastapi-k8s-gitlab"]["project_name"])
    work = generated.project.parent / "serve"
    work.mkdir()
    env = {**generated.env, "APP_CONF_DIR": str(generated.project / "conf")}
    run([command, "demo-data", "train.csv"], cwd=work, env=env)
    run([command, "train", "--data", "train.csv"], cwd=work, env=env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [command, "serve"],
        cwd=work,
        env={**env, "SERVICE__PORT": str(port), "LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=2) as response:
                    assert response.status == 200
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the service did not become ready in 30 s"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/predict",
            data=json.dumps({"instances": [{"x1": 0.0, "x2": 0.0}]}).encode(),
            headers={"content-type": "application/json", "x-request-id": "slow-test"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["predictions"] == ["a"]
            assert response.headers["x-request-id"] == "slow-test"
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            assert b"predictions_total" in response.read()
        # The input contract: NaN and Infinity (which Python's JSON parser accepts) are 422s.
        for body in (
            b'{"instances": [{"x1": NaN, "x2": 0}]}',
            b'{"instances": [{"x1": "Infinity", "x2": 0}]}',
        ):
            refused = urllib.request.Request(
                f"{base}/predict", data=body, headers={"content-type": "application/json"}
            )
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(refused, timeout=5)
            assert caught.value.code == 422
    finally:
        server.terminate()
        _, logs = server.communicate(timeout=30)
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(e.get("request_id") == "slow-test" and e["message"] == "request" for e in events)
    assert sum(e["message"] == "model loaded" for e in events) == 1


def test_nox_sessions_pass(installed: Callable[[str], Generated]) -> None:
    generated = installed("default")
    done = generated.run(generated.bin("nox"), "--reuse-existing-virtualenvs", check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    for session in ("lint", "typecheck", "tests", "notebooks"):
        assert f"Session {session} was successful" in done.stderr


def test_uv_sync_installs_the_project(wheel: Path, tmp_path: Path) -> None:
    uv = tool("uv")
    project = generate(tmp_path / "uv-project", {})
    env = tool_env(tmp_path / "uv-home")
    # dsprod (in the dev group) is not on the package index yet: uv takes it from the wheel.
    run(
        [uv, "sync", "--find-links", wheel.parent, "--python", sys.executable],
        cwd=project,
        env=env,
    )
    done = run(
        [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env
    )
    assert " passed" in done.stdout
    assert (project / "uv.lock").is_file()


def test_the_notebooks_session_runs_what_ci_can_and_checks_the_rest(
    installed: Callable[[str], Generated], tmp_path: Path
) -> None:
    shared = installed("default")
    copy = tmp_path / "project"
    shutil.copytree(shared.project, copy, ignore=shutil.ignore_patterns(".git", ".nox", "build"))
    generated = Generated(copy, shared.venv, shared.env)
    package = "default_project"  # of the project named default-project

    def notebook(name: str, *sources: str) -> None:
        cells: list[dict[str, object]] = [
            {"cell_type": "code", "execution_count": None, "id": str(n), "metadata": {},
             "outputs": [], "source": source}
            for n, source in enumerate(sources)
        ]  # fmt: skip
        document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (copy / "notebooks" / name).write_text(json.dumps(document, indent=1) + "\n")

    # Real notebooks read data that is not in git: not listed in `execute`, so not run.
    notebook(
        "02-needs-data.ipynb",
        f"%matplotlib inline\nimport csv\nfrom {package}.nb_01_explore_demo_data import spread\n",
        "rows = list(csv.reader(open('../data/not-in-git.csv')))\nrows?",
        "%%bash\nls ../data",
    )
    nox = generated.bin("nox")
    done = generated.run(nox, "-s", "notebooks", check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "2 notebook(s) parse and import what exists; 1 not executed" in done.stderr
    assert sorted(p.name for p in (copy / "build" / "notebooks").iterdir()) == [
        "01-explore-demo-data.html"
    ]
    # A name the package does not have, a cell that does not parse: located, and the job fails.
    notebook(
        "03-broken.ipynb",
        f"import os\nfrom {package}.nb_01_explore_demo_data import spread, nothere\n",
        "print 'python 2'",
    )
    done = generated.run(nox, "-s", "notebooks", check=False)
    assert done.returncode == 1
    assert (
        f"notebooks/03-broken.ipynb:cell 1:line 2: {package}.nb_01_explore_demo_data has no nothere"
    ) in done.stderr
    assert "notebooks/03-broken.ipynb:cell 2:line 1: does not parse: " in done.stderr
