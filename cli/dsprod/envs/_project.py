"""The project that `dsprod env`, `setup` and `doctor` work on: its root, package, conf folder,
environments and interpreter."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsprod._output import shown
from dsprod.envs._toml import load_toml
from dsprod.errors import ConfigError

__all__ = [
    "Environment",
    "Project",
    "environments",
    "find_project",
    "get_environment",
    "list_environments",
    "project_python",
    "venv_python",
]

# conf/<name>.toml names an environment; base.toml is what they share.
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NEW_HINT = "cd into a project made by `dsprod new`, or make one: dsprod new NAME --defaults"


@dataclass(frozen=True)
class Project:
    root: Path
    name: str  # [project] name, else the folder's name
    package: str | None  # the import name of its package
    package_dir: Path | None  # the folder holding the package's __init__.py
    requires_python: str | None
    config: Mapping[str, Any] = field(default_factory=dict)  # [tool.dsprod]

    @property
    def conf_dir(self) -> Path:
        # The settings read APP_CONF_DIR (default conf, relative to the working folder): dsprod
        # reads the same folder, and passes it on to the settings it runs.
        return self.root / os.environ.get("APP_CONF_DIR", "conf")

    @property
    def settings_module(self) -> str | None:
        """The module with the project's `Settings` (and `load_settings`)."""
        module = self.config.get("settings")
        if isinstance(module, str) and module:
            return module
        return f"{self.package}.settings" if self.package else None

    def relative(self, path: Path) -> str:
        """`path` as shown in messages: relative to the project's root when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


@dataclass(frozen=True)
class Environment:
    name: str
    conf_file: Path | None  # conf/<name>.toml, when there is one
    declared: bool  # listed in [tool.dsprod] environments


def find_project(start: Path | None = None) -> Project:
    """The project at or above `start` (the working folder): the nearest pyproject.toml, up to
    the top of the git repository."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return _read(candidate, pyproject)
        if (candidate / ".git").exists():
            break
    raise ConfigError(
        f"not inside a project: no pyproject.toml in {shown(folder)} or above", hint=_NEW_HINT
    )


def _read(root: Path, pyproject: Path) -> Project:
    data = load_toml(pyproject, root)
    tool = data.get("tool", {})
    config = tool.get("dsprod", {}) if isinstance(tool, dict) else {}
    if not isinstance(config, dict):
        raise ConfigError(
            f"{shown(pyproject)}: [tool.dsprod] must be a table",
            hint="make it a table: [tool.dsprod] on a line of its own",
        )
    meta = data.get("project", {})
    meta = meta if isinstance(meta, dict) else {}
    name = str(meta.get("name") or root.name)
    requires = meta.get("requires-python")
    package, package_dir = _package(root, config, name)
    return Project(root, name, package, package_dir, str(requires) if requires else None, config)


def _package(root: Path, config: Mapping[str, Any], name: str) -> tuple[str | None, Path | None]:
    declared = config.get("package")
    candidates = [str(declared)] if declared else []
    src = root / "src"
    if not declared and src.is_dir():
        found = sorted(p.name for p in src.iterdir() if (p / "__init__.py").is_file())
        candidates += found if len(found) == 1 else []
    candidates.append(re.sub(r"[-.]+", "_", name).lower())
    for package in candidates:
        for folder in (root / "src" / package, root / package):
            if (folder / "__init__.py").is_file():
                return package, folder
    return (str(declared), None) if declared else (None, None)


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
    project = find_project(start)
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
            hint=_NEW_HINT,
        )
    return conf


def venv_python(root: Path) -> Path:
    """Where the project's virtual environment keeps its interpreter (it may not exist)."""
    if sys.platform == "win32":  # pragma: no cover - the CI is Linux
        return root / ".venv" / "Scripts" / "python.exe"
    return root / ".venv" / "bin" / "python"


def project_python(project: Project, python: str | Path | None = None) -> Path:
    """The interpreter that runs the project's own code: `python` when given, else its `.venv`,
    else the active virtual environment, else the one running dsprod (as in CI, where the
    project and dsprod are installed together)."""
    if python is not None:
        chosen = Path(python)
        if not chosen.exists() and (found := shutil.which(str(python))):
            chosen = Path(found)
        if not chosen.exists():
            raise ConfigError(
                f"no interpreter at {chosen}",
                hint="pass --python PATH, an interpreter where the project is installed",
            )
        return chosen
    candidates = [venv_python(project.root)]
    if active := os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(active) / "bin" / "python")
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return Path(sys.executable)
