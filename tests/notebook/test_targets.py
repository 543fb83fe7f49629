"""Where extracted code goes when the obvious module is not dsprod's to write (issue 12, item 7).

A generated project's package already has `model.py`, `data.py` and `settings.py`; a notebook
named `model.ipynb` must never have its functions appended to them. A module is dsprod's when
`.dsprod/manifest.json` records it as written from that very notebook.
"""

from __future__ import annotations

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

TEMPLATE_PACKAGE = Path(__file__).parents[2] / "template" / "project" / "src" / "{{package_name}}"
SETTINGS = '"""Typed settings, written by hand."""\n\nDEBUG = False\n'
CELLS = ("import math", "def train(r):\n    return math.pi * r**2", "print(train(2))")


def generated_project(root: Path) -> Path:
    """A project whose package holds the template's own model.py and data.py."""
    make_project(root)
    package = root / "src" / "mypkg"
    for name in ("model.py", "data.py"):
        # The template's own file, rendered as Copier would when its name ends in .jinja.
        source = next(TEMPLATE_PACKAGE.glob(f"{name}*"))
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".jinja":
            import jinja2

            text = jinja2.Template(text, keep_trailing_newline=True).render(package_name="mypkg")
        (package / name).write_text(text, encoding="utf-8")
    (package / "settings.py").write_text(SETTINGS, encoding="utf-8")
    return package


@pytest.mark.parametrize("name", ["model", "data", "settings"])
def test_a_notebook_named_like_a_module_of_the_package_gets_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    package = generated_project(tmp_path)
    original = (package / f"{name}.py").read_bytes()
    nb = write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", *CELLS)

    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 0, result.err
    assert (package / f"{name}.py").read_bytes() == original
    assert "def train(r)" in (package / f"{name}_nb.py").read_text(encoding="utf-8")
    assert code_sources(nb) == [f"from mypkg.{name}_nb import train", "print(train(2))"]
    # The output says where the code went, and why not into the module of that name.
    assert (
        f"create  src/mypkg/{name}_nb.py (src/mypkg/{name}.py exists and dsprod did not write "
        f"it from this notebook, so mypkg.{name}_nb;" in result.err
    )
    import_in_fresh_interpreter(package / f"{name}_nb.py", tmp_path / "src", f"mypkg.{name}_nb")


def test_the_other_target_is_kept_on_later_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = generated_project(tmp_path)
    original = (package / "model.py").read_bytes()
    nb = write_notebook(tmp_path / "notebooks" / "model.ipynb", *CELLS)
    assert run_cli(capsys, "extract", str(nb)).code == 0

    before = snapshot(tmp_path)
    again = run_cli(capsys, "extract", str(nb))
    assert again.code == 0, again.err
    assert snapshot(tmp_path) == before

    # A definition written later joins the module dsprod made, not the template's.
    add_cells(nb, "def score(x):\n    return 2 * x")
    later = run_cli(capsys, "extract", str(nb))
    assert later.code == 0, later.err
    assert "def score(x)" in (package / "model_nb.py").read_text(encoding="utf-8")
    assert (package / "model.py").read_bytes() == original

    # Even once model.py is gone, the notebook keeps importing from the module it went into.
    (package / "model.py").unlink()
    add_cells(nb, "def third(x):\n    return 3 * x")
    latest = run_cli(capsys, "extract", str(nb))
    assert latest.code == 0, latest.err
    assert not (package / "model.py").exists()
    assert "def third(x)" in (package / "model_nb.py").read_text(encoding="utf-8")


def test_a_module_written_from_the_same_notebook_is_still_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_project(tmp_path) / "src" / "mypkg"
    nb = write_notebook(tmp_path / "notebooks" / "churn.ipynb", *CELLS)
    assert run_cli(capsys, "extract", str(nb)).code == 0
    (package / "churn.py").write_text(
        (package / "churn.py").read_text(encoding="utf-8") + "\n\ndef mine():\n    return 1\n",
        encoding="utf-8",
    )
    add_cells(nb, "def score(x):\n    return 2 * x")
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    text = (package / "churn.py").read_text(encoding="utf-8")
    assert "def score(x)" in text and "def mine()" in text
    assert not (package / "churn_nb.py").exists()


def test_two_notebooks_of_one_name_in_two_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_project(tmp_path) / "src" / "mypkg"
    first = write_notebook(tmp_path / "notebooks" / "a" / "eda.ipynb", *CELLS)
    second = write_notebook(
        tmp_path / "notebooks" / "b" / "eda.ipynb", "def other():\n    return 1", "other()"
    )
    assert run_cli(capsys, "extract", str(first)).code == 0
    result = run_cli(capsys, "extract", str(second))
    assert result.code == 0, result.err
    assert "def other" not in (package / "eda.py").read_text(encoding="utf-8")
    assert "def other" in (package / "eda_nb.py").read_text(encoding="utf-8")
    assert code_sources(second)[0] == "from mypkg.eda_nb import other"


def test_a_subpackage_or_a_taken_alternative_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = make_project(tmp_path) / "src" / "mypkg"
    (package / "model").mkdir()
    (package / "model" / "__init__.py").write_text("", encoding="utf-8")
    (package / "model_nb.py").write_text("X = 1\n", encoding="utf-8")
    nb = write_notebook(tmp_path / "model.ipynb", *CELLS)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert (package / "model_nb.py").read_text(encoding="utf-8") == "X = 1\n"
    assert (package / "model" / "__init__.py").read_text(encoding="utf-8") == ""
    assert "def train" in (package / "model_nb2.py").read_text(encoding="utf-8")
    assert "src/mypkg/model exists and dsprod did not write it" in result.err


def test_outside_a_project_a_hand_written_neighbour_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "utils.py").write_text("def helper():\n    return 0\n", encoding="utf-8")
    nb = write_notebook(tmp_path / "utils.ipynb", *CELLS)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert (tmp_path / "utils.py").read_text(encoding="utf-8") == "def helper():\n    return 0\n"
    assert code_sources(nb)[0] == "from utils_nb import train"
    assert "create  utils_nb.py (utils.py exists and dsprod did not write it" in result.err


def test_an_explicit_module_may_hold_hand_written_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --module is the user's choice: dsprod adds to the module and keeps what is there.
    package = generated_project(tmp_path)
    nb = write_notebook(
        tmp_path / "notebooks" / "model.ipynb", "def area(r):\n    return r * r", "area(2)"
    )
    result = run_cli(capsys, "extract", "--module", "mypkg.model", str(nb))
    assert result.code == 0, result.err
    text = (package / "model.py").read_text(encoding="utf-8")
    assert "def area(r)" in text and "def train(" in text


# --- --module naming another package ---------------------------------------------------------


def test_module_in_another_package_is_refused_with_both_ways_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *CELLS)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "--module", "otherpkg.mod", str(nb))
    assert result.code == 1, result.err
    assert "error: --module otherpkg.mod: otherpkg is not this project's package (mypkg" in (
        result.err
    )
    assert "--module mypkg.otherpkg.mod" in result.err
    assert "--module src/otherpkg/mod.py" in result.err
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "src" / "mypkg" / "otherpkg").exists()


def test_the_suggested_path_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "shapes.ipynb", *CELLS)
    result = run_cli(capsys, "extract", "--module", "src/otherpkg/mod.py", str(nb))
    assert result.code == 0, result.err
    assert code_sources(nb)[0] == "from otherpkg.mod import train"
    assert "def train" in (tmp_path / "src" / "otherpkg" / "mod.py").read_text(encoding="utf-8")


def test_module_naming_the_package_itself_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "shapes.ipynb", *CELLS)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "--module", "mypkg", str(nb))
    assert result.code == 1
    assert "--module mypkg: that is the package itself" in result.err
    assert "next: name a module in it, e.g. --module mypkg.features" in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "stem",
    [
        *("analysis", "My Analysis-2", "2024 report", "class", "json"),
        *("Über Café", "\ufb01t_\u210c", "数据", "é"),
    ],
)
def test_a_module_name_is_the_normalized_stems(stem: str) -> None:
    # ASCII stems skip the NFKD normalization (and its import): it leaves every ASCII
    # character as it is, so the name is the one normalizing them gives.
    import re
    import unicodedata

    from dsprod.notebook._target import module_name_for

    assert all(unicodedata.normalize("NFKD", chr(c)) == chr(c) for c in range(128))
    normalized = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slow = re.sub(r"[^0-9A-Za-z]+", "_", normalized).strip("_").lower() or "notebook"
    name = module_name_for(Path(f"{stem}.ipynb"))
    assert name in (slow, f"nb_{slow}", f"{slow}_nb"), name
    assert name.removeprefix("nb_").removesuffix("_nb") == slow
