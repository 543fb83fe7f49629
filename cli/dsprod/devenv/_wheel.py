"""The dsprod that runs, as a wheel that installers can find.

dsprod is not on the package index yet, and a generated project installs it twice: in .venv
(its dev group) and in the environment of its dsprod-check hook (pre-commit, from
`additional_dependencies`). Both installers honour a find-links folder (PIP_FIND_LINKS,
UV_FIND_LINKS), so setup hands them one that holds the dsprod it runs as: a wheel already on
the find-links the user set; else one built from the checkout it runs from (an editable or a
folder install); else its installed files packed back into a wheel (an install from a wheel
file, a folder of wheels or the index). Once dsprod is on the index nothing changes for the
user: the folder is one more place for the installer to look.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from dsprod import __version__
from dsprod._extras import installed_from
from dsprod.devenv._run import quick, shown_command
from dsprod.errors import UserError

__all__ = ["WheelSource", "find_links_env", "findable", "make_wheel"]

_NAME = "dsprod"
# Files of an installed distribution that an installer wrote, not the wheel.
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


def findable(version: str = __version__) -> Path | None:
    """The find-links folder of the environment that already holds dsprod `version`'s wheel."""
    folders = os.environ.get("PIP_FIND_LINKS", "").split()
    folders += [f for f in os.environ.get("UV_FIND_LINKS", "").split(",") if f.strip()]
    for folder in folders:
        path = Path(folder.strip().removeprefix("file://"))
        if any(path.glob(f"{_NAME}-{version}-*.whl")):
            return path
    return None


def find_links_env(folder: Path) -> dict[str, str]:
    """Variables that add `folder` to what pip and uv search, keeping the user's own."""
    pip = os.environ.get("PIP_FIND_LINKS", "").strip()
    uv = os.environ.get("UV_FIND_LINKS", "").strip()
    return {
        "PIP_FIND_LINKS": f"{pip} {folder}".strip(),  # pip: separated by spaces
        "UV_FIND_LINKS": f"{uv},{folder}" if uv else str(folder),  # uv: by commas
    }


def make_wheel(folder: Path) -> tuple[Path, str]:
    """Write the running dsprod's wheel into `folder`; return it and how it was made."""
    try:
        distribution = metadata.distribution(_NAME)
    except metadata.PackageNotFoundError as exc:  # run from a source tree on sys.path
        source = Path(__file__).resolve().parents[3]
        if (source / "pyproject.toml").is_file():
            return _build(source, folder), f"built from {source}"
        raise UserError(
            "dsprod runs without being installed, so there is no wheel of it to give the project",
            hint="install dsprod (pip install PATH-TO-CHECKOUT), then dsprod setup",
        ) from exc
    checkout = _source_folder(distribution)
    if checkout is not None:
        return _build(checkout, folder), f"built from {checkout}"
    return _repack(distribution, folder), f"packed from {_site(distribution)}"


def _source_folder(distribution: metadata.Distribution) -> Path | None:
    """The folder dsprod was installed from (a checkout, editable or not); None for a wheel."""
    source, _ = installed_from(distribution)
    return source if source is not None and (source / "pyproject.toml").is_file() else None


def _build(source: Path, folder: Path) -> Path:
    uv = shutil.which("uv")
    if uv:
        command = [uv, "build", "--quiet", "--wheel", "--out-dir", str(folder), str(source)]
    else:
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder)]
        command.append(str(source))
    done = quick(command, cwd=source, timeout=600)
    wheels = sorted(folder.glob(f"{_NAME}-*.whl"))
    if done is None or done.returncode != 0 or not wheels:
        said = (done.stderr or done.stdout).strip().splitlines()[-3:] if done else []
        raise UserError(
            f"cannot build a wheel of dsprod from {source} ({shown_command(command)}): "
            + (" ".join(said) or "the command did not start"),
            hint=f"pip wheel --no-deps -w DIR {source}, then PIP_FIND_LINKS=DIR "
            "UV_FIND_LINKS=DIR dsprod setup",
        )
    return wheels[-1]


def _site(distribution: metadata.Distribution) -> Path:
    return Path(str(distribution.locate_file(""))).resolve()


def _repack(distribution: metadata.Distribution, folder: Path) -> Path:
    """The installed files of `distribution` as a wheel again (a pure-Python one: dsprod is)."""
    site = _site(distribution)
    files = [
        f
        for f in distribution.files or []
        if not f.parts[0].startswith("..")  # scripts: the installer writes them again
        and "__pycache__" not in f.parts
        and not (f.parts[0].endswith(".dist-info") and f.name in _INSTALLER_FILES)
    ]
    info = next((f.parts[0] for f in files if f.parts[0].endswith(".dist-info")), None)
    if info is None or not files:
        raise UserError(
            f"the installed dsprod in {site} lists no files (no RECORD), so it cannot be "
            "given to the project's installer",
            hint="reinstall dsprod (pip install --force-reinstall dsprod, or from its wheel)",
        )
    wheel_text = (site / info / "WHEEL").read_text(encoding="utf-8")
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line[:4] == "Tag:"]
    name = f"{_NAME}-{distribution.version}-{tags[0] if tags else 'py3-none-any'}.whl"
    target = folder / name
    record: list[str] = []
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(files, key=lambda f: (f.parts[0] == info, str(f))):
                data = (site / file).read_bytes()
                archive.writestr(file.as_posix(), data)
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                record.append(f"{file.as_posix()},sha256={digest.decode()},{len(data)}")
            record.append(f"{info}/RECORD,,")
            archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    except OSError as exc:  # a file the installer recorded is gone: a damaged install
        target.unlink(missing_ok=True)
        raise UserError(
            f"the installed dsprod in {site} is incomplete: {exc}",
            hint="reinstall dsprod (pip install --force-reinstall dsprod, or from its wheel)",
        ) from exc
    return target


class WheelSource:
    """A find-links folder with the running dsprod's wheel, made the first time an install
    asks for it during one setup, and removed after (installers copy what they take)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._env: dict[str, str] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def env(self) -> dict[str, str]:
        if self._env is None:
            if findable() is not None:
                self._env = {}  # the user's PIP_FIND_LINKS/UV_FIND_LINKS already have it
            else:
                self._folder = tempfile.TemporaryDirectory(prefix="dsprod-wheel-")
                wheel, how = make_wheel(Path(self._folder.name))
                self._say(f"{wheel.name} ({how}), for the installers to find")
                self._env = find_links_env(Path(self._folder.name))
        return self._env

    def close(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
