"""Developer and CI sessions: `nox` runs lint, typecheck, tests and notebooks.

Each session installs only the dependency groups it needs (pyproject.toml), so none of them
needs the `dev` group's developer tools.
"""

from __future__ import annotations

from pathlib import Path

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
    # nox too: mypy checks this file.
    session.install("-e", ".", *groups("test", "lint"), "nox")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".", *groups("test"))
    session.run("pytest", *session.posargs)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Execute every notebook top to bottom, as a smoke test (outputs are not saved)."""
    paths = sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    if not paths:
        session.skip("no notebooks in notebooks/")
    session.install("-e", ".", *groups("notebooks"))
    for path in paths:
        session.run("jupyter", "execute", path)
