"""What dsprod writes without the standard library's slow paths: the manifest's indented text
(`_manifest._indented`, `Manifest.render`) and hashes (`_manifest.digest`), a changed cell's
source found from the end of the cell (`_rewrite._last_member`), `__all__` sorted by a key
of one string (`_module._all_sorted`), and a cell whose every line leaves known to go without
its lines (`_rewrite._all_removed`). Each must give exactly what the slow path gives."""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsprod.notebook import _manifest, _rewrite
from dsprod.notebook._manifest import (
    LeftEntry,
    Manifest,
    ModuleEntry,
    SymbolEntry,
    _indented,
    digest,
)
from dsprod.notebook._model import Cell, Notebook, Statement
from dsprod.notebook._module import _all_order, _all_sorted
from dsprod.notebook._rewrite import _DECODER, _last_member, _members, new_cell_sources

_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
_values = st.recursive(
    _text | st.integers(),
    lambda inner: st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(st.dictionaries(_text, _values, max_size=5))
def test_the_manifest_text_is_json_dumps_with_indent_2(value: dict[str, object]) -> None:
    assert _indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_a_manifest_renders_as_before(tmp_path: Path) -> None:
    manifest = Manifest(
        tmp_path,
        {
            "pkg/m.py": ModuleEntry(
                "pkg.m",
                "ab" * 32,
                {
                    "f": SymbolEntry("n.ipynb", "function", "cd" * 32),
                    "Ä": SymbolEntry('we"ird\\.ipynb', "class", "ef" * 32),
                },
            ),
            "pkg/empty.py": ModuleEntry("pkg.empty", "00" * 32, {}),
        },
        {"n.ipynb": {"g": LeftEntry("cell 2:line 1", "reads `x`\nwhich changes")}, "o": {}},
    )
    text = manifest.render()
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert json.loads(text)["modules"]["pkg/m.py"]["symbols"]["Ä"]["notebook"] == 'we"ird\\.ipynb'
    assert json.loads(text)["notebooks"] == {
        "n.ipynb": {"left": {"g": {"where": "cell 2:line 1", "reason": "reads `x`\nwhich changes"}}}
    }


_symbols = st.dictionaries(
    _text,
    st.builds(SymbolEntry, _text, st.sampled_from(["function", "class", "constant"]), _text),
    max_size=4,
)
_modules = st.dictionaries(_text, st.builds(ModuleEntry, _text, _text, _symbols), max_size=3)
_left = st.dictionaries(
    _text, st.dictionaries(_text, st.builds(LeftEntry, _text, _text), max_size=3), max_size=3
)


@settings(max_examples=300)
@given(_modules, _left)
def test_the_manifest_is_written_as_json_dumps_writes_its_document(
    modules: dict[str, ModuleEntry], left: dict[str, dict[str, LeftEntry]]
) -> None:
    """Any names, notebooks and reasons (quotes, backslashes, control characters, non-ASCII),
    none or several of each, a notebook with nothing left."""
    manifest = Manifest(Path(), modules, left)
    document = manifest.document()
    assert manifest.render() == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert manifest.render() == _indented(document) + "\n"


_nested = st.fixed_dictionaries({"source": _text}) | st.dictionaries(_text, _text, max_size=2)
_member_values = _text | st.lists(_text, max_size=3) | _nested | st.lists(_nested, max_size=2)


@settings(max_examples=400)
@given(
    st.dictionaries(
        st.sampled_from(
            ["source", "cell_type", "metadata", "outputs", "id", 'x"source', "so\\urce"]
        ),
        _member_values,
        min_size=1,
    ),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
    st.sampled_from([None, (",", ":"), (", ", " : "), (",", ":\t"), (",", ": \n")]),
)
def test_the_source_found_from_the_end_is_the_member_walk_s(
    cell: dict[str, object],
    indent: int | None,
    ascii_only: bool,
    separators: tuple[str, str] | None,
) -> None:
    """Whatever the order of the members, whatever holds a nested `source` or a name ending
    in one, whatever the spaces around a colon: the fast path answers only when it is sure,
    and then as the walk does."""
    text = json.dumps(cell, indent=indent, ensure_ascii=ascii_only, separators=separators)
    found = _last_member(text, "source")
    members = _members(text, 0, _DECODER)
    if found is not None:
        assert found == members["source"]
    if list(cell)[-1] == "source" and isinstance(cell["source"], str):
        # Jupyter's cells (sorted keys: the source last) take the fast path. (A source that
        # holds `"source"` itself, in a list, is found by the walk.)
        assert found == members["source"]


@pytest.mark.parametrize("own", [True, False])
def test_the_digest_is_sha256_with_or_without_cpythons_own(
    own: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest's hashes are SHA-256 of the UTF-8 text, from CPython's own module where
    there is one, else from hashlib: the same either way."""
    _manifest._sha256.cache_clear()
    if not own:
        monkeypatch.setattr(builtins, "__import__", _without_own_sha256)
    try:
        for text in ("", "def f():\n    return 1\n", "Ä ∑ 🎉"):
            assert digest(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert (_manifest._sha256() is hashlib.sha256) is not own
    finally:
        _manifest._sha256.cache_clear()


# Names of word characters, numbers with leading zeros and zeros alone, and now and then a
# character that takes the slow path.
_names = st.text(alphabet="aAbzZ_0019", max_size=7) | st.text(max_size=3)


@settings(max_examples=500)
@given(st.lists(_names, max_size=12))
def test_all_is_sorted_as_ruffs_natural_order_key_sorts_it(names: list[str]) -> None:
    """Whatever the names: the same order as `_all_order`'s, equal keys (`a01`, `a1`) in the
    order the set gives them alike; a name `_all_order` fails on (`²`, a digit to
    `str.isdigit` only) fails alike."""
    try:
        expected = sorted(set(names), key=_all_order)
    except ValueError:
        with pytest.raises(ValueError, match="invalid literal"):
            _all_sorted(set(names))
        return
    assert _all_sorted(set(names)) == expected


_CELL_LINES = ["", "  ", "x = 1", "def f():", "    pass", "# note", "%time g()"]


@st.composite
def _cells_and_removed(draw: st.DrawFn) -> tuple[Notebook, list[Statement], dict[int, bool]]:
    """Cells of a few lines (a magic header or none, blank lines with spaces or without), and
    statements removed from them: runs of lines, one after the other or with lines between."""
    cells: list[Cell] = []
    removed: list[Statement] = []
    headers: dict[int, bool] = {}
    for index in range(draw(st.integers(1, 4))):
        header = draw(st.booleans())
        lines = ["%%time"] * header + draw(st.lists(st.sampled_from(_CELL_LINES), max_size=6))
        cells.append(Cell(index, "code", "\n".join(lines)))
        headers[index] = header
        line = 1 + header
        while line <= len(lines) and draw(st.booleans()):
            line += draw(st.integers(0, 1))  # a line kept between two statements, or none
            end = min(len(lines), line + draw(st.integers(0, 2)))
            if line <= end:
                node = draw(st.sampled_from([ast.Pass(), ast.Import(names=[])]))
                empty: frozenset[str] = frozenset()
                removed.append(Statement(index, node, line, end, empty, empty, empty))
            line = end + 1
    notebook = Notebook(Path("n.ipynb"), "ipynb", "python", tuple(cells), {}, "")
    return notebook, removed, headers


@settings(max_examples=500)
@given(_cells_and_removed(), st.sampled_from(["", "from m import f"]), st.data())
def test_a_cell_known_to_go_whole_goes_as_the_line_by_line_rewrite_finds(
    case: tuple[Notebook, list[Statement], dict[int, bool]],
    import_text: str,
    data: st.DataObject,
) -> None:
    """Whether an import takes a removed statement's place or not, a version's alias, a
    magic header: the same new sources as with every cell rewritten line by line."""
    notebook, removed, headers = case
    aliases = {
        (s.cell, s.start): "from m import f_v1 as f"
        for s in removed
        if data.draw(st.booleans(), label=f"alias at {s.cell}:{s.start}")
    }
    fast = new_cell_sources(notebook, tuple(removed), import_text, headers, None, aliases)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_rewrite, "_all_removed", lambda *_: False)
        slow = new_cell_sources(notebook, tuple(removed), import_text, headers, None, aliases)
    assert fast == slow


_import = builtins.__import__


def _without_own_sha256(name: str, *args: Any, **kwargs: Any) -> object:
    if name in ("_sha2", "_sha256"):
        raise ImportError(name)
    return _import(name, *args, **kwargs)
