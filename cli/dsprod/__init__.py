"""dsprod: take data science from notebooks to production.

The public API mirrors the CLI; the CLI is a thin layer over it. Names are loaded on first use
so that `dsprod --help` does not pay for the extraction engine.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: typing costs ~20 ms, all before `main` can catch a
# Ctrl-C (mypy knows this name by itself).
TYPE_CHECKING = False

__version__ = "0.2.0"

if TYPE_CHECKING:
    from typing import Any

    from dsprod.devenv import DoctorCheck, SetupResult, doctor, setup_project
    from dsprod.envs import (
        EnvCheck,
        Resolution,
        check_environment,
        list_environments,
        show_environment,
    )
    from dsprod.errors import (
        ConfigError,
        DsprodError,
        NotebookError,
        TargetError,
        TemplateError,
        UserError,
    )
    from dsprod.notebook.extract import ExtractOptions, ExtractResult, extract, extract_notebook
    from dsprod.scaffold.new import NewResult, new_project
    from dsprod.scaffold.update import UpdateResult, update_project

_HOMES = {
    "ConfigError": "dsprod.errors",
    "DsprodError": "dsprod.errors",
    "NotebookError": "dsprod.errors",
    "TargetError": "dsprod.errors",
    "TemplateError": "dsprod.errors",
    "UserError": "dsprod.errors",
    "ExtractOptions": "dsprod.notebook.extract",
    "ExtractResult": "dsprod.notebook.extract",
    "extract": "dsprod.notebook.extract",
    "extract_notebook": "dsprod.notebook.extract",
    "NewResult": "dsprod.scaffold.new",
    "new_project": "dsprod.scaffold.new",
    "UpdateResult": "dsprod.scaffold.update",
    "update_project": "dsprod.scaffold.update",
    "EnvCheck": "dsprod.envs",
    "Resolution": "dsprod.envs",
    "check_environment": "dsprod.envs",
    "list_environments": "dsprod.envs",
    "show_environment": "dsprod.envs",
    "DoctorCheck": "dsprod.devenv",
    "SetupResult": "dsprod.devenv",
    "doctor": "dsprod.devenv",
    "setup_project": "dsprod.devenv",
}

__all__ = [
    "ConfigError",
    "DoctorCheck",
    "DsprodError",
    "EnvCheck",
    "ExtractOptions",
    "ExtractResult",
    "NewResult",
    "NotebookError",
    "Resolution",
    "SetupResult",
    "TargetError",
    "TemplateError",
    "UpdateResult",
    "UserError",
    "__version__",
    "check_environment",
    "doctor",
    "extract",
    "extract_notebook",
    "list_environments",
    "new_project",
    "setup_project",
    "show_environment",
    "update_project",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib  # here: the commands import what they use, not through this

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'dsprod' has no attribute {name!r}")
