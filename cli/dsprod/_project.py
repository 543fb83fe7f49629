"""The project dsprod works on: its root, pyproject.toml, package and interpreter.

One model for every command: `extract` and `check` put code in its package, `env` reads its
settings, `setup` and `doctor` build and check its `.venv`. Each command reads pyproject.toml
once, here, however many parts of it ask.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod._records import NamedTuple
from dsprod._toml import load_toml
from dsprod.errors import ConfigError, Flag, Step

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ANSWERS_FILE",
    "NEW_PROJECT_HINT",
    "PYPROJECT",
    "Project",
    "configures_mypy",
    "find_project",
    "project_python",
    "read_pyproject",
    "require_project",
    "venv_python",
]

PYPROJECT = "pyproject.toml"
# Where `dsprod new` records the template's answers and version, and `dsprod update` reads them.
ANSWERS_FILE = ".copier-answers.yml"
NEW_PROJECT_HINT = Step(
    "cd into a project made by `dsprod new`, or make one: dsprod new NAME ", Flag("defaults")
)
_FIX = f"fix {PYPROJECT}, then run the command again"


class Project(NamedTuple):
    # A NamedTuple, not a dataclass: see `dsprod.errors` (on every command's start-up path).

    root: Path
    name: str  # [project] name, else the folder's name
    package: str | None  # the import name of its package (declared, or found)
    package_dir: Path | None  # the folder holding the package's __init__.py, when it exists
    requires_python: str | None
    # The defaults are one shared dict each: typed as Mapping, nothing writes to them.
    config: Mapping[str, Any] = {}  # [tool.dsprod]
    pyproject: Mapping[str, Any] = {}  # the whole file

    @property
    def declared_package(self) -> str | None:
        """The package [tool.dsprod] names; it may not exist (`package_dir` is None then)."""
        declared = self.config.get("package")
        return str(declared) if declared else None

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


def find_project(start: Path) -> Project | None:
    """The project at or above `start`: the nearest pyproject.toml, up to the top of the git
    repository; None when there is none (extract then writes next to the notebook)."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / PYPROJECT).is_file():
            return _read(candidate)
        if (candidate / ".git").exists():
            return None
    return None


def require_project(start: Path | None = None) -> Project:
    """The project at or above `start` (the working folder), or a ConfigError saying how to
    get one: `env`, `setup` and `doctor` have nothing to work on outside a project."""
    folder = (start or Path.cwd()).resolve()
    project = find_project(folder)
    if project is None:
        raise ConfigError(
            f"not inside a project: no {PYPROJECT} in {shown(folder)} or above",
            hint=NEW_PROJECT_HINT,
        )
    return project


def read_pyproject(root: Path) -> Mapping[str, Any]:
    """The parsed pyproject.toml of `root` (empty when there is none). Parsed once while its
    text stays the same: the project model, lint and the debt ledger all ask for it."""
    path = root / PYPROJECT
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError:
        return load_toml(path, root)  # which says what is wrong with it
    return _parsed(path, root, data)


def configures_mypy(root: Path) -> bool:
    """Whether the project type-checks at all (a [tool.mypy] table or a mypy.ini): a project
    that does not has no type debt to record, and no mypy cache to fill."""
    if (root / "mypy.ini").is_file() or (root / ".mypy.ini").is_file():
        return True
    try:
        tool = read_pyproject(root).get("tool", {})
    except ConfigError:  # the commands that read it for their own settings report that
        return False
    return isinstance(tool, Mapping) and isinstance(tool.get("mypy"), Mapping)


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, root: Path, data: bytes) -> Mapping[str, Any]:
    # Keyed by the text itself: a file rewritten within the file system's clock tick, at the
    # same size, is still read again.
    return load_toml(path, root, data)


def _read(root: Path) -> Project:
    data = read_pyproject(root)
    where = shown(root / PYPROJECT)
    tool = _table(data, "tool", where, "`tool` must be a table ([tool.dsprod], [tool.ruff]...)")
    config = _table(tool, "dsprod", where, "[tool.dsprod] must be a table")
    meta = _table(data, "project", where, "[project] must be a table")
    name = str(meta.get("name") or root.name)
    requires = meta.get("requires-python")
    package, package_dir = _package(root, config, name)
    return Project(
        root, name, package, package_dir, str(requires) if requires else None, config, data
    )


def _table(data: Mapping[str, Any], key: str, where: str, what: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {what}, not {type(value).__name__}", hint=_FIX)
    return value


def _package(root: Path, config: Mapping[str, Any], name: str) -> tuple[str | None, Path | None]:
    """The package: the one [tool.dsprod] declares (even when its folder is missing: a typo
    must not send code into another package), else the only one under src/, else the one named
    after the project."""
    declared = config.get("package")
    if declared:
        return str(declared), _package_dir(root, str(declared))
    src = root / "src"
    if src.is_dir():
        found = sorted(p for p in src.iterdir() if (p / "__init__.py").is_file())
        if len(found) == 1:
            return found[0].name, found[0]
    guess = re.sub(r"[-.]+", "_", name).lower()
    if guess and (folder := _package_dir(root, guess)) is not None:
        return guess, folder
    return None, None


def _package_dir(root: Path, name: str) -> Path | None:
    for candidate in (root / "src" / name, root / name):
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


def venv_python(root: Path) -> Path:
    """Where the project's virtual environment keeps its interpreter (it may not exist)."""
    return _in_venv(root / ".venv")


def project_python(root: Path, python: str | Path | None = None) -> Path:
    """The interpreter that runs the project's own code: `python` when given, else the
    project's `.venv`, else the active virtual environment, else the one running dsprod (as in
    CI, where the project and dsprod are installed together).

    The active environment comes before dsprod's own: when dsprod is installed apart (pipx,
    another venv), the environment the user activated is the one with the project's
    dependencies, and `extract --verify`, `--tests` and `env show` must all use the same."""
    if python is not None:
        import shutil  # here, not at the top: the hook's path (`dsprod check`) never asks

        chosen = Path(python)
        if not chosen.exists() and (found := shutil.which(str(python))):
            chosen = Path(found)
        if not chosen.exists():
            raise ConfigError(
                f"no interpreter at {chosen}",
                hint=Step(
                    "pass ",
                    Flag("python", "PATH"),
                    ", an interpreter where the project is installed",
                ),
            )
        return chosen
    candidates = [venv_python(root)]
    if active := os.environ.get("VIRTUAL_ENV"):
        candidates.append(_in_venv(Path(active)))
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return Path(sys.executable)


def _in_venv(venv: Path) -> Path:
    if sys.platform == "win32":  # pragma: no cover - the CI is Linux
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"
