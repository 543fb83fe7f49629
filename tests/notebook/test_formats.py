"""Notebook formats: nbformat v3 (rewritten in place as v3), jupytext percent scripts, odd JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import import_in_fresh_interpreter, run_cli, snapshot, write_notebook


def v3_notebook() -> dict[str, Any]:
    def code(source: str, number: int) -> dict[str, Any]:
        return {
            "cell_type": "code",
            "collapsed": False,
            "input": source.splitlines(keepends=True),
            "language": "python",
            "metadata": {},
            "outputs": [{"output_type": "stream", "stream": "stdout", "text": [f"out {number}\n"]}],
            "prompt_number": number,
        }

    return {
        "metadata": {"name": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Title"]},
                    code("import math", 1),
                    code("def circle(r):\n    return math.pi * r * r", 2),
                    code("print(circle(1))", 3),
                ],
                "metadata": {},
            }
        ],
    }


def test_v3_notebook_is_read_from_worksheets_and_stays_v3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.ipynb"
    original = v3_notebook()
    path.write_text(json.dumps(original, indent=1, sort_keys=True) + "\n")

    result = run_cli(capsys, "extract", str(path))

    assert result.code == 0, result.err
    after = json.loads(path.read_text())
    assert after["nbformat"] == 3
    cells = after["worksheets"][0]["cells"]
    # `import math` served only `circle`: it left with it and its emptied cell is removed; the
    # module's import takes the place of `circle`.
    assert [c.get("input") for c in cells] == [
        None,
        ["from old import circle"],
        ["print(circle(1))"],
    ]
    # Outputs, prompt numbers and the heading cell are untouched.
    before = original["worksheets"][0]["cells"]
    assert cells[0] == before[0]
    assert cells[2] == before[3]
    assert {**cells[1], "input": None} == {**before[2], "input": None}
    import_in_fresh_interpreter(tmp_path / "old.py", tmp_path, "old")


PERCENT = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Prices

# %%
import statistics

# %%
def middle(values):
    return statistics.median(values)

# %%
print(middle([3, 1, 2]))
"""


def test_percent_script_is_rewritten_as_a_percent_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prices.py"
    path.write_text(PERCENT)

    result = run_cli(capsys, "extract", str(path))

    assert result.code == 0, result.err
    module = tmp_path / "prices_lib.py"  # never the script itself
    assert "def middle(values):" in module.read_text()
    text = path.read_text()
    assert "def middle" not in text
    assert "# %%\nfrom prices_lib import middle\n" in text
    assert text.startswith(PERCENT.split("# %% [markdown]", maxsplit=1)[0])
    assert "# %% [markdown]\n# # Prices\n" in text
    import_in_fresh_interpreter(module, tmp_path, "prices_lib")
    again = snapshot(tmp_path)
    assert run_cli(capsys, "extract", str(path)).code == 0
    assert snapshot(tmp_path) == again


def test_untouched_cells_keep_their_bytes_in_an_unusual_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook not written by Jupyter (indent 2, unsorted keys, escaped non-ASCII)."""
    cells = [
        {"cell_type": "markdown", "source": ["Caf\u00e9 \u2014 notes"], "metadata": {}},
        {
            "source": ["def f():\n", "    return 'é'"],
            "cell_type": "code",
            "metadata": {"scrolled": True},
            "outputs": [],
            "execution_count": 1,
        },
        {
            "cell_type": "code",
            "source": ["f()"],
            "metadata": {},
            "outputs": [{"output_type": "execute_result", "data": {"text/plain": ["'é'"]},
                         "metadata": {}, "execution_count": 2}],
            "execution_count": 2,
        },
    ]  # fmt: skip
    document = {"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": cells}
    path = tmp_path / "odd.ipynb"
    text = json.dumps(document, indent=2)  # ensure_ascii=True: \u escapes
    path.write_text(text)

    assert run_cli(capsys, "extract", str(path)).code == 0

    after = path.read_text()
    first = json.dumps(cells[0], indent=2).replace("\n", "\n    ")
    last = json.dumps(cells[2], indent=2).replace("\n", "\n    ")
    assert first in text and first in after
    assert last in text and last in after
    assert json.loads(after)["cells"][1]["source"] == ["from odd import f"]


def test_a_jupyter_written_notebook_stays_exactly_as_jupyter_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import dumps, write_notebook

    path = write_notebook(
        tmp_path / "nb.ipynb",
        "import math\n# é, non-ASCII stays as it is",
        "SCALE = 2\n\ndef f(x):\n    return math.sqrt(x) * SCALE\n\nprint(f(4))",
        "def g():\n    return 'ünïcode'",
        "print(g(), SCALE)",
    )
    assert run_cli(capsys, "extract", str(path)).code == 0
    text = path.read_text(encoding="utf-8")
    assert text == dumps(json.loads(text))
    sources = ["".join(c["source"]) for c in json.loads(text)["cells"]]
    assert sources == [
        "# é, non-ASCII stays as it is",  # `import math` left; the comment stays
        "from nb import SCALE, f, g\n\nprint(f(4))",
        "print(g(), SCALE)",
    ]


def test_cells_with_old_mac_line_endings_lose_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lone CR ends a line for Python (in a string too) but not for a split at LF: the def
    # left the notebook and never reached the module, and one such line crashed extract.
    nb = write_notebook(
        tmp_path / "mac.ipynb",
        "import math\rdef root(x):\r    return math.sqrt(x)\r",
        "A = '''x\ry'''\nB = 2\n",
        "def pair():\n    return A, B",
        "print(root(4), pair())",
    )
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    done = subprocess.run(
        [sys.executable, "-c", "import mac; print(mac.root(9), mac.pair())"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "3.0 ('x\\ny', 2)\n"
    files = snapshot(tmp_path)
    again = run_cli(capsys, "extract", str(nb))
    assert again.code == 0 and snapshot(tmp_path) == files, again.err
