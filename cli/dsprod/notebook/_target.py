"""Where extracted code goes: the project, its package, and the module for a notebook."""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsprod.errors import ConfigError, TargetError

__all__ = [
    "Project",
    "Target",
    "find_project",
    "missing_inits",
    "module_name_for",
    "resolve_target",
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Project:
    root: Path
    package: str | None
    package_dir: Path | None  # the folder holding the package's __init__.py
    config: dict[str, Any] = field(default_factory=dict)  # [tool.dsprod]


@dataclass(frozen=True)
class Target:
    path: Path
    import_name: str
    root: Path  # where the manifest lives
    how: str  # how the target was chosen, for the output


def find_project(start: Path) -> Project | None:
    """The nearest folder at or above `start` with a pyproject.toml, and its package."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return _read_project(candidate, pyproject)
        if (candidate / ".git").exists():
            return None
    return None


def _read_project(root: Path, pyproject: Path) -> Project:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"{pyproject}: cannot read it: {exc}", hint="fix the TOML syntax and run again"
        ) from exc
    config = data.get("tool", {}).get("dsprod", {})
    if not isinstance(config, dict):
        raise ConfigError(f"{pyproject}: [tool.dsprod] must be a table")
    name = config.get("package")
    if name is not None:
        package_dir = _find_package(root, str(name))
        if package_dir is None:
            raise ConfigError(
                f"{pyproject}: [tool.dsprod] package = {name!r}, but neither src/{name}/ nor "
                f"{name}/ has an __init__.py",
                hint="fix the package name, or create the package",
            )
        return Project(root, str(name), package_dir, config)
    src = root / "src"
    if src.is_dir():
        packages = sorted(p for p in src.iterdir() if (p / "__init__.py").is_file())
        if len(packages) == 1:
            return Project(root, packages[0].name, packages[0], config)
    project_name = str(data.get("project", {}).get("name", ""))
    guess = re.sub(r"[-.]+", "_", project_name).lower()
    if guess and (package_dir := _find_package(root, guess)) is not None:
        return Project(root, guess, package_dir, config)
    return Project(root, None, None, config)


def _find_package(root: Path, name: str) -> Path | None:
    for candidate in (root / "src" / name, root / name):
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


def module_name_for(notebook: Path) -> str:
    """A module name for a notebook: an identifier that shadows no standard-library module."""
    stem = notebook.stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    name = re.sub(r"[^0-9A-Za-z]+", "_", ascii_stem).strip("_").lower() or "notebook"
    if name[0].isdigit():
        name = f"nb_{name}"
    if keyword.iskeyword(name) or name in sys.stdlib_module_names:
        name = f"{name}_nb"
    return name


def resolve_target(notebook: Path, module: str | None, project: Project | None) -> Target:
    if module is not None and (module.endswith(".py") or "/" in module or "\\" in module):
        return _path_target(notebook, Path(module), project)
    if project is not None and project.package_dir is not None and project.package:
        base = project.package_dir.parent
        dotted = module or f"{project.package}.{module_name_for(notebook)}"
        _check_dotted(dotted)
        if module is not None and dotted.split(".")[0] != project.package:
            dotted = f"{project.package}.{dotted}"
        path = base.joinpath(*dotted.split(".")).with_suffix(".py")
        how = "--module" if module else f"package {project.package} of {project.root}"
        return Target(path, dotted, project.root, how)
    folder = notebook.resolve().parent
    dotted = module or module_name_for(notebook)
    _check_dotted(dotted)
    path = folder.joinpath(*dotted.split(".")).with_suffix(".py")
    if module is None and path == notebook.resolve():
        # A percent-format notebook `analysis.py` must not become its own module.
        dotted += "_lib"
        path = path.with_name(f"{dotted}.py")
    how = "--module" if module else "no project package found; next to the notebook"
    return Target(path, dotted, folder, how)


def _check_dotted(dotted: str) -> None:
    parts = dotted.split(".")
    if not all(_IDENTIFIER.match(p) and not keyword.iskeyword(p) for p in parts):
        raise TargetError(
            f"--module {dotted!r} is not a dotted module name (like pkg.features) "
            "nor a path ending in .py"
        )


def _path_target(notebook: Path, path: Path, project: Project | None) -> Target:
    path = path.resolve()
    if path.suffix != ".py":
        raise TargetError(f"--module {path}: a module path must end in .py")
    bases: list[tuple[Path, Path]] = []
    if project is not None and project.package_dir is not None:
        bases.append((project.package_dir.parent, project.root))
    bases.append((notebook.resolve().parent, notebook.resolve().parent))
    if project is not None:
        bases.append((project.root, project.root))
    for base, root in bases:
        try:
            relative = path.with_suffix("").relative_to(base)
        except ValueError:
            continue
        dotted = ".".join(relative.parts)
        _check_dotted(dotted)
        return Target(path, dotted, root, "--module")
    raise TargetError(
        f"--module {path}: the notebook could not import it; put it next to the notebook "
        "or inside the project's package",
    )


def missing_inits(target: Target, project: Project | None) -> list[Path]:
    """The __init__.py files a module in a new subpackage of the project's package needs."""
    if project is None or project.package_dir is None:
        return []
    package = project.package_dir.resolve()
    found = []
    current = target.path.parent.resolve()
    while current != package and package in current.parents:
        if not (current / "__init__.py").exists():
            found.append(current / "__init__.py")
        current = current.parent
    return found
