"""Where extracted code goes: the module for a notebook, in the project's package or beside it."""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

from dsprod._fs import check_writable
from dsprod._output import shown
from dsprod._project import PYPROJECT, Project
from dsprod._records import NamedTuple
from dsprod.errors import ConfigError, Flag, Step, TargetError
from dsprod.notebook._manifest import Manifest, load_manifest

__all__ = [
    "Target",
    "check_writable_for",
    "missing_inits",
    "module_name_for",
    "resolve_target",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


class Target(NamedTuple):
    # A NamedTuple, not a dataclass: see `dsprod.errors` (on every extract's start-up path).

    path: Path
    import_name: str
    root: Path  # where the manifest lives
    how: str  # how the target was chosen, for the output

    @property
    def module_root(self) -> Path:
        """The folder to put on sys.path so that `import_name` imports."""
        return self.path.parents[self.import_name.count(".")]


def module_name_for(notebook: Path) -> str:
    """A module name for a notebook: an identifier that shadows no standard-library module."""
    stem = notebook.stem
    ascii_stem = stem if stem.isascii() else _ascii(stem)
    name = re.sub(r"[^0-9A-Za-z]+", "_", ascii_stem).strip("_").lower() or "notebook"
    if name[0].isdigit():
        name = f"nb_{name}"
    if keyword.iskeyword(name) or name in sys.stdlib_module_names:
        name = f"{name}_nb"
    return name


def _ascii(text: str) -> str:
    # NFKD leaves ASCII as it is (no ASCII character has a decomposition): only other text
    # imports unicodedata, which every extract's start-up would pay for otherwise.
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def resolve_target(notebook: Path, module: str | None, project: Project | None) -> Target:
    if project is not None:
        _check_declared_package(project)
    if module is not None and (module.endswith(".py") or "/" in module or "\\" in module):
        return _path_target(notebook, Path(module), project)
    if project is not None and project.package_dir is not None and project.package:
        base = project.package_dir.parent
        if module is None:
            how = f"package {project.package} of {project.root}"
            return _default_target(notebook, project.package, base, project.root, how)
        dotted = _package_module(module, project)
        path = base.joinpath(*dotted.split(".")).with_suffix(".py")
        return Target(path, dotted, project.root, f"--module, in package {project.package}")
    folder = notebook.resolve().parent
    if module is None:
        how = "no project package found; next to the notebook"
        return _default_target(notebook, None, folder, folder, how)
    _check_dotted(module)
    path = folder.joinpath(*module.split(".")).with_suffix(".py")
    return Target(path, module, folder, "--module")


def _check_declared_package(project: Project) -> None:
    """A package [tool.dsprod] names must exist: writing elsewhere would hide the typo."""
    name = project.declared_package
    if name is not None and project.package_dir is None:
        raise ConfigError(
            f"{shown(project.root / PYPROJECT)}: [tool.dsprod] package = {name!r}, but neither "
            f"src/{name}/ nor {name}/ has an __init__.py",
            hint="fix the package name, or create the package",
        )


def _package_module(module: str, project: Project) -> str:
    """`--module` inside a project: a name in the project's package, never silently elsewhere."""
    _check_dotted(module)
    package = str(project.package)
    first, _, rest = module.partition(".")
    if first == package and rest:
        return module
    if first == package:
        raise TargetError(
            f"--module {module}: that is the package itself, not a module in it",
            hint=Step("name a module in it, e.g. ", Flag("module", f"{package}.features")),
        )
    if rest:
        elsewhere = (project.package_dir or project.root).parent.joinpath(*module.split("."))
        # `otherpkg.mod` used to become `<package>.otherpkg.mod` without a word: the user
        # named another package, so writing into this one would surprise them either way.
        raise TargetError(
            f"--module {module}: {first} is not this project's package ({package}, in "
            f"{shown(project.package_dir or project.root)})",
            hint=Step(
                f"for a subpackage of {package}, write ",
                Flag("module", f"{package}.{module}"),
                "; for a module elsewhere, give its path, e.g. ",
                Flag("module", f"{shown(elsewhere)}.py"),
            ),
        )
    # A bare name (`--module features`) is a module of the project's package.
    return f"{package}.{module}"


# The suffix for a name that is taken, as for a notebook named like a standard-library module
# (`random.ipynb` -> `random_nb`): one rule for both, and the import in the notebook
# (`from pkg.model_nb import fit`) says where the code came from.
_TAKEN_SUFFIX = "_nb"
_MAX_CANDIDATES = 100


def _default_target(
    notebook: Path, package: str | None, base: Path, root: Path, how: str
) -> Target:
    """The module named after the notebook, unless a module of that name exists that dsprod
    did not write from this notebook (the template's `model.py` for `model.ipynb`, a module
    written by hand, or one extracted from another notebook): extract never merges into it."""
    manifest = load_manifest(root)
    key = manifest.key(notebook)
    name = module_name_for(notebook)
    names = [name, *(f"{name}{_TAKEN_SUFFIX}{n or ''}" for n in range(_MAX_CANDIDATES) if n != 1)]

    def dotted(candidate: str) -> str:
        return f"{package}.{candidate}" if package else candidate

    def path(candidate: str) -> Path:
        return base.joinpath(*dotted(candidate).split(".")).with_suffix(".py")

    if path(name) == notebook.resolve():
        # A percent-format notebook `analysis.py` must not become its own module.
        names = [f"{name}_lib", *names[1:]]
    # A module this notebook already went into stays its target, even if the first name has
    # become free since: the notebook imports from it.
    # Looked for only when the manifest has such a module: each candidate is resolved to look.
    chosen = None
    if any(s.notebook == key for e in manifest.modules.values() for s in e.symbols.values()):
        chosen = next((n for n in names if _written_from(manifest, path(n), key)), None)
    if chosen is None:
        chosen = next((n for n in names if not _taken(manifest, path(n))), None)
    if chosen is None:
        raise TargetError(
            f"{notebook}: {dotted(names[0])} and {_MAX_CANDIDATES - 1} alternatives are all "
            "taken by modules dsprod did not write from this notebook",
            hint=Step("choose a module with ", Flag("module")),
        )
    if chosen != names[0]:
        first = shown(path(names[0]))
        first_package = path(names[0]).with_suffix("") / "__init__.py"
        if first_package.exists():
            first = shown(first_package.parent)
        how = (
            f"{first} exists and dsprod did not write it from this notebook, so "
            f"{dotted(chosen)}; {how}"
        )
    return Target(path(chosen), dotted(chosen), root, how)


def _written_from(manifest: Manifest, path: Path, notebook_key: str) -> bool:
    entry = manifest.entry(path)
    return entry is not None and any(s.notebook == notebook_key for s in entry.symbols.values())


def _taken(manifest: Manifest, path: Path) -> bool:
    """A module or package of that name exists, or the manifest gives the name to another
    notebook (its module may be missing now; taking its name would hide that)."""
    package = path.with_suffix("") / "__init__.py"
    return path.exists() or package.exists() or manifest.entry(path) is not None


def _check_dotted(dotted: str) -> None:
    parts = dotted.split(".")
    if not all(_IDENTIFIER.match(p) and not keyword.iskeyword(p) for p in parts):
        raise TargetError(
            f"--module {dotted!r} is not a dotted module name (like pkg.features) "
            "nor a path ending in .py"
        )


def _path_target(notebook: Path, path: Path, project: Project | None) -> Target:
    path = path.resolve()
    if path.suffix != ".py":
        raise TargetError(f"--module {path}: a module path must end in .py")
    bases: list[tuple[Path, Path]] = []
    if project is not None and project.package_dir is not None:
        bases.append((project.package_dir.parent, project.root))
    bases.append((notebook.resolve().parent, notebook.resolve().parent))
    if project is not None:
        bases.append((project.root, project.root))
    for base, root in bases:
        try:
            relative = path.with_suffix("").relative_to(base)
        except ValueError:
            continue
        dotted = ".".join(relative.parts)
        _check_dotted(dotted)
        return Target(path, dotted, root, "--module")
    raise TargetError(
        f"--module {path}: the notebook could not import it; put it next to the notebook "
        "or inside the project's package",
    )


def missing_inits(target: Target, project: Project | None) -> list[Path]:
    """The __init__.py files a module in a new subpackage of the project's package needs."""
    if project is None or project.package_dir is None:
        return []
    package = project.package_dir.resolve()
    found = []
    current = target.path.parent.resolve()
    while current != package and package in current.parents:
        if not (current / "__init__.py").exists():
            found.append(current / "__init__.py")
        current = current.parent
    return found


def check_writable_for(target: Target, notebook: Path, manifest: Path) -> None:
    """Refuse, before anything is written or announced, when a folder extract writes in is not
    writable; the hint fits the folder, since `--module` only moves the module."""
    folders = [
        # The notebook first: when the module sits next to it, --module cannot help either.
        (
            notebook.resolve().parent,
            "dsprod rewrites the notebook in place, through a "
            "temporary file beside it: make the folder writable (chmod u+w), then run again",
        ),
        (
            manifest.parent,
            f"dsprod records what it extracts in {manifest.name} there: make "
            "that folder writable, or move away the file in its way, then run again",
        ),
        (target.path.parent, None),  # _fs's own hint: fix the folder or choose --module
    ]
    for folder, hint in folders:
        try:
            check_writable(folder)
        except TargetError as exc:
            raise TargetError(exc.message, hint=hint or exc.hint) from exc
