"""Scaffolding: `dsprod new` over Copier. The only package that imports copier, and lazily."""

from __future__ import annotations

from dsprod.scaffold._template import QUESTIONS_FILE, Template, find_template
from dsprod.scaffold.new import NewResult, new_project

__all__ = ["QUESTIONS_FILE", "NewResult", "Template", "find_template", "new_project"]
