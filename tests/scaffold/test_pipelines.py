"""Slow tier: the data pipeline of generated projects, run for real, with both engines.

One project with `engine=spark` is made as a user makes it (`dsprod new`, whose `uv lock` must
resolve the spark group, then `uv sync --locked` with the dev and pipeline groups); its tests run
Spark in local mode on this machine's JVM. A pandas project is installed, without its
dependencies, into the same environment (the spark project's has all of them), so both engines'
`dvc repro` run without a second environment: the first run makes the stages' outputs, the
second has nothing to do, `dvc metrics diff` compares with the last commit, and both engines
prepare the very same bytes from the same conf. (The generated project's CI executes the spark
notebook, `nox -s notebooks`; here it would cost a kernel and a JVM more.)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scaffold._env import TEST_BIN, Generated, run, tool_env
from tests.scaffold.conftest import generate

pytestmark = pytest.mark.slow

ENGINES = ("pandas", "spark")


@pytest.fixture(scope="module")
def spark_project(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Generated:
    base = tmp_path_factory.mktemp("spark-engine")
    env = tool_env(base / "home", PIP_FIND_LINKS=str(wheel.parent), UV_FIND_LINKS=str(wheel.parent))
    # Batch jobs only: the service's code and tests are the same with either engine, and the
    # fastapi combinations of test_generated.py check them.
    answers = ["-d", "engine=spark"]
    made = run([sys.executable, "-m", "dsprod", "new", "sparky", "--defaults", *answers], cwd=base,
               env=env)  # fmt: skip
    project = base / "sparky"
    assert (project / "uv.lock").is_file(), made.stderr
    # What a user of the pipeline installs: the dev environment and DVC (the pipeline group).
    run([TEST_BIN / "uv", "sync", "--locked", "--group", "pipeline"], cwd=project, env=env)
    venv = project / ".venv"
    return Generated(project, venv, {**env, "PATH": f"{venv / 'bin'}:{env['PATH']}"})


@pytest.fixture(scope="module")
def projects(
    spark_project: Generated, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Generated]:
    """Both engines' projects, in the spark project's environment, each a git repository."""
    pandas = generate(tmp_path_factory.mktemp("pandas-engine") / "pandy", {})
    run([TEST_BIN / "uv", "pip", "install", "--python", spark_project.bin("python"), "--no-deps",
         "-e", pandas], cwd=pandas, env=spark_project.env)  # fmt: skip
    made = {
        "pandas": Generated(pandas, spark_project.venv, spark_project.env),
        "spark": spark_project,
    }
    for generated in made.values():
        generated.run("git", "init", "-q")
        generated.run("git", "add", "-A")
        generated.run("git", "commit", "-q", "-m", "Project as generated")
    return made


Repro = Callable[[str], tuple[str, str]]


@pytest.fixture(scope="module")
def reproduced(projects: dict[str, Generated]) -> Repro:
    """`dvc repro` run twice in an engine's project (once per module): both outputs."""
    done: dict[str, tuple[str, str]] = {}

    def get(engine: str) -> tuple[str, str]:
        if engine not in done:
            generated = projects[engine]
            first = generated.run(generated.bin("dvc"), "repro")
            second = generated.run(generated.bin("dvc"), "repro")
            done[engine] = (first.stdout + first.stderr, second.stdout + second.stderr)
        return done[engine]

    return get


def test_the_spark_project_passes_its_tests_and_linters(spark_project: Generated) -> None:
    generated = spark_project
    lock = (generated.project / "uv.lock").read_text()
    assert 'name = "pyspark"' in lock and 'name = "dvc"' in lock
    done = generated.run(generated.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in done.stdout
    assert "failed" not in done.stdout and "warning" not in done.stdout, done.stdout
    assert (
        "tests/test_features.py"
        in generated.run(
            generated.bin("python"),
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "tests/test_features.py",
        ).stdout
    )
    generated.run(generated.bin("ruff"), "check", "--no-cache", ".")
    generated.run(generated.bin("ruff"), "format", "--check", "--no-cache", ".")
    generated.run(generated.bin("mypy"), "--cache-dir", "/dev/null")
    hadolint = generated.run(TEST_BIN / "hadolint", "Dockerfile", check=False)
    assert hadolint.returncode == 0 and not hadolint.stdout.strip(), hadolint.stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_dvc_repro_runs_the_stages_then_has_nothing_to_do(
    projects: dict[str, Generated], reproduced: Repro, engine: str
) -> None:
    first, second = reproduced(engine)
    for stage in ("prepare", "train", "evaluate"):
        assert f"Running stage '{stage}'" in first, first
        assert f"Stage '{stage}' didn't change, skipping" in second, second
    assert "Running stage" not in second
    project = projects[engine].project
    metrics = json.loads((project / "models" / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"] > 0.9
    # Nothing the pipeline wrote is left for git: dvc.lock only, which is to be committed.
    status = projects[engine].run("git", "status", "--porcelain").stdout.splitlines()
    assert status == ["?? dvc.lock"]


def test_both_engines_prepare_the_same_bytes(
    projects: dict[str, Generated], reproduced: Repro
) -> None:
    for engine in ENGINES:
        reproduced(engine)
    for name in ("train.csv", "test.csv"):
        pandas, spark = (projects[e].project / "data" / "prepared" / name for e in ENGINES)
        assert pandas.read_bytes() == spark.read_bytes(), name


def test_dvc_metrics_diff_compares_with_the_last_commit(
    projects: dict[str, Generated], reproduced: Repro
) -> None:
    # The engine makes no difference to DVC: the quicker one stands for both.
    reproduced("pandas")
    generated = projects["pandas"]
    generated.run("git", "add", "dvc.lock")
    generated.run("git", "commit", "-q", "-m", "Pipeline run")
    dvc = generated.bin("dvc")
    same = json.loads(generated.run(dvc, "metrics", "diff", "--json").stdout or "{}")
    assert same == {}  # nothing changed since the commit
    # A parameter from conf/base.toml: the stages that depend on it run again.
    conf = generated.project / "conf" / "base.toml"
    conf.write_text(conf.read_text().replace("rows = 1000", "rows = 600"))
    rerun = generated.run(dvc, "repro")
    assert "Running stage 'prepare'" in rerun.stdout
    diff = json.loads(generated.run(dvc, "metrics", "diff", "--json").stdout)
    rows = diff["models/metrics.json"]["metrics.rows"]
    assert rows["new"] < rows["old"]
    # The local remote of .dvc/config takes the outputs.
    generated.run(dvc, "push")
    storage = generated.project.parent / f"{generated.project.name}-dvc-storage"
    assert any(storage.rglob("*")), storage
