"""Where the project template is, and what it asks."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dsprod
from dsprod.errors import TemplateError, UserError

__all__ = ["BUNDLE_NAME", "QUESTIONS_FILE", "Template", "find_template"]

QUESTIONS_FILE = "copier.yml"
BUNDLE_NAME = "template-history.bundle"
# Answers that dsprod itself gives, or that the template computes: not for `-d`.
_INTERNAL = frozenset({"template_version", "reserved_names"})
# A question is a top-level key of copier.yml; keys starting with `_` are Copier settings.
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z]\w*):", re.MULTILINE)


@dataclass(frozen=True)
class Template:
    path: Path
    # The git bundle of every released template version (see _history); None in a checkout
    # before the first release.
    history: Path | None = None
    # The version this template is released as: dsprod's own.
    version: str = dsprod.__version__

    @functools.cached_property
    def questions(self) -> tuple[str, ...]:
        """The names a user may answer with `-d NAME=VALUE`, in the order they are asked.

        Read with a pattern rather than a YAML parser: copier.yml is ours, written in block
        style, and this keeps a YAML import off the path of every `dsprod new`.
        """
        try:
            text = (self.path / QUESTIONS_FILE).read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(f"cannot read the template's {QUESTIONS_FILE}: {exc}") from exc
        return tuple(n for n in _TOP_LEVEL_KEY.findall(text) if n not in _INTERNAL)

    def check_answers(self, data: Mapping[str, str]) -> None:
        """Refuse `-d NAME=VALUE` for a name that is not one of the questions."""
        unknown = sorted(set(data) - set(self.questions))
        if unknown:
            raise UserError(
                f"the template has no question {', '.join(map(repr, unknown))}",
                hint=f"answer one of: {', '.join(self.questions)}",
            )

    @functools.cached_property
    def skip_if_exists(self) -> tuple[str, ...]:
        """The files a project owns once they exist (copier.yml's `_skip_if_exists`)."""
        import yaml  # copier's dependency; only `dsprod update` asks

        try:
            config = yaml.safe_load((self.path / QUESTIONS_FILE).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"cannot read the template's {QUESTIONS_FILE}: {exc}") from exc
        return tuple(str(p) for p in (config or {}).get("_skip_if_exists", []))


def find_template() -> Template:
    """The template shipped with dsprod: `dsprod/_template` inside an installed wheel, or
    `template/` at the root of a source checkout (an editable install)."""
    package = Path(dsprod.__file__).resolve().parent
    for candidate in (package / "_template", package.parents[1] / "template"):
        if (candidate / QUESTIONS_FILE).is_file():
            bundle = candidate.with_name(
                "_" + BUNDLE_NAME if candidate.name == "_template" else BUNDLE_NAME
            )
            return Template(candidate, bundle if bundle.is_file() else None)
    raise TemplateError(
        f"the project template is missing from this dsprod installation ({package})",
        hint="reinstall dsprod: pip install --force-reinstall dsprod",
    )
