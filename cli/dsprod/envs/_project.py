"""The environments of a project (`dsprod env`, `setup`, `doctor`): the conf/<name>.toml files
and the names [tool.dsprod] environments lists."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from dsprod._output import shown
from dsprod._project import NEW_PROJECT_HINT, Project, require_project
from dsprod.errors import ConfigError

__all__ = ["Environment", "environments", "get_environment", "list_environments"]

# conf/<name>.toml names an environment; base.toml is what they share.
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Environment:
    name: str
    conf_file: Path | None  # conf/<name>.toml, when there is one
    declared: bool  # listed in [tool.dsprod] environments


def environments(project: Project) -> list[Environment]:
    """The environments of `project`: those [tool.dsprod] environments lists, in its order, then
    the other conf/<name>.toml files, by name."""
    conf = _require_conf(project)
    files = {
        path.stem: path
        for path in sorted(conf.glob("*.toml"))
        if path.stem != "base" and _ENV_NAME.match(path.stem) and path.is_file()
    }
    declared = project.config.get("environments", [])
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise ConfigError(
            f"{project.relative(project.root / 'pyproject.toml')}: [tool.dsprod] environments "
            "must be a list of names",
            hint='environments = ["dev", "staging", "prod"]',
        )
    found = [Environment(name, files.get(name), declared=True) for name in dict.fromkeys(declared)]
    found += [
        Environment(name, path, declared=False)
        for name, path in files.items()
        if name not in declared
    ]
    return found


def list_environments(start: Path | None = None) -> tuple[Project, list[Environment]]:
    """The project at or above `start`, and its environments."""
    project = require_project(start)
    return project, environments(project)


def get_environment(project: Project, name: str) -> Environment:
    known = environments(project)
    for env in known:
        if env.name == name:
            return env
    names = [env.name for env in known]
    # `production` for `prod`: a name that starts another counts as close.
    close = [n for n in names if name.startswith(n) or n.startswith(name)]
    close += difflib.get_close_matches(name, names, n=1)
    where = f"{project.relative(project.conf_dir)}/ and [tool.dsprod] environments"
    defined = ", ".join(names) or "none"
    raise ConfigError(
        f"unknown environment {name!r}: this project defines {defined} ({where})",
        hint=f"dsprod env show {close[0]}" if close else "dsprod env list",
    )


def _require_conf(project: Project) -> Path:
    conf = project.conf_dir
    if not conf.is_dir():
        raise ConfigError(
            f"{shown(project.root)} has no {project.relative(conf)}/ folder: dsprod env reads "
            "the settings' conf/base.toml and conf/<environment>.toml",
            hint=NEW_PROJECT_HINT,
        )
    return conf
