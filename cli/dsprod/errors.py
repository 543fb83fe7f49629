"""The one exception tree of dsprod.

Core code raises these; only `dsprod.cli._handler` turns them into messages and exit codes.
"""

from __future__ import annotations

from dsprod._records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "ConfigError",
    "DsprodError",
    "Flag",
    "Hint",
    "MissingExtraError",
    "NotebookError",
    "Step",
    "TargetError",
    "TemplateError",
    "UserError",
]

# Records here and on every command's start-up path are NamedTuples or plain classes, not
# dataclasses: a frozen dataclass execs each method it makes (0.3-0.9 ms a class on Python
# 3.11, a NamedTuple 0.1 ms), and importing `dataclasses` imports `inspect` (2-4 ms). Their
# NamedTuple is `dsprod._records`', typing's class made at half the cost.


class Flag(NamedTuple):
    """An option of a dsprod command, as data: the option's parameter name in the library
    (`python`, `dry_run`) and what follows it (a placeholder such as PATH, or a value). The CLI
    spells it (`--python PATH`): the library is also called from Python, where there are no
    flags, so it never writes one."""

    name: str
    value: str | None = None


class Step:
    """A next step that names an option: words and `Flag`s, in order, which the CLI renders
    (`dsprod._output.say`). A step that names no option is a plain `str`."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str | Flag) -> None:
        self.parts: Final = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Step) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"Step(parts={self.parts!r})"


# The next command or step to take: text, or a `Step` when it names an option.
Hint = str | Step


class DsprodError(Exception):
    """Base of every error dsprod raises on purpose."""

    def __init__(self, message: str, *, hint: Hint | None = None) -> None:
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

    def __init__(self, message: str, *, extra: str, modules: tuple[str, ...], hint: Hint) -> None:
        super().__init__(message, hint=hint)
        self.extra = extra
        self.modules = modules
