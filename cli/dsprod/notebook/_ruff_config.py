"""Where the project's ruff is, and what its configuration says of the line length."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["project_ruff", "ruff_line_length"]

_DEFAULT_LINE_LENGTH = 88  # ruff's


def project_ruff(root: Path) -> str | None:
    """The project's own ruff (its lint group pins the version its hooks use), else the ruff
    dsprod was installed with."""
    for candidate in (root / ".venv" / "bin" / "ruff", root / ".venv" / "Scripts" / "ruff.exe"):
        if candidate.exists():
            return str(candidate)
    if sys.prefix != sys.base_prefix and os.name == "posix":
        # In a virtual environment the first place ruff's own lookup (`find_ruff_bin`) looks
        # is the environment's scripts folder, `<prefix>/bin`: looked at here directly, as
        # sysconfig's lookups cost more than the rest of this function.
        here = Path(os.path.normpath(sys.prefix)) / "bin" / "ruff"
        if here.is_file():
            return str(here)
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        import shutil

        return shutil.which("ruff")


def ruff_line_length(module: Path) -> int | None:
    """The line length ruff formats `module` with, when its configuration says it for sure;
    None when it may say otherwise (an `extend`ed file, when the closest configuration sets
    none itself; a value that is not a length; a user configuration). Used only to write
    text as ruff's formatter would (`_module`): a guess that came out too short would change
    the module, so there is none.

    As ruff finds it: the configuration closest to the file, in each folder `.ruff.toml`, then
    `ruff.toml`, then a pyproject.toml with a [tool.ruff] table; without one, the user's."""
    from dsprod._project import read_pyproject
    from dsprod._toml import load_toml
    from dsprod.errors import ConfigError

    for folder in module.parents:
        try:
            if (folder / ".ruff.toml").is_file() or (folder / "ruff.toml").is_file():
                name = ".ruff.toml" if (folder / ".ruff.toml").is_file() else "ruff.toml"
                settings: object = load_toml(folder / name, folder)
            else:
                settings = read_pyproject(folder).get("tool", {}).get("ruff")
                if settings is None:
                    continue
        except (ConfigError, OSError, AttributeError):
            return None
        if not isinstance(settings, Mapping):
            return None
        if "line-length" not in settings:
            # What it `extend`s may set it (its own settings win over the extended file's,
            # so a length set here stands: a dsprod project's extends its lint debt).
            return None if "extend" in settings else _DEFAULT_LINE_LENGTH
        value = settings["line-length"]
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None if _user_ruff_configuration() else _DEFAULT_LINE_LENGTH


def _user_ruff_configuration() -> bool:
    """Whether a user-wide ruff configuration exists (it applies where no project's does)."""
    base = os.environ.get("XDG_CONFIG_HOME")
    folders = [(Path(base) if base else Path.home() / ".config") / "ruff"]
    if sys.platform == "darwin":
        folders.append(Path.home() / "Library" / "Application Support" / "ruff")
    elif os.name == "nt" and os.environ.get("APPDATA"):
        folders.append(Path(os.environ["APPDATA"]) / "ruff")
    names = (".ruff.toml", "ruff.toml", "pyproject.toml")
    return any((folder / name).is_file() for folder in folders for name in names)
