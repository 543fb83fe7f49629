"""TOML files read with located errors, and where each key of a file is written."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from dsprod._output import shown
from dsprod.errors import ConfigError

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Any

__all__ = ["key_lines", "leaves", "line_of", "load_toml"]

# Patterns, not compiled here: `re` compiles each on first use (and keeps it). Every command
# imports this module, few read a TOML error or ask where a key is written, and compiling the
# five cost 0.5 ms of each start.
_POSITION = r"\s*\(at line (\d+), column (\d+)\)$"
_END = r"\s*\(at end of document\)$"
_TABLE = r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$"
_SIMPLE_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = rf"^\s*({_SIMPLE_KEY}(?:\s*\.\s*{_SIMPLE_KEY})*)\s*="


def load_toml(path: Path, root: Path | None = None, data: bytes | None = None) -> dict[str, Any]:
    """Parse `path` (or `data`, its bytes, when the caller has read them); a syntax error is
    a ConfigError located as `file:line`."""
    where = _where(path, root)
    try:
        text = path.read_text(encoding="utf-8") if data is None else data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{where}: cannot read it: {exc}", hint=f"check {where} is a readable UTF-8 file"
        ) from exc
    # tomllib here, not at the top: importing it compiles its own patterns and imports
    # datetime (2 ms), and an extract or a check outside any project reads no TOML.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if match := re.search(_POSITION, message):
            line = int(match[1])
            message = message[: match.start()]
        else:
            line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
            message = re.sub(_END, "", message) + " (at the end of the file)"
        raise ConfigError(
            f"{where}:{line}: not valid TOML: {message}",
            hint=f"fix line {line} of {where}, then run the command again",
        ) from None
    return parsed


def _where(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return shown(path)


def key_lines(text: str) -> dict[str, int]:
    """The line (1-based) that sets each dotted key, as far as a line scan can tell: tables,
    dotted keys and quoted keys; a key inside an inline table is found through its parent."""
    found: dict[str, int] = {}
    table = ""
    in_string: str | None = None  # the quote of an open multi-line string
    for number, line in enumerate(text.splitlines(), 1):
        if in_string is not None:
            if line.count(in_string) % 2:
                in_string = None
            continue
        if match := re.match(_TABLE, line):
            table = ".".join(_parts(match[1]))
            found.setdefault(table, number)
            continue
        if match := re.match(_KEY, line):
            key = ".".join(filter(None, [table, *_parts(match[1])]))
            found.setdefault(key, number)
            rest = line[match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2:
                    in_string = quote
    return found


def _parts(dotted: str) -> list[str]:
    return [part.strip("\"'") for part in re.findall(_SIMPLE_KEY, dotted)]


def line_of(lines: Mapping[str, int], key: str) -> int | None:
    """The line of `key`, or of its nearest parent that has one (an inline table)."""
    parts = key.split(".")
    while parts:
        if (line := lines.get(".".join(parts))) is not None:
            return line
        parts.pop()
    return None


def leaves(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) of a parsed TOML document that is not itself a table."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from leaves(value, f"{dotted}.")
        else:
            yield dotted, value
