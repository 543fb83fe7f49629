"""`dsprod doctor`: is the development environment whole? One line per check, each with the
command that fixes a problem. Reads only: nothing is installed or written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

from dsprod import __version__
from dsprod._git import run_git, toplevel
from dsprod._output import render, say
from dsprod._problem import Problem
from dsprod._project import ANSWERS_FILE, Project, require_project, venv_python
from dsprod.devenv._filter import DRIVER, filter_state
from dsprod.devenv._hookenvs import hook_envs, run_on_samples
from dsprod.devenv._hooks import CONFIG, INSTALL_GIT, hook_state, pre_commit_installed
from dsprod.devenv._kernel import install_command, kernel_state
from dsprod.devenv._python import choose_python, package_location, python_version, satisfies
from dsprod.devenv._run import shown_command
from dsprod.envs._project import environments
from dsprod.errors import ConfigError, Flag, Hint, Step

__all__ = ["CheckStatus", "DoctorCheck", "doctor"]

# A note is worth knowing and does not fail the doctor; a problem does.
CheckStatus = Literal["ok", "problem", "note"]

_TEMPLATE_VERSION = re.compile(r"^template_version:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)
_SETUP = "dsprod setup"


class CheckJson(TypedDict):
    """A check in `dsprod doctor --json`."""

    name: str
    status: CheckStatus
    detail: str
    next: str | None


@dataclass(frozen=True)
class DoctorCheck:
    name: str
    status: CheckStatus
    detail: str
    fix: Hint | None = None

    def __str__(self) -> str:
        next_step = self.fix if self.status != "ok" else None
        return render(f"{self.status:<8} {self.name}: {self.detail}", next_step)

    def problem(self) -> Problem:
        """The check as a problem record: located by its name."""
        return Problem(self.name, self.detail, self.fix)

    def as_json(self) -> CheckJson:
        next_step = self.fix if self.status != "ok" else None
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "next": say(next_step),
        }


def doctor(start: Path | None = None) -> list[DoctorCheck]:
    """Check the development environment of the project at or above `start`."""
    project = require_project(start)
    interpreter = venv_python(project.root)
    venv = interpreter.exists()
    return [
        _python(project, interpreter if venv else None),
        _venv(project, interpreter if venv else None),
        _hooks(project, interpreter),
        _hook_envs(project, interpreter if venv else None),
        _filter(project),
        _kernel(project, interpreter if venv else None),
        _env_dev(project, interpreter if venv else None),
        _dotenv(project),
        _git(project),
        _template(project),
        _debt(project),
    ]


def _python(project: Project, interpreter: Path | None) -> DoctorCheck:
    requires = project.requires_python
    wanted = f"requires-python {requires}" if requires else "no requires-python"
    if interpreter is None:
        try:
            python, chosen = choose_python(project)
        except ConfigError as exc:
            return DoctorCheck("python", "problem", exc.message, exc.hint)
        return DoctorCheck("python", "ok", f"Python {chosen} ({python}) meets {wanted}")
    version = python_version(interpreter)
    if version is None:
        return DoctorCheck(
            "python", "problem", ".venv/bin/python does not run", "rm -rf .venv && dsprod setup"
        )
    met = satisfies(version, requires)
    if met is None:
        return DoctorCheck(
            "python",
            "note",
            f"Python {version} in .venv; cannot compare it "
            f"with {wanted} (packaging is not installed)",
        )
    if not met:
        return DoctorCheck(
            "python",
            "problem",
            f"Python {version} in .venv does not meet {wanted}",
            Step("rm -rf .venv && dsprod setup ", Flag("python", "PYTHON")),
        )
    return DoctorCheck("python", "ok", f"Python {version} in .venv meets {wanted}")


def _venv(project: Project, interpreter: Path | None) -> DoctorCheck:
    if interpreter is None:
        return DoctorCheck("venv", "problem", "no .venv", _SETUP)
    if project.package is None or project.package_dir is None:
        return DoctorCheck("venv", "ok", ".venv present (no package found to import)")
    location, error = package_location(interpreter, project.package)
    if location is None:
        return DoctorCheck(
            "venv", "problem", f"{project.package} does not import in .venv: {error}", _SETUP
        )
    try:
        inside = location.resolve().is_relative_to(project.package_dir.resolve())
    except OSError:
        inside = False
    if not inside:
        return DoctorCheck(
            "venv",
            "problem",
            f".venv imports {project.package} from {location}, not from the working tree",
            f"{_SETUP}  (it installs the project in editable mode)",
        )
    where = project.relative(project.package_dir)
    return DoctorCheck("venv", "ok", f".venv imports {project.package} from {where}")


def _hooks(project: Project, interpreter: Path) -> DoctorCheck:
    if not (project.root / CONFIG).is_file():
        return DoctorCheck("hooks", "ok", f"no {CONFIG}: no hooks to install")
    state = hook_state(project.root, interpreter)
    if state.ok:
        return DoctorCheck("hooks", "ok", state.detail)
    if not state.git:
        return DoctorCheck("hooks", "problem", state.detail, f"{INSTALL_GIT}, then {_SETUP}")
    if not state.repository:
        return DoctorCheck("hooks", "problem", state.detail, "git init && dsprod setup")
    if not state.tool:
        return DoctorCheck("hooks", "problem", state.detail, f"{_SETUP}  (it reinstalls it)")
    return DoctorCheck("hooks", "problem", state.detail, ".venv/bin/pre-commit install")


def _hook_envs(project: Project, interpreter: Path | None) -> DoctorCheck:
    """Would a commit run its hooks without installing anything first? Asked of pre-commit
    without writing; then the hooks run for real on sample files in a copy of the index."""
    name = "hook envs"
    if not (project.root / CONFIG).is_file():
        return DoctorCheck(name, "ok", f"no {CONFIG}: no hooks")
    if interpreter is None or not pre_commit_installed(interpreter):
        return DoctorCheck(name, "problem", "no pre-commit in .venv to build them", _SETUP)
    state = hook_envs(project.root, interpreter)
    if not state.ok:
        return DoctorCheck(name, "problem", state.detail, f"{_SETUP}  (it builds them)")
    failed = run_on_samples(project.root, interpreter, state.skip)
    return _ran(
        name,
        f"installed, but the hooks {failed}" if failed else None,
        ".venv/bin/pre-commit clean && dsprod setup  (it builds them again)",
        "installed; the hooks pass on sample files in a copy",
    )


def _ran(name: str, failed: str | None, fix: Hint, passed: str) -> DoctorCheck:
    """The check of something doctor ran in the project (the hooks, the settings): what
    failed, with its fix, or that it passed."""
    if failed:
        return DoctorCheck(name, "problem", failed, fix)
    return DoctorCheck(name, "ok", passed)


def _filter(project: Project) -> DoctorCheck:
    state = filter_state(project.root)
    if state.ok:
        return DoctorCheck("filter", "ok", state.detail)
    if not state.repository:
        fix = INSTALL_GIT if "not installed" in state.detail else "git init && dsprod setup"
        return DoctorCheck("filter", "problem", state.detail, fix)
    if state.driver is None:
        config = (toplevel(project.root) or project.root) / CONFIG
        text = config.read_text(encoding="utf-8") if config.is_file() else ""
        if f"id: {DRIVER}" in text:
            # A project of an older template: its hook strips the working copy too.
            return DoctorCheck(
                "filter",
                "note",
                f"the {DRIVER} pre-commit hook strips notebooks on disk as it commits them; "
                "the git filter keeps outputs on disk",
                "dsprod update",
            )
        return DoctorCheck("filter", "note", state.detail)
    if state.driver != DRIVER:
        fix = f"git config filter.{state.driver}.clean COMMAND"
        return DoctorCheck("filter", "problem", state.detail, fix)
    return DoctorCheck("filter", "problem", state.detail, f"{_SETUP}  (it configures it)")


def _kernel(project: Project, interpreter: Path | None) -> DoctorCheck:
    if interpreter is None:
        return DoctorCheck("kernel", "problem", "no .venv for a kernel to run", _SETUP)
    state = kernel_state(project, interpreter)
    if state.ok:
        return DoctorCheck("kernel", "ok", state.detail)
    if not state.importable:
        return DoctorCheck("kernel", "problem", state.detail, f"{_SETUP}  (it reinstalls it)")
    fix = shown_command(install_command(project, interpreter), project.root)
    return DoctorCheck("kernel", "problem", state.detail, fix)


def _env_dev(project: Project, interpreter: Path | None) -> DoctorCheck:
    name = "env dev"
    if not project.conf_dir.is_dir():
        return DoctorCheck(
            name,
            "note",
            f"no {project.relative(project.conf_dir)}/ folder: no configuration to check",
        )
    if interpreter is None:
        return DoctorCheck(name, "problem", "no .venv to run the settings in", _SETUP)
    from dsprod.envs.check import check_environment

    try:
        if "dev" not in {env.name for env in environments(project)}:
            return DoctorCheck(name, "note", "the project has no dev environment")
        result = check_environment("dev", start=project.root, python=interpreter)
    except ConfigError as exc:
        return DoctorCheck(name, "problem", exc.message, exc.hint)
    failed = None
    if result.problems:
        first = result.problems[0]
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        failed = f"{first.where}: {first.message}{more}"
    return _ran(
        name,
        failed,
        "dsprod env check dev  (each problem with its fix)",
        "dsprod env check dev passes",
    )


def _dotenv(project: Project) -> DoctorCheck:
    if (project.root / ".env").is_file():
        return DoctorCheck(".env", "ok", "present")
    if not (project.root / ".env.example").is_file():
        return DoctorCheck(".env", "ok", "none, and no .env.example to make one from")
    return DoctorCheck(
        ".env", "note", "none yet (dev reads local values from it)", "cp .env.example .env"
    )


def _git(project: Project) -> DoctorCheck:
    version = run_git("--version", cwd=project.root)
    if version is None or version.returncode != 0:
        return DoctorCheck(
            "git",
            "problem",
            "git is not installed",
            INSTALL_GIT,
        )
    said = version.stdout.strip().removeprefix("git version ")
    inside = run_git("rev-parse", "--show-toplevel", cwd=project.root)
    if inside is None or inside.returncode != 0:
        return DoctorCheck("git", "problem", f"git {said}; not a git repository", "git init")
    return DoctorCheck("git", "ok", f"git {said}; repository at {inside.stdout.strip()}")


def _debt(project: Project) -> DoctorCheck:
    """What promoted code still owes: a note, never a problem (the commit and CI pass)."""
    from dsprod.notebook._debt import read_debt

    debt = read_debt(project.root)
    if debt is None or not (debt.left or debt.lint_size):
        return DoctorCheck("debt", "ok", "nothing left in notebooks, no lint debt recorded")
    return DoctorCheck(
        "debt", "note", debt.summary(), Step("dsprod check ", Flag("report"), " lists it")
    )


def _template(project: Project) -> DoctorCheck:
    try:
        text = (project.root / ANSWERS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return DoctorCheck("template", "note", f"no {ANSWERS_FILE}: not made by dsprod new")
    match = _TEMPLATE_VERSION.search(text)
    if match is None:
        return DoctorCheck("template", "note", f"{ANSWERS_FILE} does not record template_version")
    recorded = match[1]
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - packaging comes with copier
        same = recorded == __version__
        return DoctorCheck(
            "template",
            "ok" if same else "note",
            f"template {recorded}; dsprod {__version__} ships {__version__}",
        )
    try:
        made, shipped = Version(recorded), Version(__version__)
    except InvalidVersion:
        return DoctorCheck("template", "note", f"template version {recorded!r} is not a version")
    if made < shipped:
        return DoctorCheck(
            "template",
            "note",
            f"template {recorded}; update available: dsprod {__version__} ships {__version__}",
            "dsprod update",
        )
    if made > shipped:
        return DoctorCheck(
            "template",
            "problem",
            f"template {recorded}: made by a newer dsprod than this one ({__version__})",
            "pip install -U dsprod",
        )
    return DoctorCheck("template", "ok", f"template {recorded}, the one dsprod {__version__} ships")
