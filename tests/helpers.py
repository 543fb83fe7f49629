"""Build notebooks and projects inline, run the CLI in-process, and check extraction invariants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dsprod.cli import run
from dsprod.notebook._model import Cell
from dsprod.notebook._parse import parse_cell
from dsprod.notebook._scope import summarize

CellSpec = str | dict[str, Any]


def code(
    source: str, *, tags: tuple[str, ...] = (), outputs: list[Any] | None = None
) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": list(tags)} if tags else {},
        "outputs": outputs or [],
        "source": textwrap.dedent(source).strip("\n"),
    }
    return cell


def md(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook(*cells: CellSpec, language: str = "python") -> dict[str, Any]:
    """A v4 notebook; plain strings are code cells; sources are line lists, as Jupyter writes."""
    built = []
    for number, spec in enumerate(cells):
        cell = code(spec) if isinstance(spec, str) else dict(spec)
        cell["id"] = f"c{number}"
        cell["source"] = cell["source"].splitlines(keepends=True)
        built.append(cell)
    kernel = {"python": ("python3", "Python 3"), "R": ("ir", "R")}[language]
    return {
        "cells": built,
        "metadata": {
            "kernelspec": {"display_name": kernel[1], "language": language, "name": kernel[0]},
            "language_info": {"name": language},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(document: dict[str, Any]) -> str:
    """As Jupyter writes: sorted keys, indent 1, UTF-8, trailing newline."""
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write_notebook(path: Path, *cells: CellSpec, language: str = "python") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(notebook(*cells, language=language)), encoding="utf-8")
    return path


def add_cells(path: Path, *sources: str, before_last: bool = False) -> None:
    """Add code cells to a notebook on disk, as a user writing more of it would: at the end,
    or before its last cell."""
    document = json.loads(path.read_text(encoding="utf-8"))
    at = len(document["cells"]) - 1 if before_last else len(document["cells"])
    for number, source in enumerate(sources):
        cell = code(source)
        cell["id"] = f"added{len(document['cells'])}"  # unique however often it is called
        cell["source"] = cell["source"].splitlines(keepends=True)
        document["cells"].insert(at + number, cell)
    path.write_text(dumps(document), encoding="utf-8")


def read_cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return cells


def code_sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in read_cells(path) if c["cell_type"] == "code"]


def make_project(root: Path, package: str = "mypkg") -> Path:
    """A minimal src-layout project like the ones `dsprod new` generates."""
    (root / "src" / package).mkdir(parents=True)
    (root / "src" / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{package}"\nversion = "0.1.0"\n', encoding="utf-8"
    )
    return root


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    code = run(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def import_in_fresh_interpreter(module: Path, package_root: Path, name: str) -> None:
    """Import `name` (found under `package_root`) in a new Python: it must not raise."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"],
        cwd=package_root,
        env={**os.environ, "PYTHONPATH": str(package_root)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"import {name} from {module} failed:\n{done.stderr}"


def unbound_reads(sources: list[str]) -> set[str]:
    """Names the cells read at module level that no cell binds (builtins excluded)."""
    import builtins

    reads: set[str] = set()
    binds: set[str] = set()
    for source in sources:
        tree = parse_cell(Path("nb.ipynb"), Cell(0, "code", source)).tree
        if tree is None:
            continue
        for node in tree.body:
            summary = summarize(node)
            reads.update(summary.reads)
            binds |= summary.binds
    return reads - binds - set(dir(builtins)) - {"__dsprod_ipython__", "display"}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def result(text: str) -> list[dict[str, Any]]:
    """The outputs of a cell whose last expression showed `text`."""
    return [
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "data": {"text/plain": text},
            "metadata": {},
        }
    ]


def printed(text: str) -> list[dict[str, Any]]:
    """The outputs of a cell that printed `text`."""
    return [{"output_type": "stream", "name": "stdout", "text": text}]
