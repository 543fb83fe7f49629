"""The one exception tree of dsprod.

Core code raises these; only `dsprod.cli._handler` turns them into messages and exit codes.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DsprodError",
    "MissingExtraError",
    "NotebookError",
    "TargetError",
    "TemplateError",
    "UserError",
]


class DsprodError(Exception):
    """Base of every error dsprod raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The next command or step to take, printed after the message.
        self.hint = hint


class UserError(DsprodError):
    """Something the user can fix: bad input, a refused operation. Exit code 1."""


class NotebookError(UserError):
    """A notebook could not be read or processed."""


class TargetError(UserError):
    """The module or folder that extraction writes to is not usable."""


class TemplateError(UserError):
    """The project template could not be rendered or updated."""


class ConfigError(UserError):
    """A project's configuration is missing or invalid."""


class MissingExtraError(UserError):
    """A command needs packages of one of dsprod's extras (`dsprod[verify]`), not installed.

    `hint` is the exact command that installs the extra into the running dsprod."""

    def __init__(self, message: str, *, extra: str, modules: tuple[str, ...], hint: str) -> None:
        super().__init__(message, hint=hint)
        self.extra = extra
        self.modules = modules
