"""`check`: the pre-commit gate that keeps definitions from growing back into notebooks.

It reads notebook JSON directly and parses each code cell once, without resolving names: a
commit hook runs on every commit and must cost little more than reading the files.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dsprod._output import Output, shown
from dsprod.errors import UserError
from dsprod.notebook._manifest import MANIFEST_PATH, Manifest, digest, load_manifest
from dsprod.notebook._parse import gc_paused, parse_cells, unparsed_definitions
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._statements import KEEP_COMMENT, KEEP_TAG, top_level_definitions
from dsprod.notebook._target import find_project

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
    if fix is None or not findings:
        return findings
    _fix(findings, fix, output)
    return check_paths(files)


def check_paths(files: Iterable[Path]) -> list[Finding]:
    with gc_paused():
        return _check_paths(files)


def _check_paths(files: Iterable[Path]) -> list[Finding]:
    manifests = _Manifests()
    findings: list[Finding] = []
    for path in files:
        if path.name == MANIFEST_PATH.name and path.parent.name == MANIFEST_PATH.parent.name:
            findings += _check_manifest(manifests.at(path.parent.parent))
        elif path.suffix == ".ipynb" or (path.suffix == ".py" and _is_percent(path)):
            findings += _check_notebook(path, manifests)
        elif path.suffix == ".py":
            try:
                manifest = manifests.near(path)
            except UserError as exc:
                findings.append(Finding(str(path), exc.message, exc.hint or "fix it"))
                continue
            if manifest is not None and manifest.entry(path) is not None:
                findings += _check_module(manifest, path)
    # A module passed both by name and through its manifest is reported once (the two name
    # it by a relative and an absolute path, so compare what the user sees).
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
    findings: list[Finding] = []
    name = shown(path)
    if legacy := legacy_format(notebook):
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
        ]
        for node, kept in top_level_definitions(parsed):
            if kept:
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


def _extracted_from(manifest: Manifest, notebook: Path) -> dict[str, Path]:
    key = manifest.key(notebook)
    return {
        name: manifest.root / module_key
        for module_key, entry in manifest.modules.items()
        for name, symbol in entry.symbols.items()
        if symbol.notebook == key
    }


def _check_manifest(manifest: Manifest) -> list[Finding]:
    findings: list[Finding] = []
    for key in manifest.modules:
        findings += _check_module(manifest, manifest.root / key)
    return findings


def _check_module(manifest: Manifest, path: Path) -> list[Finding]:
    entry = manifest.entry(path)
    if entry is None:
        return []
    where = shown(manifest.path)
    if not path.exists():
        return [
            Finding(
                where,
                f"lists {shown(path)}, which does not exist; the notebooks that import "
                f"{entry.module} are broken",
                f"restore it (git checkout -- {shown(path)}), or remove its entry",
            )
        ]
    from dsprod.notebook._module import ModuleText, symbol_sources

    text = path.read_text(encoding="utf-8")
    try:
        present = symbol_sources(ModuleText.parse(text, path))
    except UserError as exc:
        return [Finding(shown(path), exc.message, exc.hint or "fix the module")]
    findings = [
        Finding(
            where,
            f"lists `{name}` in {shown(path)}, which no longer defines it",
            f"restore `{name}` in {shown(path)}, or remove it from the manifest",
        )
        for name in sorted(entry.symbols)
        if name not in present
    ]
    if digest(text) != entry.sha256:
        edited = sorted(
            name
            for name, symbol in entry.symbols.items()
            if name in present and digest(present[name]) != symbol.sha256
        )
        detail = f" ({', '.join(edited)} edited by hand)" if edited else ""
        findings.append(
            Finding(
                shown(path),
                f"changed since dsprod wrote it{detail}, and the edit is not recorded in "
                f"{MANIFEST_PATH}",
                f"`dsprod check --fix {shown(path)}` records it",
                module=path,
            )
        )
    return findings


def _fix(findings: list[Finding], options: ExtractOptions, output: Output) -> None:
    from dsprod.notebook.extract import extract

    notebooks = list(dict.fromkeys(f.notebook for f in findings if f.notebook is not None))
    if notebooks:
        extract(notebooks, options, output)
    for module in dict.fromkeys(f.module for f in findings if f.module is not None):
        manifest = _Manifests().near(module)
        entry = manifest.entry(module) if manifest else None
        if manifest is None or entry is None:
            continue
        # Only the module's hash is recorded: each symbol keeps the hash dsprod wrote, so a
        # symbol edited by hand stays protected from being replaced by a notebook's version.
        text = module.read_text(encoding="utf-8")
        manifest.modules[manifest.key(module)] = replace(entry, sha256=digest(text))
        manifest.save()
        output.status("record", f"{shown(module)}: hand edits recorded in {MANIFEST_PATH}")


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
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=folder,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "replace")
        candidates = [Path(name) for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
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
