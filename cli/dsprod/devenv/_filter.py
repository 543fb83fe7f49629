"""The git filter that commits notebooks without their outputs and leaves them on disk.

`.gitattributes` (committed, from the template) gives notebooks `filter=nbstripout`; what the
filter runs is local git configuration, which a clone does not carry: `dsprod setup` writes it,
`dsprod doctor` checks it. git runs the clean command on what it stores (`git add`, and
`git status`/`git diff` when comparing), never on the working copy, so a refused commit cannot
wipe outputs, and `dsprod extract --tests/--verify` still find them. Without the configuration
git ignores the attribute: a fresh clone works, it just would commit outputs (doctor says so).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from dsprod._git import run_git
from dsprod.devenv._run import quick
from dsprod.notebook._nbformat import NotebookJson

__all__ = ["DRIVER", "FilterState", "configure_filter", "filter_command", "filter_state"]

DRIVER = "nbstripout"
_PROBE_PATH = "notebooks/probe.ipynb"  # any notebook path: attributes are matched by name
# A notebook with an output and an execution count, and a cell id the filter must keep.
_SAMPLE: NotebookJson = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 3,
            "id": "dsprod-doctor",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["secret\n"]}],
            "source": ["print('secret')"],
        }
    ],
    "metadata": {"language_info": {"name": "python", "version": "3.11.7"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
# What a kernel writes into a notebook's metadata as it runs, which differs from one machine to
# the next: stripped too (nbstripout reads filter.nbstripout.extrakeys), so that running a
# notebook does not make it look modified. `name` stays, as the template's notebook has it.
EXTRA_KEYS = " ".join(
    f"metadata.language_info.{key}"
    for key in (
        "codemirror_mode",
        "file_extension",
        "mimetype",
        "nbconvert_exporter",
        "pygments_lexer",
        "version",
    )
)


@dataclass(frozen=True)
class FilterState:
    ok: bool
    detail: str
    driver: str | None  # the filter .gitattributes gives notebooks (None: no filter)
    repository: bool = True
    configured: bool = False  # filter.<driver>.clean is set (whether or not it works)


def filter_command(venv_python: Path) -> str:
    """The clean command setup configures: nbstripout from .venv, cell ids kept (they are
    identities, which extraction and reviews rely on, not positions)."""
    return f"{shlex.quote(str(venv_python))} -m nbstripout --keep-id"


def _git(root: Path, *args: str) -> tuple[int, str]:
    done = run_git(*args, cwd=root)
    if done is None:
        return -1, "git is not installed"
    return done.returncode, done.stdout.strip() or done.stderr.strip()


def filter_state(root: Path) -> FilterState:
    """Whether notebooks committed from `root` are stripped by a working filter, outputs kept
    on disk."""
    code, said = _git(root, "check-attr", "filter", "--", _PROBE_PATH)
    if code != 0:
        detail = said if code == -1 else "not a git repository"
        return FilterState(False, detail, None, repository=False)
    driver = said.rsplit(": ", 1)[-1]
    if driver in {"unspecified", "unset", "set"}:
        return FilterState(
            False, "no filter for notebooks in .gitattributes: commits keep their outputs", None
        )
    code, clean = _git(root, "config", "--get", f"filter.{driver}.clean")
    if code != 0 or not clean:
        return FilterState(
            False,
            f".gitattributes gives notebooks the filter {driver}, which git is not configured to "
            "run: commits would keep the outputs",
            driver,
        )
    problem = _try(root, clean)
    if problem:
        return FilterState(
            False, f"the {driver} filter ({clean}) {problem}", driver, configured=True
        )
    required = _git(root, "config", "--get", f"filter.{driver}.required")[1] == "true"
    if not required:
        return FilterState(
            False,
            f"the {driver} filter is not required: if it failed, git would commit the outputs",
            driver,
            configured=True,
        )
    detail = f"notebooks are committed stripped by {clean}; outputs stay on disk"
    return FilterState(True, detail, driver, configured=True)


def _try(root: Path, clean: str) -> str | None:
    """What is wrong with the clean command, run as git runs it (by the shell, from the root of
    the work tree, the notebook on stdin); None when it strips and keeps the cell id."""
    top = _git(root, "rev-parse", "--show-toplevel")[1]
    text = json.dumps(_SAMPLE, indent=1) + "\n"
    command = clean.replace("%f", shlex.quote(_PROBE_PATH))
    done = quick(["sh", "-c", command], cwd=Path(top or root), timeout=120, stdin=text)
    if done is None:
        return "cannot be started"
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return f"fails: {last[0]}"
    try:
        written = json.loads(done.stdout)
        cell = written["cells"][0]
        language = written["metadata"].get("language_info", {})
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "does not write a notebook back"
    if cell.get("outputs") or cell.get("execution_count") is not None:
        return "leaves outputs in"
    if cell.get("id") != "dsprod-doctor":
        return "renumbers cell ids (add --keep-id)"
    if "version" in language:
        return "keeps the Python version a kernel records: running a notebook makes it modified"
    return None


def configure_filter(root: Path, driver: str, venv_python: Path) -> str | None:
    """Set the local git configuration of `driver` to nbstripout from .venv; None when done,
    else what failed."""
    for key, value in (
        ("clean", filter_command(venv_python)),
        ("smudge", "cat"),  # checkouts write what git stores, as it is
        ("extrakeys", EXTRA_KEYS),
        # A filter that fails stops `git add` rather than letting outputs into a commit.
        ("required", "true"),
    ):
        code, said = _git(root, "config", "--local", f"filter.{driver}.{key}", value)
        if code != 0:
            return said or f"git config exited {code}"
    return None
