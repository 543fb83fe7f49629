"""Re-running extraction: new definitions join the module; hand edits are never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    add_cells,
    code_sources,
    import_in_fresh_interpreter,
    make_project,
    run_cli,
    snapshot,
    write_notebook,
)

FIRST = ["import math", "def area(r):\n    return math.pi * r**2", "print(area(2))"]


@pytest.fixture
def extracted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST)
    assert run_cli(capsys, "extract", str(nb)).code == 0
    return nb, tmp_path / "src" / "mypkg" / "shapes.py"


def test_a_new_definition_is_added_and_hand_edits_elsewhere_survive(
    extracted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb, module = extracted
    edited = module.read_text().replace(
        "def area(r):", "# area of a disc, checked by hand\ndef area(r):"
    )
    edited += '\n\ndef hand_written():\n    return "mine"\n'
    module.write_text(edited)
    # The first run took `import math` out of the notebook with area: new code imports it again.
    add_cells(
        nb, "import math", "def perimeter(r):\n    return 2 * math.pi * r", "print(perimeter(1))"
    )

    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 0, result.err
    text = module.read_text()
    assert "# area of a disc, checked by hand" in text and "def hand_written():" in text
    assert text.index("def hand_written") < text.index("def perimeter")
    assert '__all__: list[str] = ["area", "perimeter"]' in text
    assert code_sources(nb)[-2:] == ["from mypkg.shapes import perimeter", "print(perimeter(1))"]
    import_in_fresh_interpreter(module, tmp_path / "src", "mypkg.shapes")
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    assert set(manifest["modules"]["src/mypkg/shapes.py"]["symbols"]) == {"area", "perimeter"}


def test_redefining_an_untouched_symbol_updates_it(
    extracted: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    nb, module = extracted
    # Before the call: no cell calls the module's version any more (after a call, the new body
    # is a version of its own: tests/notebook/test_versions.py).
    add_cells(nb, "def area(r):\n    return 3.14159 * r * r", before_last=True)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert "return 3.14159 * r * r" in module.read_text()
    assert "math.pi * r**2" not in module.read_text()


def test_redefining_a_hand_edited_symbol_is_a_conflict_that_loses_nothing(
    extracted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb, module = extracted
    module.write_text(module.read_text().replace("math.pi * r**2", "math.pi * r * r  # edited"))
    add_cells(nb, "def area(r):\n    return 3 * r * r", before_last=True)
    before = snapshot(tmp_path)

    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 1
    assert "conflict  area in src/mypkg/shapes.py:" in result.err
    assert "edited by hand" in result.err and "--force" in result.err
    # The difference is shown: what the module has, what the notebook has.
    # Each on a line of its own: a symbol's last line has no newline of its own.
    assert "\n-    return math.pi * r * r  # edited\n" in result.out
    assert "\n+    return 3 * r * r\n" in result.out
    assert snapshot(tmp_path) == before

    forced = run_cli(capsys, "extract", "--force", str(nb))
    assert forced.code == 0, forced.err
    assert "warning  --force replaces the hand-edited area" in forced.err
    assert "return 3 * r * r" in module.read_text()
    assert "def area" not in "".join(code_sources(nb))


def test_a_name_the_module_has_from_elsewhere_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    module = tmp_path / "src" / "mypkg" / "shapes.py"
    module.write_text('def area(r):\n    return "hand written"\n')
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST, "def other():\n    return 1")
    # Named on purpose: by default a module dsprod did not write is not a target at all.
    result = run_cli(capsys, "extract", "--module", "mypkg.shapes", str(nb))
    assert result.code == 0, result.err
    assert "area not extracted: uses" not in result.err
    assert "area not extracted: already exists in src/mypkg/shapes.py:1" in result.err
    text = module.read_text()
    assert text.startswith('def area(r):\n    return "hand written"\n')
    assert "def other():" in text
    assert "def area(r):\n    return math.pi" in "\n".join(code_sources(nb))


def test_dry_run_prints_both_diffs_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "--dry-run", str(nb))
    assert result.code == 0, result.err
    assert snapshot(tmp_path) == before
    assert "+++ b/src/mypkg/shapes.py" in result.out
    assert "+def area(r):" in result.out
    assert "+++ b/shapes.ipynb" in result.out
    assert "-def area(r):" in result.out and "+from mypkg.shapes import area" in result.out


@pytest.mark.parametrize(
    ("option", "module_path", "import_name"),
    [
        ("mypkg.geometry.shapes", "src/mypkg/geometry/shapes.py", "mypkg.geometry.shapes"),
        ("geometry", "src/mypkg/geometry.py", "mypkg.geometry"),
        ("src/mypkg/geo.py", "src/mypkg/geo.py", "mypkg.geo"),
    ],
)
def test_module_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    module_path: str,
    import_name: str,
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *FIRST)
    result = run_cli(capsys, "extract", "--module", option, str(nb))
    assert result.code == 0, result.err
    assert (tmp_path / module_path).exists()
    assert code_sources(nb) == [f"from {import_name} import area", "print(area(2))"]
    import_in_fresh_interpreter(tmp_path / module_path, tmp_path / "src", import_name)


def test_module_option_that_is_not_a_module_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST)
    result = run_cli(capsys, "extract", "--module", "my-module", str(nb))
    assert result.code == 1
    assert "--module 'my-module' is not a dotted module name" in result.err


def test_autoreload_lines_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST)
    assert run_cli(capsys, "extract", "--autoreload", str(nb)).code == 0
    assert code_sources(nb) == [
        "%load_ext autoreload\n%autoreload 2\nfrom shapes import area",
        "print(area(2))",
    ]


def test_autoreload_from_project_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.dsprod]\nautoreload = true\nformat = false\n")
    nb = write_notebook(tmp_path / "shapes.ipynb", *FIRST)
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb)[0].startswith("%load_ext autoreload\n%autoreload 2\n")
    # format = false: the source is exactly the notebook's (ruff would write `r**2` the same,
    # but would add two blank lines before the definition; here there is one block).
    assert (
        "def area(r):\n    return math.pi * r**2\n"
        in (tmp_path / "src" / "mypkg" / "shapes.py").read_text()
    )


def test_two_notebooks_into_one_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path)
    one = write_notebook(tmp_path / "one.ipynb", *FIRST)
    two = write_notebook(tmp_path / "two.ipynb", "def volume(r):\n    return r**3", "volume(1)")
    result = run_cli(capsys, "extract", "--module", "mypkg.geometry", str(one), str(two))
    assert result.code == 0, result.err
    text = (tmp_path / "src" / "mypkg" / "geometry.py").read_text()
    assert "def area" in text and "def volume" in text
    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    symbols = manifest["modules"]["src/mypkg/geometry.py"]["symbols"]
    assert symbols["area"]["notebook"] == "one.ipynb"
    assert symbols["volume"]["notebook"] == "two.ipynb"
