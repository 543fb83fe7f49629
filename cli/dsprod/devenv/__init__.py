"""The development environment: `dsprod setup` makes it, `dsprod doctor` checks it.

No typer here: the CLI (`dsprod.cli.setup`, `dsprod.cli.doctor`) calls these.
"""

from __future__ import annotations

from dsprod.devenv.checks import DoctorCheck, doctor
from dsprod.devenv.setup import SetupResult, SetupStep, setup_project

__all__ = ["DoctorCheck", "SetupResult", "SetupStep", "doctor", "setup_project"]
