"""Developer and CI sessions: `nox` runs lint, typecheck, tests and notebooks;
`nox -s pipeline` runs the path to production on this machine.

Each session installs only the dependency groups it needs (pyproject.toml), so none of them
needs the `dev` group's developer tools.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import cast

import nox

nox.needs_version = ">=2025.2.9"
nox.options.sessions = ["lint", "typecheck", "tests", "notebooks"]
nox.options.default_venv_backend = "uv|virtualenv"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def groups(*names: str) -> list[str]:
    return [dep for name in names for dep in nox.project.dependency_groups(PYPROJECT, name)]


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    # nox too: mypy checks this file.
    session.install("-e", ".", *groups("test", "lint"), "nox")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".", *groups("test"))
    session.run("pytest", *session.posargs)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Execute every notebook top to bottom, as a smoke test (outputs are not saved)."""
    paths = sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    if not paths:
        session.skip("no notebooks in notebooks/")
    session.install("-e", ".", *groups("notebooks"))
    for path in paths:
        session.run("jupyter", "execute", path)


@nox.session
def pipeline(session: nox.Session) -> None:
    """The CD path, locally: demo data -> train -> evaluate -> gate -> publish -> staging; the
    service serves staging's model; prod takes it from staging; a worse model is refused by
    the gate and prod keeps serving the previous one. A local folder stands in for the
    registry, a random key for MODEL_SIGNING_KEY; settings are staging's and prod's own."""
    if shutil.which("uv"):
        # The locked runtime, as the image installs it: no test or developer tools.
        session.run_install(
            "uv",
            "sync",
            "--locked",
            "--no-default-groups",
            env={"UV_PROJECT_ENVIRONMENT": str(session.virtualenv.location)},
        )
    else:
        session.install("-e", ".")
    (command,) = PYPROJECT["project"]["scripts"]
    work = Path(session.create_tmp()) / "pipeline"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {
        "APP_ENV": "staging",
        "APP_CONF_DIR": str(Path("conf").resolve()),
        "MODEL_SIGNING_KEY": secrets.token_hex(32),
        "REGISTRY_URL": str(work / "registry"),
        "CODE_VERSION": "pipeline-1",
        "LOG_LEVEL": "WARNING",
    }

    def job(*args: str, success_codes: list[int] | None = None) -> str:
        with session.chdir(work):
            out = session.run(command, *args, env=env, silent=True, success_codes=success_codes)
        return str(out)

    job("demo-data", "train.csv", "--seed", "1")
    job("demo-data", "test.csv", "--seed", "2")
    job("train", "--data", "train.csv", "--out", "model.skops")
    job("evaluate", "--data", "test.csv", "--model", "model.skops", "--out", "metrics.json")
    # Outside dev the gate fails closed: with nothing in prod yet, only --bootstrap passes.
    job("gate", "metrics.json", success_codes=[1])
    job("gate", "metrics.json", "--bootstrap")
    version = job("publish", "--model", "model.skops", "--metrics", "metrics.json").strip()
    image = "registry.example/app@sha256:" + "0" * 64  # CD records the image it deployed
    job("promote", "staging", "--version", version, "--image", image, "--commit", "pipeline-1")
    has_service = any(Path("src").glob("*/service.py"))
    if has_service:
        _check_served(session, command, work, env, alias="staging", version=version)
    job("promote", "prod", "--from", "staging", "--expect-commit", "pipeline-1")
    # A worse model: trained on random labels, evaluated on the same data as prod's.
    job("demo-data", "noisy.csv", "--seed", "1", "--label-noise", "1")
    job("train", "--data", "noisy.csv", "--out", "worse.skops")
    job("evaluate", "--data", "test.csv", "--model", "worse.skops", "--out", "worse.json")
    env["APP_ENV"] = "prod"
    refused = job("gate", "worse.json", success_codes=[1])
    session.log(refused.strip())
    if job("show", "prod", "--field", "version").strip() != version:
        session.error("the refused model reached prod")
    if has_service:
        _check_served(session, command, work, env, alias="prod", version=version)
    session.log(f"pipeline: model version {version} in staging and prod; the worse one refused")


def _check_served(
    session: nox.Session, command: str, work: Path, env: dict[str, str], *, alias: str, version: str
) -> None:
    """Start the service on 127.0.0.1, check /ready names the alias's version, stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = shutil.which(command, path=str(Path(session.bin)))
    if program is None:
        session.error(f"{command} is not installed in the session")
    server = subprocess.Popen(  # noqa: S603 - the project's own command
        [program, "serve"],
        cwd=work,
        env={**os.environ, **env, "SERVICE__HOST": "127.0.0.1", "SERVICE__PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}/ready", server)
    finally:
        server.terminate()
        _, logs = server.communicate(timeout=30)
    if ready is None:
        session.error(f"the service did not become ready:\n{logs[-3000:]}")
    model = ready.get("model", {})
    if (model.get("alias"), model.get("version")) != (alias, version):
        session.error(f"{alias}: /ready says {ready}, expected model version {version}")
    session.log(f"{alias}: the service on 127.0.0.1:{port} serves model version {version}")


def _wait_ready(url: str, server: subprocess.Popen[str]) -> dict[str, dict[str, str]] | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our URL
                return cast("dict[str, dict[str, str]]", json.load(response))
        except urllib.error.HTTPError as exc:  # 503: not ready, and the body says why
            return cast("dict[str, dict[str, str]]", json.load(exc))
        except (urllib.error.URLError, ConnectionError):  # not listening yet
            time.sleep(0.3)
    return None
