"""Scaffolding: `dsprod new` and `dsprod update` over Copier.

The only package that imports copier, and lazily.
"""

from __future__ import annotations

from dsprod.scaffold._template import QUESTIONS_FILE, Template, find_template
from dsprod.scaffold.new import NewResult, new_project
from dsprod.scaffold.update import Conflict, UpdateResult, update_project

__all__ = [
    "QUESTIONS_FILE",
    "Conflict",
    "NewResult",
    "Template",
    "UpdateResult",
    "find_template",
    "new_project",
    "update_project",
]
