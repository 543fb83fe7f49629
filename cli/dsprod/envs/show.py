"""`dsprod env show`: the resolved configuration of one environment, each value located.

The project's settings decide: they run in the project's interpreter (`_probe_script.py`), which
reports the validated values and which of the settings' own sources gave each one. dsprod adds
the where: the line of conf/<file>.toml or .env, or the variable of the environment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsprod._problem import Problem
from dsprod._project import Project, project_python, require_project
from dsprod._toml import key_lines, line_of, load_toml
from dsprod.envs._probe import Field, SettingsProblem, Source, run_probe
from dsprod.envs._project import Environment, get_environment
from dsprod.envs._secrets import MASK, redact

__all__ = [
    "Resolution",
    "ResolvedValue",
    "resolve",
    "show_environment",
]

# What each kind of source is called on screen: the words of `dsprod env show`'s legend.
SOURCE_LABELS = {
    "base": "base file",
    "env-file": "environment file",
    "env-var": "environment variable",
    "dotenv": ".env",
    "default": "default",
    "file": "file",
    "init": "code",
    "secrets-dir": "secrets folder",
    "other": "other source",
}


@dataclass(frozen=True)
class ResolvedValue:
    key: str
    variable: str
    type: str
    secret: bool
    set: bool
    value: Any  # None for a secret: its value is never read out of the project's process
    source: str  # a key of SOURCE_LABELS
    where: str  # `conf/base.toml:7`, `$LOG_LEVEL`, `.env:3`, `default`

    @property
    def shown(self) -> str:
        """The value as printed: secrets masked, passwords inside URLs masked."""
        if self.secret:
            return MASK if self.set else "(not set)"
        if isinstance(self.value, str):
            return redact(self.value)
        return redact(json.dumps(self.value, ensure_ascii=False))


@dataclass(frozen=True)
class Resolution:
    project: Project
    environment: Environment
    python: Path
    values: tuple[ResolvedValue, ...]
    sources: tuple[str, ...]  # what the settings read, highest precedence first
    problems: tuple[Problem, ...]  # what the settings refused, located

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment.name,
            "project": str(self.project.root),
            "python": str(self.python),
            "sources": list(self.sources),
            "valid": self.valid,
            "values": [
                {
                    "key": v.key,
                    "variable": v.variable,
                    "value": None if v.secret else _json_value(v),
                    "secret": v.secret,
                    "set": v.set,
                    "type": v.type,
                    "source": v.source,
                    "where": v.where,
                }
                for v in self.values
            ],
            "problems": [p.as_json() for p in self.problems],
        }


def _json_value(value: ResolvedValue) -> Any:
    return _redacted(value.value)


def _redacted(value: Any) -> Any:
    """`value` with every password inside a URL masked, in strings nested in lists and dicts
    too (a list of database URLs is as secret as one)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {_redacted(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    return value


def show_environment(
    name: str, *, start: Path | None = None, python: str | Path | None = None
) -> Resolution:
    """The configuration of environment `name` of the project at or above `start`, as the
    project's settings resolve it in `python` (default: the project's .venv)."""
    project = require_project(start)
    return resolve(project, get_environment(project, name), python)


def resolve(project: Project, env: Environment, python: str | Path | None = None) -> Resolution:
    # Parsed here first so that a broken file is reported as file:line, before the settings
    # (which would fail on it too, less precisely) are run.
    read = [project.conf_dir / "base.toml", *([env.conf_file] if env.conf_file else [])]
    for path in read:
        if path.is_file():
            load_toml(path, project.root)
    interpreter = project_python(project.root, python)
    probe = run_probe(project, env.name, interpreter)
    locator = _Locator(project)
    values = tuple(_resolved(field, locator) for field in probe.fields)
    problems = tuple(
        _located(problem, probe.fields, locator, env.name) for problem in probe.problems
    )
    return Resolution(
        project=project,
        environment=env,
        python=interpreter,
        values=values,
        # The init source is the keyword arguments of the code that builds the settings: the
        # probe passes none.
        sources=tuple(locator.describe(s) for s in probe.sources if s.kind != "init"),
        problems=problems,
    )


class _Locator:
    """Finds the line that sets a key in a conf file or a variable in a .env file."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._lines: dict[Path, dict[str, int]] = {}

    def kind(self, source: Source) -> str:
        if source.kind != "file" or source.path is None:
            return source.kind if source.kind in SOURCE_LABELS else "other"
        conf = self.project.conf_dir.resolve()
        if source.path == conf / "base.toml":
            return "base"
        return "env-file" if source.path.parent == conf else "file"

    def describe(self, source: Source) -> str:
        if source.kind == "env-var":
            return "environment variables"
        if source.path is not None:
            return self.project.relative(source.path)
        return source.name or SOURCE_LABELS.get(source.kind, source.kind)

    def where(self, field: Field) -> str:
        source = field.source
        if source.kind == "env-var":
            return f"${_variable_set(field.variable)}"
        if source.kind == "dotenv" and source.path is not None:
            return self._at(source.path, _dotenv_line(source.path, field.variable))
        if source.path is not None:
            return self._at(source.path, line_of(self._key_lines(source.path), field.key))
        return self.describe(source)

    def find(self, key: str, paths: Iterable[Path]) -> str | None:
        """Where a key the settings do not know is written, in the first of `paths` that has
        it (a conf file by key, a .env file by variable)."""
        for path in paths:
            if path.name.endswith(".toml"):
                line = self._key_lines(path).get(key)
            else:
                line = _dotenv_line(path, key.upper().replace(".", "__"), exact=True)
            if line is not None:
                return self._at(path, line)
        return None

    def _at(self, path: Path, line: int | None) -> str:
        shown = self.project.relative(path)
        return f"{shown}:{line}" if line is not None else shown

    def _key_lines(self, path: Path) -> dict[str, int]:
        if path not in self._lines:
            try:
                self._lines[path] = key_lines(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                self._lines[path] = {}
        return self._lines[path]


def _variable_set(variable: str) -> str:
    """The variable of the environment that gave a value: the field's own, or that of a parent
    set as a whole (GATE='{"tolerance": 0.1}'); names are matched regardless of case, as the
    settings match them."""
    present = {name.upper(): name for name in os.environ}
    parts = variable.split("__")
    while parts:
        if (name := present.get("__".join(parts).upper())) is not None:
            return name
        parts.pop()
    return variable


def _dotenv_line(path: Path, variable: str, *, exact: bool = False) -> int | None:
    """The last line of a .env file that sets `variable` (or a parent of it), as python-dotenv
    reads it: the last assignment wins."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    parts = variable.split("__")
    while parts:
        name = re.escape("__".join(parts))
        pattern = re.compile(rf"^\s*(?:export\s+)?{name}\s*=", re.IGNORECASE)
        found = [number for number, line in enumerate(lines, 1) if pattern.match(line)]
        if found:
            return found[-1]
        if exact:
            return None
        parts.pop()
    return None


def _resolved(field: Field, locator: _Locator) -> ResolvedValue:
    return ResolvedValue(
        key=field.key,
        variable=field.variable,
        type=field.type,
        secret=field.secret,
        set=field.set,
        value=None if field.secret else field.value,
        source=locator.kind(field.source),
        where=locator.where(field),
    )


def _shown_path(project: Project, path: Path) -> str:
    """`path` relative to the project: the probe gives it resolved, and the root may not be."""
    root = project.root.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else project.relative(path)


def _located(
    problem: SettingsProblem, fields: tuple[Field, ...], locator: _Locator, env: str
) -> Problem:
    if problem.path is not None:
        # A file the settings could not read at all (a .env that is not UTF-8): the file is
        # what to fix, whatever field it sets.
        shown = _shown_path(locator.project, problem.path)
        return Problem(shown, problem.message, f"make {shown} a readable UTF-8 text file")
    key = problem.key
    field = next((f for f in fields if key and (f.key == key or f.key.startswith(f"{key}."))), None)
    if key is None:
        named = [f for f in fields if re.search(rf"\b{re.escape(f.variable)}\b", problem.message)]
        # The message may name a variable that is set (APP_ENV=prod): point at those that are not.
        named = [f for f in named if not f.set] or named
        if named:
            variables = " and ".join(f.variable for f in named)
            secret = any(f.secret for f in named)
            fix = f"set {variables} in the environment" + (
                f" (in CI: a secret of the {env} environment)" if secret else ""
            )
        else:
            fix = f"dsprod env show {env} shows every value and where it comes from"
        return Problem(env, problem.message, fix)
    if field is None:
        # A key the settings do not have: find where it is written.
        conf = locator.project.conf_dir
        dotenv = locator.project.root / ".env"
        written = locator.find(key, [conf / f"{env}.toml", conf / "base.toml", dotenv])
        return Problem(
            written or env,
            f"{key}: {problem.message}",
            f"remove {key} (or add a field for it to the settings)",
        )
    if field.source.kind == "default":
        where_to = "the environment" if field.secret else f"the environment or conf/{env}.toml"
        message = f"{field.variable}: {problem.message}"
        return Problem(env, message, f"set {field.variable} in {where_to}")
    where = locator.where(field)
    label = field.variable if field.source.kind in ("env-var", "dotenv") else field.key
    return Problem(where, f"{label}: {problem.message}", f"correct the value at {where}")
