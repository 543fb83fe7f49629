"""`dsprod setup`'s last step: fill the project's mypy cache.

`dsprod extract` type-checks each module it writes with the project's own mypy, to record the
type debt of the authors' code (`notebook/_lint.py`). With an empty cache mypy first reads
every stub the project imports (numpy, pandas, pydantic's plugin): 5 to 30 s on the first
extract, a command that otherwise takes a second. Setup, which installs packages, is where a
user expects to wait; afterwards the type check of a module takes a fraction of a second.
"""

from __future__ import annotations

import time

from dsprod._output import Output
from dsprod._project import Project, configures_mypy, venv_python
from dsprod.devenv._run import quick
from dsprod.devenv._step import SetupStep, say

__all__ = ["type_cache_step"]

_NAME = "mypy cache"
_TIMEOUT = 900  # seconds: a cold cache of a large project; the cache keeps what it finished


def type_cache_step(project: Project, output: Output) -> SetupStep:
    """Run the project's mypy once, as its configuration says (`files`), in `.venv`."""
    if not configures_mypy(project.root):
        return say(output, SetupStep(_NAME, False, "the project does not use mypy"))
    # mypy's default cache folder; a second setup only brings it up to date, in a second.
    existed = (project.root / ".mypy_cache").is_dir()
    if not existed:
        output.status("run", "mypy, to fill its cache: the first extract's check is then quick")
    started = time.monotonic()
    python = venv_python(project.root)
    if not python.exists():  # an earlier step said why .venv is not there
        return say(output, SetupStep(_NAME, False, "no .venv to run mypy in"))
    # The project's type errors are not setup's business (its lint session reports them):
    # only whether mypy ran, and so left its cache in .mypy_cache.
    command = [str(python), "-m", "mypy", "--no-error-summary"]
    done = quick(command, cwd=project.root, timeout=_TIMEOUT)
    if done and done.returncode == 2 and "Missing target" in done.stderr and project.package_dir:
        # A configuration without `files`: the package is what extract writes modules into.
        done = quick([*command, str(project.package_dir)], cwd=project.root, timeout=_TIMEOUT)
    seconds = time.monotonic() - started
    if done is None:
        detail = f"mypy did not finish within {_TIMEOUT} s; extract fills the cache as it goes"
        return say(output, SetupStep(_NAME, False, detail))
    if done.returncode == 1 and not done.stdout.strip() and "No module named mypy" in done.stderr:
        return say(output, SetupStep(_NAME, False, "mypy is not installed in .venv"))
    if done.returncode not in (0, 1):  # 2: mypy itself failed (a plugin, its configuration)
        said = (done.stderr or done.stdout).strip().splitlines()[-1:]
        detail = f"mypy failed: {said[0] if said else f'exit code {done.returncode}'}"
        return say(output, SetupStep(_NAME, False, detail))
    verb = "up to date" if existed else "filled"
    return say(output, SetupStep(_NAME, not existed, f"{verb} in {seconds:.0f} s"))
