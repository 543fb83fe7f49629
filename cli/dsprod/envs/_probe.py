"""Run `_probe_script.py` in the project's interpreter and read its report into typed records."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from dsprod._project import Project, venv_python
from dsprod.envs._secrets import SENSITIVE_NAME
from dsprod.errors import ConfigError, Flag, Hint, Step

__all__ = ["Field", "Probe", "SettingsProblem", "Source", "run_probe"]

_SCRIPT = Path(__file__).with_name("_probe_script.py")
_MARKER = "::dsprod-probe:: "  # as in _probe_script.py
_TIMEOUT = 120  # seconds: importing a heavy package on a cold disk can take a while


# One of the settings' sources: `file` has its path, `dotenv` may; `other` has its class name;
# `default` when no source gave the value.
SourceKind = Literal["env-var", "dotenv", "file", "init", "secrets-dir", "other", "default"]
_SOURCE_KINDS: frozenset[str] = frozenset(get_args(SourceKind))


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    path: Path | None = None
    name: str | None = None


@dataclass(frozen=True)
class Field:
    key: str  # dotted: gate.tolerance
    variable: str  # the environment variable that sets it: GATE__TOLERANCE
    type: str
    secret: bool
    value: Any  # JSON-safe; None for secrets, whose value never leaves the project's process
    set: bool
    source: Source


@dataclass(frozen=True)
class SettingsProblem:
    key: str | None  # the dotted field, when the settings say which
    message: str
    path: Path | None = None  # the file at fault, when it is known (a .env that cannot be read)


@dataclass(frozen=True)
class Probe:
    python: Path
    fields: tuple[Field, ...]
    sources: tuple[Source, ...]  # highest precedence first
    problems: tuple[SettingsProblem, ...]


def run_probe(project: Project, env: str, python: Path) -> Probe:
    """Read the settings of `project` for `env` in `python`, from the project's root, with
    APP_ENV and APP_CONF_DIR set as dsprod reads them."""
    module = project.settings_module
    if module is None:
        raise ConfigError(
            f"{project.relative(project.root / 'pyproject.toml')}: no package found, so no "
            "settings to read",
            hint='name the package in pyproject.toml: [tool.dsprod] package = "NAME"',
        )
    search = str(project.package_dir.parent) if project.package_dir else ""
    environ = {**os.environ, "APP_ENV": env, "APP_CONF_DIR": str(project.conf_dir)}
    script = _SCRIPT.read_text(encoding="utf-8")
    command = [str(python), "-c", script, module, env, search, SENSITIVE_NAME]
    try:
        done = subprocess.run(
            command,
            cwd=project.root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            f"cannot run {project.relative(python)} to read the settings: {exc}",
            hint=_hint(project, python),
        ) from exc
    report = _report(done.stdout)
    if report is None:
        said = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise ConfigError(
            f"{project.relative(python)} could not read the settings ({module}), exit code "
            f"{done.returncode}:\n{said}".rstrip(),
            hint=_hint(project, python),
        )
    if "error" in report:
        raise _failure(project, python, env, module, report)
    return Probe(
        python=python,
        fields=tuple(_field(item) for item in report["fields"]),
        sources=tuple(_source(item) for item in report["sources"]),
        problems=tuple(
            SettingsProblem(
                item.get("key"),
                str(item["message"]),
                Path(item["where"]) if item.get("where") else None,
            )
            for item in report["problems"]
        ),
    )


def _report(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_MARKER):
            report = json.loads(line[len(_MARKER) :])
            return report if isinstance(report, dict) else None
    return None


def _failure(
    project: Project, python: Path, env: str, module: str, report: dict[str, Any]
) -> ConfigError:
    """The error for a probe that could not read the settings at all, worded by when it failed:
    the module not installed (setup installs it), the module raising as it is imported, or
    the settings failing once imported (both: the settings file is what to fix)."""
    where = project.relative(python)
    stage = report.get("stage")
    if stage == "missing":
        return ConfigError(
            f"cannot read the settings with {where}: importing {module} failed: {report['error']}",
            hint=_hint(project, python),
        )
    settings = _settings_file(project, module)
    fix = f"fix {settings}, then dsprod env show {env}"
    if stage == "import":
        return ConfigError(
            f"cannot read the settings with {where}: {module} raised while being imported: "
            f"{report['error']}",
            hint=fix,
        )
    return ConfigError(
        f"cannot read the settings with {where}: {module} imports, but reading its settings "
        f"failed: {report['error']}",
        hint=fix,
    )


def _settings_file(project: Project, module: str) -> str:
    """The file of `module` in the working tree, when it is there; else the module's name."""
    if project.package_dir is not None:
        parts = module.split(".")
        base = project.package_dir.parent.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return project.relative(candidate)
    return module


def _hint(project: Project, python: Path) -> Hint:
    if python == venv_python(project.root):
        return "dsprod setup  (installs the project and its dependencies into .venv)"
    return Step(
        "dsprod setup, or pass ",
        Flag("python"),
        " with an interpreter where the project is installed (pip install -e .)",
    )


def _source(item: dict[str, Any] | None) -> Source:
    if not item:
        return Source("default")
    path = item.get("path")
    kind = item["kind"]
    # A source this dsprod does not know (a newer probe script) is shown as one more source.
    known: SourceKind = kind if kind in _SOURCE_KINDS else "other"
    return Source(known, Path(path) if path else None, item.get("name"))


def _field(item: dict[str, Any]) -> Field:
    return Field(
        key=str(item["key"]),
        variable=str(item["variable"]),
        type=str(item["type"]),
        secret=bool(item["secret"]),
        value=item.get("value"),
        set=bool(item.get("set")),
        source=_source(item.get("source")),
    )
