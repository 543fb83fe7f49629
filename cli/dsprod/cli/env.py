"""`dsprod env list|show|check`: switches only; the work is `dsprod.envs`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dsprod._output import Output, shown
from dsprod.cli._common import VersionOption

if TYPE_CHECKING:
    from dsprod.envs import Resolution

__all__ = ["app"]

app = typer.Typer(
    name="env",
    help="The environments of a project (dev, staging, prod) and their configuration.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

EnvArgument = Annotated[
    str, typer.Argument(help="An environment: a conf/<ENV>.toml of the project.", metavar="ENV")
]
PythonOption = Annotated[
    Path | None,
    typer.Option(
        "--python",
        help="The interpreter that runs the project's settings "
        "(default: .venv, else the active virtual environment, else dsprod's).",
        metavar="PATH",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("list")
def list_(ctx: typer.Context, json_: JsonOption = False, version: VersionOption = False) -> None:
    """List the environments the project defines (conf/ and [tool.dsprod] environments)."""
    from dsprod.envs import list_environments

    output: Output = ctx.obj
    project, found = list_environments()
    base = project.conf_dir / "base.toml"
    rows = []
    for env in found:
        files = [base] if base.is_file() else []
        files += [env.conf_file] if env.conf_file else []
        read = [project.relative(f) for f in files]
        notes = []
        if env.conf_file is None:
            notes.append(f"no {project.relative(project.conf_dir / f'{env.name}.toml')}")
        if not env.declared and project.config.get("environments") is not None:
            notes.append("not in [tool.dsprod] environments")
        rows.append((env.name, read, notes))
    if json_:
        environments = [{"name": name, "files": read, "notes": notes} for name, read, notes in rows]
        output.data_json({"environments": environments, "problems": []})
        return
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, read, notes in rows:
        extra = f"  ({'; '.join(notes)})" if notes else ""
        output.data(f"{name.ljust(width)}  {' + '.join(read)}{extra}")
    if not rows:
        output.status("warning", f"no environments: add conf/<name>.toml in {shown(project.root)}")


@app.command("show", no_args_is_help=True)
def show(
    ctx: typer.Context,
    env: EnvArgument,
    python: PythonOption = None,
    json_: JsonOption = False,
    version: VersionOption = False,
) -> None:
    """Show ENV's resolved configuration, each value with where it comes from; secrets masked."""
    from dsprod.envs import show_environment

    output: Output = ctx.obj
    resolution = show_environment(env, python=python)
    _say_sources(resolution, output)
    if json_:
        output.data_json(resolution.to_json())
    else:
        from dsprod.envs.show import SOURCE_LABELS

        rows = [
            (v.key, v.shown, SOURCE_LABELS[v.source], "" if v.source == "default" else v.where)
            for v in resolution.values
        ]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
            output.data("  ".join([*cells, row[3]]).rstrip())
    for problem in resolution.problems:
        output.problem(problem)
    if resolution.problems:
        output.status("next", f"dsprod env check {env}")


@app.command("check", no_args_is_help=True)
def check(
    ctx: typer.Context,
    env: EnvArgument,
    python: PythonOption = None,
    json_: JsonOption = False,
    version: VersionOption = False,
) -> None:
    """Check ENV: settings valid, no secret in conf/, .env untracked, .env.example complete."""
    from dsprod.envs import check_environment

    output: Output = ctx.obj
    result = check_environment(env, python=python)
    if json_:
        problems = [p.as_json() for p in result.problems]
        output.data_json({"environment": env, "problems": problems})
    else:
        for problem in result.problems:
            output.data(str(problem))
    resolution = result.resolution
    if output.found(result.problems):
        raise typer.Exit(1)
    secrets = [v for v in resolution.values if v.secret]
    output.status(
        "ok",
        f"{env}: {len(resolution.values)} values valid"
        + (f", {sum(v.set for v in secrets)} of {len(secrets)} secret(s) set" if secrets else "")
        + f" (settings run by {resolution.project.relative(resolution.python)})",
    )


def _say_sources(resolution: Resolution, output: Output) -> None:
    order = " > ".join([*resolution.sources, "defaults"])
    python = resolution.project.relative(resolution.python)
    output.status("resolve", f"{resolution.environment.name} with {python}: {order}")
