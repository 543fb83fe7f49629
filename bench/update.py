"""Time `dsprod update` (the whole process) against plain `copier update` of the same update.

Usage: python bench/update.py [--repeat N]

The project is made from an older release of the template (this checkout's template with a
changed line, a new file and a renamed file, released as 0.0.1 into the per-user history of
a temporary HOME, where the update finds it), committed, and updated by the installed dsprod
to its own template; between runs git puts the project back (not timed). Plain copier runs the
same update (same version, answers, conflict mode), and both give the same files (checked).
The runs alternate (dsprod, copier, copier, dsprod, ...) so that a machine busy with other
work slows both alike; the ratio is of the medians. Goal (issue 16): dsprod <= 1.0x copier,
though dsprod runs copier in a clone and brings the result in through a journal (see
cli/dsprod/scaffold/_bring_in.py). Also times `--dry-run` and the refusal of a dirty tree,
which stops before Copier.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def timed(command: list[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in ok:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ.update(
            HOME=str(work / "home"),
            GIT_AUTHOR_NAME="Bench",
            GIT_AUTHOR_EMAIL="bench@example.com",
            GIT_COMMITTER_NAME="Bench",
            GIT_COMMITTER_EMAIL="bench@example.com",
        )
        project = _old_project(work)
        dsprod = shutil.which("dsprod") or str(Path(sys.executable).parent / "dsprod")
        copier = shutil.which("copier") or str(Path(sys.executable).parent / "copier")
        from dsprod.scaffold import find_template
        from dsprod.scaffold._history import materialise

        # Plain Copier doing the same update: the floor dsprod's own work adds to.
        plain_command = [
            copier, "update", "--quiet", "--defaults", "--skip-answered",
            "--trust", "--conflict", "inline", "--vcs-ref", materialise(find_template()).ref,
            "--data", f"template_version={find_template().version}",
        ]  # fmt: skip
        update: list[float] = []
        plain: list[float] = []
        dry: list[float] = []
        for number in range(args.repeat + 1):
            # ABBA order: neither command always runs first after a reset.
            order = ("dsprod", "copier") if number % 2 else ("copier", "dsprod")
            for which in order:
                if which == "dsprod":
                    elapsed = timed([dsprod, "-q", "update"], project)
                    got = _files(project)
                else:
                    copier_elapsed = timed(plain_command, project)
                    want = _files(project)
                _reset(project)
            if got != want:
                sys.exit("dsprod update and copier update gave different files")
            dry_elapsed = timed([dsprod, "-q", "update", "--dry-run"], project)
            if number:  # the first round warms the file cache
                update.append(elapsed)
                plain.append(copier_elapsed)
                dry.append(dry_elapsed)
        (project / "README.md").write_text("dirty\n", encoding="utf-8")
        refusal = [timed([dsprod, "-q", "update"], project) for _ in range(args.repeat)]
    ours, theirs = statistics.median(update), statistics.median(plain)
    print(f"dsprod update             {ours * 1000:6.0f} ms")
    print(f"copier update             {theirs * 1000:6.0f} ms  (the same update)")
    print(f"ratio dsprod / copier     {ours / theirs:6.2f} x  (goal: <= 1.0)")
    print(f"dsprod update --dry-run   {statistics.median(dry) * 1000:6.0f} ms")
    print(f"dsprod update (dirty)     {statistics.median(refusal) * 1000:6.0f} ms  (refused)")
    return 0


def _files(project: Path) -> dict[str, bytes]:
    """Every file of the project but git's own, after an update."""
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts[:1]
    }


def _reset(project: Path) -> None:
    git(project, "reset", "--quiet", "--hard")
    git(project, "clean", "--quiet", "-d", "--force")


def _old_project(work: Path) -> Path:
    """A project on template 0.0.1, committed; 0.0.1 is in this HOME's template history."""
    from dsprod._output import Output
    from dsprod.scaffold import find_template, new_project
    from dsprod.scaffold._history import materialise, release
    from dsprod.scaffold._template import BUNDLE_NAME, Template

    sys.path.insert(0, str(ROOT))
    from tests.scaffold._releases import make_v2

    # The "older" release differs from the current template by the changes of the update
    # tests (a changed line, a new file, a renamed file); updating undoes them.
    old = work / "old" / "template"
    shutil.copytree(find_template().path, old)
    make_v2(old)
    bundle = work / "old" / BUNDLE_NAME
    release(old, bundle, "0.0.1")
    materialise(Template(old, bundle, "0.0.1"))  # into this HOME's history, as 0.0.1 left it
    project = work / "bench"
    quiet = Output(quiet=True)
    new_project(project, {}, defaults=True, output=quiet, template=Template(old, bundle, "0.0.1"))
    git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "generated")
    return project


if __name__ == "__main__":
    sys.exit(main())
