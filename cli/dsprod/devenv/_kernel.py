"""The project's Jupyter kernel: registered for the user, named after the project, running the
project's .venv interpreter (so notebooks import the package as the tests do)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from dsprod._project import Project
from dsprod.devenv._hooks import same_interpreter
from dsprod.devenv._run import quick

__all__ = ["KernelState", "install_command", "kernel_name", "kernel_state"]


@dataclass(frozen=True)
class KernelState:
    ok: bool
    detail: str
    importable: bool = True  # .venv imports ipykernel (when not, the kernel cannot start)


def kernel_name(project: Project) -> str:
    """Jupyter accepts letters, digits, `.`, `_` and `-` in a kernel's name, in lower case."""
    return re.sub(r"[^a-z0-9._-]+", "-", project.name.lower()).strip("-._") or "project"


def install_command(project: Project, venv_python: Path) -> list[str]:
    name = kernel_name(project)
    return [
        str(venv_python),
        "-m",
        "ipykernel",
        "install",
        "--user",
        "--name",
        name,
        "--display-name",
        f"{project.name} (.venv)",
    ]


def kernel_state(project: Project, venv_python: Path) -> KernelState:
    """Whether a kernel named after the project is registered and starts the .venv's python."""
    # jupyter_client comes with nbclient (dsprod's dependency); imported here, not at start-up.
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = kernel_name(project)
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return KernelState(False, f"no Jupyter kernel named {name}")
    except (OSError, ValueError) as exc:  # an unreadable or broken kernel.json
        return KernelState(False, f"the kernel {name} cannot be read: {exc}")
    argv = list(spec.argv or [])
    python = Path(argv[0]) if argv else None
    if python is None or not same_interpreter(python, venv_python):
        shown = shlex.quote(str(python)) if python else "nothing"
        return KernelState(False, f"the kernel {name} starts {shown}, not .venv/bin/python")
    # Registered and pointing at .venv is not enough: without ipykernel in .venv (uninstalled
    # since), the kernel dies as it starts.
    done = quick([venv_python, "-c", "import ipykernel"], cwd=venv_python.parent, timeout=120)
    if done is None or done.returncode != 0:
        return KernelState(
            False,
            f"the kernel {name} starts .venv/bin/python, which cannot import ipykernel",
            importable=False,
        )
    return KernelState(True, f'{name}: "{spec.display_name}" starts .venv/bin/python')
