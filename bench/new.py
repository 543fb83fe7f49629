"""Time `dsprod new --defaults` (the whole process) beside `copier copy --defaults`.

Usage: python bench/new.py [--repeat N]

All render the same template (dsprod's) with the same answers into a new folder; each run is
a new process, as a user's command is, and they alternate so that drift in the machine's load
hits all alike. dsprod renders from its per-user template history (a git repository, so that
`dsprod update` can find the version later); Copier is timed both from that repository at the
same tag and from the template folder. Prints medians and ratios; the goals (issue "dsprod
new") are under 1 s, and no more than 10% over plain Copier. Also times `dsprod --help` and
the in-process render (imports excluded), to show where the time goes.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What dsprod new derives itself (folder name, git identity), given to both commands.
ANSWERS = {"project_name": "bench", "author_name": "Bench", "author_email": "bench@example.com"}


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=cwd)
    return time.perf_counter() - started


def tool(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    from dsprod.scaffold import find_template
    from dsprod.scaffold._history import materialise

    template = str(find_template().path)
    source = materialise(find_template())
    dsprod, copier = tool("dsprod"), tool("copier")
    data = [arg for key, value in ANSWERS.items() for arg in ("-d", f"{key}={value}")]
    new_runs: list[float] = []
    copier_runs: list[float] = []
    git_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for number in range(args.repeat + 1):
            new_dest, copier_dest = work / f"new{number}", work / f"copier{number}"
            new = timed([dsprod, "-q", "new", str(new_dest), "--defaults", *data], work)
            plain = timed(
                [copier, "copy", "--quiet", "--defaults", *data, template, str(copier_dest)],
                work,
            )
            from_git = timed(
                [copier, "copy", "--quiet", "--defaults", *data, "--vcs-ref", source.ref,
                 str(source.path), str(work / f"git{number}")],
                work,
            )  # fmt: skip
            if number:  # the first round warms the file cache
                new_runs.append(new)
                copier_runs.append(plain)
                git_runs.append(from_git)
        python_ms = _median_ms([sys.executable, "-c", "pass"], work, args.repeat)
        help_ms = _median_ms([dsprod, "--help"], work, args.repeat)
        render_ms = _in_process_ms(work / "inproc", args.repeat)
    new_ms = statistics.median(new_runs) * 1000
    copier_ms = statistics.median(copier_runs) * 1000
    git_ms = statistics.median(git_runs) * 1000
    print(f"python -c pass                    {python_ms:6.0f} ms")
    print(f"dsprod --help                     {help_ms:6.0f} ms")
    print(f"dsprod new --defaults             {new_ms:6.0f} ms")
    print(f"copier copy (git source, tag)     {git_ms:6.0f} ms")
    print(f"copier copy (template folder)     {copier_ms:6.0f} ms")
    print(f"new_project() in-process          {render_ms:6.0f} ms  (imports excluded)")
    print(f"ratio new / copier (git source)   {new_ms / git_ms:6.2f}")
    print(f"ratio new / copier (folder)       {new_ms / copier_ms:6.2f}")
    return 0


def _median_ms(command: list[str], cwd: Path, repeat: int) -> float:
    return statistics.median(timed(command, cwd) for _ in range(repeat)) * 1000


def _in_process_ms(base: Path, repeat: int) -> float:
    from dsprod._output import Output
    from dsprod.scaffold import new_project

    quiet = Output(quiet=True, err=io.StringIO())
    new_project(base / "warm", ANSWERS, defaults=True, output=quiet)
    runs = []
    for number in range(repeat):
        started = time.perf_counter()
        new_project(base / f"run{number}", ANSWERS, defaults=True, output=quiet)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


if __name__ == "__main__":
    sys.exit(main())
