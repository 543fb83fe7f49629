"""How --verify compares runs: what counts as the same output (no kernel needed here)."""

from __future__ import annotations

from typing import Any

from dsprod.notebook._outputs import cell_run as _cell_run
from dsprod.notebook._verify import CellRun, compare_runs, discount_unstable


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def image() -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"image/png": "iVBOR..."}, "metadata": {}}


def cell(*outputs: dict[str, Any]) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": 1, "outputs": list(outputs)}


def test_printed_text_split_into_pieces_is_one_text() -> None:
    # A kernel splits a long print into stream outputs as timing allows.
    whole = _cell_run(0, cell(stream(".  .  .  .\n")))
    pieces = _cell_run(0, cell(stream(".  ."), stream("  .  .\n")))
    around_an_image = _cell_run(0, cell(stream(".  ."), image(), stream("  .  .\n")))
    assert whole.text == pieces.text == around_an_image.text == "[stdout] .  .  .  .\n"


def test_other_streams_and_results_stay_apart() -> None:
    run = _cell_run(0, cell(stream("a\n"), stream("warn\n", "stderr"), stream("b\n")))
    assert run.text == "[stdout] a\n[stderr] warn\n[stdout] b\n"
    result = {"output_type": "execute_result", "data": {"text/plain": "3"}, "metadata": {}}
    run = _cell_run(0, cell(stream("a\n"), result, stream("b\n")))
    assert run.text == "[stdout] a\n[execute_result] 3\n[stdout] b\n"


def test_cells_that_change_on_every_run_are_set_aside() -> None:
    before = [CellRun(0, "[stdout] 4\n", None), CellRun(1, "[stdout] 0.12\n", None)]
    after = [CellRun(0, "[stdout] 5\n", None), CellRun(1, "[stdout] 0.57\n", None)]
    again = [CellRun(0, "[stdout] 4\n", None), CellRun(1, "[stdout] 0.91\n", None)]
    verification = compare_runs(before, after, {0: 0, 1: 1})
    assert [cell for cell, _ in verification.differences] == [1, 2]

    discounted = discount_unstable(verification, before, again)

    assert [cell for cell, _ in discounted.differences] == [1]  # a real difference stays
    assert discounted.unstable == (2,)
    assert not discounted.identical
