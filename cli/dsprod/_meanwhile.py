"""Work that mostly waits for other processes, done in a thread while the caller goes on:
the project's ruff and mypy, run on a module while extract makes the notebook's new text."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's: importing typing costs 12 M instructions of a start-up

if TYPE_CHECKING:
    from typing import Generic, TypeVar
else:
    # typing's two names as this module's one generic class uses them at run time, where its
    # parameter means nothing: `Meanwhile[int]` is an alias, as `list[int]` is.

    class Generic:
        __class_getitem__ = classmethod(types.GenericAlias)

    def TypeVar(name):  # noqa: N802 - typing's name
        return name


__all__ = ["Meanwhile"]

_SWITCH_INTERVAL = 0.0002  # seconds; see _Switches
_T = TypeVar("_T")


class Meanwhile(Generic[_T]):
    """Work that mostly waits for other processes (ruff's, mypy's), done in a thread while
    the caller goes on. Calling it waits for the result, and raises what the work raised."""

    def __init__(self, work: Callable[[], _T]) -> None:
        self._done: list[_T] = []
        self._failed: list[BaseException] = []

        def run() -> None:
            try:
                self._done.append(work())
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                self._failed.append(exc)

        # A daemon: whatever happens, the process never waits for it at exit.
        self._thread = threading.Thread(target=run, name="dsprod-meanwhile", daemon=True)
        self._ended = False
        _SWITCHES.enter()
        try:
            self._thread.start()
        except BaseException:
            self._end()
            raise

    def __call__(self) -> _T:
        try:
            self._thread.join()
        except BaseException:  # a Ctrl-C while waiting
            self.abandon()
            raise
        finally:
            self._end()
        if self._failed:
            raise self._failed[0]
        return self._done[0]

    def abandon(self) -> None:
        """Wait for the thread to end, with Ctrl-C held back, when the caller is leaving (on
        an exception) or does not need the result. The thread removes mypy's probe file from
        the package as it ends; the interrupted process leaves through `os._exit`, which
        would leave the file behind. Not for long: a Ctrl-C in a terminal reaches ruff's and
        mypy's processes too (one process group), and they stop at once."""
        from dsprod._interrupt import deferred

        with deferred():
            self._thread.join()
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            _SWITCHES.leave()


class _Switches:
    """The interpreter's switch interval, short while any `Meanwhile` runs, in whatever order
    they end. Their threads mostly wait for other processes; each time a process ends (and,
    where streams go through pipes, each time a pipe has room or data: `_textrun`), a thread
    waits again for the interpreter's lock, which the main thread, computing, gives up only
    every switch interval (5 ms): a 12 ms `ruff format` of a large module took 30 ms. With a
    short interval the main thread hands the lock over sooner."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._interval = sys.getswitchinterval()

    def enter(self) -> None:
        with self._lock:
            if not self._running:
                self._interval = sys.getswitchinterval()
                sys.setswitchinterval(min(self._interval, _SWITCH_INTERVAL))
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if not self._running:
                sys.setswitchinterval(self._interval)


_SWITCHES = _Switches()
