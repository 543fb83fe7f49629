"""Run `dsprod extract` over a folder of real notebooks and count what happens.

Usage: python bench/corpus.py FOLDER [--json]

Each notebook is copied to a temporary folder first, beside links to the folder's other files
(which `%run` may read); the originals are never touched. Prints per-notebook lines and a
summary: definitions extracted and refused, the most common refusal reasons, cells that did
not parse, notebooks that could not be read, and crashes (bugs). The module must compile and
every rewritten cell must parse where the original did (broken_cells), and a second extract of
the rewritten notebook must change no file (second_run_noop).
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from dsprod._output import Output
from dsprod.errors import UserError
from dsprod.notebook._parse import parse_cells
from dsprod.notebook._read import cell_dicts, read_notebook
from dsprod.notebook.extract import ExtractOptions, extract_notebook

_REASON = re.compile(r"not extracted: (uses `[^`]+`, which )?(?P<why>.*)$")


def _category(line: str) -> str:
    match = _REASON.search(line)
    why = match.group("why") if match else line
    why = re.sub(r"`[^`]*`", "`X`", why)
    why = re.sub(r"\S+\.(ipynb|py)(:cell \d+)?(:line \d+)?", "LOC", why)
    why = re.sub(r"calling \S+\(\)", "calling F()", why)
    why = re.sub(r"\(\w+ ", "(NAME ", why)
    return why.split(";")[0].strip()[:90]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    notebooks = sorted(args.folder.glob("*.ipynb")) + sorted(args.folder.glob("*.py"))
    totals: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    rows = []
    for source in notebooks:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / source.name
            shutil.copyfile(source, path)
            # The notebook's neighbours, as in the folder it lives in (`%run other.ipynb`
            # reads them); links, so nothing but the copy can be written.
            for neighbour in args.folder.iterdir():
                if neighbour.name != source.name:
                    (Path(tmp) / neighbour.name).symlink_to(neighbour.resolve())
            err = io.StringIO()
            output = Output(quiet=True, err=err, out=io.StringIO())
            started = time.perf_counter()
            row: dict[str, object] = {"notebook": source.name}
            try:
                result = extract_notebook(path, ExtractOptions(format=False), output=output)
            except UserError as exc:
                totals["unreadable"] += 1
                row["error"] = exc.message
                rows.append(row)
                continue
            except Exception:  # noqa: BLE001 - a crash is what this script looks for
                totals["crashes"] += 1
                row["crash"] = traceback.format_exc()
                rows.append(row)
                continue
            row["seconds"] = round(time.perf_counter() - started, 3)
            problems = err.getvalue().splitlines()
            refusals = [p for p in problems if "not extracted" in p]
            row["extracted"] = len(result.extracted)
            kinds = _kinds(path.parent)
            row["definitions"] = sum(k != "constant" for k in kinds)
            row["constants"] = sum(k == "constant" for k in kinds)
            totals["definitions"] += row["definitions"]  # type: ignore[operator]
            totals["constants"] += row["constants"]  # type: ignore[operator]
            row["refused"] = len(refusals)
            row["unparsed_cells"] = sum("does not parse" in p for p in problems)
            totals["extracted"] += len(result.extracted)
            totals["refused"] += len(refusals)
            totals["unparsed_cells"] += row["unparsed_cells"]  # type: ignore[operator]
            reasons.update(_category(p) for p in refusals)
            if result.target and result.target.path.exists():
                module = result.target.path.read_text(encoding="utf-8")
                compile(module, str(result.target.path), "exec")
                row["module_lines"] = module.count("\n")
            row["broken_cells"] = _broken_cells(source, path)
            totals["broken_cells"] += row["broken_cells"]  # type: ignore[operator]
            row["cells_identical"] = _untouched_cells_identical(source, path)
            if not row["cells_identical"]:
                totals["cells_changed_beyond_rewrite"] += 1
            row["second_run_noop"] = _second_run_noop(path)
            if not row["second_run_noop"]:
                totals["second_run_changed"] += 1
            rows.append(row)
    totals["notebooks"] = len(notebooks)
    if args.json:
        print(json.dumps({"totals": totals, "reasons": reasons, "rows": rows}, indent=1))
        return 0
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    print("\nTotals:", dict(totals))
    tried = totals["definitions"] + totals["refused"]
    share = f"{100 * totals['definitions'] / tried:.1f}%" if tried else "-"
    # Functions and classes, not constants: constants move only with what needs them.
    print(f"Promoted: {totals['definitions']} of {tried} definitions ({share})")
    print("Most common refusal reasons:")
    for reason, count in reasons.most_common(12):
        print(f"  {count:4d}  {reason}")
    failed = totals["crashes"] or totals["broken_cells"] or totals["second_run_changed"]
    return 1 if failed else 0


def _second_run_noop(path: Path) -> bool:
    """Whether extracting the rewritten notebook again changes no file (what it wrote, the
    notebook, the manifest): a second run must be a no-op."""

    def files() -> dict[Path, bytes]:
        return {
            p: p.read_bytes() for p in path.parent.rglob("*") if p.is_file() and not p.is_symlink()
        }

    before = files()
    output = Output(quiet=True, err=io.StringIO(), out=io.StringIO())
    extract_notebook(path, ExtractOptions(format=False), output=output)
    return files() == before


def _kinds(folder: Path) -> list[str]:
    """The kind of every definition the manifest records (function, class, constant)."""
    manifest = folder / ".dsprod" / "manifest.json"
    if not manifest.exists():
        return []
    modules = json.loads(manifest.read_text(encoding="utf-8"))["modules"].values()
    symbols = {
        name: symbol["kind"] for entry in modules for name, symbol in entry["symbols"].items()
    }
    # The earlier versions of an evolving definition (`f_v1` beside `f`) are one definition
    # of the notebook, as they were when dsprod refused them.
    return [
        kind
        for name, kind in symbols.items()
        if not (re.fullmatch(r"(.+)_v\d+", name) and re.sub(r"_v\d+$", "", name) in symbols)
    ]


def _broken_cells(before_path: Path, after_path: Path) -> int:
    """Code cells of the rewritten notebook that do not parse, though the original's did."""
    unparsed = {
        p.cell.source
        for p in parse_cells(before_path, read_notebook(before_path).cells)
        if p.tree is None
    }
    after = parse_cells(after_path, read_notebook(after_path).cells)
    return sum(p.tree is None and p.cell.source not in unparsed for p in after)


def _untouched_cells_identical(before_path: Path, after_path: Path) -> bool:
    """A cell whose source the rewrite did not change is byte-for-byte the cell it was."""
    if before_path.suffix != ".ipynb":
        return True
    before = cell_dicts(json.loads(before_path.read_text(encoding="utf-8")))
    after = cell_dicts(json.loads(after_path.read_text(encoding="utf-8")))
    exact = {json.dumps(c, sort_keys=True) for c in after}
    sources = {json.dumps(c.get("source") or c.get("input")) for c in after}
    for cell in before:
        if json.dumps(cell, sort_keys=True) in exact:
            continue
        if json.dumps(cell.get("source") or cell.get("input")) in sources:
            return False  # same code, yet something else about the cell changed
    return True


if __name__ == "__main__":
    sys.exit(main())
