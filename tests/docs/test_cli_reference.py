"""The CLI reference page agrees with the real CLI: the same commands, and each one's --help."""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import typer

from dsprod.cli import app

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "docs" / "hooks" / "cli_reference.py"
# A section of the page: its heading and the fenced help text under it.
SECTION = re.compile(
    r"^#{2,6} (?P<name>dsprod[\w -]*?) \{ #[\w-]+ \}\n\n"
    r"(?P<fence>`{3,})text\n(?P<text>.*?)\n(?P=fence)$",
    re.MULTILINE | re.DOTALL,
)


@pytest.fixture(scope="module")
def hook() -> Iterator[ModuleType]:
    """docs/hooks/cli_reference.py, loaded from its file as MkDocs loads it (not a package)."""
    spec = importlib.util.spec_from_file_location("cli_reference", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as MkDocs does; dataclasses look their module up there
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no docs/hooks/__pycache__
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    try:
        yield module
    finally:
        del sys.modules[spec.name]


def dsprod_command() -> list[str]:
    """The installed console script, as a user runs it; `python -m dsprod` without one."""
    script = Path(sys.executable).parent / "dsprod"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dsprod"]


def real_help(*names: str) -> str:
    """What `dsprod NAMES... --help` prints on a terminal of 80 columns."""
    env = os.environ | {"COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(
        [*dsprod_command(), *names, "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.rstrip("\n")


def listed_commands(help_text: str) -> list[str]:
    """The command names under `Commands:` in a help text, in order."""
    if "\nCommands:\n" not in help_text:
        return []
    block = help_text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", block, re.MULTILINE)]


def real_commands(path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path the real CLI lists, found by reading its --help output recursively."""
    found = [path]
    for name in listed_commands(real_help(*path)):
        found += real_commands((*path, name))
    return found


def page_sections(markdown: str) -> dict[str, str]:
    return {m.group("name"): m.group("text") for m in SECTION.finditer(markdown)}


def test_every_command_of_the_real_cli_has_its_help_on_the_page_verbatim(
    hook: ModuleType,
) -> None:
    page = page_sections(hook.render_reference())
    expected = {" ".join(("dsprod", *path)): real_help(*path) for path in real_commands()}
    assert set(expected) >= {"dsprod", "dsprod extract", "dsprod new", "dsprod check"}
    assert list(page) == list(expected), "the page lists other commands than `dsprod --help`"
    for name, text in expected.items():
        assert page[name] == text, f"the reference page and `{name} --help` disagree"


def test_the_comparison_fails_when_a_help_text_changes(
    hook: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The guard works: a page rendered before a help text changed no longer matches.
    before = page_sections(hook.render_reference())
    extract = next(c for c in app.registered_commands if c.name == "extract")
    monkeypatch.setattr(extract, "help", "Another description.")
    after = page_sections(hook.render_reference())
    assert after["dsprod extract"] != before["dsprod extract"]
    assert "Another description." in after["dsprod extract"]
    assert after["dsprod new"] == before["dsprod new"]


def test_a_new_command_or_group_appears_without_editing_the_docs(
    hook: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    lineage = typer.Typer(help="Where the data of each model came from.")

    @lineage.command("show")
    def lineage_show() -> None:
        """Show the lineage of one model."""

    @lineage.command("internal", hidden=True)
    def lineage_internal() -> None:
        """Not shown by --help, so not on the page."""

    def explain() -> None:
        """Explain a prediction."""

    monkeypatch.setattr(app, "registered_groups", [*app.registered_groups])
    monkeypatch.setattr(app, "registered_commands", [*app.registered_commands])
    app.add_typer(lineage, name="lineage")
    app.command(name="explain")(explain)

    page = hook.render_reference()
    sections = page_sections(page)
    assert {"dsprod lineage", "dsprod lineage show", "dsprod explain"} <= set(sections)
    assert "dsprod lineage internal" not in sections
    assert sections["dsprod lineage show"].startswith("Usage: dsprod lineage show [OPTIONS]")
    assert "Show the lineage of one model." in sections["dsprod lineage show"]
    # In the summary table too, linked to its section; subcommands one level down.
    assert "| [`dsprod explain`](#dsprod-explain) | Explain a prediction. |" in page
    assert "\n### dsprod lineage show { #dsprod-lineage-show }\n" in page


def test_help_text_with_backticks_cannot_break_out_of_its_block(hook: ModuleType) -> None:
    text = "Usage: dsprod odd [OPTIONS]\n\n  Uses ``` and ```` in its help."
    page = hook.render_reference([hook.CommandHelp(("dsprod", "odd"), text, "Odd.")])
    assert page_sections(page) == {"dsprod odd": text}


@pytest.mark.slow
def test_the_site_builds_strictly_and_its_reference_page_shows_each_help(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    # The text of the page's code blocks, as a reader sees it.
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    for path in real_commands():
        assert real_help(*path) in shown, f"dsprod {' '.join(path)} --help is not on the page"
