"""The notebooks' lint debt ledger, `.dsprod/ruff-debt.toml`: what the project's ruff reported
in each notebook when dsprod adopted it, and the notebooks it cannot read.

The project's ruff reads it through `[tool.ruff] extend` (the generated pyproject.toml does);
dsprod alone writes it, and measures again on every extraction and `dsprod check --fix`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from dsprod._records import NamedTuple
from dsprod.notebook._lint import UNSILENCEABLE, ProjectLint, read_pyproject

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from dsprod._output import Output

__all__ = [
    "DEBT_PATH",
    "NotebookDebt",
    "notebook_debt_enabled",
    "read_notebook_debt",
    "refresh_notebook_debt",
    "write_notebook_debt",
]

DEBT_PATH = Path(".dsprod") / "ruff-debt.toml"


class NotebookDebt(NamedTuple):
    """The notebooks' lint debt: codes by notebook, and notebooks ruff cannot read.

    A NamedTuple, not a dataclass: see `dsprod.errors` (on every extract's start-up path)."""

    ignores: dict[str, tuple[str, ...]]  # notebook path relative to the project -> codes
    excluded: dict[str, str]  # notebook path relative to the project -> why

    @property
    def size(self) -> int:
        return sum(len(codes) for codes in self.ignores.values()) + len(self.excluded)


def notebook_debt_enabled(root: Path) -> bool:
    """Whether the project's ruff reads the ledger: `[tool.ruff] extend` names it."""
    ruff = read_pyproject(root).get("tool", {}).get("ruff")
    extend = ruff.get("extend") if isinstance(ruff, dict) else None
    return isinstance(extend, str) and Path(extend) == DEBT_PATH


def measure_notebook(lint: ProjectLint, text: str, key: str) -> tuple[tuple[str, ...], str | None]:
    """The codes the project's ruff reports on a notebook's `text`, and why ruff cannot read
    it (None when it can). `key` is the notebook's path relative to the project."""
    # Measured under another name in the same folder: the ledger's entry for the notebook
    # itself would hide the findings it records.
    probe = Path(key).with_name(f".dsprod-probe-{Path(key).name}")
    diagnostics = lint.diagnostics(text, probe)
    unreadable = [d for d in diagnostics if d.get("code") in UNSILENCEABLE]
    if unreadable:
        first = unreadable[0]
        cell = f"cell {first['cell']}: " if first.get("cell") else ""
        return (), f"ruff cannot read it: {cell}{str(first.get('message', ''))[:120]}"
    return tuple(sorted({str(d["code"]) for d in diagnostics if d.get("code")})), None


def refresh_notebook_debt(root: Path, texts: Mapping[Path, str | None], output: Output) -> None:
    """Measure the notebooks in `texts` (path -> the text as now written, None for one that
    is gone) again and record their debt in the ledger; nothing when the project's ruff does
    not read the ledger."""
    if not notebook_debt_enabled(root):
        return
    from dsprod._project import project_python

    lint = ProjectLint(root, project_python(root))
    debt = read_notebook_debt(root)
    ignores, excluded = dict(debt.ignores), dict(debt.excluded)
    for path, text in texts.items():
        try:
            key = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue  # a notebook outside the project: its ruff does not see it
        ignores.pop(key, None)
        excluded.pop(key, None)
        if text is None:
            continue
        codes, unreadable = measure_notebook(lint, text, key)
        if unreadable is not None:
            excluded[key] = unreadable
        elif codes:
            ignores[key] = codes
    if write_notebook_debt(root, NotebookDebt(ignores, excluded)):
        from dsprod._output import shown

        output.status(
            "record",
            f"{shown(root / DEBT_PATH)}: lint debt of {', '.join(shown(p) for p in texts)}",
        )


def read_notebook_debt(root: Path) -> NotebookDebt:
    from dsprod._toml import load_toml
    from dsprod.errors import ConfigError

    path = root / DEBT_PATH
    if not path.is_file():
        return NotebookDebt({}, {})
    try:
        data = load_toml(path, root)
    except ConfigError:
        return NotebookDebt({}, {})  # rewritten whole at the next measure
    lint = data.get("lint", {})
    raw = lint.get("extend-per-file-ignores", {}) if isinstance(lint, dict) else {}
    ignores = {
        _from_ledger(key): tuple(str(c) for c in codes)
        for key, codes in (raw.items() if isinstance(raw, dict) else [])
        if isinstance(codes, list)
    }
    excluded_raw = data.get("extend-exclude", [])
    reasons = _exclusion_reasons(path)
    excluded = {
        _from_ledger(str(key)): reasons.get(str(key), "ruff cannot read it")
        for key in (excluded_raw if isinstance(excluded_raw, list) else [])
    }
    return NotebookDebt(ignores, excluded)


def write_notebook_debt(root: Path, debt: NotebookDebt) -> bool:
    """Write the ledger; False when it was already so."""
    from dsprod._fs import atomic_write_text

    lines = [
        "# The lint debt of the project's notebooks: what the project's ruff reported in each",
        "# notebook when dsprod extracted from it. pyproject.toml's [tool.ruff] extends this",
        "# file. dsprod writes it (`dsprod extract`, `dsprod check --fix` measure again and",
        "# drop what is fixed); `dsprod check --report` lists it.",
        "",
        "extend-exclude = [",
        *(
            f"  {_toml_string(_to_ledger(key))},  # {_one_line(why)}"
            for key, why in sorted(debt.excluded.items())
        ),
        "]",
        "",
        "[lint.extend-per-file-ignores]",
        *(
            f"{_toml_string(_to_ledger(key))} = [{', '.join(_toml_string(c) for c in codes)}]"
            for key, codes in sorted(debt.ignores.items())
            if codes
        ),
    ]
    text = "\n".join(lines) + "\n"
    path = root / DEBT_PATH
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return True


def _exclusion_reasons(path: Path) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r'^\s*("(?:[^"\\]|\\.)*"),\s*#\s*(.*)$', line)
        if match:
            reasons[json.loads(match[1])] = match[2]
    return reasons


def _to_ledger(key: str) -> str:
    # ruff reads paths in an extended file relative to that file's folder.
    return "../" * len(DEBT_PATH.parent.parts) + key


def _from_ledger(key: str) -> str:
    prefix = "../" * len(DEBT_PATH.parent.parts)
    return key[len(prefix) :] if key.startswith(prefix) else key


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string for everything a path or a rule code holds.
    return json.dumps(value, ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())
