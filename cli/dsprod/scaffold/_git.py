"""Running git: the one place dsprod.scaffold starts a git process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod.errors import TemplateError, UserError

__all__ = ["GitError", "git", "require_git", "toplevel"]


class GitError(TemplateError):
    """A git command dsprod ran failed; the message carries git's own words."""


def require_git() -> str:
    """The path of git, or a clear refusal: templates are versioned and merged with git."""
    found = shutil.which("git")
    if found is None:
        raise UserError(
            "git is not on PATH: dsprod keeps template versions and merges template changes "
            "with git",
            hint="install git (https://git-scm.com/downloads), then run the command again",
        )
    return found


def git(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    check: bool = True,
) -> str:
    """Run `git ARGS` and return its stdout; a failure raises GitError with git's stderr."""
    command = [require_git(), *map(str, args)]
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env} if env else None,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        where = f" in {shown(cwd)}" if cwd else ""
        said = done.stderr.strip() or done.stdout.strip()
        raise GitError(f"git {_subcommand(args)} failed{where}: {said}")
    return done.stdout


def _subcommand(args: tuple[str | Path, ...]) -> str:
    """The git command being run, past the global options (`-c x=y`, `--git-dir D`)."""
    words = iter(str(a) for a in args)
    for word in words:
        if word in ("-c", "-C", "--git-dir", "--work-tree"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "(no command)"


def toplevel(path: Path) -> Path | None:
    """The root of the git work tree holding `path`, or None outside one."""
    out = git("rev-parse", "--show-toplevel", cwd=path, check=False).strip()
    return Path(out).resolve() if out else None
