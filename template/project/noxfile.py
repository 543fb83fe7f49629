"""Developer and CI sessions: `nox` runs lint, typecheck, tests and notebooks;
`nox -s pipeline` runs the path to production on this machine.

Each session installs only the dependency groups it needs (pyproject.toml), so none of them
needs the `dev` group's developer tools.
"""

from __future__ import annotations

import ast
import json
import os
import re
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
    # nox too: mypy checks this file. The notebooks group as well: code promoted from
    # notebooks imports what they ran with (IPython...), and its recorded type debt was
    # measured in the dev environment, which has that group.
    session.install("-e", ".", *groups("test", "lint", "notebooks"), "nox")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".", *groups("test"))
    session.run("pytest", *session.posargs)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Execute the notebooks that can run in CI and render them to HTML in build/notebooks/;
    check the others without running them (they read data git does not have): every cell
    parses, and every name they import from the package exists.

    Which notebooks run: `[tool.dsprod.notebooks] execute` in pyproject.toml (paths or globs).
    Outputs on disk are left alone: nbconvert writes the executed copy as HTML only.
    """
    paths = sorted(p for p in Path("notebooks").rglob("*.ipynb") if CHECKPOINTS not in p.parts)
    if not paths:
        session.skip("no notebooks in notebooks/")
    run = executed(session, paths)
    problems: list[str] = []
    imports: list[tuple[str, str, str]] = []
    for path in paths:
        found, imported = read_notebook(path)
        problems += found
        imports += imported
    session.install("-e", ".", *groups("notebooks"))
    if imports:
        # In the session's environment, where the package is installed; through files, so that
        # the log shows a command, not the script.
        script = Path(session.create_tmp(), "check_imports.py")
        script.write_text(IMPORT_CHECK, encoding="utf-8")
        listed = script.with_suffix(".json")
        listed.write_text(json.dumps(imports), encoding="utf-8")
        done = session.run("python", str(script), str(listed), silent=True, success_codes=[0, 1])
        problems += [line for line in str(done or "").splitlines() if line.strip()]
    if problems:
        session.error("\n".join(["notebooks that would not run:", *problems]))
    skipped = len(paths) - len(run)
    session.log(f"{len(paths)} notebook(s) parse and import what exists; {skipped} not executed")
    # The session's own kernel, whichever kernel a notebook was saved with (the project's
    # kernel from `dsprod setup` does not exist in CI).
    share = Path(str(session.bin)).parent / "share" / "jupyter"
    for path in run:
        session.run(
            "jupyter", "nbconvert", "--to", "html", "--execute", "--output-dir", REPORTS,
            "--ExecutePreprocessor.kernel_name=python3", "--ExecutePreprocessor.timeout=600",
            str(path), env={"JUPYTER_PATH": str(share)},
        )  # fmt: skip


# --- the notebooks session's helpers ----------------------------------------------------------

REPORTS = "build/notebooks"  # HTML reports of the executed notebooks: CI uploads them
CHECKPOINTS = ".ipynb_checkpoints"
PACKAGE: str = PYPROJECT["tool"]["dsprod"]["package"]
# Cell magics whose body is Python; any other (%%bash, %%sql, %%html...) is not parsed.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# IPython lines that are not Python: %magic, !shell, name = %magic/!shell, name? and ?name.
IPYTHON_LINE = re.compile(r"^\s*([%!]|[\w.]+\s*=\s*[%!]|\?+[\w.]+\s*$|[\w.]+\?+\s*$)")
# Run by the session's python: each (module, name, where) that does not import.
IMPORT_CHECK = """
import importlib, json, sys
bad = []
with open(sys.argv[1], encoding="utf-8") as wanted:
    imports = json.load(wanted)
for module, name, where in imports:
    try:
        loaded = importlib.import_module(module)
    except Exception as exc:  # whatever the module raises as it loads
        bad.append(f"{where}: {module} does not import: {type(exc).__name__}: {exc}")
        continue
    if name and not hasattr(loaded, name):
        try:
            importlib.import_module(f"{module}.{name}")
        except ImportError:
            bad.append(f"{where}: {module} has no {name} (extracted under another name?)")
print("\\n".join(bad))
sys.exit(1 if bad else 0)
"""


def executed(session: nox.Session, paths: list[Path]) -> list[Path]:
    """The notebooks `[tool.dsprod.notebooks] execute` names; a pattern that names none is an
    error, not a notebook quietly left out."""
    patterns = PYPROJECT["tool"]["dsprod"].get("notebooks", {}).get("execute", [])
    chosen: list[Path] = []
    for pattern in patterns:
        matched = [p for p in paths if p.match(pattern) or p.as_posix() == pattern]
        if not matched:
            session.error(
                f"pyproject.toml: [tool.dsprod.notebooks] execute lists {pattern!r}, which "
                "names no notebook under notebooks/: fix the path or remove it"
            )
        chosen += [p for p in matched if p not in chosen]
    return chosen


def read_notebook(path: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The cells of `path` that do not parse, and what it imports from the package."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        metadata = document.get("metadata", {})
        cells = document.get("cells") or [  # nbformat 3 keeps cells in worksheets
            c for sheet in document.get("worksheets", []) for c in sheet.get("cells", [])
        ]
    except (OSError, ValueError, AttributeError) as exc:
        return [f"{path}: not a notebook: {exc}"], []
    language = (metadata.get("kernelspec", {}).get("language") or "python").lower()
    if language != "python":
        return [], []  # another kernel's code: not Python to parse
    problems: list[str] = []
    imports: list[tuple[str, str, str]] = []
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        text = "".join(source) if isinstance(source, list) else str(source)
        python = as_python(text)
        if python is None:
            continue
        try:
            tree = ast.parse(python)
        except SyntaxError as exc:
            problems.append(f"{path}:cell {number}:line {exc.lineno}: does not parse: {exc.msg}")
            continue
        for node in ast.walk(tree):
            where = f"{path}:cell {number}:line {getattr(node, 'lineno', 1)}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and ours(node.module):
                imports += [(str(node.module), a.name, where) for a in node.names if a.name != "*"]
            elif isinstance(node, ast.Import):
                imports += [(a.name, "", where) for a in node.names if ours(a.name)]
    return problems, imports


def ours(module: str | None) -> bool:
    return module is not None and (module == PACKAGE or module.startswith(f"{PACKAGE}."))


def as_python(text: str) -> str | None:
    """The cell as Python: IPython-only lines become `pass` (line numbers kept); None for a
    cell magic whose body is not Python."""
    lines = text.splitlines()
    if lines and lines[0].startswith("%%"):
        if lines[0][2:].split(" ")[0] not in PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + "pass" if IPYTHON_LINE.match(line) else line
        for line in lines
    )


@nox.session
def pipeline(session: nox.Session) -> None:
    """The CD path, locally: demo data -> train -> evaluate -> gate -> publish -> staging; the
    service serves staging's model; prod takes it from staging; a worse model is refused by
    the gate and prod keeps serving the previous one. A local folder stands in for the
    registry, a random key for MODEL_SIGNING_KEY; settings are staging's and prod's own."""
    locked = Path("uv.lock").is_file()
    if not locked:
        # `dsprod new` could not resolve one (it said why). The path can still be tried, with
        # the versions pyproject.toml allows; the image and CI cannot do without the lock.
        session.warn("no uv.lock: the runtime is installed unlocked; run `uv lock` and commit it")
    if shutil.which("uv") and locked:
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
