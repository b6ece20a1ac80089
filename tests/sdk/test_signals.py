"""Interrupts for loops of native work: noted by the handler, raised where the loop checks."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from schemseg_sdk.signals import deferred_interrupts


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_is_raised_only_where_the_loop_checks(signum: int) -> None:
    before = signal.getsignal(signum)
    with deferred_interrupts() as check:
        check()  # nothing received yet
        os.kill(os.getpid(), signum)  # the handler runs here and only takes note
        with pytest.raises(KeyboardInterrupt, match=f"signal {int(signum)}"):
            check()
    assert signal.getsignal(signum) is before


def test_a_second_signal_stops_at_once() -> None:
    with deferred_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match="second"):
            os.kill(os.getpid(), signal.SIGTERM)


def test_an_import_that_a_signal_arrives_in_completes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SIGTERM raised as KeyboardInterrupt inside matplotlib's pybind11 ft2font import left it
    # half-initialised, and the interpreter aborted at exit (CI, session 8); deferred, it completes
    (tmp_path / "slow_native_module.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\nLOADED = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with deferred_interrupts() as check:
        import slow_native_module

        assert slow_native_module.LOADED
        with pytest.raises(KeyboardInterrupt):
            check()
