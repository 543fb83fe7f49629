"""Extractions started together (pre-commit runs a hook's files in parallel batches) lose
nothing: each read-modify-write of the manifest, a module and the ledger holds the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import make_project, write_notebook


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dsprod", "extract", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_eight_extractions_at_once_each_recorded(tmp_path: Path) -> None:
    make_project(tmp_path)
    names = [f"nb{i}" for i in range(8)]
    for name in names:
        write_notebook(
            tmp_path / "notebooks" / f"{name}.ipynb",
            f"def f_{name}(x):\n    return x + 1",
            f"f_{name}(1)",
        )
    # Two more notebooks write into one shared module.
    for name in ("left", "right"):
        write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", f"def g_{name}():\n    return 2")
    runs = [_start(tmp_path, f"notebooks/{name}.ipynb") for name in names]
    runs += [
        _start(tmp_path, "--module", "mypkg.shared", f"notebooks/{name}.ipynb")
        for name in ("left", "right")
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err

    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    modules = manifest["modules"]
    assert sorted(modules) == sorted(
        [f"src/mypkg/{name}.py" for name in names] + ["src/mypkg/shared.py"]
    )
    for name in names:
        assert list(modules[f"src/mypkg/{name}.py"]["symbols"]) == [f"f_{name}"]
        assert f"def f_{name}(x):" in (tmp_path / "src" / "mypkg" / f"{name}.py").read_text()
    shared = (tmp_path / "src" / "mypkg" / "shared.py").read_text()
    assert "def g_left()" in shared and "def g_right()" in shared
    assert sorted(modules["src/mypkg/shared.py"]["symbols"]) == ["g_left", "g_right"]
