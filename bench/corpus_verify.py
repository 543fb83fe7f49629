"""Run `dsprod extract --verify` over a folder of real notebooks and classify what happens.

Usage: python bench/corpus_verify.py FOLDER [--timeout S] [--skip-pattern REGEX ...]
                                            [--skip-import MODULE ...] [--notebook-timeout S]
                                            [--hash-seed N] [--allow-installs] [--json]

Each notebook is copied into a temporary folder of its own, and `dsprod extract --verify` runs
on the copy in a subprocess, one notebook at a time; the originals are never touched. The
outcome is read from the exit code and the output:

    identical        every compared cell showed the same before and after
    differed         some cells showed something else after extraction (which, why, first lines)
    new failure      the rewritten notebook failed where the original did not; dsprod restored it
    original fails   the original stops early (cell and error); the cells before it are compared
    skipped          non-Python kernel, nothing to extract, known-unrunnable (by name or by
                     imports of GPU frameworks), or a cell that runs `pip install`
    timed out        the whole notebook took longer than --notebook-timeout
    dsprod error     any other exit, an error message, or a crash

Differences get a guessed reason (timing text, ordering only, numbers only, figure reprs,
dates, an error after extraction...): a hint for the reader, not a verdict.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Frameworks that need a GPU, large downloads or a heavy install: such notebooks are skipped.
DEFAULT_SKIP_IMPORTS = (
    "torch",
    "torchvision",
    "tensorflow",
    "tensorflow_probability",
    "clip",
    "jax",
)

_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", re.M)
_CELL = r"(?P<cell>\d+)"
_DIFFERS = re.compile(rf":cell {_CELL}: shows something else after extraction$")
_NEW_FAILURE = re.compile(
    rf":cell {_CELL}: fails after extraction \((?P<error>.*)\) but not before"
)
_ORIGINAL_FAILS = re.compile(
    rf":cell {_CELL}: the notebook fails here before extraction \((?P<error>.*)\); "
    r"compared the (?P<compared>\d+) cells before it$"
)
_IDENTICAL = re.compile(r"^\s*identical\s+.*: (?P<compared>\d+) cells show the same as before$")
_NOTHING_RAN = re.compile(r"nothing ran before the first failure|nothing compared, the extraction")
_NOTHING_COMPARED = re.compile(
    rf"nothing compared, the extraction is not verified: it fails at cell {_CELL} before "
    r"extraction \((?P<error>.*)\); no cell"
)
_WARNINGS = re.compile(r"^\s*warnings\s+.*:cell \d+: ")
_SKIP = re.compile(r"^\s*skip\s+.*: (?P<why>.*)$")
_RESTORED = re.compile(r"^\s*restore\s+")
_EXTRACTED = re.compile(r"^\s*extract\s+")

_NETWORK = re.compile(
    r"URLError|ConnectionError|ConnectTimeout|gaierror|Name or service not known|"
    r"Temporary failure in name resolution|Max retries exceeded|HTTPError|"
    r"Network is unreachable|getaddrinfo|NewConnectionError|RemoteDisconnected",
)
_MISSING_DATA = re.compile(r"FileNotFoundError|No such file or directory|does not exist")
_TIMING = re.compile(
    r"CPU times|Wall time|per loop|\d\s*[mµn]?s ±|elapsed|\d\s*m?secs?\b|seconds|took", re.I
)
_PIP = re.compile(r"Requirement already satisfied|Successfully installed|Collecting |Processing ")
# A cell that installs packages changes the interpreter every later notebook runs in.
_INSTALLS = re.compile(r"^\s*[!%].*\b(pip|conda|mamba)\s+install\b", re.M)
_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b|\b\d\d:\d\d:\d\d\b")
_FIGURE = re.compile(r"<Figure size|matplotlib|Axes|Line2D|<IPython\.|Text\(")
_GLUED = re.compile(r"(?<=.)(?=\+\[(?:stdout|stderr|execute_result|display_data|error)\])")
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?", re.I)


@dataclass
class Outcome:
    notebook: str
    kind: str  # identical, differed, new failure, original fails, skipped, timed out, error
    reason: str = ""
    detail: list[str] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)  # cells that differed
    why: dict[int, str] = field(default_factory=dict)  # cell -> guessed reason of a difference
    compared: int | None = None
    warnings: int = 0  # cells whose warnings changed (reported apart, not a difference)
    extracted: int = 0
    seconds: float = 0.0
    exit_code: int | None = None

    def line(self) -> str:
        text = f"{self.kind:<15} {self.notebook}  ({self.seconds:.0f} s"
        if self.extracted:
            text += f", {self.extracted} extracted"
        if self.compared is not None:
            text += f", {self.compared} cells compared"
        if self.warnings:
            text += f", warnings changed in {self.warnings}"
        text += ")"
        if self.reason:
            text += f": {self.reason}"
        return text


def code_of(path: Path) -> tuple[str, str]:
    """The notebook's code cells joined, and its kernel language (lower case, '' unknown)."""
    if path.suffix == ".py":
        return path.read_text(encoding="utf-8", errors="replace"), "python"
    try:
        node: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    meta = node.get("metadata") or {}
    language = str(
        (meta.get("kernelspec") or {}).get("language")
        or (meta.get("language_info") or {}).get("name")
        or meta.get("language")
        or ""
    ).lower()
    cells = node.get("cells")
    if cells is None:  # nbformat 3: cells live in worksheets
        cells = [c for w in node.get("worksheets", []) for c in w.get("cells", [])]
    parts = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        parts.append("".join(source) if isinstance(source, list) else str(source))
    return "\n".join(parts), language


def skip_reason(
    path: Path, patterns: list[re.Pattern[str]], imports: set[str], allow_installs: bool
) -> str | None:
    for pattern in patterns:
        if pattern.search(path.name):
            return f"known-unrunnable (matches {pattern.pattern!r})"
    code, _ = code_of(path)
    if not allow_installs and _INSTALLS.search(code):
        return "installs packages in a cell (would change this interpreter; --allow-installs)"
    needed = sorted({m for m in _IMPORT.findall(code) if m in imports})
    if needed:
        return f"needs {', '.join(needed)} (GPU/heavy framework)"
    return None


def guess_why(diff: str) -> str:
    """A guess at why a cell shows something else: from the removed and added lines."""
    # dsprod's diff glues "-old" and "+new" on one line when neither ends with a newline.
    lines = [part for line in diff.splitlines() for part in _GLUED.split(line)]
    removed = [line[1:] for line in lines if line.startswith("-") and line[:3] != "---"]
    added = [line[1:] for line in lines if line.startswith("+") and line[:3] != "+++"]
    old, new = "\n".join(removed), "\n".join(added)
    if "[error]" in new and "[error]" not in old:
        error = next(line for line in added if "[error]" in line)
        return "error after extraction: " + error.split("[error]", 1)[1].strip()[:100]
    if "[error]" in old and "[error]" not in new:
        return "error before extraction only"
    if old.strip() == "<not run>" or new.strip() == "<not run>":
        return "ran in one run only (timeout or dead kernel?)"
    if _TIMING.search(old) and _TIMING.search(new):
        return "timing text"
    if _PIP.search(old) or _PIP.search(new):
        return "package installer output (a cell runs pip)"
    if sorted(old) == sorted(new):
        return "ordering only (set/dict/hash order?)"
    if _NUMBER.sub("#", old) == _NUMBER.sub("#", new):
        return "numbers only (randomness/float noise?)"
    if _DATE.search(old) or _DATE.search(new):
        return "dates/times"
    if _FIGURE.search(old) or _FIGURE.search(new):
        return "figure/object reprs"
    if len(old) > 0 and len(new) == 0:
        return "output missing after extraction"
    if len(new) > 0 and len(old) == 0:
        return "output only after extraction"
    return "other"


def split_diffs(stdout: str) -> list[str]:
    """The unified diffs dsprod printed, one per differing cell, in order."""
    diffs: list[str] = []
    for line in stdout.splitlines(keepends=True):
        if line.startswith("--- before"):
            diffs.append(line)
        elif diffs:
            diffs[-1] += line
    return diffs


def original_failure(error: str) -> str:
    if _NETWORK.search(error):
        return "no network/data: " + error
    if "ModuleNotFoundError" in error or "ImportError" in error:
        return "missing module: " + error
    if "is not a valid package style" in error:
        return "library version (matplotlib style removed): " + error
    if _MISSING_DATA.search(error):
        return "no network/data (missing file): " + error
    return error


def classify(name: str, code: int, stdout: str, stderr: str, seconds: float) -> Outcome:
    outcome = Outcome(name, "dsprod error", seconds=seconds, exit_code=code)
    lines = stderr.splitlines()
    outcome.extracted = sum(bool(_EXTRACTED.match(line)) for line in lines)
    outcome.warnings = sum(bool(_WARNINGS.match(line)) for line in lines)
    if code not in (0, 1):
        tail = [line for line in lines if line.strip()][-3:]
        outcome.reason = f"exit code {code}: " + " | ".join(tail)[:300]
        return outcome
    # Cells dsprod leaves alone are "skip" lines too; the notebook's own verdict comes last.
    skipped = next((m for m in map(_SKIP.match, reversed(lines)) if m), None)
    differing = [int(m["cell"]) for m in map(_DIFFERS.search, lines) if m]
    new_failure = next((m for m in map(_NEW_FAILURE.search, lines) if m), None)
    fails = next((m for m in map(_ORIGINAL_FAILS.search, lines) if m), None)
    identical = next((m for m in map(_IDENTICAL.match, lines) if m), None)
    nothing_ran = any(_NOTHING_RAN.search(line) for line in lines)
    restored = any(_RESTORED.match(line) for line in lines)
    if fails:
        outcome.compared = int(fails["compared"])
    elif identical:
        outcome.compared = int(identical["compared"])
    failing = f"original fails at cell {fails['cell']}" if fails else ""

    if new_failure:
        outcome.kind = "new failure"
        outcome.reason = f"cell {new_failure['cell']}: {new_failure['error']}"
        outcome.reason += "; restored" if restored else "; NOT restored"
        if fails:
            outcome.reason += f" ({failing}: {fails['error']})"
    if differing:
        diffs = split_diffs(stdout)
        outcome.cells = differing
        # One diff per differing cell, in the same order; "" if the two ever disagree.
        paired = [(cell, diffs[i] if i < len(diffs) else "") for i, cell in enumerate(differing)]
        outcome.why = {cell: guess_why(diff) for cell, diff in paired}
        for cell, diff in paired:
            shown = [line for line in diff.splitlines() if line[:1] in "+-"][2:6]
            outcome.detail.append(f"cell {cell} [{outcome.why[cell]}]")
            outcome.detail.extend(f"    {line[:160]}" for line in shown)
        if not new_failure:
            outcome.kind = "differed"
            reasons = collections.Counter(outcome.why.values())
            outcome.reason = f"cells {', '.join(map(str, differing))}: " + "; ".join(
                f"{n}x {why}" for why, n in reasons.most_common()
            )
            if failing:
                outcome.reason += f" ({failing}: {fails['error'] if fails else ''})"
        return outcome
    if new_failure:
        return outcome
    if fails or nothing_ran:
        if fails:
            outcome.kind = "original fails"
            outcome.reason = f"cell {fails['cell']}: {original_failure(fails['error'])}"
            outcome.reason += f"; the {fails['compared']} cells before it identical"
        else:
            outcome.kind = "original fails"
            outcome.reason = "nothing ran before the first failure"
            said = next((m for m in map(_NOTHING_COMPARED.search, lines) if m), None)
            if said:
                outcome.compared = 0
                outcome.reason = f"cell {said['cell']}: {original_failure(said['error'])}"
                outcome.reason += f"; nothing compared (exit code {code})"
        return outcome
    if identical and code == 0:
        outcome.kind = "identical"
        return outcome
    if skipped and code == 0:
        outcome.kind = "skipped"
        outcome.reason = skipped["why"]
        return outcome
    errors = [line for line in lines if line.startswith("error") or "internal error" in line]
    outcome.reason = (errors or [line for line in lines if line.strip()][-1:] or ["no output"])[0]
    outcome.reason = f"exit code {code}: {outcome.reason[:300]}"
    return outcome


def run_one(source: Path, timeout: int, notebook_timeout: int, hash_seed: str | None) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="corpus-verify-") as tmp:
        path = Path(tmp) / source.name
        shutil.copyfile(source, path)
        env = dict(os.environ, NO_COLOR="1")
        if hash_seed is not None:
            env["PYTHONHASHSEED"] = hash_seed  # the kernels inherit it
        command = [sys.executable, "-m", "dsprod", "extract", "--verify"]
        command += ["--timeout", str(timeout), path.name]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            # The kernels run in sessions of their own: stop them by id, then dsprod.
            for pid in [*_descendants(process.pid), process.pid]:
                _kill(pid)
            stdout, stderr = process.communicate()
            seconds = time.perf_counter() - started
            outcome = classify(source.name, 1, stdout, stderr, seconds)
            outcome.kind = "timed out"
            said = [line.strip() for line in stderr.splitlines() if line.strip()]
            outcome.reason = f"over {notebook_timeout} s; last: " + (said or ["nothing"])[-1][:200]
            return outcome
        seconds = time.perf_counter() - started
        return classify(source.name, process.returncode, stdout, stderr, seconds)


def _descendants(root: int) -> list[int]:
    """The processes below `root`, children first (Linux /proc; none elsewhere)."""
    parents: dict[int, list[int]] = collections.defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fields = text.rsplit(")", 1)[-1].split()
        parents[int(fields[1])].append(int(stat.parent.name))
    found: list[int] = []
    todo = [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per cell (dsprod)")
    parser.add_argument(
        "--notebook-timeout", type=int, default=600, help="seconds for one notebook, both runs"
    )
    parser.add_argument(
        "--skip-pattern", action="append", default=[], help="regex on the file name: skip it"
    )
    parser.add_argument(
        "--skip-import",
        action="append",
        default=None,
        help=f"skip notebooks importing this module (default: {', '.join(DEFAULT_SKIP_IMPORTS)})",
    )
    parser.add_argument(
        "--hash-seed", default=None, help="PYTHONHASHSEED for the kernels (default: random)"
    )
    parser.add_argument(
        "--allow-installs", action="store_true", help="run notebooks that `!pip install` too"
    )
    parser.add_argument("--json", action="store_true", help="also print the outcomes as JSON")
    args = parser.parse_args()
    patterns = [re.compile(p) for p in args.skip_pattern]
    imports = set(args.skip_import if args.skip_import is not None else DEFAULT_SKIP_IMPORTS)
    notebooks = sorted(args.folder.glob("*.ipynb")) + sorted(args.folder.glob("*.py"))
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    for source in notebooks:
        why = skip_reason(source, patterns, imports, args.allow_installs)
        if why is not None:
            outcome = Outcome(source.name, "skipped", reason=why)
        else:
            outcome = run_one(source, args.timeout, args.notebook_timeout, args.hash_seed)
        outcomes.append(outcome)
        print(outcome.line(), flush=True)
        for line in outcome.detail:
            print(f"    {line}", flush=True)
    print_summary(outcomes, time.perf_counter() - started)
    if args.json:
        print(json.dumps([o.__dict__ for o in outcomes], indent=1, ensure_ascii=False))
    return 1 if any(o.kind in ("dsprod error", "new failure") for o in outcomes) else 0


def _reason_key(outcome: Outcome) -> list[str]:
    if outcome.kind == "differed":
        return sorted(set(outcome.why.values()))
    if outcome.kind == "original fails":
        reason = outcome.reason.split(": ", 1)[-1]
        reason = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", reason)
        return [re.sub(r"; the \d+ cells before it identical$", "", reason)[:80]]
    if outcome.kind == "skipped":
        return [re.sub(r"\(matches .*\)", "", outcome.reason).strip()[:80]]
    return [outcome.reason[:80]]


def print_summary(outcomes: list[Outcome], seconds: float) -> None:
    kinds = collections.Counter(o.kind for o in outcomes)
    print(f"\nSummary: {len(outcomes)} notebooks in {seconds / 60:.1f} min")
    order = ["identical", "differed", "new failure", "original fails", "skipped", "timed out"]
    for kind in [*order, *sorted(set(kinds) - set(order))]:
        if not kinds[kind]:
            continue
        print(f"  {kind:<15} {kinds[kind]:3d}")
        reasons = collections.Counter(r for o in outcomes if o.kind == kind for r in _reason_key(o))
        if kind != "identical":
            for reason, count in reasons.most_common():
                print(f"      {count:3d}  {reason}")
    compared = sum(o.compared or 0 for o in outcomes)
    differing = sum(len(o.cells) for o in outcomes)
    warned = sum(o.warnings for o in outcomes)
    print(
        f"  cells compared: {compared}, cells that differed: {differing}, "
        f"cells whose warnings changed: {warned}"
    )


if __name__ == "__main__":
    sys.exit(main())
