"""The committed record of what dsprod extracted, from where, and what it wrote.

It lets dsprod tell its own output from a hand edit: each module and each symbol carries the
hash of the text as dsprod last wrote it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.errors import ConfigError
from dsprod.notebook._model import DefinitionKind

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any, TypedDict

__all__ = [
    "MANIFEST_PATH",
    "SCHEMA_VERSION",
    "LeftEntry",
    "Manifest",
    "ModuleEntry",
    "SymbolEntry",
    "digest",
    "load_manifest",
]

# A kind the manifest does not know is a malformed entry (KeyError), not a new kind.
_KINDS: dict[object, DefinitionKind] = {
    "function": "function",
    "class": "class",
    "constant": "constant",
}

# 2 adds `notebooks`: the definitions extract left in each notebook, and why. Version 1 is
# read as version 2 without them; a dsprod that reads only 1 refuses 2 rather than drop them.
SCHEMA_VERSION = 2
_READABLE = (1, 2)
MANIFEST_PATH = Path(".dsprod") / "manifest.json"
_string = json.encoder.encode_basestring  # as json.dumps(s, ensure_ascii=False)


def digest(text: str) -> str:
    return str(_sha256()(text.encode("utf-8")).hexdigest())


@functools.cache
def _sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256, as its `random` module takes its own SHA-512: hashlib loads
    OpenSSL first, 3 ms of every extraction's start-up for hashes that need no speed. hashlib's
    where the interpreter has no such module. Imported only when writing or comparing:
    `dsprod check` reads the manifest only. Imported by `__import__`, as importlib would (a
    top-level name): importing importlib costs 0.5 M instructions; and by its one name on this
    Python: a module that is not there is looked for everywhere first (0.3 M)."""
    for name in ("_sha2",) if sys.version_info >= (3, 12) else ("_sha256",):
        try:
            found: Callable[[bytes], Any] = __import__(name).sha256
        except (ImportError, AttributeError):
            continue
        return found
    import hashlib

    return hashlib.sha256


# The file as dsprod writes it: mypy checks `render` against these. A manifest read back is
# checked field by field instead (`load_manifest`): it is whatever the file holds.
if TYPE_CHECKING:

    class _SymbolJson(TypedDict):
        notebook: str
        kind: DefinitionKind
        sha256: str

    class _ModuleJson(TypedDict):
        module: str
        sha256: str
        symbols: dict[str, _SymbolJson]

    class _LeftJson(TypedDict):
        where: str
        reason: str

    class _NotebookJson(TypedDict):
        left: dict[str, _LeftJson]

    class _ManifestJson(TypedDict):
        schema_version: int
        generator: str
        modules: dict[str, _ModuleJson]

    class ManifestJson(_ManifestJson, total=False):
        notebooks: dict[str, _NotebookJson]  # only when something was left


# NamedTuples and a plain class, not dataclasses: made at every extract's and check's start-up
# (see `dsprod.errors`).


class SymbolEntry(NamedTuple):
    notebook: str  # path relative to the manifest's root, POSIX separators
    kind: DefinitionKind
    sha256: str


class ModuleEntry(NamedTuple):
    module: str  # dotted import name
    sha256: str
    symbols: dict[str, SymbolEntry]


class LeftEntry(NamedTuple):
    """A definition `extract` left in its notebook: `dsprod check` lets it be."""

    where: str  # `cell N:line L` when it was left, for the report
    reason: str


class Manifest:
    def __init__(
        self,
        root: Path,
        modules: dict[str, ModuleEntry] | None = None,
        left: dict[str, dict[str, LeftEntry]] | None = None,
    ) -> None:
        self.root = root
        self.modules = {} if modules is None else modules
        # notebook key -> definition name -> why it stays in the notebook
        self.left = {} if left is None else left

    @property
    def path(self) -> Path:
        return self.root / MANIFEST_PATH

    def key(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def entry(self, module_path: Path) -> ModuleEntry | None:
        return self.modules.get(self.key(module_path))

    def document(self) -> ManifestJson:
        """The manifest as JSON values: what `render` writes."""
        document: ManifestJson = {
            "schema_version": SCHEMA_VERSION,
            "generator": "dsprod",
            "modules": {
                key: {
                    "module": entry.module,
                    "sha256": entry.sha256,
                    "symbols": {
                        name: {"notebook": s.notebook, "kind": s.kind, "sha256": s.sha256}
                        for name, s in sorted(entry.symbols.items())
                    },
                }
                for key, entry in sorted(self.modules.items())
            },
        }
        notebooks: dict[str, _NotebookJson] = {
            key: {
                "left": {
                    name: {"where": e.where, "reason": e.reason} for name, e in sorted(left.items())
                }
            }
            for key, left in sorted(self.left.items())
            if left
        }
        # Only when something was left: a manifest of a notebook-free project stays small.
        if notebooks:
            document["notebooks"] = notebooks
        return document

    def render(self) -> str:
        """`json.dumps(self.document(), indent=2, ensure_ascii=False)` and a newline, written
        straight from the entries: one format string a symbol, where the values in between and
        `_indented`'s four calls a symbol took 40 M instructions for 1,600 symbols."""
        modules = [
            f"    {_string(key)}: {{\n"
            f'      "module": {_string(entry.module)},\n'
            f'      "sha256": {_string(entry.sha256)},\n'
            f'      "symbols": {_symbols(entry.symbols)}\n'
            "    }"
            for key, entry in sorted(self.modules.items())
        ]
        text = (
            f'{{\n  "schema_version": {SCHEMA_VERSION},\n  "generator": "dsprod",\n'
            f'  "modules": {_block(modules, 1)}'
        )
        notebooks = [
            f'    {_string(key)}: {{\n      "left": {_left(left)}\n    }}'
            for key, left in sorted(self.left.items())
            if left  # only when something was left: see `document`
        ]
        if notebooks:
            text += f',\n  "notebooks": {_block(notebooks, 1)}'
        return text + "\n}\n"

    def save(self) -> None:
        from dsprod._fs import atomic_write_text  # writing is rare; reading must be cheap

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, self.render())


def _symbols(symbols: dict[str, SymbolEntry]) -> str:
    """A module's symbols, as `_indented` writes them at their depth (3)."""
    quoted: dict[str, str] = {}  # the few notebooks and kinds, each quoted once
    members = []
    for name, symbol in sorted(symbols.items()):
        notebook = quoted.get(symbol.notebook)
        if notebook is None:
            notebook = quoted[symbol.notebook] = _string(symbol.notebook)
        kind = quoted.get(symbol.kind)
        if kind is None:
            kind = quoted[symbol.kind] = _string(symbol.kind)
        members.append(
            f"        {_string(name)}: {{\n"
            f'          "notebook": {notebook},\n'
            f'          "kind": {kind},\n'
            f'          "sha256": {_string(symbol.sha256)}\n'
            "        }"
        )
    return _block(members, 3)


def _left(left: dict[str, LeftEntry]) -> str:
    """A notebook's definitions left, as `_indented` writes them at their depth (3)."""
    members = [
        f"        {_string(name)}: {{\n"
        f'          "where": {_string(e.where)},\n'
        f'          "reason": {_string(e.reason)}\n'
        "        }"
        for name, e in sorted(left.items())
    ]
    return _block(members, 3)


def _block(members: list[str], depth: int) -> str:
    """An object of members written already, closed at `depth`."""
    if not members:
        return "{}"
    return "{\n" + ",\n".join(members) + "\n" + "  " * depth + "}"


def _indented(value: object, depth: int = 0) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)` for what a manifest holds: objects,
    strings and integers. The standard library writes indented JSON in pure Python, one
    generator step per token: 10-15 ms for the manifest of a 2,000-cell notebook. Here each
    string is one call of json's C encoder and each object one join."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (depth + 1)
        members = (f"{_string(k)}: {_indented(v, depth + 1)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(members) + "\n" + "  " * depth + "}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"a manifest holds no {type(value).__name__}")


def load_manifest(root: Path) -> Manifest:
    path = root / MANIFEST_PATH
    if not path.exists():
        return Manifest(root)
    hint = f"restore it from git (git checkout -- {MANIFEST_PATH}) or delete it to start afresh"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the manifest: {exc}", hint=hint) from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the manifest is not a JSON object", hint=hint)
    version = document.get("schema_version")
    if version not in _READABLE:
        raise ConfigError(
            f"{path}: manifest schema version {version!r}; this dsprod reads version "
            f"{SCHEMA_VERSION}",
            hint="upgrade dsprod (pip install -U dsprod)",
        )
    modules: dict[str, ModuleEntry] = {}
    try:
        for key, raw in document.get("modules", {}).items():
            symbols = {
                name: SymbolEntry(str(s["notebook"]), _KINDS[s["kind"]], str(s["sha256"]))
                for name, s in raw.get("symbols", {}).items()
            }
            modules[key] = ModuleEntry(str(raw["module"]), str(raw["sha256"]), symbols)
        left = {
            key: {
                name: LeftEntry(str(e["where"]), str(e["reason"]))
                for name, e in raw.get("left", {}).items()
            }
            for key, raw in document.get("notebooks", {}).items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: malformed manifest entry ({exc})", hint=hint) from exc
    return Manifest(root, modules, left)
