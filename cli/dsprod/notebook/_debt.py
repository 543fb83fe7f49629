"""What promoted code still owes: the definitions left in notebooks, and the lint debt.

`dsprod check --report` and `dsprod doctor` show it; `dsprod check --fix` measures it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsprod._output import Output, shown
from dsprod._project import find_project
from dsprod.errors import UserError
from dsprod.notebook._ledger import NotebookDebt, read_notebook_debt, refresh_notebook_debt
from dsprod.notebook._lint import ModuleDebt, ProjectLint, module_debt, read_module_debt
from dsprod.notebook._manifest import Manifest, load_manifest

__all__ = ["Debt", "LeftDefinition", "read_debt", "refresh_debt"]


@dataclass(frozen=True)
class LeftDefinition:
    where: str  # `path.ipynb:cell N:line L`
    name: str
    reason: str


@dataclass(frozen=True)
class Debt:
    left: tuple[LeftDefinition, ...]
    modules: dict[str, ModuleDebt]  # module path relative to the project -> its debt
    notebooks: NotebookDebt

    @property
    def lint_size(self) -> int:
        return sum(d.size for d in self.modules.values()) + self.notebooks.size

    def summary(self) -> str:
        modules = sum(1 for d in self.modules.values() if d.size)
        notebooks = len(self.notebooks.ignores) + len(self.notebooks.excluded)
        return (
            f"{len(self.left)} definition(s) left in notebooks; lint debt: "
            f"{self.lint_size} rule code(s) recorded for {modules} module(s) and "
            f"{notebooks} notebook(s)"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "left": [{"where": d.where, "name": d.name, "reason": d.reason} for d in self.left],
            "modules": {
                path: {"ruff": list(d.ruff), "mypy": list(d.mypy)}
                for path, d in sorted(self.modules.items())
                if d.size
            },
            "notebooks": {
                "ruff": {k: list(v) for k, v in sorted(self.notebooks.ignores.items())},
                "excluded": dict(sorted(self.notebooks.excluded.items())),
            },
        }

    def lines(self) -> list[str]:
        found = [f"{d.where}: {d.name} left in the notebook: {d.reason}" for d in self.left]
        for path, debt in sorted(self.modules.items()):
            parts = [f"ruff {', '.join(debt.ruff)}"] if debt.ruff else []
            parts += [f"mypy {', '.join(debt.mypy)}"] if debt.mypy else []
            if parts:
                found.append(f"{path}: lint debt: {'; '.join(parts)}")
        for path, codes in sorted(self.notebooks.ignores.items()):
            found.append(f"{path}: lint debt: ruff {', '.join(codes)}")
        for path, why in sorted(self.notebooks.excluded.items()):
            found.append(f"{path}: not linted: {why}")
        return found


def read_debt(start: Path) -> Debt | None:
    """The debt of the project around `start`; None outside a project with a manifest, or
    when the manifest cannot be read (check reports that as a finding of its own)."""
    try:
        manifest = _manifest(start)
    except UserError:
        return None
    if manifest is None:
        return None
    left = tuple(
        LeftDefinition(f"{notebook}:{entry.where}", name, entry.reason)
        for notebook, names in sorted(manifest.left.items())
        for name, entry in sorted(names.items(), key=lambda item: item[1].where)
    )
    modules: dict[str, ModuleDebt] = {}
    for key in manifest.modules:
        try:
            modules[key] = read_module_debt((manifest.root / key).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue  # a module deleted or unreadable owes nothing that ruff can see
    return Debt(left, modules, read_notebook_debt(manifest.root))


def refresh_debt(start: Path, files: Iterable[Path], output: Output) -> None:
    """Measure the lint debt of the extracted modules and of the notebooks among `files` and
    in the ledger again, and write what changed: code made clean drops its entries."""
    from dsprod._fs import atomic_write_text, project_lock
    from dsprod._project import project_python
    from dsprod.notebook._manifest import digest

    manifest = _manifest(start)
    if manifest is None:
        return
    root = manifest.root
    with project_lock(root, output):
        manifest = load_manifest(root)  # as it is now that the lock is held
        lint = ProjectLint(root, project_python(root))
        for key, entry in sorted(manifest.modules.items()):
            path = root / key
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            new, _ = module_debt(lint, text, path, read_module_debt(text))
            if new != text:
                atomic_write_text(path, new)
                manifest.modules[key] = type(entry)(entry.module, digest(new), entry.symbols)
                output.status("update", f"{shown(path)}: lint debt measured again")
                manifest.save()
        recorded = read_notebook_debt(root)
        notebooks = {p.resolve() for p in files if p.suffix == ".ipynb"}
        notebooks |= {root / key for key in [*recorded.ignores, *recorded.excluded]}
        texts: dict[Path, str | None] = {}
        for path in sorted(notebooks):
            try:
                texts[path] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                texts[path] = None  # gone or unreadable: its entry is dropped
        if texts:
            refresh_notebook_debt(root, texts, output)


def _manifest(start: Path) -> Manifest | None:
    project = find_project(start)
    root = project.root if project is not None else start.resolve()
    manifest = load_manifest(root)
    return manifest if manifest.path.exists() else None
