"""The metric names that deploy/monitoring's rules and dashboard read, for the tests that check
each one is served."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

__all__ = ["dashboard_exprs", "exposed", "referenced", "rule_exprs"]

# PromQL words that look like metric names.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or"}
_KEYWORDS |= {"unless", "bool", "offset", "inf", "nan"}
# Made by Prometheus itself, not by a target.
_PROMETHEUS = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}


def referenced(expr: str) -> set[str]:
    """Metric names in a PromQL expression (not functions, labels, keywords, recorded series)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings: label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"\b[A-Za-z_:][\w:]*\b(?!\s*\()", expr))
    return {n for n in names if n not in _KEYWORDS | _PROMETHEUS and ":" not in n}


def rule_exprs(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(rule["expr"]) for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs(path: Path) -> list[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [str(t["expr"]) for panel in document["panels"] for t in panel["targets"]]


def exposed(text: str) -> set[str]:
    """Metric names in Prometheus's text exposition format."""
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
