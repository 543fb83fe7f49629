"""The hooks' own environments: built by setup, so the first commit installs nothing; checked
by doctor, which runs the hooks for real without touching the user's files.

pre-commit builds one environment per hook (`additional_dependencies`) the first time a hook
runs, which for a commit means: from the package index, at commit time, with whatever
PIP_FIND_LINKS the shell happens to have. dsprod is not on the index yet, so setup builds them
(`pre-commit install-hooks`) with a find-links folder holding the running dsprod.

Doctor must not install anything, and `pre-commit run` would. So it first asks pre-commit,
through its own code in .venv and without writing to its store, whether every environment a
commit needs is there (`_PROBE`); only then does it run the hooks, on sample files it writes in
a copy of the index (what a commit would hold), never in the working tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dsprod._git import run_git, toplevel
from dsprod.devenv._hooks import CONFIG
from dsprod.devenv._run import quick
from dsprod.notebook._nbformat import NotebookJson

__all__ = ["HookEnvs", "hook_envs", "run_on_samples"]

# Run by .venv's python, with pre-commit's own code, from the repository's top level.
# Prints {"missing": [hook ids], "skip": [hook ids]} or {"error": "..."}. The store is opened
# read-only: a repository pre-commit has not initialised yet (which `pre-commit run` would
# clone or create) counts as missing instead of being made.
_PROBE = r"""
import json, os, sqlite3, sys
try:
    from pre_commit.clientlib import load_config
    from pre_commit.repository import _hook_installed, _repository_hooks
    from pre_commit.store import Store
except ImportError as exc:
    print(json.dumps({"error": f"pre-commit in .venv has no {exc.name}"})); sys.exit()

class Missing(Exception):
    pass

class ReadOnlyStore(Store):
    def __init__(self, directory):
        self.directory = directory
        self.db_path = os.path.join(directory, "db.db")
        self.readonly = True

    def _new_repo(self, repo, ref, deps, make_strategy):
        name = self.db_repo_name(repo, deps)
        if not os.path.exists(self.db_path):
            raise Missing(name)
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as db:
            row = db.execute(
                "SELECT path FROM repos WHERE repo = ? AND ref = ?", (name, ref)
            ).fetchone()
        if row is None or not os.path.isdir(row[0]):
            raise Missing(name)
        return row[0]

try:
    config = load_config(sys.argv[1])
except Exception as exc:
    print(json.dumps({"error": f"{sys.argv[1]} does not load: {exc}"})); sys.exit()
store = ReadOnlyStore(Store.get_default_directory())
missing, skip = [], []
for repo in config["repos"]:
    try:
        hooks = _repository_hooks(repo, store, config)
    except Missing:
        missing += [h["id"] for h in repo["hooks"]]
        continue
    for hook in hooks:
        stages = set(hook.stages or ())
        if stages and not stages & {"pre-commit", "commit"}:
            continue  # a hook a commit does not run
        if not _hook_installed(hook):
            missing.append(hook.id)
        if not hook.pass_filenames or hook.always_run:
            skip.append(hook.id)  # it would run on the whole copy, not on the samples
print(json.dumps({"missing": missing, "skip": skip}))
"""

_SAMPLE_PY = '"""A sample file: `dsprod doctor` runs the hooks on it."""\n\nTOTAL = 1 + 1\n'
_SAMPLE_NOTEBOOK: NotebookJson = {
    "cells": [
        {"cell_type": "markdown", "id": "0", "metadata": {}, "source": ["# A sample"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "1",
            "metadata": {},
            "outputs": [],
            "source": ["total = 1 + 1"],
        },
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
_SAMPLES = {
    "dsprod_doctor_sample.py": _SAMPLE_PY,
    "dsprod_doctor_sample.toml": "total = 2\n",
    "dsprod_doctor_sample.yaml": "total: 2\n",
    "dsprod_doctor_sample.ipynb": json.dumps(_SAMPLE_NOTEBOOK, indent=1, ensure_ascii=False) + "\n",
}


@dataclass(frozen=True)
class HookEnvs:
    ok: bool
    detail: str
    missing: tuple[str, ...] = ()  # hooks whose environment a commit would have to build
    skip: tuple[str, ...] = ()  # hooks that run on the whole tree rather than on files
    known: bool = True  # False: pre-commit could not be asked


def hook_envs(root: Path, venv_python: Path) -> HookEnvs:
    """Which hooks a commit would have to install first (read only)."""
    top = toplevel(root) or root
    done = quick([venv_python, "-c", _PROBE, str(top / CONFIG)], cwd=top, timeout=300)
    if done is None or done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["?"])[-1] if done else "it did not start"
        return HookEnvs(False, f"cannot ask pre-commit in .venv: {said}", known=False)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return HookEnvs(False, "pre-commit in .venv gave no answer", known=False)
    if answer.get("error"):
        return HookEnvs(False, str(answer["error"]), known=False)
    missing = tuple(dict.fromkeys(answer["missing"]))
    skip = tuple(answer["skip"])
    if missing:
        shown = ", ".join(missing[:6]) + (
            f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        )
        return HookEnvs(False, f"not installed: {shown} (a commit would install them)", missing)
    return HookEnvs(True, "every hook environment is installed", skip=skip)


def run_on_samples(root: Path, venv_python: Path, skip: tuple[str, ...]) -> str | None:
    """Run the commit's hooks on sample files in a copy of the index; what failed, or None.

    The copy holds what the next commit would (the index, and the working tree's
    .pre-commit-config.yaml, which is what pre-commit reads), so the hooks see the project's
    configuration; the samples are files every hook passes as they are. Only hooks that run
    on the whole tree are left out (`skip`): they are checked as installed."""
    top = toplevel(root) or root
    pre_commit = venv_python.parent / "pre-commit"
    with tempfile.TemporaryDirectory(prefix="dsprod-doctor-") as scratch:
        copy = Path(scratch) / "copy"
        copy.mkdir()
        done = run_git("checkout-index", "--all", f"--prefix={copy}/", cwd=top, timeout=300)
        if done is None or done.returncode != 0:
            return f"cannot copy the index: {(done.stderr.strip() if done else '') or '?'}"
        shutil.copyfile(top / CONFIG, copy / CONFIG)
        for name, text in _SAMPLES.items():
            (copy / name).write_text(text, encoding="utf-8")
        for args in (["init", "-q"], ["add", "--", *_SAMPLES]):
            step = run_git(*args, cwd=copy, timeout=120)
            if step is None or step.returncode != 0:
                return f"cannot make a scratch repository: {step.stderr.strip() if step else '?'}"
        try:
            ran = subprocess.run(
                [str(pre_commit), "run", "--color", "never", "--files", *_SAMPLES],
                cwd=copy,
                env=_env(skip),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return f"pre-commit did not run: {exc}"
    if ran.returncode == 0:
        return None
    failed = [line for line in ran.stdout.splitlines() if line.rstrip().endswith("Failed")]
    lines = [line for line in ran.stdout.splitlines() if line.strip()]
    said = "; ".join(f.rsplit(".", 1)[0].rstrip(". ") for f in failed) or " ".join(lines[-3:])
    return f"failed on sample files: {said}"


def _env(skip: tuple[str, ...]) -> dict[str, str]:
    env = dict(os.environ)
    env["SKIP"] = ",".join(filter(None, [env.get("SKIP", ""), *skip]))
    return env
