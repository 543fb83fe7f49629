"""Where the cells stand, found while reading (`_read._decode`): the document is json.loads's,
the places are those the rewrite's own walk finds (`_rewrite._cell_arrays`), and whatever is not
JSON fails as json.loads fails, whatever the layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod.notebook._read import _decode, read_notebook
from dsprod.notebook._rewrite import _cell_arrays
from tests.helpers import write_notebook


class _Pairs(list[tuple[str, Any]]):
    """An object as written: its members in order, a name maybe twice."""


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
_scalars = (
    _text
    | st.integers()
    | st.floats(allow_nan=True)
    | st.booleans()
    | st.none()
    | st.sampled_from(['"cells"', "[", "]", "{", "}", ",\n  {", "\\", '"'])
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(st.tuples(_text | st.just("cells"), inner), max_size=3).map(_Pairs)
    ),
    max_leaves=12,
)
_cells = st.lists(st.lists(st.tuples(_text, _values), max_size=4).map(_Pairs), max_size=5)
# Between two tokens: nothing, or JSON's whitespace as people and tools write it.
_space = st.sampled_from(["", " ", "\n", "\n ", "\n  ", "\t", "\r\n", " \n   "])


def _write(value: object, space: st.DataObject) -> str:
    """`value` as JSON, with whitespace drawn between any two tokens."""

    def gap() -> str:
        return space.draw(_space)

    if isinstance(value, _Pairs):
        members = [
            f"{gap()}{json.dumps(k)}{gap()}:{gap()}{_write(v, space)}{gap()}" for k, v in value
        ]
        return "{" + (",".join(members) if members else gap()) + "}"
    if isinstance(value, list):
        items = [f"{gap()}{_write(v, space)}{gap()}" for v in value]
        return "[" + (",".join(items) if items else gap()) + "]"
    return json.dumps(value, ensure_ascii=space.draw(st.booleans()))


def _same(decoded: object, loaded: object) -> bool:
    """Equal, names in the same order (json.dumps writes NaN, which equals nothing)."""
    return json.dumps(decoded) == json.dumps(loaded)


@settings(max_examples=400)
@given(
    st.lists(
        st.tuples(st.sampled_from(["cells", "metadata", "nbformat", "x"]), _values | _cells),
        max_size=5,
    ).map(_Pairs),
    st.data(),
)
def test_the_cells_are_where_the_rewrite_s_walk_finds_them(
    members: _Pairs, space: st.DataObject
) -> None:
    """Any layout: on one line, indented, tabs and CRs; a `cells` given twice (the last one
    counts), or not an array; names and strings that look like the cells' text."""
    text = space.draw(_space) + _write(members, space) + space.draw(_space)
    document, spans = _decode(text)
    loaded = json.loads(text)
    assert _same(document, loaded)
    if isinstance(loaded.get("cells"), list):
        assert [spans] == _cell_arrays(text, loaded)
    else:
        assert spans is None


@settings(max_examples=400)
@given(_cells, st.data(), st.integers(min_value=0), st.sampled_from(["", ",", "]", "}", "x", " "]))
def test_what_is_not_json_fails_as_json_loads_fails(
    cells: list[_Pairs], space: st.DataObject, at: int, insert: str
) -> None:
    text = _write(_Pairs([("cells", cells), ("nbformat", 4)]), space)
    at %= len(text) + 1
    broken = text[:at] + insert + text[at + (not insert) :]  # an insertion, or a cut
    try:
        loaded = json.loads(broken)
    except json.JSONDecodeError as expected:
        with pytest.raises(json.JSONDecodeError) as raised:
            _decode(broken)
        assert (raised.value.msg, raised.value.pos) == (expected.msg, expected.pos)
    else:
        document, spans = _decode(broken)
        assert _same(document, loaded)
        if isinstance(loaded, dict) and isinstance(loaded.get("cells"), list):
            assert [spans] == _cell_arrays(broken, loaded)


def test_a_notebook_read_for_a_rewrite_knows_where_its_cells_are(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", "x = 1", "def f():\n    return 2")
    asked = read_notebook(path, cell_spans=True)
    assert asked.cell_spans is not None
    assert [asked.cell_spans] == _cell_arrays(asked.text, asked.document)
    assert asked._replace(cell_spans=None) == read_notebook(path)


def test_a_v3_notebook_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    cells = [{"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python"}]
    path.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": cells}], "metadata": {}}))
    notebook = read_notebook(path, cell_spans=True)
    assert notebook.cell_spans is None
    assert notebook == read_notebook(path)
