"""Where the project template is, and what it asks."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import dsprod
from dsprod.errors import TemplateError

__all__ = ["QUESTIONS_FILE", "Template", "find_template"]

QUESTIONS_FILE = "copier.yml"
# Answers that dsprod itself gives, or that the template computes: not for `-d`.
_INTERNAL = frozenset({"template_version", "reserved_names"})


@dataclass(frozen=True)
class Template:
    path: Path

    @functools.cached_property
    def questions(self) -> tuple[str, ...]:
        """The names a user may answer with `-d NAME=VALUE`, in the order they are asked."""
        import yaml  # copier's own dependency; it parses the same file a moment later

        try:
            config = yaml.safe_load((self.path / QUESTIONS_FILE).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"cannot read the template's {QUESTIONS_FILE}: {exc}") from exc
        return tuple(
            name
            for name in config
            if isinstance(name, str) and not name.startswith("_") and name not in _INTERNAL
        )


def find_template() -> Template:
    """The template shipped with dsprod: `dsprod/_template` inside an installed wheel, or
    `template/` at the root of a source checkout (an editable install)."""
    package = Path(dsprod.__file__).resolve().parent
    for candidate in (package / "_template", package.parents[1] / "template"):
        if (candidate / QUESTIONS_FILE).is_file():
            return Template(candidate)
    raise TemplateError(
        f"the project template is missing from this dsprod installation ({package})",
        hint="reinstall dsprod: pip install --force-reinstall dsprod",
    )
