"""Developer sessions: `nox` runs lint, typecheck, tests and docs; `nox -s bench` times."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.default_venv_backend = "uv|virtualenv"

PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "dev"))
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    # tests/docs builds the site and renders the CLI reference: the docs group too. The tests
    # run every command: dsprod with all its extras.
    session.install("-e", ".[all]", *nox.project.dependency_groups(PYPROJECT, "test", "docs"))
    session.run("pytest", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site; any warning (a broken link or anchor, a nav entry without a page) fails."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".")
    session.run("python", "bench/extract.py")


@nox.session(name="release_template")
def release_template(session: nox.Session) -> None:
    """Release step: add template/ to template-history.bundle as the current version's tag
    (after raising __version__); commit the bundle with the release."""
    session.install("-e", ".")
    session.run("python", "tools/release_template.py", *session.posargs)
