"""One call for a whole archive: plan, skip what is complete, segment the rest here or on Ray, record."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .._signals import sigterm_interrupts
from ..backends.onnxruntime import Device
from ..fileio import remove_stale_temporaries
from ..segmenter import Segmenter
from .jobs import Outputs, SheetJob, plan_jobs
from .status import RunRecorder, RunState, RunSummary, SheetStatus
from .worker import segment_jobs

__all__ = ["RunOptions", "RayOptions", "RunObserver", "segment_archive"]


@dataclass(frozen=True)
class RunOptions:
    """How to segment an archive (the options of ``schemseg segment``)."""

    out_dir: Path
    model: Path | None = None
    """``.onnx`` or ``.engine`` file; ``None``: the bundled reference model."""
    device: Device = "auto"
    batch_size: int = 4
    threads: int | None = None
    """ONNX Runtime threads (per actor on Ray); ``None``: all cores here, the actor's CPUs on Ray."""
    write_json: bool = True
    write_overlay: bool = True
    force: bool = False
    """Redo sheets whose outputs are already complete."""

    @property
    def outputs(self) -> Outputs:
        return Outputs(self.out_dir, self.write_json, self.write_overlay)


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to run on Ray.

    ``address``: ``None`` joins the cluster in ``RAY_ADDRESS`` when it is set and otherwise starts
    Ray on this machine; ``"local"`` always starts Ray here; ``"auto"`` joins the cluster this
    machine belongs to (``ray start``); ``"HOST:PORT"`` or ``"ray://HOST:10001"`` join that one.
    A Ray already initialised in this process is used as it is.
    """

    address: str | None = None
    actors: int = 1


class RunObserver(Protocol):
    """Told what a run does, e.g. to show progress (the library itself never prints)."""

    def started(self, description: str, pending: int, skipped: int) -> None:
        """Segmenting begins: what runs it, how many sheets it will segment, how many are skipped."""

    def sheet_finished(self, status: SheetStatus) -> None:
        """One sheet is done or failed."""


class _Silent:
    def started(self, description: str, pending: int, skipped: int) -> None:
        pass

    def sheet_finished(self, status: SheetStatus) -> None:
        pass


def segment_archive(
    files: Sequence[Path],
    options: RunOptions,
    *,
    ray: RayOptions | None = None,
    observer: RunObserver | None = None,
) -> RunSummary:
    """Segment ``files`` into ``options.out_dir``, resumably; return what was done.

    Sheets whose outputs are complete are skipped (``options.force`` redoes them); temporary
    files of interrupted writes are removed first. Every sheet ends ``done``, ``skipped`` or
    ``failed`` with its reason, recorded in ``OUT/schemseg-run/`` (see :mod:`.status`) while the
    run goes on; Ctrl-C and SIGTERM stop it cleanly (KeyboardInterrupt, after recording), and a
    rerun of the same call finishes the rest. Use one run per output folder at a time.

    Raises:
        ModelFormatError, BackendUnavailableError: the model or runtime cannot be used.
        BackendUnavailableError: ``ray`` is given and Ray is not installed.

    >>> summary = segment_archive([Path("a.png")], RunOptions(Path("out")))  # doctest: +SKIP
    >>> summary.sheets, summary.skipped, summary.failures  # doctest: +SKIP
    (1, 0, [])
    """
    observer = observer or _Silent()
    outputs = options.outputs
    jobs = plan_jobs(files)
    settings = _settings(options, ray)
    if outputs.any:
        remove_stale_temporaries(options.out_dir)
    recorder = RunRecorder(jobs, outputs, settings)
    pending = []
    for job in jobs:
        if not options.force and outputs.complete(job):
            recorder.add(SheetStatus(str(job.source), job.stem, "skipped"))
        else:
            pending.append(job)
    state: RunState = "error"
    restore_sigterm = sigterm_interrupts()
    try:
        if not pending:
            observer.started("", 0, recorder.summary.skipped)
        elif ray is not None:
            from .ray_run import run_on_ray

            run_on_ray(pending, options, ray, recorder, observer)
        else:
            _run_here(pending, options, recorder, observer)
        state = "finished"
    except KeyboardInterrupt:
        state = "interrupted"
        raise
    finally:
        restore_sigterm()
        recorder.flush(state)
    return recorder.summary


def _run_here(pending: list[SheetJob], options: RunOptions, recorder: RunRecorder, observer: RunObserver) -> None:
    """The plain path: one Segmenter in this process."""
    with Segmenter(options.model, device=options.device, batch_size=options.batch_size,
                   threads=options.threads) as segmenter:
        recorder.summary.description = f"{segmenter.model_path.name} on {segmenter.backend_name}"
        observer.started(recorder.summary.description, len(pending), recorder.summary.skipped)
        for status in segment_jobs(segmenter, pending, options.outputs):
            recorder.add(status)
            observer.sheet_finished(status)


def _settings(options: RunOptions, ray: RayOptions | None) -> dict[str, object]:
    return {
        "out_dir": str(options.out_dir),
        "model": str(options.model) if options.model else "bundled reference model",
        "device": options.device,
        "batch_size": options.batch_size,
        "threads": options.threads,
        "json": options.write_json,
        "overlay": options.write_overlay,
        "force": options.force,
        "ray": None if ray is None else {"address": ray.address, "actors": ray.actors},
    }
