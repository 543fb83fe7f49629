"""Bad input to `dsprod extract`: a located message, the next step, exit 1, and nothing written.

The inputs are the ones people really feed a tool like this: a wrong path, a folder, a file
half-written by a crashed editor, a Python 2 notebook, an R notebook, a notebook with megabytes
of plots, a file name in Spanish. Every refusal must name the file, say what is wrong and what
to do next, and leave every file exactly as it was.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CliResult,
    code,
    code_sources,
    dumps,
    import_in_fresh_interpreter,
    make_project,
    md,
    notebook,
    read_cells,
    run_cli,
    snapshot,
    write_notebook,
)

GOOD_CELLS = (
    md("# Prices"),
    "import math",
    "def area(r):\n    return math.pi * r**2",
    "area(2)",
)


def good_text() -> str:
    return dumps(notebook(*GOOD_CELLS))


def next_step(result: CliResult) -> str:
    """The `next:` line of the error message; an empty string when there is none."""
    lines = [line for line in result.err.splitlines() if line.strip().startswith("next:")]
    return lines[0].strip() if lines else ""


def assert_refused(result: CliResult, *located: str) -> None:
    """Exit 1 with an `error:` that names where the problem is and says what to do next."""
    assert result.code == 1, result.err
    assert "error:" in result.err, result.err
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err
    for where in located:
        assert where in result.err, f"{where!r} not in:\n{result.err}"
    assert len(next_step(result)) > len("next: "), f"no next step in:\n{result.err}"


# --- files that are not notebooks ------------------------------------------------------------


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "notebooks/churn.ipynb")
    assert_refused(result, "notebooks/churn.ipynb", "no such file")
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "notebooks").exists()


def test_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_notebook(tmp_path / "notebooks" / "churn.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "notebooks")
    assert_refused(result, "notebooks", "folder")
    # The next step is the command that does work on that folder.
    assert "dsprod extract notebooks/*.ipynb" in next_step(result)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["empty", "blank"])
def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    (tmp_path / "empty.ipynb").write_bytes(content)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "empty.ipynb")
    assert_refused(result, "empty.ipynb", "empty")
    assert snapshot(tmp_path) == before


def test_truncated_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = good_text()
    half = text[: len(text) // 2]
    (tmp_path / "cut.ipynb").write_text(half, encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "cut.ipynb")
    # Located to the line and column where the JSON breaks off.
    line = half.count("\n") + 1
    assert_refused(result, f"cut.ipynb:{line}:", "not valid JSON", "truncated")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("content", ["[1, 2]", '{"a": 1}', '"cells"', "42", "null"])
def test_json_that_is_not_a_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    (tmp_path / "data.ipynb").write_text(content, encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "data.ipynb")
    assert_refused(result, "data.ipynb", "not a Jupyter notebook")
    assert snapshot(tmp_path) == before


def test_random_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytes(random.Random(7).randrange(256) for _ in range(4096)) + b"\x00"
    assert b"\x00" in data
    (tmp_path / "blob.ipynb").write_bytes(data)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "blob.ipynb")
    assert_refused(result, "blob.ipynb", "not a text file")
    assert snapshot(tmp_path) == before


def test_nul_bytes_in_valid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nul.ipynb").write_bytes(good_text().encode()[:200] + b"\x00\x00\x00\x00")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "nul.ipynb")
    assert_refused(result, "nul.ipynb", "binary data")
    assert snapshot(tmp_path) == before


def test_invalid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A notebook re-saved as Latin-1 by some editor: valid JSON shape, invalid UTF-8.
    text = dumps(notebook('PRICE = "café"', "def f():\n    return PRICE"))
    data = text.encode("latin-1")
    (tmp_path / "latin.ipynb").write_bytes(data)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "latin.ipynb")
    first_bad = data.index("é".encode("latin-1"))
    assert_refused(result, "latin.ipynb", f"byte {first_bad} is not UTF-8")
    assert snapshot(tmp_path) == before


def test_nbformat_too_old(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = notebook(*GOOD_CELLS)
    document["nbformat"] = 2
    (tmp_path / "old.ipynb").write_text(dumps(document), encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "old.ipynb")
    assert_refused(result, "old.ipynb", "nbformat 2 is not supported")
    assert "jupyter nbconvert" in next_step(result)
    assert snapshot(tmp_path) == before


def test_nbformat_5_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = notebook(*GOOD_CELLS)
    document["nbformat"] = 5
    (tmp_path / "future.ipynb").write_text(dumps(document), encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "future.ipynb")
    assert_refused(result, "future.ipynb", "nbformat 5 is not supported")
    assert snapshot(tmp_path) == before


def test_nbformat_5_hint_points_at_dsprod(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = notebook(*GOOD_CELLS)
    document["nbformat"] = 5
    (tmp_path / "future.ipynb").write_text(dumps(document), encoding="utf-8")
    result = run_cli(capsys, "extract", "future.ipynb")
    assert result.code == 1
    assert "nbconvert" not in next_step(result)
    assert "dsprod" in next_step(result)


def test_a_txt_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Even with notebook JSON inside: the extension decides, as Jupyter's does.
    (tmp_path / "notes.txt").write_text(good_text(), encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "notes.txt")
    assert result.code == 1, result.err
    assert "notes.txt" in result.err and "not a notebook" in result.err
    assert ".ipynb" in result.err  # says what it expected instead
    assert snapshot(tmp_path) == before


def test_a_txt_file_gets_a_next_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text(good_text(), encoding="utf-8")
    assert_refused(run_cli(capsys, "extract", "notes.txt"), "notes.txt")


def test_a_py_file_without_cell_markers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "script.py").write_text(
        "import math\n\n\ndef area(r):\n    return math.pi * r**2\n", encoding="utf-8"
    )
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "script.py")
    assert_refused(result, "script.py", "# %%")
    assert "# %%" in next_step(result)
    assert snapshot(tmp_path) == before


# --- a target that cannot be written ---------------------------------------------------------


def test_read_only_folder_for_real(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    nb = write_notebook(folder / "prices.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    if os.geteuid() == 0:
        result = _extract_on_read_only_mount(folder, nb)
    else:
        folder.chmod(0o555)
        try:
            result = run_cli(capsys, "extract", str(nb))
        finally:
            folder.chmod(0o755)
    assert_refused(result, "ro", "cannot write")
    assert snapshot(tmp_path) == before


def _extract_on_read_only_mount(folder: Path, nb: Path) -> CliResult:
    """Root ignores permissions (CI runs as root), not a read-only mount: `dsprod extract` in
    a mount namespace where `folder` is bound read-only, as on a read-only file system."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    command = ["unshare", "--mount", "sh", "-c", script, "sh", str(folder), sys.executable]
    done = subprocess.run(
        [*command, "-m", "dsprod", "extract", str(nb)],
        cwd=folder.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def _deny_writes_in(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> Callable[[], list[str]]:
    """Make `folders` behave as read-only for a non-root user; return the attempts made.

    Both layers are simulated: the permission check (`os.access`) and the write itself
    (creating the temporary file), so the test holds whichever one dsprod relies on.
    """
    denied = [f.resolve() for f in folders]
    attempts: list[str] = []
    real_access = os.access
    real_open = os.open

    def inside(path: Any) -> bool:
        return path is not None and Path(path).resolve() in denied

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if inside(path) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        folder = Path(path).parent
        if flags & os.O_CREAT and inside(folder):
            attempts.append(str(folder))
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "open", open_)
    return lambda: attempts


def test_read_only_folder_simulated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    nb = write_notebook(folder / "prices.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    _deny_writes_in(monkeypatch, folder)
    result = run_cli(capsys, "extract", str(nb))
    assert_refused(result, str(folder), "permission denied")
    assert snapshot(tmp_path) == before


def test_read_only_folder_simulated_at_write_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The permission check passes (as for root, or on a file system that lies), the write fails.
    folder = tmp_path / "ro"
    nb = write_notebook(folder / "prices.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    attempts = _deny_writes_in(monkeypatch, folder)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)
    result = run_cli(capsys, "extract", str(nb))
    assert attempts(), "the write was never attempted: the test proves nothing"
    assert_refused(result, str(folder), "cannot write")
    assert snapshot(tmp_path) == before


def test_read_only_notebook_folder_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path)
    folder = tmp_path / "notebooks"
    nb = write_notebook(folder / "prices.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    _deny_writes_in(monkeypatch, folder)
    result = run_cli(capsys, "extract", str(nb))
    assert_refused(result, str(folder), "cannot write")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("switches", "mode"),
    [
        pytest.param(
            [],
            0o644,
            id="format",
        ),
        pytest.param(["--no-format"], 0o644, id="no-format"),
        pytest.param(
            ["--no-format"],
            0o755,
            id="no-format-executable",
        ),
    ],
)
def test_target_folder_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], switches: list[str], mode: int
) -> None:
    nb = write_notebook(tmp_path / "prices.ipynb", *GOOD_CELLS)
    blocker = tmp_path / "lib"
    blocker.write_text("not a folder\n", encoding="utf-8")
    blocker.chmod(mode)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", *switches, "--module", "lib/prices_lib.py", str(nb))
    assert_refused(result, "lib")
    assert snapshot(tmp_path) == before
    assert stat.S_IMODE(blocker.stat().st_mode) == mode


def test_target_module_does_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(tmp_path / "prices.ipynb", *GOOD_CELLS)
    module = tmp_path / "prices.py"
    module.write_text('"""Helpers."""\n\nX = 1\n\ndef broken(:\n    pass\n', encoding="utf-8")
    before = snapshot(tmp_path)
    # Named on purpose: by default a module dsprod did not write is not a target at all.
    result = run_cli(capsys, "extract", "--module", "prices.py", str(nb))
    assert_refused(result, "prices.py:5:", "does not parse")
    assert "--module" in next_step(result)
    assert snapshot(tmp_path) == before


# --- notebooks with cells that are not Python 3 ----------------------------------------------


def test_python2_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(
        tmp_path / "legacy.ipynb",
        md("# 2014 analysis"),
        'print "loading"',
        "def mean(xs):\n    total = sum(xs)\n    print total\n    return total / len(xs)",
        "exec 'x = 1'",
    )
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", str(nb))
    # The first code cell that fails is cell 2 (the markdown cell counts), line 1.
    assert_refused(result, f"{nb}:cell 2:line 1", "Python 3")
    assert "Python 2" in next_step(result)
    assert snapshot(tmp_path) == before


def test_some_cells_do_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(
        tmp_path / "mixed.ipynb",
        md("# Mixed"),
        "import math",
        'print "legacy"',
        "def area(r):\n    return math.pi * r**2",
        "def shout(x):\n    print x.upper()",
        "area(2)",
    )
    original = json.loads(nb.read_text(encoding="utf-8"))
    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 0, result.err
    assert f"{nb}:cell 3:line 1: does not parse" in result.err
    assert f"{nb}:cell 5:line 2: does not parse" in result.err
    assert "area" in (tmp_path / "mixed.py").read_text(encoding="utf-8")
    assert "shout" not in (tmp_path / "mixed.py").read_text(encoding="utf-8")
    after = {c["id"]: c for c in read_cells(nb)}
    # The cells that do not parse are left exactly as they were; the rest was processed.
    assert after["c2"] == original["cells"][2]
    assert after["c4"] == original["cells"][4]
    # `import math` served only `area`: it left with it, and its emptied cell was removed; the
    # module's import took the place of `area`.
    assert code_sources(nb) == [
        'print "legacy"',
        "from mixed import area",
        "def shout(x):\n    print x.upper()",
        "area(2)",
    ]
    assert_unchanged_except_sources(original, nb)


def test_r_kernel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(
        tmp_path / "stats.ipynb",
        "area <- function(r) pi * r^2",
        "def <- 1",
        "area(2)",
        language="R",
    )
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert "stats.ipynb" in result.err
    assert "r kernel" in result.err.lower() and "Python only" in result.err
    assert snapshot(tmp_path) == before


# --- big and oddly named notebooks -----------------------------------------------------------


def _png_output(payload: str, kind: str = "display_data") -> dict[str, Any]:
    output: dict[str, Any] = {
        "data": {"image/png": payload, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
        "metadata": {"needs_background": "light"},
        "output_type": kind,
    }
    if kind == "execute_result":
        output["execution_count"] = 3
    return output


def assert_unchanged_except_sources(original: dict[str, Any], path: Path) -> None:
    """Byte for byte, the file is the original with only cell sources changed or cells removed."""
    text = path.read_text(encoding="utf-8")
    rewritten = json.loads(text)
    by_id = {c["id"]: c for c in original["cells"]}
    expected = copy.deepcopy(original)
    expected["cells"] = [{**by_id[c["id"]], "source": c["source"]} for c in rewritten["cells"]]
    assert text == dumps(expected)


def test_four_megabytes_of_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generator = random.Random(4)
    first = base64.encodebytes(generator.randbytes(1_500_000)).decode()
    second = base64.b64encode(generator.randbytes(1_500_000)).decode()
    nb = write_notebook(
        tmp_path / "plots.ipynb",
        md("# Plots"),
        "import math",
        code("def area(r):\n    return math.pi * r**2"),
        code("plot(area(2))", outputs=[_png_output(first)]),
        code(
            "class Circle:\n    def __init__(self, r):\n        self.r = r\n\nCircle(1).r",
            outputs=[_png_output(second, "execute_result")],
        ),
    )
    assert nb.stat().st_size > 4_000_000
    original = json.loads(nb.read_text(encoding="utf-8"))

    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 0, result.err
    module = (tmp_path / "plots.py").read_text(encoding="utf-8")
    assert "def area(r):" in module and "class Circle:" in module
    assert code_sources(nb) == [
        "from plots import Circle, area",  # where area was; `import math` left with it
        "plot(area(2))",
        "Circle(1).r",
    ]
    after = {c["id"]: c for c in read_cells(nb)}
    assert after["c3"]["outputs"] == original["cells"][3]["outputs"]
    assert after["c4"]["outputs"] == original["cells"][4]["outputs"]
    assert_unchanged_except_sources(original, nb)
    import_in_fresh_interpreter(tmp_path / "plots.py", tmp_path, "plots")


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("Análisis de datos 2.ipynb", "analisis_de_datos_2"),
        ("2024 données (copie).ipynb", "nb_2024_donnees_copie"),
        ("日本語.ipynb", "notebook"),
    ],
)
def test_file_names_with_spaces_and_accents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, module: str
) -> None:
    nb = write_notebook(tmp_path / name, *GOOD_CELLS)
    result = run_cli(capsys, "extract", name)
    assert result.code == 0, result.err
    assert module.isascii() and module.isidentifier()
    assert (tmp_path / f"{module}.py").is_file(), sorted(p.name for p in tmp_path.iterdir())
    assert code_sources(nb) == [f"from {module} import area", "area(2)"]
    assert name in (tmp_path / f"{module}.py").read_text(encoding="utf-8")  # provenance
    assert name in result.err
    import_in_fresh_interpreter(tmp_path / f"{module}.py", tmp_path, module)


# --- several notebooks, --only ---------------------------------------------------------------


def test_one_bad_notebook_does_not_stop_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = good_text()
    (tmp_path / "broken.ipynb").write_text(text[: len(text) // 3], encoding="utf-8")
    good = write_notebook(tmp_path / "good.ipynb", *GOOD_CELLS)
    broken_before = (tmp_path / "broken.ipynb").read_bytes()

    result = run_cli(capsys, "extract", "broken.ipynb", "missing.ipynb", "good.ipynb")

    assert result.code == 1, result.err
    assert "broken.ipynb:" in result.err and "not valid JSON" in result.err
    assert "missing.ipynb: no such file" in result.err
    assert code_sources(good) == ["from good import area", "area(2)"]
    assert "def area(r):" in (tmp_path / "good.py").read_text(encoding="utf-8")
    assert (tmp_path / "broken.ipynb").read_bytes() == broken_before
    assert not (tmp_path / "broken.py").exists() and not (tmp_path / "missing.py").exists()


def test_only_an_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = write_notebook(
        tmp_path / "shapes.ipynb",
        *GOOD_CELLS,
        "class Circle:\n    pass",
        "def perimeter(r):\n    return 2 * math.pi * r",
    )
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", "--only", "nosuchname", str(nb))
    assert_refused(result, "shapes.ipynb", "nosuchname")
    # The names that do exist, so the user can pick one.
    assert "Circle" in next_step(result)
    assert "area" in next_step(result) and "perimeter" in next_step(result)
    assert snapshot(tmp_path) == before


def test_a_broken_manifest_is_a_clear_error_for_extract_and_a_finding_for_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "prices.ipynb", *GOOD_CELLS)
    (tmp_path / ".dsprod").mkdir()
    (tmp_path / ".dsprod" / "manifest.json").write_text('{"schema_version": 1, "modules": [')
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 1
    assert "manifest.json: cannot read the manifest" in result.err
    assert "next: restore it from git" in result.err
    assert snapshot(tmp_path) == before
    checked = run_cli(capsys, "check", "prices.ipynb")
    assert checked.code == 1
    assert checked.out.startswith("prices.ipynb: ") and "cannot read the manifest" in checked.out


@pytest.mark.parametrize("failing", ["module", "notebook", "manifest"])
def test_a_full_disk_while_writing_is_a_clear_error_and_changes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    make_project(tmp_path)
    nb = write_notebook(tmp_path / "prices.ipynb", *GOOD_CELLS)
    target = {
        "module": "src/mypkg/prices.py",
        "notebook": "prices.ipynb",
        "manifest": ".dsprod/manifest.json",
    }[failing]
    before = snapshot(tmp_path)
    real_fsync = os.fsync
    written: list[str] = []

    def fsync(fd: int) -> None:
        # The write of `target` fails as on a full disk; the others go through.
        name = Path(f"/proc/self/fd/{fd}").readlink().name
        written.append(name)
        if name.startswith(f".{Path(target).name}."):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = run_cli(capsys, "extract", str(nb))

    assert result.code == 1, result.err
    assert f"cannot write {tmp_path / target}: No space left on device" in result.err
    assert "nothing was changed" in result.err and "internal error" not in result.err
    assert any(name.startswith(f".{Path(target).name}.") for name in written)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('tool = 3\n[project]\nname = "mypkg"\n', "`tool` must be a table"),
        ('[project]\nname = "mypkg"\n[tool]\ndsprod = "x"\n', "[tool.dsprod] must be a table"),
    ],
)
def test_a_tool_entry_that_is_not_a_table_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pyproject: str, message: str
) -> None:
    make_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(pyproject)
    nb = write_notebook(tmp_path / "prices.ipynb", *GOOD_CELLS)
    before = snapshot(tmp_path)
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 1, result.err
    assert message in result.err and "internal error" not in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("field", ["kernelspec", "language_info", "metadata"])
def test_metadata_given_as_a_string_is_read_as_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    document = notebook(*GOOD_CELLS)
    if field == "metadata":
        document["metadata"] = "python3"
    else:
        document["metadata"][field] = "python3"
    nb = tmp_path / "prices.ipynb"
    nb.write_text(dumps(document))
    result = run_cli(capsys, "extract", str(nb))
    assert result.code == 0, result.err
    assert "extract " in result.err
