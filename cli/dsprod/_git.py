"""Running git: the one place dsprod starts a git process.

Two ways in, for two kinds of caller: `git` for commands that cannot go on without it (new,
update: a failure is an error carrying git's own words), and `run_git` for those that only
look (doctor, check, env check: no git, no repository or a failure is something to report,
never an exception).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod.errors import TemplateError, UserError

__all__ = ["GitError", "git", "require_git", "run_git", "toplevel"]


class GitError(TemplateError):
    """A git command dsprod ran failed; the message carries git's own words.

    A TemplateError: the commands that need git to succeed are new and update, which keep and
    merge template versions with it (update's rollback counts on catching it as one)."""


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
    # Decoded strictly, in the locale's encoding: a caller that writes what git printed back
    # to a file must fail on bytes that are not text, never write them changed.
    done = _run(require_git(), args, cwd=cwd, env=env, stdin=stdin, timeout=None)
    if check and done.returncode != 0:
        where = f" in {shown(cwd)}" if cwd else ""
        said = done.stderr.strip() or done.stdout.strip()
        raise GitError(f"git {_subcommand(args)} failed{where}: {said}")
    return done.stdout


def run_git(
    *args: str | Path,
    cwd: Path | None,
    timeout: float | None = 30,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """Run `git ARGS` and capture what it said, whatever its exit code; None when git is not
    installed, cannot be started in `cwd`, or runs past `timeout` seconds."""
    found = shutil.which("git")
    if found is None:
        return None
    try:
        # Decoded leniently: these callers read names and states, and a path that is not
        # UTF-8 must not stop them.
        return _run(found, args, cwd=cwd, stdin=stdin, timeout=timeout, encoding="utf-8")
    except (OSError, subprocess.SubprocessError):
        return None


def _run(
    executable: str,
    args: tuple[str | Path, ...],
    *,
    cwd: Path | None,
    stdin: str | None,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
    encoding: str | None = None,  # None: the locale's, strictly; else with replacements
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [executable, *map(str, args)],
        cwd=cwd,
        env={**os.environ, **env} if env else None,
        input=stdin,
        capture_output=True,
        text=True,
        encoding=encoding,
        errors="replace" if encoding else None,
        timeout=timeout,
        check=False,
    )


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
    """The root of the git work tree holding `path`; None outside one, or without git."""
    done = run_git("rev-parse", "--show-toplevel", cwd=path)
    out = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    return Path(out).resolve() if out else None
