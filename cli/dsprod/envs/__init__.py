"""Environments: `dsprod env list|show|check`, read through the project's own settings.

No typer here: the CLI (`dsprod.cli.env`) calls these.
"""

from __future__ import annotations

from dsprod.envs._project import Environment, list_environments
from dsprod.envs.check import EnvCheck, check_environment
from dsprod.envs.show import Resolution, ResolvedValue, show_environment

__all__ = [
    "EnvCheck",
    "Environment",
    "Resolution",
    "ResolvedValue",
    "check_environment",
    "list_environments",
    "show_environment",
]
