"""One compilation of each template text per update.

Copier renders the template three times in one update (the old version, the new version into
the project, the new version again to compare) and makes a new Jinja environment each time, so
every file and every path name is parsed and compiled to Python three times: most of an
update's time. The three environments are configured alike, and Jinja's compiled code does not
hold its environment (it is given one when it runs: `Template.from_code`), so dsprod compiles
each text once and hands the code to every environment with the same configuration, for the
duration of the update only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any

__all__ = ["shared_compilation"]


@contextlib.contextmanager
def shared_compilation() -> Iterator[None]:
    import jinja2

    original: Callable[..., Any] = jinja2.Environment.compile
    cache: dict[Hashable, Any] = {}

    def compile_once(
        self: jinja2.Environment,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if not isinstance(source, str):  # an AST: nothing to key it by
            return original(self, source, name, filename, raw, defer_init)
        # Not keyed by filename: it names the template's temporary clone, which differs for
        # each render; it only appears in tracebacks of the compiled code.
        key = (_configuration(self), source, name, raw, defer_init)
        if key not in cache:
            cache[key] = original(self, source, name, filename, raw, defer_init)
        return cache[key]

    jinja2.Environment.compile = compile_once  # type: ignore[method-assign]
    try:
        yield
    finally:
        jinja2.Environment.compile = original  # type: ignore[method-assign]


def _configuration(env: Any) -> Hashable:
    """Everything of an environment that the compiled code depends on: its class (sandboxed
    or not), the syntax the lexer reads, the extensions, and the compiler's options."""
    return (
        type(env),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        tuple(sorted(env.extensions)),
        env.optimized,
        env.is_async,
        env.finalize,
        env.autoescape,
        env.code_generator_class,
        env.undefined,
    )
