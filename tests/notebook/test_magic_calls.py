"""Calls of an extracted function on IPython lines when parametrization gives it a parameter.

dsprod rewrites Python, never IPython syntax: a call in a `%%time` cell's body gets the
notebook state like any other, while a function named on a line magic (`%time f(x)`,
`%timeit f(df)`, `f?`) stays in the notebook and says where; never a call that lacks it.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

from dsprod._output import Output
from dsprod.notebook.extract import ExtractOptions, extract_notebook
from tests.helpers import code_sources, write_notebook

STATE = "rows = [1, 2]\nrows = rows + [3]"  # rebound: notebook state, not a constant
TOTAL = "def total(k=1):\n    return sum(rows) * k"


@pytest.mark.parametrize(
    "line",
    [
        "%time total()",
        "%timeit -n1 -r1 total(2)",
        "t = %time total()",
        "%time print(total(), 1)",
        "total?",
    ],
)
def test_a_function_named_on_a_line_magic_stays_and_says_where(tmp_path: Path, line: str) -> None:
    cells = [STATE, TOTAL, "print(total())", f"x = 1\n{line}"]
    nb = write_notebook(tmp_path / "nb.ipynb", *cells)
    err = StringIO()
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=err))
    assert result.extracted == []
    assert code_sources(nb) == cells
    assert (
        "nb.ipynb:cell 2:line 1: total not extracted: needs the notebook's `rows` as a "
        "parameter, and is named on an IPython line at "
    ) in " ".join(err.getvalue().split())
    assert "cell 4:line 2, which dsprod cannot rewrite to pass it" in err.getvalue()


@pytest.mark.parametrize("header", ["%%time", "%%timeit -n1 -r1", "%%capture out"])
def test_a_call_in_the_body_of_a_cell_magic_passes_the_parameter(
    tmp_path: Path, header: str
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", STATE, TOTAL, f"{header}\nprint(total(2))")
    result = extract_notebook(nb, ExtractOptions(format=False), output=Output(err=StringIO()))
    assert result.extracted == ["total"]
    assert code_sources(nb)[-1] == f"{header}\nprint(total(2, rows=rows))"
    assert "def total(k=1, *, rows):" in (tmp_path / "nb.py").read_text(encoding="utf-8")
