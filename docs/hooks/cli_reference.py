"""MkDocs hook: the CLI reference page, generated from dsprod's typer app at every build.

Each command gets a section with exactly what `dsprod ... --help` prints, rendered by typer's
own help formatter. Commands are found by walking the app, so a command registered in
`dsprod.cli` appears on the page without editing the docs. tests/docs/test_cli_reference.py
compares every section with the `--help` output of the installed `dsprod`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    # typer vendors click; its classes are named here for the type checker only.
    from typer._click import Command, Context

__all__ = ["PAGE", "WIDTH", "CommandHelp", "command_helps", "on_files", "render_reference"]

PAGE = "reference/cli.md"
# click wraps help at min(terminal columns, 80) - 2. Fixed here, so that the page does not
# depend on the terminal that builds the site and equals `--help` on any terminal of 80 columns
# or more.
WIDTH = 78

_INTRO = """\
# CLI reference

Generated from dsprod's typer application each time the site is built
(`docs/hooks/cli_reference.py`), never written by hand: each section is exactly what the
command prints with `--help` on a terminal of 80 columns or more. A test compares every section
with the output of the real command.

Global options (`-q`, `--color`, `--version`) go before the command:
`dsprod -q extract notebooks/eda.ipynb`.
"""


@dataclass(frozen=True)
class CommandHelp:
    """One command and the text its `--help` prints (without the final newline)."""

    path: tuple[str, ...]  # ("dsprod",), ("dsprod", "extract"), ("dsprod", "env", "list")
    text: str
    summary: str  # the first sentence of the command's help

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def anchor(self) -> str:
        """The heading's id on the page: dsprod-extract, dsprod-env-list."""
        return "-".join(self.path)


def command_helps() -> list[CommandHelp]:
    """dsprod and every visible command and subcommand, in the order `--help` lists them."""
    import typer.main

    from dsprod.cli import app

    root = typer.main.get_command(app)
    context = root.make_context(
        "dsprod", [], resilient_parsing=True, terminal_width=WIDTH, max_content_width=80
    )
    return list(_walk(root, context, ("dsprod",)))


def _walk(command: Command, context: Context, path: tuple[str, ...]) -> Iterator[CommandHelp]:
    from typer.core import TyperGroup

    summary = command.get_short_help_str(limit=200)
    yield CommandHelp(path, command.get_help(context), summary)
    if not isinstance(command, TyperGroup):
        return
    for name in command.list_commands(context):
        sub = command.get_command(context, name)
        if sub is None or sub.hidden:
            continue
        # resilient_parsing: build the context without validating (missing) arguments.
        sub_context = sub.make_context(name, [], parent=context, resilient_parsing=True)
        yield from _walk(sub, sub_context, (*path, name))


def render_reference(helps: list[CommandHelp] | None = None) -> str:
    """The Markdown of the reference page."""
    helps = command_helps() if helps is None else helps
    parts = [_INTRO, "| command | what it does |", "|---|---|"]
    parts += [f"| [`{h.name}`](#{h.anchor}) | {_cell(h.summary)} |" for h in helps[1:]]
    for command in helps:
        # dsprod and its commands at the second level, subcommands (dsprod env list) below.
        level = "#" * min(max(len(command.path), 2), 6)
        parts += ["", f"{level} {command.name} {{ #{command.anchor} }}", "", _fence(command.text)]
    return "\n".join(parts) + "\n"


def _fence(text: str) -> str:
    # A fence longer than any run of backticks in the text, so the help cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render_reference()))
    return files
