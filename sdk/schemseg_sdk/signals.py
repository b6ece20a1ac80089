"""SIGTERM as Ctrl-C: service managers and schedulers stop jobs with SIGTERM, whose default action
kills Python without running ``finally`` blocks; long jobs turn it into KeyboardInterrupt instead."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["sigterm_interrupts", "reclaim_interrupts", "deferred_interrupts"]


def sigterm_interrupts() -> Callable[[], None]:
    """Make SIGTERM raise KeyboardInterrupt in the main thread; return the function that undoes it.

    Off the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)

    def undo() -> None:
        signal.signal(signal.SIGTERM, previous)

    return undo


@contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Within the block Ctrl-C (SIGINT) and SIGTERM only take note; the yielded ``check()`` raises
    KeyboardInterrupt at a point the caller chose. A second signal raises at once.

    For loops of native work (training steps): an exception raised at an arbitrary bytecode can
    land inside a library's import or its native objects' Python glue, and such half-done state
    has crashed the interpreter at exit ("Fatal Python error: PyThreadState_Get" while finalizing,
    seen once in CI after SIGTERM). Off the main thread ``check()`` never raises.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    received: list[int] = []

    def note(signum: int, frame: object) -> None:
        if received:
            raise KeyboardInterrupt(f"signal {signum} (second)")
        received.append(signum)

    def check() -> None:
        if received:
            raise KeyboardInterrupt(f"signal {received[0]}")

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield check
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def reclaim_interrupts() -> None:
    """Let Ctrl-C and SIGTERM reach Python's main thread again after native code started threads.

    A runtime that starts native threads (Ray's core worker in ``ray.init``) may block signals in
    the thread that starts it or install its own handlers; Python then never raises
    KeyboardInterrupt. This unblocks SIGINT and SIGTERM here and re-installs, at the C level, the
    SIGINT handler Python believes is set. Off the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    handler = signal.getsignal(signal.SIGINT)
    if handler is not None:
        signal.signal(signal.SIGINT, handler)
