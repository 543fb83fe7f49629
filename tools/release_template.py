"""The release step for the template: add `template/` to template-history.bundle as the tag of
the current dsprod version (`nox -s release_template`, or `python tools/release_template.py`).

Run it when releasing dsprod, after the version in cli/dsprod/__init__.py is raised; commit the
bundle with the release. Every later dsprod then carries this template version, and projects
made from it can be updated (`dsprod update`).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=ROOT / "template")
    parser.add_argument("--bundle", type=Path, default=ROOT / "template-history.bundle")
    parser.add_argument(
        "--version", help="the version to tag (default: __version__ of this checkout's dsprod)"
    )
    args = parser.parse_args(argv)

    import subprocess

    from dsprod.errors import DsprodError
    from dsprod.scaffold._history import release

    # A release is what is committed: an untracked or ignored file in the folder (a cache, a
    # scratch file) would be frozen into the tag, and a wheel built from git would not match.
    stray = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--", "."],
        cwd=args.template,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if stray:
        print(f"error: {args.template} has files that are not committed:\n{stray}", file=sys.stderr)
        print("  commit them or remove them, then release again", file=sys.stderr)
        return 1

    try:
        tag = release(args.template, args.bundle, args.version or checkout_version(args.template))
    except DsprodError as exc:
        print(f"error: {exc.message}" + (f"\n  {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return 1
    print(f"{args.bundle.name}: template released as {tag}")
    return 0


def checkout_version(template: Path) -> str:
    """`__version__` as the checkout holding `template` has it: the dsprod this Python
    imports may be another (an older one installed in the venv, a wheel), and its version
    would be frozen into the tag of these files."""
    init = template.resolve().parent / "cli" / "dsprod" / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    sys.exit(f'error: no __version__ = "..." in {init}')


if __name__ == "__main__":
    sys.exit(main())
