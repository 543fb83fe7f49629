"""End-to-end behaviour of `dsprod extract` on notebooks the tests write themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    CellSpec,
    code_sources,
    import_in_fresh_interpreter,
    make_project,
    md,
    read_cells,
    run_cli,
    snapshot,
    unbound_reads,
    write_notebook,
)

ORDINARY: list[CellSpec] = [
    md("# Analysis"),
    "%matplotlib inline\n!pip install --quiet tabulate\nimport math\nimport functools\n"
    "from statistics import mean, median",
    "# scale of the scores\nSCALE = math.sqrt(2)",
    '@functools.lru_cache(maxsize=None)\ndef risk(score):\n    """Risk from a score."""\n'
    "    return 1 / (1 + math.exp(-score / SCALE))",
    "class Customer:\n    def __init__(self, spend):\n        self.spend = spend\n\n"
    "    def churn(self):\n        return risk(mean(self.spend) - median(self.spend))",
    "people = [Customer([1.0, 2.0, 4.0])]\nprint(round(people[0].churn(), 6))",
    "%%time\ndef total(xs):\n    return sum(x.churn() for x in xs)\n\n"
    "print(round(total(people), 6))",
    "def share():\n    return total(people) / len(people)\n\nprint(round(share(), 6))",
]


def test_ordinary_notebook_in_a_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "notebooks" / "churn.ipynb", *ORDINARY)
    before = read_cells(nb)

    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 0, result.err
    module = tmp_path / "src" / "mypkg" / "churn.py"
    text = module.read_text()
    # The magics stay in the notebook; decorators, docstrings and comments travel, brought to
    # the project's lint fixed point by its own ruff (here its default rules: UP033).
    assert "%matplotlib" not in text and "!pip" not in text and "%%time" not in text
    assert "@functools.cache\ndef risk(score):\n" in text
    assert '"""Risk from a score."""' in text
    assert "# scale of the scores\nSCALE = math.sqrt(2)" in text
    assert "import functools\nimport math\nfrom statistics import mean, median" in text
    assert "Source: notebooks/churn.ipynb" in text
    assert '__all__: list[str] = ["Customer", "risk", "share", "total"]' in text  # as ruff sorts
    import_in_fresh_interpreter(module, tmp_path / "src", "mypkg.churn")

    sources = code_sources(nb)
    # `share` reads `people`, computed from data: it takes it as a keyword-only parameter, with
    # no default, and the notebook's call passes it.
    assert "def share(*, people):\n    return total(people) / len(people)\n" in text
    assert sources[-1] == "print(round(share(people=people), 6))"
    assert "not extracted" not in result.err
    # math, functools, mean and median served only the code that moved: their imports left
    # with it (the module has its own); the magics above them stay.
    assert sources[0] == "%matplotlib inline\n!pip install --quiet tabulate"
    # One import of exactly what the notebook still uses, where the first moved code was.
    assert sources[1] == "from mypkg.churn import Customer, share, total"
    assert sources[2].startswith("people = ")
    assert sources[3] == "%%time\nprint(round(total(people), 6))"
    after = read_cells(nb)
    assert len(after) == len(before) - 2  # the cells of risk and Customer were emptied
    assert after[0] == before[0]
    assert {**after[1], "source": None} == {**before[1], "source": None}
    assert {**after[2], "source": None} == {**before[2], "source": None}
    assert after[3] == before[5]
    assert unbound_reads(sources) <= unbound_reads(code_sources_of(before))

    manifest = json.loads((tmp_path / ".dsprod" / "manifest.json").read_text())
    entry = manifest["modules"]["src/mypkg/churn.py"]
    assert manifest["schema_version"] == 2
    assert entry["module"] == "mypkg.churn"
    assert set(entry["symbols"]) == {"SCALE", "risk", "Customer", "total", "share"}
    assert entry["symbols"]["risk"]["notebook"] == "notebooks/churn.ipynb"

    again = snapshot(tmp_path)
    second = run_cli(capsys, "extract", str(nb))
    assert second.code == 0
    assert snapshot(tmp_path) == again, "a second run must change nothing"


def code_sources_of(cells: list[dict[str, object]]) -> list[str]:
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]  # type: ignore[arg-type]


def test_outside_a_project_the_module_goes_next_to_the_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "my analysis.ipynb", "def f(x):\n    return x + 1", "f(1)")
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    module = tmp_path / "my_analysis.py"
    assert module.exists()
    assert "next to the notebook" in result.err
    assert code_sources(nb) == ["from my_analysis import f", "f(1)"]
    import_in_fresh_interpreter(module, tmp_path, "my_analysis")


def test_the_import_that_replaces_a_definition_is_followed_by_one_blank_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "def f(x):\n    return x\n\n\nf(1)")
    assert run_cli(capsys, "extract", str(nb)).code == 0
    assert code_sources(nb) == ["from nb import f\n\nf(1)"]
