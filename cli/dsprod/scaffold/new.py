"""`dsprod new`: render the project template into a new folder, all or nothing.

Copier renders into a temporary folder beside the destination; only a complete rendering is
moved into place (one rename, on the same file system). A bad answer, a template error or
Ctrl-C leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsprod._fs import umask
from dsprod._git import run_git
from dsprod._output import Output, shown
from dsprod.errors import DsprodError, Flag, Step, TemplateError, UserError
from dsprod.scaffold._history import materialise
from dsprod.scaffold._template import Template, find_template

__all__ = ["NewResult", "new_project"]

_VALIDATION = re.compile(r"^Validation error for question '(\w+)': (.*)$", re.DOTALL)
_CHOICE = re.compile(r"^Invalid choice for '(\w+)': (.*)$", re.DOTALL)
_GIT_IDENT = re.compile(r"^(?P<name>.+?) <(?P<email>[^<>\s]+@[^<>\s]+)> \d+ [+-]\d{4}$")


@dataclass(frozen=True)
class NewResult:
    path: Path
    answers: Mapping[str, Any]  # the answers recorded in .copier-answers.yml
    files: int
    template_version: str


def new_project(
    dest: Path | str,
    data: Mapping[str, str] | None = None,
    *,
    defaults: bool = False,
    output: Output | None = None,
    template: Template | None = None,
    lock: bool = True,
) -> NewResult:
    """Generate a project in `dest` (a new or empty folder) from dsprod's template.

    `data` answers questions by name (values as typed on the command line; Copier converts
    them to each question's type and validates them); with `defaults`, every other question
    takes its default instead of being asked. With `lock`, the project gets its uv.lock.
    """
    output = output or Output()
    template = template or find_template()
    dest = Path(dest).expanduser().resolve()
    answers = _check_answers(data or {}, template)
    _check_destination(dest)
    if not defaults and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "no terminal to ask the template's questions on",
            hint=Step(
                f"dsprod new {shlex.quote(shown(dest))} ", Flag("defaults"), " [-d NAME=VALUE ...]"
            ),
        )
    answers.update(_source(template, output))
    made = _make_parents(dest)
    try:
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".new"))
        try:
            recorded = _render(
                template,
                staging,
                answers,
                _suggestions(dest),
                defaults=defaults,
            )
            if recorded.get("example_notebook"):
                _promote_example(staging, output)
            if lock:
                _lock(staging, output)
            _move_into_place(staging, dest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except BaseException:
        for folder in reversed(made):  # the folders made for `dest` go too
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    files = sum(1 for p in dest.rglob("*") if p.is_file())
    result = NewResult(dest, recorded, files, template.version)
    _report(result, output)
    return result


EXAMPLE_NOTEBOOK = Path("notebooks") / "01-explore-demo-data.ipynb"


def _promote_example(project: Path, output: Output) -> None:
    """Extract the example notebook's definitions, so the project starts the way dsprod keeps
    it: definitions in the package, the notebook importing them, and `dsprod check` (a
    pre-commit hook of the project) green. The notebook's first cell says what happened."""
    from dsprod.notebook.extract import ExtractOptions, extract_notebook

    notebook = project / EXAMPLE_NOTEBOOK
    quiet = Output(quiet=True, err=output.err, out=output.out)
    # The template's code is ruff-formatted already and extraction composes in ruff's layout:
    # no need for the two ruff processes formatting costs.
    result = extract_notebook(notebook, ExtractOptions(format=False), output=quiet)
    if result.failed or not result.extracted:  # pragma: no cover - the template's own bug
        raise TemplateError(f"the example notebook could not be promoted: {result}")
    output.status("extract", f"{', '.join(result.extracted)} from {EXAMPLE_NOTEBOOK}")


def _lock(project: Path, output: Output) -> None:
    """Resolve the project's uv.lock from the package index, now: the template cannot ship one
    (the dependencies depend on the answers, and versions move). The Dockerfile and CI install
    from it, so a project without one is told how to make it."""
    uv = shutil.which("uv")
    if uv is None:
        with contextlib.suppress(ImportError):
            from uv import find_uv_bin  # the uv wheel, when it shares dsprod's environment

            uv = find_uv_bin()
    why = "uv is not installed"
    if uv is not None:
        try:
            done = subprocess.run(
                [uv, "lock", "--quiet"],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            why = f"uv lock failed: {exc}"
        else:
            if done.returncode == 0:
                output.status("lock", "uv.lock (the versions the image and CI install)")
                return
            # uv's message spans lines (the conflict, then its causes): one line, bounded.
            detail = " ".join(done.stderr.split())[:400] or f"exit {done.returncode}"
            why = f"uv lock failed: {detail}"
    output.status(
        "warning",
        f"no uv.lock: {why}; in the project, run `uv lock` and commit uv.lock (the Dockerfile "
        "and CI install from it)",
    )


def _check_answers(data: Mapping[str, str], template: Template) -> dict[str, Any]:
    template.check_answers(data)
    # Recorded in the answers file, so that `dsprod update` knows where the project started.
    return {**data, "template_version": template.version}


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise UserError(
            f"{shown(dest)} exists and is not a folder",
            hint="choose a folder that does not exist yet, or an empty one",
        )
    if dest.is_dir() and any(dest.iterdir()):
        raise UserError(
            f"{shown(dest)} is not empty: dsprod new only creates projects in a new or "
            "empty folder",
            hint="choose a folder that does not exist yet, or empty this one",
        )
    probe = dest.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(
            f"cannot create {shown(dest)}: {shown(probe)} is not a writable folder",
            hint="choose a destination in a folder you can write to",
        )


def _make_parents(dest: Path) -> list[Path]:
    """Make the missing folders above `dest`; return them, outermost first."""
    missing = [folder for folder in reversed(dest.parents) if not folder.exists()]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create {shown(dest.parent)}: {exc.strerror or exc}",
            hint="choose a destination in a folder you can write to",
        ) from exc
    return missing


def _suggestions(dest: Path) -> dict[str, str]:
    """Defaults that beat the template's own: the folder's name, the git identity."""
    # A valid distribution name (the template refuses others, and longer than 50 characters),
    # in ASCII: "Données" becomes "donnees", not "donn-es".
    ascii_name = unicodedata.normalize("NFKD", dest.name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9._-]+", "-", ascii_name.lower())[:50].strip("-._") or "my-project"
    suggested = {"project_name": name}
    ident = run_git("var", "GIT_AUTHOR_IDENT", cwd=None, timeout=10)
    if ident is None or ident.returncode != 0:
        return suggested  # no git, or no identity configured: the template's defaults stand
    if match := _GIT_IDENT.match(ident.stdout.strip()):
        suggested["author_name"] = match["name"]
        suggested["author_email"] = match["email"]
    return suggested


def _render(
    template: Template,
    staging: Path,
    answers: Mapping[str, Any],
    suggestions: Mapping[str, str],
    *,
    defaults: bool,
) -> dict[str, Any]:
    import copier
    from copier.errors import CopierError

    try:
        worker = copier.run_copy(
            str(template.path),
            staging,
            data=dict(answers),
            user_defaults=dict(suggestions),
            defaults=defaults,
            overwrite=True,  # the staging folder is ours and empty
            quiet=True,
        )
    except ValueError as exc:  # Copier's word for an answer that fails validation
        raise _answer_error(exc) from None
    except CopierError as exc:
        raise TemplateError(f"the template could not be rendered: {exc}") from exc
    hidden = worker.answers.hidden
    return {
        name: value
        for name, value in worker.answers.combined.items()
        if name in template.questions and name not in hidden
    }


def _source(template: Template, output: Output) -> dict[str, str]:
    """Where `dsprod update` will find this template version again: the per-user history and
    the tag of this very folder (see _history), recorded as copier's `_src_path` and `_commit`.

    Copier would record them itself when rendering from the git repository, but that costs
    two clones; the folder holds the same files as the tag, so it renders the same project.
    """
    if shutil.which("git") is None:
        # Still a project, but one that cannot be updated: say so rather than refuse.
        output.status(
            "warning",
            "git is not on PATH: the project records no template version, so `dsprod update` "
            "cannot bring template changes into it later",
        )
        return {}
    source = materialise(template)
    return {"dsprod_source": source.url, "dsprod_commit": source.ref}


def _answer_error(exc: ValueError) -> TemplateError:
    message = str(exc).strip()
    if match := _VALIDATION.match(message) or _CHOICE.match(message):
        name, detail = match.groups()
        return TemplateError(
            f"invalid answer for {name}: {' '.join(detail.split())}",
            hint=f"answer it with -d {name}=VALUE",
        )
    return TemplateError(f"the template could not be rendered: {message}")


def _move_into_place(staging: Path, dest: Path) -> None:
    if not dest.exists():
        staging.chmod(0o777 & ~umask())  # mkdtemp made it private to us
        try:
            staging.rename(dest)  # atomic: the project appears whole or not at all
        except OSError as exc:
            raise _move_error(dest, exc) from exc
        return
    # An empty folder stays the same folder (it may be a shell's working directory, as in
    # `mkdir p && cd p && dsprod new .`): move the entries in, and back out on failure.
    moved: list[Path] = []
    try:
        if any(dest.iterdir()):
            raise FileExistsError(f"{dest} is not empty")
        for entry in sorted(staging.iterdir()):
            entry.rename(dest / entry.name)
            moved.append(dest / entry.name)
    except OSError as exc:
        for entry in moved:
            with contextlib.suppress(OSError):
                entry.rename(staging / entry.name)
        raise _move_error(dest, exc) from exc
    staging.rmdir()


def _move_error(dest: Path, exc: OSError) -> DsprodError:
    if dest.is_dir() and any(dest.iterdir()):
        return UserError(
            f"{shown(dest)} was filled by something else while dsprod new ran",
            hint="choose a folder that does not exist yet, or an empty one",
        )
    return TemplateError(f"cannot move the new project into {shown(dest)}: {exc}")


def _report(result: NewResult, output: Output) -> None:
    answers = result.answers
    labels = {
        "package_name": "package",
        "python_version": "Python",
        "ci": "CI",
        "service": "service",
    }
    summary = ", ".join(
        f"{label} {answers[key]}" for key, label in labels.items() if key in answers
    )
    where = shown(result.path)
    output.status("create", f"{where}/ ({result.files} files; {summary})")
    steps = [] if where == "." else [f"cd {shlex.quote(where)}"]
    for command in (
        *steps,
        "git init && git add -A && git commit -m 'Project as generated'",
        # .venv, the project with its dev group, hooks, a Jupyter kernel, .env: one command.
        "dsprod setup && dsprod doctor",
        ".venv/bin/pytest",
    ):
        output.status("next", command)
