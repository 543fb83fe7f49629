"""A user who deletes an optional file has answered its question: record the answer.

The example notebook exists because `example_notebook` is true. Deleting it leaves the answer
saying otherwise: copier brings the notebook back on every update (notebooks are files the
project owns, which copier re-creates when missing), and the rest of the template still acts
on it (the notebooks session of pyproject.toml lists it). So before updating, dsprod looks at
the optional files of the version the project is on (a path `{% if NAME %}...{% endif %}`, NAME
a yes/no question answered yes); when all of a question's files are gone from the project, the
update records `NAME=false`, as if given with `-d`, and says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dsprod._git import git
from dsprod.scaffold._history import TemplateSource

__all__ = ["deleted_choices"]

_OPTIONAL = re.compile(r"\{%-?\s*if\s+(\w+)\s*-?%\}(.*?)\{%-?\s*endif\s*-?%\}")
_SUFFIX = ".jinja"


def deleted_choices(
    project: Path,
    answers: Mapping[str, Any],
    source: TemplateSource,
    start: str,
    given: Mapping[str, str],
) -> dict[str, tuple[str, ...]]:
    """The yes/no questions whose every optional file the project deleted -> those files."""
    listed = git("ls-tree", "-r", "--name-only", start, "--", "project/", cwd=source.path)
    files: dict[str, list[str]] = {}
    for path in listed.splitlines():
        rel = path.removeprefix("project/")
        found = _OPTIONAL.findall(rel)
        if len(found) != 1 or "{{" in rel:  # one plain yes/no condition, nothing else rendered
            continue
        name = found[0][0]
        if name in given or answers.get(name) is not True:
            continue
        rendered = _OPTIONAL.sub(lambda m: m[2], rel).removesuffix(_SUFFIX)
        files.setdefault(name, []).append(rendered)
    return {
        name: tuple(paths)
        for name, paths in sorted(files.items())
        if not any(os.path.lexists(project / p) for p in paths)
    }
