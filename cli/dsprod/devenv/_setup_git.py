"""The steps of `dsprod setup` that live in git: the pre-commit hook, the hooks' environments,
and the filter that strips notebooks in commits."""

from __future__ import annotations

import re
from pathlib import Path

from dsprod import __version__
from dsprod._git import toplevel
from dsprod._output import Output
from dsprod._project import Project, venv_python
from dsprod.devenv._filter import DRIVER, configure_filter, filter_state
from dsprod.devenv._hookenvs import hook_envs
from dsprod.devenv._hooks import CONFIG, INSTALL_GIT, hook_state
from dsprod.devenv._run import quick, run_long, shown_command
from dsprod.devenv._step import SetupStep, say
from dsprod.devenv._wheel import WheelSource
from dsprod.errors import UserError

__all__ = ["filter_step", "hook_steps"]

_PINNED = re.compile(r"""["']dsprod==([^"',\s\]]+)""")
_WANTS = re.compile(r"""["']dsprod\s*(?:[=<>!~\[;]|["'])""")  # a requirement on dsprod
_NO_PRE_COMMIT = "add pre-commit to the dev dependency group, then dsprod setup"


def hook_steps(project: Project, output: Output, wheels: WheelSource) -> list[SetupStep]:
    """The pre-commit hook in .git/hooks, then every hook's environment built now, so that
    the first commit has nothing to install."""
    if not (project.root / CONFIG).is_file():
        return [say(output, SetupStep("hooks", False, f"no {CONFIG}: no hooks to install"))]
    interpreter = venv_python(project.root)
    state = hook_state(project.root, interpreter)
    pre_commit = interpreter.parent / "pre-commit"
    if not state.git:
        fix = f"{INSTALL_GIT}, then dsprod setup"
        return [say(output, SetupStep("hooks", False, state.detail, fix=fix))]
    if not state.repository:
        fix = "git init && dsprod setup"
        return [say(output, SetupStep("hooks", False, state.detail, fix=fix))]
    if not pre_commit.exists():
        detail = "pre-commit is not installed in .venv"
        return [say(output, SetupStep("hooks", False, detail, fix=_NO_PRE_COMMIT))]
    if state.ok:
        steps = [say(output, SetupStep("hooks", False, state.detail))]
    else:
        command = [str(pre_commit), "install"]
        done = quick(command, cwd=project.root)
        if done is None or done.returncode != 0:
            said = (done.stdout + done.stderr).strip() if done else "it did not start"
            raise UserError(
                f"{shown_command(command, project.root)} failed: {said}",
                hint="fix what pre-commit says, then dsprod setup",
            )
        after = hook_state(project.root, interpreter)
        steps = [say(output, SetupStep("hooks", True, after.detail))]
    return [*steps, _hook_envs(project, output, wheels, pre_commit)]


def _hook_envs(
    project: Project, output: Output, wheels: WheelSource, pre_commit: Path
) -> SetupStep:
    interpreter = venv_python(project.root)
    before = hook_envs(project.root, interpreter)
    if before.ok:
        return say(output, SetupStep("hook envs", False, before.detail))
    if not before.known:
        fix = f"fix what it says ({CONFIG}, or pre-commit in .venv), then dsprod setup"
        return say(output, SetupStep("hook envs", False, before.detail, fix=fix))
    top = toplevel(project.root) or project.root
    text = (top / CONFIG).read_text(encoding="utf-8")
    pinned = _PINNED.search(text)
    hint = (
        "fix what pre-commit says, then dsprod setup (a hook that installs a package the "
        "index lacks finds it through PIP_FIND_LINKS=FOLDER dsprod setup)"
    )
    if pinned and pinned[1] != __version__:
        # The hook wants another dsprod than the one whose wheel setup can give it.
        output.status(
            "warning",
            f"{CONFIG} pins dsprod=={pinned[1]}, this is dsprod {__version__}: the hook "
            f"installs {pinned[1]} from the package index or PIP_FIND_LINKS",
        )
        hint = (
            f"dsprod update (the project moves to dsprod {__version__}, hooks included), or "
            f"PIP_FIND_LINKS=FOLDER-WITH-DSPROD-{pinned[1]} dsprod setup"
        )
    command = [str(pre_commit), "install-hooks"]
    env = wheels.env() if _WANTS.search(text) else None  # before the line: it may say "wheel"
    output.status("install", f"hook environments: {shown_command(command, project.root)}")
    took = run_long(
        command, cwd=top, output=output, what="building the hook environments", hint=hint, env=env
    )
    after = hook_envs(project.root, interpreter)
    if not after.ok:
        raise UserError(f"pre-commit install-hooks ran, yet {after.detail}", hint=hint)
    output.status("done", f"built in {took:.0f} s")
    return say(output, SetupStep("hook envs", True, f"built for {len(before.missing)} hook(s)"))


def filter_step(project: Project, output: Output) -> SetupStep:
    """Point the notebooks' git filter at nbstripout in .venv (local git configuration)."""
    name = "filter"
    state = filter_state(project.root)
    if state.ok:
        return say(output, SetupStep(name, False, state.detail))
    if not state.repository:
        return say(output, SetupStep(name, False, state.detail, fix="git init && dsprod setup"))
    if state.driver is None:
        return say(output, SetupStep(name, False, state.detail))  # doctor explains
    if state.driver != DRIVER:
        fix = f"git config filter.{state.driver}.clean COMMAND (or use filter={DRIVER})"
        return say(output, SetupStep(name, False, state.detail, fix=fix))
    interpreter = venv_python(project.root)
    has = quick([interpreter, "-c", "import nbstripout"], cwd=interpreter.parent)
    if has is None or has.returncode != 0:
        fix = "add nbstripout to the dev dependency group, then dsprod setup"
        detail = "nbstripout is not installed in .venv"
        return say(output, SetupStep(name, False, detail, fix=fix))
    failed = configure_filter(project.root, state.driver, interpreter)
    if failed:
        raise UserError(
            f"cannot configure the {DRIVER} git filter: {failed}",
            hint="make .git/config writable, then dsprod setup",
        )
    after = filter_state(project.root)
    if not after.ok:
        raise UserError(
            f"the {DRIVER} git filter is configured but {after.detail}",
            hint="reinstall nbstripout in .venv (.venv/bin/python -m pip install -U "
            "nbstripout), then dsprod setup",
        )
    return say(output, SetupStep(name, True, after.detail))
