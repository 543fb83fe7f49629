"""One step of `dsprod setup`: what it did, and for a step it could not do, the fix."""

from __future__ import annotations

from dataclasses import dataclass

from dsprod._output import Output
from dsprod._problem import Problem
from dsprod.errors import Hint

__all__ = ["SetupStep", "say"]


@dataclass(frozen=True)
class SetupStep:
    name: str  # .env, .venv, install, hooks, hook envs, filter, kernel, mypy cache
    changed: bool
    detail: str
    fix: Hint | None = None  # for a step that could not be done: what to run


def say(output: Output, step: SetupStep) -> SetupStep:
    if step.fix:
        output.problem(Problem(step.name, step.detail, step.fix))
    else:
        output.status("create" if step.changed else "identical", f"{step.name} ({step.detail})")
    return step
