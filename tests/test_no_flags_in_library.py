"""The library neither prints nor names CLI flags: it names an option as data (`errors.Flag`),
and the CLI's renderer (`_output.say`) spells it.

The test reads the source: every string the library writes (docstrings and comments aside)
is searched for the long options of dsprod's own commands, taken from the typer app itself, so
a new option is covered the day it is added.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

import dsprod
from dsprod._output import say
from dsprod.cli._app import app
from dsprod.errors import Flag, Step

PACKAGE = Path(dsprod.__file__).parent
# The command line itself, and the renderer that spells options for it.
FRONT_END = (PACKAGE / "cli", PACKAGE / "_output.py")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])")
# An argument handed to another program (`git clone --quiet`, `uv venv --python X`): a whole
# string that is one option, possibly with `=value`. Those are that program's flags.
_ARGV_WORD = re.compile(r"--[a-z][a-z0-9-]*(=.*)?")

# What still names a flag, and why. The test fails when one is added, and when one is fixed
# but still listed: the list only shrinks.
STILL_NAMED: dict[str, set[str]] = {
    # Text written into files, not said to the user: the header of a generated test file
    # (how it was made) and the lint-debt ledger's header (which commands maintain it).
    "notebook/_tests.py": {"--tests"},
    "notebook/_ledger.py": {"--fix", "--report"},
    # Messages (not next steps) that restate the option the user passed, as the user passed
    # it: `--module x: ...`, `--only names ...`, how the target was chosen.
    "notebook/_target.py": {"--module"},
    "notebook/_planner.py": {"--only"},
    "_extras.py": {"--verify"},
    # A conflict's reason, which carries its own next step in the message (`run with
    # --force`), and the notice when --force replaces an edit; extract's refusal of --verify
    # with --dry-run, and its warning that a run without --dry-run finishes a stopped one.
    "notebook/_merge.py": {"--force", "--module"},
    "notebook/extract.py": {"--verify", "--dry-run"},
}


def cli_options() -> set[str]:
    """Every long option of every dsprod command, as typer declares them."""
    found: set[str] = set()
    # typer carries its own click: walk the tree by what a command has, not by its class.
    pending: list[Any] = [typer.main.get_command(app)]
    while pending:
        command = pending.pop()
        for param in command.params:
            found.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
        pending.extend(getattr(command, "commands", {}).values())
    return found


def library_modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not any(path == front or front in path.parents for front in FRONT_END):
            yield path


def _docstrings(tree: ast.Module) -> set[int]:
    nodes: list[ast.AST] = [tree, *ast.walk(tree)]
    return {
        id(node.body[0].value)
        for node in nodes
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def named_options(path: Path, options: set[str]) -> set[str]:
    """The dsprod options that the strings of one module spell out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    named: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skip or _ARGV_WORD.fullmatch(node.value):
            continue
        named.update(o for o in _OPTION.findall(node.value) if o in options)
    return named


def test_the_cli_options_are_found() -> None:
    # The search below is only as good as this list.
    assert {"--python", "--module", "--dry-run", "--defaults", "--uv", "--report"} <= cli_options()


def test_no_library_module_names_a_cli_flag() -> None:
    options = cli_options()
    found = {
        str(path.relative_to(PACKAGE)): named
        for path in library_modules()
        if (named := named_options(path, options))
    }
    assert found == STILL_NAMED


def test_every_flag_the_library_names_is_an_option_of_the_cli() -> None:
    # A Flag is spelled by rule (`dry_run` -> `--dry-run`): one the CLI does not take, a typo
    # or an option renamed since, would send the user to a flag that does not exist.
    options = cli_options()
    flags = [
        (path.relative_to(PACKAGE), node.args[0].value)
        for path in library_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Flag"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(flags) >= 10  # the hints of setup, doctor, env, extract and new
    unknown = [(p, n) for p, n in flags if say(Step(Flag(str(n)))) not in options]
    assert unknown == []


def test_the_renderer_spells_a_step() -> None:
    step = Step("dsprod setup ", Flag("python", "PYTHON"), ", or drop ", Flag("dry_run"))
    assert say(step) == "dsprod setup --python PYTHON, or drop --dry-run"
    assert say("plain words") == "plain words"
    assert say(None) is None


def test_no_library_module_prints() -> None:
    # The library tells an `Output` (which the CLI makes); only the renderer writes to the
    # streams. Asking whether one is a terminal is not writing. The probe script is no
    # exception: it runs in the project's interpreter, a program of its own, and its stdout is
    # its answer.
    programs = {PACKAGE / "envs" / "_probe_script.py"}
    printing = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in library_modules()
        if path not in programs
        for line in _writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert printing == []


def _writes(tree: ast.Module) -> Iterator[int]:
    asks = {
        id(node.func.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "isatty"
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "print":
                yield node.lineno
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("stdout", "stderr")
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
            and id(node) not in asks
        ):
            yield node.lineno
