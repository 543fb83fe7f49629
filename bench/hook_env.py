"""Size of the dsprod-check hook's environment, as pre-commit builds it for a generated project.

Usage: python bench/hook_env.py [--no-compare]

Builds a wheel of this checkout, then lets pre-commit (from this environment) install the
hook exactly as template/project/.pre-commit-config.yaml.jinja declares it, in a scratch
PRE_COMMIT_HOME, and runs it on a notebook. Beside it, for comparison, the same hook with
dsprod and all its dependencies (what the hook installed before it took `--no-deps`). Goal
(issue 14): at most 40 MB, with `dsprod check` working in it. Needs the package index.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_CONFIG = REPO / "template" / "project" / ".pre-commit-config.yaml.jinja"
NOTEBOOK = {
    "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["def f():\n", " 1"]}],
    "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def template_dependencies(version: str) -> str:
    """The dsprod-check hook's additional_dependencies line of the template, rendered."""
    text = TEMPLATE_CONFIG.read_text(encoding="utf-8")
    hook = text[text.index("- id: dsprod-check") :]
    match = re.search(r"additional_dependencies:\s*(\[[^\]]*\])", hook)
    if match is None:
        raise SystemExit(f"{TEMPLATE_CONFIG}: no additional_dependencies for dsprod-check")
    return match[1].replace("{{ template_version }}", version)


def size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def build(work: Path, name: str, dependencies: str, wheels: Path) -> tuple[int, int, str]:
    """Install the hook in a scratch repository; its environment's size in bytes, the number of
    distributions in it, and what running it on a notebook with a definition printed."""
    repo, home = work / name, work / f"{name}-home"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: dsprod-check\n"
        "        name: dsprod check\n        entry: dsprod check\n        language: python\n"
        f"        additional_dependencies: {dependencies}\n"
        "        files: \\.ipynb$\n        require_serial: true\n",
        encoding="utf-8",
    )
    (repo / "nb.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_FIND_LINKS": str(wheels)}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*pre_commit, "install-hooks"], cwd=repo, env=env, check=True)
    ran = subprocess.run(
        [*pre_commit, "run", "--files", "nb.ipynb"],
        cwd=repo, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    [environment] = home.glob("repo*/py_env-*")
    count = len(list(environment.glob("lib/python*/site-packages/*.dist-info")))
    said = next((line for line in ran.stdout.splitlines() if "nb.ipynb:" in line), ran.stdout)
    return size(environment), count, said.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-compare", action="store_true", help="Build the light hook only.")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "cli"))
    from dsprod import __version__

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
            check=True,
        )
        rows = {"template hook": template_dependencies(__version__)}
        if not args.no_compare:
            rows["with dependencies"] = f'["dsprod=={__version__}"]'
        for name, dependencies in rows.items():
            found, count, said = build(work, name.replace(" ", "-"), dependencies, wheels)
            print(f"{name:18} {found / 1e6:6.1f} MB  {count:3d} distributions  {dependencies}")
            print(f"{'':18} runs: {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
