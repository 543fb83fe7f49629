"""The notebook filter's diagnosis (real git, filters written as small shell commands), and the
wheel setup hands installers (a repacked installation, installed for real by pip). The slow
tier (test_setup.py) runs the real nbstripout filter and real hook installs."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pytest

import dsprod
from dsprod._output import say
from dsprod.devenv import checks
from dsprod.devenv._filter import DRIVER, configure_filter, filter_command, filter_state
from dsprod.devenv._wheel import _repack, _source_folder, find_links_env, findable, make_wheel
from dsprod.errors import UserError

# --- the filter ------------------------------------------------------------------------------

# A clean command that strips as nbstripout --keep-id does (outputs, counts, the Python
# version); the cases below break one thing each.
STRIP = (
    "python3 -c 'import json,sys; nb=json.load(sys.stdin); "
    '[c.update(outputs=[], execution_count=None) for c in nb["cells"]]; '
    'nb["metadata"].get("language_info", {}).pop("version", None); '
    "json.dump(nb, sys.stdout, indent=1)'"
)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q")
    return project


def configure(root: Path, clean: str, required: bool = True) -> None:
    git(root, "config", f"filter.{DRIVER}.clean", clean)
    git(root, "config", f"filter.{DRIVER}.smudge", "cat")
    if required:
        git(root, "config", f"filter.{DRIVER}.required", "true")


def test_the_template_gives_notebooks_the_filter(repo: Path) -> None:
    assert (repo / ".gitattributes").read_text().count("*.ipynb filter=nbstripout") == 1
    state = filter_state(repo)
    assert (state.ok, state.driver, state.configured) == (False, DRIVER, False)
    assert "which git is not configured to run: commits would keep the outputs" in state.detail
    check = {c.name: c for c in checks.doctor(repo)}["filter"]
    assert (check.status, check.fix) == ("problem", "dsprod setup  (it configures it)")


@pytest.mark.parametrize(
    ("clean", "said"),
    [
        ("cat", "leaves outputs in"),
        ("false", "fails: exit code 1"),
        ("echo nope", "does not write a notebook back"),
        (STRIP.replace("execution_count=None)", 'execution_count=None, id="0")'), "renumbers"),
        (STRIP.replace('pop("version", None)', 'get("name")'), "Python version"),
    ],
)
def test_a_filter_that_does_not_strip_is_a_problem(repo: Path, clean: str, said: str) -> None:
    configure(repo, clean)
    state = filter_state(repo)
    assert not state.ok
    assert state.configured
    assert said in state.detail, state.detail


def test_a_working_filter_must_also_be_required(repo: Path) -> None:
    configure(repo, STRIP, required=False)
    assert "not required: if it failed, git would commit the outputs" in filter_state(repo).detail
    git(repo, "config", f"filter.{DRIVER}.required", "true")
    state = filter_state(repo)
    assert state.ok, state.detail
    assert state.configured
    assert state.detail.endswith("; outputs stay on disk")


def test_configure_writes_the_local_git_configuration(repo: Path) -> None:
    python = repo / ".venv" / "bin" / "python"
    assert configure_filter(repo, DRIVER, python) is None
    assert git(repo, "config", "--local", f"filter.{DRIVER}.clean").strip() == (
        f"{python} -m nbstripout --keep-id"
    )
    assert filter_command(python) == f"{python} -m nbstripout --keep-id"
    assert git(repo, "config", f"filter.{DRIVER}.required").strip() == "true"
    assert "metadata.language_info.version" in git(repo, "config", f"filter.{DRIVER}.extrakeys")
    # .venv has no python here: the filter is configured, and said not to run.
    assert "fails" in filter_state(repo).detail


def test_an_older_project_with_the_nbstripout_hook_gets_a_note(repo: Path) -> None:
    (repo / ".gitattributes").unlink()
    config = repo / ".pre-commit-config.yaml"
    config.write_text(config.read_text() + "      - id: nbstripout\n        entry: nbstripout\n")
    check = {c.name: c for c in checks.doctor(repo)}["filter"]
    assert check.status == "note"
    assert check.fix == "dsprod update"
    assert "strips notebooks on disk" in check.detail


def test_outside_a_repository(project: Path) -> None:
    state = filter_state(project)
    assert (state.ok, state.repository, state.detail) == (False, False, "not a git repository")


# --- the wheel ---------------------------------------------------------------------------------


def test_find_links_are_added_to_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.delenv("UV_FIND_LINKS", raising=False)
    assert find_links_env(tmp_path) == {
        "PIP_FIND_LINKS": f"/opt/wheels {tmp_path}",
        "UV_FIND_LINKS": str(tmp_path),
    }
    monkeypatch.setenv("UV_FIND_LINKS", "/a")
    assert find_links_env(tmp_path)["UV_FIND_LINKS"] == f"/a,{tmp_path}"


def test_findable_looks_in_the_users_find_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", f"/nowhere {tmp_path}")
    monkeypatch.delenv("UV_FIND_LINKS", raising=False)
    assert findable("9.9") is None
    (tmp_path / "dsprod-9.9-py3-none-any.whl").touch()
    assert findable("9.9") == tmp_path
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("UV_FIND_LINKS", f"/nowhere,{tmp_path}")
    assert findable("9.9") == tmp_path


def installed(
    site: Path, files: dict[str, str], direct_url: Mapping[str, object] | None = None
) -> metadata.Distribution:
    """A distribution installed in `site` as pip leaves one: files, dist-info, RECORD."""
    info = site / "dsprod-9.9.dist-info"
    info.mkdir(parents=True)
    files = {
        **files,
        "dsprod-9.9.dist-info/METADATA": "Metadata-Version: 2.1\nName: dsprod\nVersion: 9.9\n",
        "dsprod-9.9.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: py3-none-any\n",
        "dsprod-9.9.dist-info/entry_points.txt": "[console_scripts]\ndsprod = dsprod.x:main\n",
        "dsprod-9.9.dist-info/INSTALLER": "pip\n",
    }
    if direct_url is not None:
        files["dsprod-9.9.dist-info/direct_url.json"] = json.dumps(direct_url)
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    record = [f"{name},," for name in files] + [
        "../../../bin/dsprod,,",
        "dsprod-9.9.dist-info/RECORD,,",
    ]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    return metadata.Distribution.at(info)


def test_an_installation_is_packed_back_into_a_wheel_pip_installs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    distribution = installed(
        site,
        {
            "dsprod/__init__.py": "VERSION = '9.9'\n",
            "dsprod/x.py": "def main() -> None:\n    print('hello from the wheel')\n",
            "dsprod/__pycache__/x.cpython-311.pyc": "bytes",
            "dsprod/_template/copier.yml": "_subdirectory: project\n",
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    wheel = _repack(distribution, out)
    assert wheel.name == "dsprod-9.9-py3-none-any.whl"
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert names == {
        "dsprod/__init__.py",
        "dsprod/x.py",
        "dsprod/_template/copier.yml",
        "dsprod-9.9.dist-info/METADATA",
        "dsprod-9.9.dist-info/WHEEL",
        "dsprod-9.9.dist-info/entry_points.txt",
        "dsprod-9.9.dist-info/RECORD",
    }
    for line in archive.read("dsprod-9.9.dist-info/RECORD").decode().splitlines():
        name, digest, size = line.split(",")
        if digest:
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data))
    target = tmp_path / "target"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            target,
            wheel,
        ],
        check=True,
    )
    assert (target / "dsprod" / "x.py").read_text().endswith("print('hello from the wheel')\n")


def test_a_damaged_installation_is_refused_and_leaves_no_wheel(tmp_path: Path) -> None:
    site = tmp_path / "site"
    distribution = installed(site, {"dsprod/__init__.py": ""})
    (site / "dsprod" / "__init__.py").unlink()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UserError, match="is incomplete") as caught:
        _repack(distribution, out)
    assert "reinstall dsprod" in (say(caught.value.hint) or "")
    assert list(out.iterdir()) == []


def test_a_checkout_install_is_built_from_its_folder(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\nname = 'dsprod'\n")
    url = {"url": checkout.as_uri(), "dir_info": {"editable": True}}
    assert _source_folder(installed(tmp_path / "a", {}, url)) == checkout
    wheel_url = {"url": (tmp_path / "d.whl").as_uri(), "archive_info": {}}
    assert _source_folder(installed(tmp_path / "b", {}, wheel_url)) is None
    assert _source_folder(installed(tmp_path / "c", {})) is None


@pytest.mark.slow
def test_the_running_checkout_is_built_into_a_wheel(tmp_path: Path) -> None:
    """The tests run dsprod from this checkout (an editable install): setup builds its wheel,
    template included, as `pip wheel` would."""
    wheel, how = make_wheel(tmp_path)
    assert how.startswith("built from ")
    assert wheel.parent == tmp_path
    assert wheel.name.startswith(f"dsprod-{dsprod.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "dsprod/devenv/_wheel.py" in names
    assert "dsprod/_template/copier.yml" in names
