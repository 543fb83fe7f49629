"""Warnings in what a cell showed are compared as warnings (no kernel needed here)."""

from __future__ import annotations

from typing import Any

from dsprod.notebook._outputs import cell_run
from dsprod.notebook._verify import compare_runs


def ran(*stderr: str) -> dict[str, Any]:
    outputs = [{"output_type": "stream", "name": "stderr", "text": text} for text in stderr]
    outputs.append({"output_type": "stream", "name": "stdout", "text": "ok\n"})
    return {"cell_type": "code", "execution_count": 1, "outputs": outputs}


IN_NOTEBOOK = (
    "/tmp/ipykernel_4242/1234.py:2: UserWarning: careful with 1\n"
    "  warnings.warn(  'careful with ' + str(x)  )\n"
)
IN_MODULE = (
    "/work/src/pkg/nb.py:7: UserWarning: careful with 1\n"
    '  warnings.warn("careful with " + str(x))\n'
)


def test_where_from_the_quoted_line_and_how_often_do_not_count() -> None:
    before = cell_run(0, ran(IN_NOTEBOOK, IN_NOTEBOOK))  # shown twice
    after = cell_run(0, ran(IN_MODULE))  # once, from the module, its line reformatted
    assert before.text == after.text == "[stdout] ok\n"
    assert before.warnings == after.warnings == ("UserWarning: careful with 1",)
    verification = compare_runs([before], [after], {0: 0})
    assert verification.identical
    assert verification.warnings == ()


def test_a_warning_gone_is_reported_apart_and_other_stderr_stays_compared() -> None:
    deprecated = "<ipython-input-3>:2: DeprecationWarning: old is deprecated\n  old()\nreal\n"
    before = cell_run(0, ran(deprecated))
    after = cell_run(0, ran("real\n"))
    assert before.text == after.text == "[stderr] real\n[stdout] ok\n"
    verification = compare_runs([before], [after], {0: 0})
    assert verification.identical
    assert verification.warnings == ((1, ("DeprecationWarning: old is deprecated",), ()),)

    # Text on stderr that is not a warning is output like any other.
    changed = compare_runs([before], [cell_run(0, ran("other\n"))], {0: 0})
    assert not changed.identical
    assert [cell for cell, _ in changed.differences] == [1]


def test_nothing_compared_is_not_identical() -> None:
    failing = cell_run(0, {"cell_type": "code", "execution_count": 1, "outputs": [
        {"output_type": "error", "ename": "FileNotFoundError", "evalue": "x", "traceback": []}
    ]})  # fmt: skip
    verification = compare_runs([failing], [failing], {0: 0})
    assert verification.compared == 0
    assert not verification.identical
