"""What a data scientist does, end to end: a project made by `dsprod new`, set up by
`dsprod setup` with dsprod from a wheel in a folder (it is not on the package index), notebooks
with the traits of real ones copied in and extracted, then a commit through the project's own
hooks and its CI sessions. Everything stays green and nothing is lost."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import md, notebook
from tests.scaffold._env import run, tool_env

pytestmark = pytest.mark.slow


def _with_outputs(document: dict[str, Any]) -> str:
    """The notebook as Jupyter saves it after a run: every code cell has an output."""
    for number, cell in enumerate(document["cells"], start=1):
        if cell["cell_type"] == "code":
            cell["execution_count"] = number
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": [f"{number}\n"]}]
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


# Authors' code: lint violations, `(object)` bases, `from __future__`, section comments
# separated by blank lines, `%matplotlib inline`, a block of constants, untyped defs, a Python 2
# cell, a definition that reads notebook state (parametrized), one defined twice with different
# bodies.
ANALYSIS = notebook(
    md("# Churn analysis"),
    "from __future__ import division, print_function\n%matplotlib inline\nimport math\n"
    "import json, os",
    "# --- constants ---\nTHRESHOLD = 0.5\n\n\nSCALE = 2\nLABELS = ('a', 'b')\nprint(LABELS)",
    "class Customer(object):\n    def __init__(self, spend):\n        self.spend = spend\n\n"
    "    def Score(self):\n        return math.log1p(self.spend) * SCALE",
    "def churned(c):\n    return c.Score() > THRESHOLD",
    "rows = [Customer(1), Customer(2)]",
    'print "python 2 cell"',
    "def total():\n    return sum(c.spend for c in rows)",
    "def label(x):\n    return 'a'",
    "def label(x):\n    return 'b' if x else 'c'",
    "print(churned(Customer(10)), total(), label(1), json.dumps({}), os.sep)",
)
EXPLORE = notebook(
    md("# Exploring"),
    "import math\n\n\n# helpers\n\n\ndef halve(v):\n    return v / 2",
    "halve(math.pi)",
)


def test_extract_then_commit_and_ci_stay_green(tmp_path: Path, wheel: Path) -> None:
    home = tmp_path / "home"
    env = tool_env(
        home,
        PIP_FIND_LINKS=str(wheel.parent),
        UV_FIND_LINKS=str(wheel.parent),
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit"),
    )
    # The user's dsprod: installed from the wheel into a venv of its own.
    tool = tmp_path / "tool"
    run([sys.executable, "-m", "venv", tool], cwd=tmp_path, env=env)
    run([tool / "bin" / "pip", "install", "-q", "dsprod"], cwd=tmp_path, env=env, timeout=900)
    env["PATH"] = os.pathsep.join([str(tool / "bin"), env["PATH"]])
    run(["dsprod", "new", "shop", "--defaults"], cwd=tmp_path, env=env)
    project = tmp_path / "shop"
    git = ["git", "-C", str(project)]
    run([*git, "init", "-q"], cwd=project, env=env)
    run([*git, "add", "-A"], cwd=project, env=env)
    run([*git, "commit", "-qm", "Project as generated"], cwd=project, env=env)
    run(["dsprod", "setup"], cwd=project, env=env, timeout=1200)

    for name, document in (("analysis", ANALYSIS), ("explore", EXPLORE)):
        (project / "notebooks" / f"{name}.ipynb").write_text(_with_outputs(document))
    for name in ("analysis", "explore"):
        run(["dsprod", "extract", f"notebooks/{name}.ipynb"], cwd=project, env=env)
    outputs_before = _outputs(project)

    # The commit goes through, with at most one re-add after fixer hooks.
    run([*git, "add", "-A"], cwd=project, env=env)
    first = run([*git, "commit", "-qm", "Promote notebook code"], cwd=project, env=env, check=False)
    if first.returncode != 0:
        run([*git, "add", "-A"], cwd=project, env=env)
        run([*git, "commit", "-qm", "Promote notebook code"], cwd=project, env=env, timeout=900)
    assert _outputs(project) == outputs_before, "the commit must leave outputs on disk"
    assert run([*git, "status", "--porcelain"], cwd=project, env=env).stdout == ""

    # The project's CI sessions are green.
    nox = project / ".venv" / "bin" / "nox"
    run([nox, "-s", "lint", "typecheck", "tests"], cwd=project, env=env, timeout=1500)

    # A new definition in a notebook stops the commit, located.
    explore = project / "notebooks" / "explore.ipynb"
    document = json.loads(explore.read_text())
    document["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "late",
            "metadata": {},
            "outputs": [],
            "source": ["def double(v):\n", "    return 2 * v"],
        }
    )
    explore.write_text(json.dumps(document, indent=1) + "\n")
    run([*git, "add", "-A"], cwd=project, env=env)
    refused = run([*git, "commit", "-qm", "late def"], cwd=project, env=env, check=False)
    assert refused.returncode != 0
    cell = len(document["cells"])
    shown = refused.stdout + refused.stderr  # git shows the hooks' output on stderr
    assert f"notebooks/explore.ipynb:cell {cell}:line 1: function `double`" in shown
    run([*git, "reset", "-q", "HEAD"], cwd=project, env=env)
    run([*git, "checkout", "--", "notebooks/explore.ipynb"], cwd=project, env=env)

    # A hand edit of an extracted module commits.
    module = project / "src" / "shop" / "analysis.py"
    module.write_text(module.read_text().replace("THRESHOLD = 0.5", "THRESHOLD = 0.6"))
    run([*git, "add", "-A"], cwd=project, env=env)
    run([*git, "commit", "-qm", "Raise the threshold"], cwd=project, env=env, timeout=900)

    # What stayed in the notebooks is visible, with the reasons.
    report = run(["dsprod", "check", "--report"], cwd=project, env=env)
    # `total` read the notebook's `rows`: it moved, and takes them as a keyword-only parameter.
    assert "total left in the notebook" not in report.stdout
    assert "def total(*, rows" in module.read_text()
    assert "total(rows=rows)" in (project / "notebooks" / "analysis.ipynb").read_text()
    # `label` evolves (two bodies): both move, and each def became an import of its version.
    assert "label left in the notebook" not in report.stdout
    assert "def label_v1(x):" in module.read_text()
    assert "import label_v1 as label" in (project / "notebooks" / "analysis.ipynb").read_text()


def _outputs(project: Path) -> int:
    return sum(
        1
        for path in (project / "notebooks").glob("*.ipynb")
        for cell in json.loads(path.read_text())["cells"]
        if cell.get("outputs")
    )
