"""`check`: the pre-commit gate that keeps definitions from growing back into notebooks.

It reads notebook JSON directly and parses each code cell once, without resolving names: a
commit hook runs on every commit and must cost little more than reading the files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dsprod._output import Output, shown
from dsprod._project import find_project
from dsprod.errors import UserError
from dsprod.notebook._manifest import MANIFEST_PATH, Manifest, load_manifest
from dsprod.notebook._parse import gc_paused, parse_cells, unparsed_definitions
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._statements import KEEP_COMMENT, KEEP_TAG, top_level_definitions

if TYPE_CHECKING:
    from dsprod.notebook.extract import ExtractOptions

__all__ = ["Finding", "check", "check_paths"]


@dataclass(frozen=True)
class Finding:
    where: str  # `path.ipynb:cell N:line L`, `module.py:L` or a path
    message: str
    fix: str  # the command (or step) that fixes it
    notebook: Path | None = None  # the notebook `--fix` extracts
    module: Path | None = None  # the module whose hand edit `--fix` records

    def __str__(self) -> str:
        return f"{self.where}: {self.message}; fix: {self.fix}"


def check(
    paths: Sequence[Path], output: Output, *, fix: ExtractOptions | None = None
) -> list[Finding]:
    """Check `paths` (all notebooks and extracted modules when empty). With `fix`, extract the
    notebooks that have findings with those options, record the module edits, check again."""
    if missing := [str(p) for p in paths if not p.exists()]:
        raise UserError(
            f"{', '.join(missing)}: no such file",
            hint="check the path; `dsprod check` alone checks every notebook and manifest",
        )
    files = list(paths) or _discover(Path.cwd())  # relative to the working folder
    findings = check_paths(files)
    if fix is None:
        return findings
    if findings:
        _fix(findings, fix, output)
    # The debt is measured again whether or not anything was found: code cleaned by hand
    # since the last extraction drops its entries.
    from dsprod.notebook._debt import refresh_debt

    refresh_debt(Path.cwd(), files, output)
    return check_paths(files)


def check_paths(files: Iterable[Path]) -> list[Finding]:
    with gc_paused():
        return _check_paths(files)


def _check_paths(files: Iterable[Path]) -> list[Finding]:
    manifests = _Manifests()
    findings: list[Finding] = []
    # Extracted modules and the manifest are not checked: a module is the project's code once
    # extracted, and editing it is the point. `extract` protects hand edits (it never replaces
    # an edited symbol silently); a commit never fails because of one.
    seen: set[Path] = set()
    for path in files:
        if path.resolve() in seen:  # one file by two names (relative and absolute)
            continue
        seen.add(path.resolve())
        if path.suffix == ".ipynb" or (path.suffix == ".py" and _is_percent(path)):
            findings += _check_notebook(path, manifests)
    # The two name a file by a relative and an absolute path: compare what the user sees.
    return list({(f.where, f.message, f.fix): f for f in findings}.values())


class _Manifests:
    """Manifests by project root, each read once per run."""

    def __init__(self) -> None:
        self._by_root: dict[Path, Manifest] = {}
        self._roots: dict[Path, Path | None] = {}

    def at(self, root: Path) -> Manifest:
        root = root.resolve()
        if root not in self._by_root:
            self._by_root[root] = load_manifest(root)
        return self._by_root[root]

    def near(self, path: Path) -> Manifest | None:
        """The manifest that governs `path`: the project's, or the one in the file's folder."""
        folder = path.resolve().parent
        if folder not in self._roots:
            project = find_project(folder)
            roots = [project.root] if project is not None else []
            roots.append(folder)
            self._roots[folder] = next((r for r in roots if (r / MANIFEST_PATH).exists()), None)
        root = self._roots[folder]
        return self.at(root) if root is not None else None


def _check_notebook(path: Path, manifests: _Manifests) -> list[Finding]:
    try:
        notebook = read_notebook(path)
        manifest = manifests.near(path)
    except UserError as exc:
        return [Finding(str(path), exc.message, exc.hint or "repair or restore the file")]
    if notebook.language != "python":
        return []
    extracted = _extracted_from(manifest, path) if manifest else {}
    # What extract left in this notebook, with its reason, stays until the next extraction.
    left = manifest.left.get(manifest.key(path), {}) if manifest else {}
    findings: list[Finding] = []
    name = shown(path)
    # A v3 notebook the ledger excludes from ruff (extract or `check --fix` adopted it)
    # passes the lint hooks; until then they fail on it with no way out they name.
    if (legacy := legacy_format(notebook)) and not _excluded_from_lint(manifest, path):
        findings.append(Finding(str(path), *legacy))
    for parsed in parse_cells(path, notebook.cells):
        findings += [
            Finding(
                str(d.location),
                f"{d.kind} `{d.name}` is defined in a notebook, and {d.why}",
                f"{d.fix}, then `dsprod extract {name}`; to keep it here, "
                f"mark it `# {KEEP_COMMENT}`",
                notebook=path,
            )
            for d in unparsed_definitions(parsed)
            if d.name not in left
        ]
        for node, kept in top_level_definitions(parsed):
            if kept or node.name in left:
                continue
            where = f"{path}:cell {parsed.cell.index + 1}:line {node.lineno}"
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            if node.name in extracted:
                findings.append(
                    Finding(
                        where,
                        f"{kind} `{node.name}` is defined again here, but it was extracted to "
                        f"{shown(extracted[node.name])}: this copy shadows the module's",
                        f"delete it, or run `dsprod extract {name}` to move the new "
                        "version into the module",
                        notebook=path,
                    )
                )
            else:
                findings.append(
                    Finding(
                        where,
                        f"{kind} `{node.name}` is defined in a notebook",
                        f"`dsprod extract {name}` moves it into the package, or says "
                        "what stops it (make what it reads a parameter); to keep it here, "
                        f"mark it `# {KEEP_COMMENT}` or tag the cell {KEEP_TAG}",
                        notebook=path,
                    )
                )
    return findings


def _excluded_from_lint(manifest: Manifest | None, notebook: Path) -> bool:
    if manifest is None:
        return False
    from dsprod.notebook._ledger import read_notebook_debt

    return manifest.key(notebook) in read_notebook_debt(manifest.root).excluded


def _extracted_from(manifest: Manifest, notebook: Path) -> dict[str, Path]:
    key = manifest.key(notebook)
    return {
        name: manifest.root / module_key
        for module_key, entry in manifest.modules.items()
        for name, symbol in entry.symbols.items()
        if symbol.notebook == key
    }


def _fix(findings: list[Finding], options: ExtractOptions, output: Output) -> None:
    from dsprod.notebook.extract import extract

    notebooks = list(dict.fromkeys(f.notebook for f in findings if f.notebook is not None))
    if notebooks:
        extract(notebooks, options, output)


def _is_percent(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as fh:
            return any(line.startswith("# %%") for line in fh)
    except (OSError, UnicodeDecodeError):
        return False


_SKIPPED_FOLDERS = frozenset(
    {".git", ".venv", "venv", ".nox", ".tox", "node_modules", ".ipynb_checkpoints", "site-packages"}
)


def _discover(folder: Path) -> list[Path]:
    """Notebooks and manifests under `folder`: git's files when it is a repository."""
    from dsprod._git import run_git  # here: `dsprod check FILES` (the hook) starts no process

    listed = run_git(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=folder, timeout=None
    )
    if listed is not None and listed.returncode == 0:
        candidates = [Path(name) for name in listed.stdout.split("\0") if name]
    else:
        candidates = [
            p.relative_to(folder)
            for p in [*folder.rglob("*.ipynb"), *folder.rglob(MANIFEST_PATH.name)]
        ]
    return [
        p
        for p in candidates
        if not _SKIPPED_FOLDERS.intersection(p.parts)
        and (p.suffix == ".ipynb" or p.as_posix().endswith(MANIFEST_PATH.as_posix()))
    ]
