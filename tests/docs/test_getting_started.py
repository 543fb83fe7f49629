"""Slow tier: docs/getting-started.md runs as printed.

The page's `bash` blocks are read from the Markdown (never copied here), joined in order into
one script, and run by bash in an empty folder with a HOME of its own. dsprod is not on the
package index yet: the page installs it from a wheel in `~/wheels`, where the test puts this
checkout's. Nothing else is told where dsprod is (no PIP_FIND_LINKS, no UV_FIND_LINKS):
`dsprod setup` must hand the project's dev group and its dsprod-check hook the dsprod the page
installed. Everything else comes from the index as it would for a user. Then the results the
page promises are checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaffold._env import ROOT, TEST_BIN, run, tool_env

pytestmark = pytest.mark.slow

PAGE = ROOT / "docs" / "getting-started.md"
# A fenced block whose info string is exactly `bash`: the commands of the page. `console`
# blocks show output and are not run.
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.DOTALL | re.MULTILINE)
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def page_script() -> str:
    blocks = BASH_BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "the page lost its commands"
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_the_page_runs_as_printed(tmp_path: Path, wheel: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    env = tool_env(home, PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))
    # Where the page says the wheel is; the machine's own find-links (a pip.conf, a variable)
    # stay, but none of them has dsprod.
    (home / "wheels").mkdir()
    shutil.copy2(wheel, home / "wheels" / wheel.name)
    for variable in ("PIP_FIND_LINKS", "UV_FIND_LINKS"):
        assert not any(
            Path(folder, wheel.name).exists() for folder in env.get(variable, "").split()
        )
    # A user's PATH: a Python, uv, git and the shell's tools; not the test environment's bin
    # folder, where dsprod is installed already.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    (bin_dir / "uv").symlink_to(TEST_BIN / "uv")
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])
    script = tmp_path / "getting-started.sh"
    script.write_text(page_script(), encoding="utf-8")

    done = run(["bash", script], cwd=work, env=env, timeout=1800)

    project = work / "churn"
    module = project / "src" / "churn" / "nb_02_features.py"
    assert "def log_spend(amount: float) -> float:" in module.read_text()
    assert "import math" in module.read_text()
    notebook = (project / "notebooks" / "02-features.ipynb").read_text()
    assert "from churn.nb_02_features import log_spend" in notebook
    assert "def log_spend" not in notebook
    assert "log_spend(99.0)" in (project / "tests" / "test_nb_02_features.py").read_text()
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert log == ["Features: spend on a log scale", "Project as generated"]
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    # setup gave the hook its own dsprod (from the wheel it made) and the notebook filter.
    assert " wheel  dsprod-" in done.stderr
    assert "create  hook envs (" in done.stderr
    config = subprocess.run(
        ["git", "config", "filter.nbstripout.clean"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert config.strip().endswith("-m nbstripout --keep-id")
    assert (project / ".env").is_file()
    kernel = home / ".local" / "share" / "jupyter" / "kernels" / "churn" / "kernel.json"
    assert str(project / ".venv" / "bin" / "python") in kernel.read_text()
    # What the page says the commands print.
    assert "passed" in done.stdout  # pytest -q
    assert "ok  prod:" in done.stderr
    assert "identical  notebooks/02-features.ipynb: " in done.stderr  # --verify
    # A model went to staging and prod through the registry; the worse one did not.
    registry = project / "models" / "registry"
    assert (registry / "versions" / "1" / "model.skops").is_file()
    assert not (registry / "versions" / "2").exists()
    for alias in ("staging", "prod"):
        assert (
            json.loads((registry / "aliases" / f"{alias}.json").read_text())["current"]["version"]
            == 1
        )
    assert "gate: FAILED, keep the production model" in done.stdout
    assert "pipeline: model version 1 in staging and prod; the worse one refused" in done.stderr
    # Every output the page shows after the commands that print it (a block that starts with
    # `$ ` shows a command the page does not run) is what they printed, but for the folder.
    shown = [b for b in CONSOLE_BLOCK.findall(PAGE.read_text()) if not b.startswith("$ ")]
    assert len(shown) >= 4, "the page lost the output it shows"
    printed = done.stdout + done.stderr
    for block in shown:
        for line in block.splitlines():
            assert line.replace("/home/you/churn", str(project)) in printed, line
