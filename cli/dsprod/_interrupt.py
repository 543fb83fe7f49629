"""Ctrl-C, SIGTERM and SIGHUP while dsprod writes a project: handled alike.

A closed terminal (SIGHUP) or a cancelled CI job (SIGTERM) must not leave the project in a
state Ctrl-C would not: all three become KeyboardInterrupt while `dsprod update` prepares its
work away from the project, and all three are held back in the few milliseconds a finished
update or extraction is written into it (`deferred`), so they can only arrive before it starts
or after it is done.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["as_keyboard_interrupt", "deferred", "received"]

_NAMES = ("SIGINT", "SIGTERM", "SIGHUP")
_SIGNALS = tuple(getattr(signal, name) for name in _NAMES if hasattr(signal, name))


# The signals received while `as_keyboard_interrupt` was in force: a Ctrl-C in a terminal also
# reaches the git processes copier runs, and copier may then report their failure rather than
# the KeyboardInterrupt; this says it was an interruption all the same.
_received: list[str] = []


def received() -> bool:
    return bool(_received)


def _raise(signum: int, _frame: FrameType | None) -> None:
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def as_keyboard_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does (and all three are
    remembered: `received`); the handlers are restored after."""
    # Handlers can only be set from the main thread; a library caller in another thread keeps
    # its own (Ctrl-C still reaches the main thread's KeyboardInterrupt).
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, signal._HANDLER] = {}
    _received.clear()
    for signum in _SIGNALS:
        handler = signal.getsignal(signum)
        # Ignored (nohup; a background job's SIGINT): the caller asked not to be stopped by it.
        if handler is signal.SIG_IGN:
            continue
        if signum == signal.SIGINT and handler is not signal.default_int_handler:
            continue  # someone else's Ctrl-C handler: theirs to run
        previous[signum] = handler
        signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back until the block is done; a signal that came
    meanwhile is delivered on leaving it.

    Blocked rather than ignored: the mask is inherited by the git processes started inside, so
    a Ctrl-C sent to the whole process group cannot stop one of them half-way either, and the
    signal is not lost. (Only SIGKILL gets through: the journal covers that case.)
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    # Python runs a handler whose signal came just before this line when pthread_sigmask
    # returns: the KeyboardInterrupt is raised here, before anything in the block has run.
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
