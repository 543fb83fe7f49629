"""dsprod's extras: what each adds, whether it is installed, and the command that installs it.

`pip install dsprod` gives every command; one feature, which pulls in a large dependency
tree, is an extra: `extract --verify` (a Jupyter kernel client, `dsprod[verify]`). A command
that needs it asks first, before it changes anything, so a missing extra is one clear error
and never a half-done command.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from dsprod.errors import MissingExtraError

__all__ = [
    "EXTRAS",
    "install_command",
    "installed_from",
    "missing_dependency",
    "missing_modules",
    "require",
]

# extra -> (what it is for, the modules dsprod imports from it). ipykernel, in `verify` too,
# is the kernel only when dsprod shares the project's environment: the kernel usually runs
# in the project's .venv, so it is not required of dsprod's own.
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "verify": ("`extract --verify` needs a Jupyter kernel client", ("nbclient",)),
}


def missing_modules(extra: str) -> tuple[str, ...]:
    _, modules = EXTRAS[extra]
    return tuple(m for m in modules if importlib.util.find_spec(m) is None)


def require(extra: str) -> None:
    """Raise MissingExtraError when a module of `extra` cannot be imported."""
    missing = missing_modules(extra)
    if missing:
        purpose, _ = EXTRAS[extra]
        raise MissingExtraError(
            f"{purpose}: {', '.join(missing)} is not installed beside dsprod "
            f"({sys.executable}); it comes with dsprod[{extra}]",
            extra=extra,
            modules=missing,
            hint=install_command(extra),
        )


def missing_dependency(error: ModuleNotFoundError) -> MissingExtraError | None:
    """The error to show for `error` when it is a package dsprod depends on: an extra's, or
    one of `pip install dsprod`'s (an environment with dsprod installed without its
    dependencies, as the dsprod-check hook's is). None for any other module."""
    module = (error.name or "").partition(".")[0]
    for extra, (purpose, modules) in EXTRAS.items():
        if module in modules:
            return MissingExtraError(
                f"{purpose}: {module} is not installed beside dsprod ({sys.executable}); it "
                f"comes with dsprod[{extra}]",
                extra=extra,
                modules=(module,),
                hint=install_command(extra),
            )
    if module in _CORE:
        return MissingExtraError(
            f"this dsprod was installed without its dependencies ({module} is missing from "
            f"{sys.executable}'s environment): it can run `dsprod check` only",
            extra="",
            modules=(module,),
            hint=install_command(""),
        )
    return None


# What `pip install dsprod` installs, by import name (pyproject.toml's dependencies).
_CORE = frozenset(
    {"typer", "jupytext", "nbformat", "ruff", "jupyter_client", "packaging", "tomli", "filelock"}
    | {"copier", "yaml", "pathspec"}
)


def install_command(extra: str) -> str:
    """The command that adds `extra` (the dependencies alone for "") to the running dsprod:
    from the checkout it was installed from (dsprod is not on the package index yet), else by
    name."""
    python = shlex.quote(sys.executable)
    extras = f"[{extra}]" if extra else ""
    source, editable = installed_from()
    if source is None:
        return f"{python} -m pip install {shlex.quote(f'dsprod{extras}')}"
    flag = "-e " if editable else ""
    return f"{python} -m pip install {flag}{shlex.quote(f'{source}{extras}')}"


def installed_from(
    distribution: metadata.Distribution | None = None,
) -> tuple[Path | None, bool]:
    """The folder dsprod (or `distribution`) was installed from, and whether editable;
    (None, False) for an install from a wheel or the index."""
    try:
        distribution = distribution or metadata.distribution("dsprod")
    except metadata.PackageNotFoundError:
        return None, False
    text = distribution.read_text("direct_url.json")
    try:
        direct = json.loads(text or "null")
    except ValueError:
        return None, False
    if not isinstance(direct, dict) or not isinstance(direct.get("dir_info"), dict):
        return None, False
    url = urlparse(str(direct.get("url", "")))
    if url.scheme != "file":
        return None, False
    return Path(unquote(url.path)), bool(direct["dir_info"].get("editable"))
