"""`dsprod doctor` and `dsprod setup` without a virtual environment: what they report and what
they refuse before writing anything. The slow tier (test_setup.py) makes real environments."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import dsprod
from dsprod.devenv import DoctorCheck, doctor
from tests.envs.conftest import tree
from tests.helpers import run_cli


def by_name(checks: list[DoctorCheck]) -> dict[str, DoctorCheck]:
    return {check.name: check for check in checks}


def set_template_version(project: Path, version: str) -> None:
    answers = project / ".copier-answers.yml"
    lines = answers.read_text().splitlines()
    lines = [
        f"template_version: {version}" if line.startswith("template_version:") else line
        for line in lines
    ]
    answers.write_text("\n".join(lines) + "\n")


def test_doctor_reports_each_missing_piece_with_its_fix(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "doctor")
    assert result.code == 1
    # One entry per check: its line, then the next step under it for a problem or a note.
    lines = re.split(r"\n(?! )", result.out.rstrip("\n"))
    assert [line.split()[1].rstrip(":") for line in lines] == [
        "python",
        "venv",
        "hooks",
        "hook",
        "filter",
        "kernel",
        "env",
        ".env",
        "git",
        "template",
        "debt",
    ]
    checks = {line.split()[1].rstrip(":"): line for line in lines}
    assert checks["venv"] == "problem  venv: no .venv\n  next: dsprod setup"
    assert checks["hooks"] == (
        "problem  hooks: not a git repository\n  next: git init && dsprod setup"
    )
    assert checks["git"].startswith("problem  git: git ")
    assert checks["git"].endswith("; not a git repository\n  next: git init")
    assert checks["env"] == (
        "problem  env dev: no .venv to run the settings in\n  next: dsprod setup"
    )
    assert (
        checks[".env"]
        == "note     .env: none yet (dev reads local values from it)\n  next: cp .env.example .env"
    )
    assert checks["python"].startswith("ok       python: Python 3.")
    assert checks["template"] == (
        f"ok       template: template {dsprod.__version__}, the one dsprod "
        f"{dsprod.__version__} ships"
    )
    assert checks["hook"] == (
        "problem  hook envs: no pre-commit in .venv to build them\n  next: dsprod setup"
    )
    assert checks["filter"] == (
        "problem  filter: not a git repository\n  next: git init && dsprod setup"
    )
    assert "found  7 problem(s); each shows its next step" in result.err


def test_doctor_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "doctor", "--json")
    assert result.code == 1
    document = json.loads(result.out)
    checks = document["checks"]
    assert {c["name"] for c in checks} >= {"python", "venv", "hooks", "kernel", "git"}
    assert all(c["next"] for c in checks if c["status"] == "problem")
    assert all(c["next"] is None for c in checks if c["status"] == "ok")
    # The problems, as every command's --json gives them.
    failing = [c for c in checks if c["status"] == "problem"]
    assert document["problems"] == [
        {"where": c["name"], "message": c["detail"], "next": c["next"]} for c in failing
    ]


@pytest.mark.parametrize(
    ("recorded", "status", "detail", "fix"),
    [
        (
            "0.0.1",
            "note",
            f"template 0.0.1; update available: dsprod {dsprod.__version__} "
            f"ships {dsprod.__version__}",
            "dsprod update",
        ),
        (
            "99.0",
            "problem",
            f"template 99.0: made by a newer dsprod than this one ({dsprod.__version__})",
            "pip install -U dsprod",
        ),
        ("not-a-version", "note", "template version 'not-a-version' is not a version", None),
    ],
)
def test_template_version(
    project: Path, recorded: str, status: str, detail: str, fix: str | None
) -> None:
    set_template_version(project, recorded)
    check = by_name(doctor())["template"]
    assert (check.status, check.detail, check.fix) == (status, detail, fix)


def test_no_answers_file_is_a_note(project: Path) -> None:
    (project / ".copier-answers.yml").unlink()
    check = by_name(doctor())["template"]
    assert (check.status, check.detail) == (
        "note",
        "no .copier-answers.yml: not made by dsprod new",
    )


def test_doctor_in_a_repository_without_hooks(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    checks = by_name(doctor())
    assert checks["git"].status == "ok"
    assert checks["hooks"] == DoctorCheck(
        "hooks",
        "problem",
        "no pre-commit hook at .git/hooks/pre-commit",
        ".venv/bin/pre-commit install",
    )


# --- setup refuses before it writes ----------------------------------------------------------


def test_setup_without_a_suitable_python(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('requires-python = ">=3.11"', 'requires-python = ">=3.99"')
    )
    before = tree(project)
    result = run_cli(capsys, "setup")
    assert result.code == 1
    assert result.err.startswith(
        "error: no Python found that satisfies the project's requires-python >=3.99"
    )
    assert "next: install one (for instance: uv python install), then dsprod setup --python" in (
        result.err
    )
    assert tree(project) == before  # no .env, no .venv


def test_setup_with_a_broken_venv(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".venv").mkdir()
    before = tree(project)
    result = run_cli(capsys, "setup")
    assert result.code == 1
    assert result.err == (
        "error: .venv exists but has no working interpreter (.venv/bin/python)\n"
        "  next: rm -rf .venv && dsprod setup\n"
    )
    assert tree(project) == before


def test_setup_with_a_python_that_is_too_old(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('requires-python = ">=3.11"', 'requires-python = ">=3.99"')
    )
    result = run_cli(capsys, "setup", "--python", sys.executable)
    assert result.code == 1
    assert "; the project requires >=3.99" in result.err
    assert not (project / ".venv").exists()
    assert not (project / ".env").exists()


def test_setup_uv_demanded_but_missing(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(project / "no-such-folder"))
    result = run_cli(capsys, "setup", "--uv")
    assert result.code == 1
    assert (
        result.err
        == "error: uv is not on PATH\n  next: install it (pip install uv), or drop --uv\n"
    )
