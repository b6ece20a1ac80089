"""SIGTERM as Ctrl-C: service managers and schedulers stop jobs with SIGTERM, whose default action
kills Python without running ``finally`` blocks; long jobs turn it into KeyboardInterrupt instead."""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable

__all__ = ["sigterm_interrupts"]


def sigterm_interrupts() -> Callable[[], None]:
    """Make SIGTERM raise KeyboardInterrupt in the main thread; return the function that undoes it.

    Off the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)
