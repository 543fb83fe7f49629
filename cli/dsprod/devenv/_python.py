"""Interpreters: which one satisfies the project's requires-python, and what a venv holds."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dsprod._project import Project
from dsprod.devenv._run import quick
from dsprod.errors import ConfigError, Flag, Step

__all__ = ["choose_python", "package_location", "python_version", "satisfies"]

# Newest first: a fresh environment gets the newest interpreter the project accepts.
_CANDIDATES = tuple(f"python3.{minor}" for minor in range(14, 7, -1))
_WHERE = "import sys, {0}; print({0}.__file__)"


def python_version(python: Path) -> str | None:
    """`3.11.7` for the interpreter at `python`; None when it does not run."""
    done = quick(
        [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        cwd=Path.cwd(),
        timeout=60,
    )
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def satisfies(version: str, requires: str | None) -> bool | None:
    """Whether `version` meets the project's requires-python; None when it cannot be told
    (packaging, which copier brings, is missing, or the specifier does not parse)."""
    if not requires:
        return True
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - packaging comes with copier
        return None
    try:
        return SpecifierSet(requires).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return None


def choose_python(project: Project, given: str | Path | None = None) -> tuple[Path, str]:
    """The interpreter for a new .venv, and its version: `given`, else the one running dsprod
    when the project accepts it, else the newest python3.N on PATH that it accepts."""
    requires = project.requires_python
    if given is not None:
        python = Path(given) if Path(given).exists() else Path(shutil.which(str(given)) or given)
        version = python_version(python)
        if version is None:
            raise ConfigError(
                f"{given} is not a Python interpreter that runs",
                hint=Step("pass ", Flag("python"), " with the path of a Python interpreter"),
            )
        if satisfies(version, requires) is False:
            raise ConfigError(
                f"{given} is Python {version}; the project requires {requires}",
                hint=Step(
                    "dsprod setup ",
                    Flag("python", "PYTHON"),
                    f" (a Python that satisfies {requires})",
                ),
            )
        return python, version
    here = ".".join(map(str, sys.version_info[:3]))
    if satisfies(here, requires) is not False:
        return Path(sys.executable), here
    for name in _CANDIDATES:
        if (found := shutil.which(name)) is None:
            continue
        version = python_version(Path(found))
        if version is not None and satisfies(version, requires):
            return Path(found), version
    raise ConfigError(
        f"no Python found that satisfies the project's requires-python {requires} "
        f"(dsprod runs on {here}; none of {', '.join(_CANDIDATES)} on PATH does)",
        hint=Step(
            "install one (for instance: uv python install), then dsprod setup ",
            Flag("python", "PATH"),
        ),
    )


def package_location(python: Path, package: str) -> tuple[Path | None, str]:
    """Where `python` imports `package` from, or None and why not (the error's last line).

    Run from the interpreter's own folder: from the project's root, a package at the root would
    import whether it is installed or not."""
    done = quick([python, "-c", _WHERE.format(package)], cwd=python.parent, timeout=120)
    if done is None:
        return None, f"{python} does not run"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return None, lines[-1] if lines else f"exit code {done.returncode}"
    return Path(done.stdout.strip()), ""
