"""`check`: the pre-commit gate that keeps definitions from growing back into notebooks.

It reads notebook JSON directly and parses each code cell once, without resolving names: a
commit hook runs on every commit and must cost little more than reading the files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dsprod._output import Output, shown
from dsprod._problem import Problem
from dsprod._project import find_project
from dsprod.errors import DsprodError, Flag, Step, UserError
from dsprod.notebook._journal import pending
from dsprod.notebook._manifest import MANIFEST_PATH, Manifest, load_manifest
from dsprod.notebook._parse import gc_paused, parse_cells, unparsed_definitions
from dsprod.notebook._read import legacy_format, read_notebook
from dsprod.notebook._statements import KEEP_COMMENT, KEEP_TAG, top_level_definitions

if TYPE_CHECKING:
    from dsprod.notebook._debt import Debt
    from dsprod.notebook.extract import ExtractOptions

__all__ = ["CheckResult", "check", "check_paths"]


class CheckResult(NamedTuple):
    # A NamedTuple, not a dataclass: see `dsprod.errors` (on the commit hook's start-up path).
    problems: list[Problem]
    left: int  # definitions extract left in the projects' notebooks, each with its reason
    debt: Debt | None = None  # with `debt=True`: the project's debt (None: no manifest)
    # With `fix`: the notebooks that could not be extracted, and why.
    errors: tuple[DsprodError, ...] = ()


def check(
    paths: Sequence[Path],
    output: Output,
    *,
    fix: ExtractOptions | None = None,
    debt: bool = False,
) -> CheckResult:
    """Check `paths` (all notebooks when empty). With `fix`, extract the notebooks that have
    problems with those options, measure the lint debt again, check again. With `debt`, read
    the project's debt too (the module headers and the ledger, which a commit does not need)."""
    if missing := [str(p) for p in paths if not p.exists()]:
        raise UserError(
            f"{', '.join(missing)}: no such file",
            hint="check the path; `dsprod check` alone checks every notebook and manifest",
        )
    files = list(paths) or _discover(Path.cwd())  # relative to the working folder
    manifests = _Manifests()
    problems = check_paths(files, manifests)
    errors: tuple[DsprodError, ...] = ()
    if fix is not None:
        if problems:
            errors = _fix(problems, fix, output)
        # The debt is measured again whether or not anything was found: code cleaned by hand
        # since the last extraction drops its entries.
        from dsprod.notebook._debt import refresh_debt

        refresh_debt(Path.cwd(), files, output)
        manifests = _Manifests()
        problems = check_paths(files, manifests)
    found = None
    if debt:
        from dsprod.notebook._debt import read_debt

        found = read_debt(Path.cwd())
    return CheckResult(problems, manifests.left(), found, errors)


def check_paths(files: Iterable[Path], manifests: _Manifests | None = None) -> list[Problem]:
    with gc_paused():
        return _check_paths(files, manifests or _Manifests())


def _check_paths(files: Iterable[Path], manifests: _Manifests) -> list[Problem]:
    findings: list[Problem] = []
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
    return list({(f.where, f.message, f.next): f for f in findings}.values())


class _Manifests:
    """Manifests by project root, each read once per run."""

    def __init__(self) -> None:
        self._by_root: dict[Path, Manifest] = {}
        self._roots: dict[Path, Path | None] = {}
        self._journals: dict[Path, Path | None] = {}

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
            self._journals[folder] = next(filter(None, map(pending, roots)), None)
        root = self._roots[folder]
        return self.at(root) if root is not None else None

    def journal(self, path: Path) -> Path | None:
        """The journal of an extraction stopped half way in `path`'s project (after `near`)."""
        return self._journals.get(path.resolve().parent)

    def left(self) -> int:
        """How many definitions extract left in notebooks, by the manifests read so far."""
        return sum(len(names) for m in self._by_root.values() for names in m.left.values())


def _check_notebook(path: Path, manifests: _Manifests) -> list[Problem]:
    try:
        notebook = read_notebook(path)
        manifest = manifests.near(path)
    except UserError as exc:
        return [_unreadable(path, exc)]
    except ModuleNotFoundError as exc:
        # A percent script where dsprod runs without jupytext (the light hook environment).
        from dsprod._extras import missing_dependency

        if (missing := missing_dependency(exc)) is None:
            raise
        message = f"a percent-format notebook: reading it needs {exc.name}, not installed here"
        return [Problem(str(path), message, missing.hint)]
    if notebook.language != "python":
        return []
    if journal := manifests.journal(path):
        return [_stopped_half_way(journal, path)]
    extracted = _extracted_from(manifest, path) if manifest else {}
    # What extract left in this notebook, with its reason, stays until the next extraction.
    left = manifest.left.get(manifest.key(path), {}) if manifest else {}
    findings: list[Problem] = []
    name = shown(path)
    # A v3 notebook the ledger excludes from ruff (extract or `check --fix` adopted it)
    # passes the lint hooks; until then they fail on it with no way out they name.
    if (legacy := legacy_format(notebook)) and not _excluded_from_lint(manifest, path):
        findings.append(Problem(str(path), *legacy))
    # Only a cell whose text holds `def` or `class` can define anything (in a tree, or in a
    # cell that does not parse, where a line scan finds it): the others are not parsed at
    # all. Most cells define nothing, and parsing is most of a check's time.
    defining = tuple(c for c in notebook.cells if "def" in c.source or "class" in c.source)
    for parsed in parse_cells(path, defining):
        findings += [
            Problem(
                str(d.location),
                f"{d.kind} `{d.name}` is defined in a notebook, and {d.why}",
                f"{d.fix}, then `dsprod extract {name}`; to keep it here, "
                f"mark it `# {KEEP_COMMENT}`",
                path=path,
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
                    Problem(
                        where,
                        f"{kind} `{node.name}` is defined again here, but it was extracted to "
                        f"{shown(extracted[node.name])}: this copy shadows the module's",
                        f"delete it, or run `dsprod extract {name}` to move the new "
                        "version into the module",
                        path=path,
                    )
                )
            else:
                findings.append(
                    Problem(
                        where,
                        f"{kind} `{node.name}` is defined in a notebook",
                        f"`dsprod extract {name}` moves it into the package, or says "
                        "what stops it (make what it reads a parameter); to keep it here, "
                        f"mark it `# {KEEP_COMMENT}` or tag the cell {KEEP_TAG}",
                        path=path,
                    )
                )
    return findings


def _stopped_half_way(journal: Path, notebook: Path) -> Problem:
    # Killed between writing the module, the notebook and the manifest: they may disagree
    # until the next extraction finishes the job (`_journal`).
    return Problem(
        shown(journal),
        "an extraction was stopped half way (killed): module, notebook and manifest may not agree",
        Step(
            f"`dsprod extract {shown(notebook)}` (or `dsprod check ", Flag("fix"), "`) finishes it"
        ),
        path=notebook,
    )


def _unreadable(path: Path, error: UserError) -> Problem:
    # The message locates the problem itself (`nb.ipynb:1:12: not valid JSON`): shown once.
    where, sep, message = error.message.partition(": ")
    if not sep or not where.startswith(str(path)):
        where, message = str(path), error.message
    return Problem(where, message, error.hint or "repair or restore the file")


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


def _fix(
    problems: list[Problem], options: ExtractOptions, output: Output
) -> tuple[DsprodError, ...]:
    """Extract the notebooks of `problems`; the errors of those that could not be."""
    from dsprod.notebook.extract import extract

    notebooks = list(dict.fromkeys(p.path for p in problems if p.path is not None))
    results = extract(notebooks, options, output=output) if notebooks else []
    return tuple(r.error for r in results if r.error is not None)


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
