"""`dsprod setup`: from a fresh clone to a working development environment, idempotently.

Steps, each skipped when its result is already there: `.env` from `.env.example`; the `.venv`
(uv when present, else venv); the project installed in it with its dev group (skipped while
pyproject.toml, and uv.lock when there is one, are unchanged since the last install and the
package still imports from the working tree); the git hooks (pre-commit) and every hook's
environment, so the first commit installs nothing; the git filter that strips notebooks in
commits; a Jupyter kernel named after the project that runs the .venv's interpreter; the
project's mypy cache (`_typecache.py`). Where an installer needs dsprod (the dev group, the
dsprod-check hook), it is handed a wheel of the running dsprod (`_wheel.py`): dsprod is not on
the package index yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dsprod._output import Output, shown
from dsprod._project import Project, require_project, venv_python
from dsprod.devenv._kernel import install_command, kernel_name, kernel_state
from dsprod.devenv._python import choose_python, package_location, python_version, satisfies
from dsprod.devenv._run import quick, run_long, shown_command
from dsprod.devenv._setup_git import filter_step, hook_steps
from dsprod.devenv._step import SetupStep, say
from dsprod.devenv._typecache import type_cache_step
from dsprod.devenv._wheel import WheelSource
from dsprod.errors import Flag, Step, UserError

__all__ = ["STAMP", "SetupResult", "SetupStep", "setup_project"]

STAMP = ".dsprod-setup.json"  # in .venv: what the last install was made from
_MIN_PIP_FOR_GROUPS = (25, 1)
_NO_PIP = (0,)
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
# Run in .venv: print the distributions of argv that are not installed.
_MISSING = """
import sys
from importlib.metadata import PackageNotFoundError, version
for name in sys.argv[1:]:
    try:
        version(name)
    except PackageNotFoundError:
        print(name)
"""


@dataclass(frozen=True)
class SetupResult:
    project: Project
    steps: tuple[SetupStep, ...]

    @property
    def changed(self) -> bool:
        return any(step.changed for step in self.steps)

    @property
    def incomplete(self) -> tuple[SetupStep, ...]:
        return tuple(step for step in self.steps if step.fix)


def setup_project(
    start: Path | None = None,
    *,
    output: Output | None = None,
    python: str | Path | None = None,
    uv: bool | None = None,
) -> SetupResult:
    """Make (or complete) the development environment of the project at or above `start`.

    `python` chooses the interpreter of a new .venv; `uv` forces (True) or refuses (False) uv,
    which is used by default when it is on PATH."""
    output = output or Output()
    project = require_project(start)
    uv_path = shutil.which("uv") if uv is not False else None
    if uv and uv_path is None:
        raise UserError(
            "uv is not on PATH", hint=Step("install it (pip install uv), or drop ", Flag("uv"))
        )
    # Every refusal (a broken .venv, no suitable Python) comes before anything is written.
    chosen = _preflight(project, python)
    wheels = WheelSource(lambda text: output.status("wheel", text))
    try:
        steps = [_dotenv(project, output), _venv(project, output, chosen, uv_path)]
        steps.append(_install(project, output, uv_path, wheels))
        steps.extend(hook_steps(project, output, wheels))
        steps.append(filter_step(project, output))
        steps.append(_kernel(project, output))
        steps.append(type_cache_step(project, output))
    finally:
        wheels.close()
    return SetupResult(project, tuple(steps))


def _dotenv(project: Project, output: Output) -> SetupStep:
    dotenv, example = project.root / ".env", project.root / ".env.example"
    # lexists: a dangling symbolic link is a .env too (the user's, pointing at a file to come);
    # it is neither replaced nor written through.
    if os.path.lexists(dotenv):
        return say(output, SetupStep(".env", False, "exists; left as it is"))
    if not example.is_file():
        return say(output, SetupStep(".env", False, "no .env.example to copy"))
    try:
        fd, tmp = tempfile.mkstemp(dir=project.root, prefix=".env.", suffix=".tmp")
    except OSError as exc:
        raise UserError(
            f"cannot write .env in {shown(project.root)}: {exc.strerror or exc}",
            hint="make the folder writable, then dsprod setup",
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(example.read_bytes())
        Path(tmp).chmod(0o600)  # it will hold secrets: the owner's only
        try:
            # A link, not a replace: a .env that appeared meanwhile is never overwritten.
            os.link(tmp, dotenv)
        except FileExistsError:
            return say(output, SetupStep(".env", False, "exists; left as it is"))
        except OSError:  # a file system without hard links
            if os.path.lexists(dotenv):
                return say(output, SetupStep(".env", False, "exists; left as it is"))
            Path(tmp).replace(dotenv)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return say(output, SetupStep(".env", True, "from .env.example: put your local values there"))


def _preflight(project: Project, python: str | Path | None) -> tuple[Path | None, str]:
    """The interpreter for a new .venv (None when there is one already) and its version."""
    venv = project.root / ".venv"
    interpreter = venv_python(project.root)
    if not venv.exists():
        return choose_python(project, python)
    version = python_version(interpreter)
    if version is None:
        raise UserError(
            f"{project.relative(venv)} exists but has no working interpreter "
            f"({project.relative(interpreter)})",
            hint="rm -rf .venv && dsprod setup",
        )
    requires = project.requires_python
    if satisfies(version, requires) is False:
        raise UserError(
            f"{shown(venv)} has Python {version}; the project requires {requires}",
            hint=Step("rm -rf .venv && dsprod setup ", Flag("python", "PYTHON")),
        )
    return None, version


def _venv(
    project: Project, output: Output, chosen: tuple[Path | None, str], uv: str | None
) -> SetupStep:
    venv = project.root / ".venv"
    base, version = chosen
    if base is None:
        return say(output, SetupStep(".venv", False, f"Python {version}"))
    if uv:
        command = [uv, "venv", "--quiet", "--python", str(base), str(venv)]
    else:
        command = [str(base), "-m", "venv", str(venv)]
    output.status("create", f".venv (Python {version}: {shown_command(command, project.root)})")
    try:
        run_long(
            command,
            cwd=project.root,
            output=output,
            what="creating .venv",
            hint=Step("dsprod setup ", Flag("python", "PYTHON"), ", with another interpreter"),
        )
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)  # never leave half an environment behind
        raise
    return SetupStep(".venv", True, f"Python {version}")


def _install(project: Project, output: Output, uv: str | None, wheels: WheelSource) -> SetupStep:
    interpreter = venv_python(project.root)
    stamp = project.root / ".venv" / STAMP
    lock = project.root / "uv.lock"
    installer = "uv" if uv else "pip"
    inputs = _inputs(project)
    if _stamped(stamp) == inputs and _imports_from_tree(project, interpreter):
        # Unchanged inputs are not enough: a package uninstalled since (pre-commit, say)
        # leaves the stamp as it was, and a commit would then fail in the hook.
        missing = _missing(interpreter, _requirements(project))
        if not missing:
            detail = (
                "pyproject.toml unchanged since the last install; imports from the working tree"
            )
            return say(output, SetupStep("install", False, detail))
        output.status("missing", f"from .venv: {', '.join(missing)}")
    groups = project.pyproject.get("dependency-groups", {})
    group = ["--group", "dev"] if isinstance(groups, Mapping) and "dev" in groups else []
    hint = (
        "fix what the installer says and run dsprod setup again (when a dependency is not on "
        "the package index, point the installer at it: UV_FIND_LINKS or PIP_FIND_LINKS)"
    )
    if uv and lock.is_file():
        command = [uv, "sync", "--locked"]  # the team's lock file decides the versions
    elif uv:
        command = [uv, "pip", "install", "--python", str(interpreter), "-e", ".", *group]
    else:
        command = [str(interpreter), "-m", "pip", "install", "-e", ".", *group]
        pip = _pip_version(interpreter)
        if pip == _NO_PIP:
            # A .venv made by uv has no pip; ensurepip brings the one Python ships.
            ensure = [str(interpreter), "-m", "ensurepip", "--upgrade"]
            output.status("install", f"pip into .venv ({shown_command(ensure, project.root)})")
            run_long(ensure, cwd=project.root, output=output, what="installing pip", hint=hint)
            pip = _pip_version(interpreter)
        if group and pip < _MIN_PIP_FOR_GROUPS:
            upgrade = [str(interpreter), "-m", "pip", "install", "-U", "pip"]
            shown_upgrade = shown_command(upgrade, project.root)
            output.status("install", f"a newer pip, for --group ({shown_upgrade})")
            run_long(upgrade, cwd=project.root, output=output, what="upgrading pip", hint=hint)
    what = f"{project.name} and its dev group" if group else project.name
    # dsprod itself (the dev group has it) is not on the package index yet: the installer
    # finds the running one's wheel (made now, so its line comes first).
    wanted = {name.lower().replace("_", "-") for name in _requirements(project)}
    env = wheels.env() if "dsprod" in wanted else None
    output.status("install", f"{what}: {shown_command(command, project.root)}")
    took = run_long(command, cwd=project.root, output=output, what="installing", hint=hint, env=env)
    location = _imports_from_tree(project, interpreter)
    if project.package and not location:
        raise UserError(
            f"installed, but .venv does not import {project.package} from the working tree",
            hint="dsprod doctor (it says where the package comes from)",
        )
    stamp.write_text(json.dumps({"inputs": inputs}, indent=1) + "\n", encoding="utf-8")
    output.status("done", f"installed in {took:.0f} s")
    return SetupStep("install", True, f"{what} ({installer})")


def _inputs(project: Project) -> str:
    """What an install is made from. Not the installer: uv and pip install the same thing, and
    a .venv made by one must not be reinstalled by the other (through a pip it may not have)
    only because the other is used this time."""
    digest = hashlib.sha256(b"dsprod-setup 2")
    for name in ("pyproject.toml", "uv.lock"):
        path = project.root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _stamped(stamp: Path) -> str | None:
    try:
        value = json.loads(stamp.read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _imports_from_tree(project: Project, interpreter: Path) -> bool:
    if project.package is None or project.package_dir is None:
        return interpreter.exists()  # nothing to import: installed is all there is to know
    location, _ = package_location(interpreter, project.package)
    with contextlib.suppress(OSError):
        return location is not None and location.resolve().is_relative_to(
            project.package_dir.resolve()
        )
    return False


def _requirements(project: Project) -> list[str]:
    """The distributions the install step puts in .venv: the project's dependencies and its
    dev group (include-group followed). Requirements with a marker are left out: whether they
    apply is the installer's to decide."""
    data = project.pyproject
    table = data.get("project")
    dependencies = table.get("dependencies", []) if isinstance(table, dict) else []
    groups = data.get("dependency-groups", {})
    groups = groups if isinstance(groups, dict) else {}
    names: list[str] = []
    seen: set[str] = set()

    def add(items: object) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                included = item.get("include-group")
                if isinstance(included, str) and included not in seen:
                    seen.add(included)
                    add(groups.get(included))
            elif isinstance(item, str) and ";" not in item and (match := _NAME.match(item)):
                names.append(match[1])

    add(dependencies)
    seen.add("dev")
    add(groups.get("dev"))
    return list(dict.fromkeys(names))


def _missing(interpreter: Path, names: list[str]) -> list[str]:
    """Which of `names` are not installed in `interpreter`'s environment (all of them when it
    cannot be asked)."""
    if not names:
        return []
    done = quick([interpreter, "-c", _MISSING, *names], cwd=interpreter.parent)
    if done is None or done.returncode != 0:
        return names
    return done.stdout.split()


def _pip_version(interpreter: Path) -> tuple[int, ...]:
    done = quick([interpreter, "-m", "pip", "--version"], cwd=interpreter.parent)
    if done is None or done.returncode != 0:
        return _NO_PIP
    words = done.stdout.split()
    try:
        return tuple(int(part) for part in words[1].split(".")[:2])
    except (IndexError, ValueError):
        return (0,)


def _kernel(project: Project, output: Output) -> SetupStep:
    interpreter = venv_python(project.root)
    state = kernel_state(project, interpreter)
    if state.ok:
        return say(output, SetupStep("kernel", False, state.detail))
    command = install_command(project, interpreter)
    done = quick(command, cwd=project.root)
    if done is None or done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()[-1:] if done else []
        raise UserError(
            f"cannot register the Jupyter kernel {kernel_name(project)}: "
            f"{said[0] if said else 'the command did not start'}",
            hint="add ipykernel to the dev dependency group, then dsprod setup",
        )
    return say(output, SetupStep("kernel", True, kernel_state(project, interpreter).detail))
