"""One call for a whole archive: plan, skip what is complete, segment the rest here or on Ray, record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..fileio import remove_stale_temporaries
from ..segmenter import Segmenter
from ..signals import deferred_interrupts, sigterm_interrupts
from .jobs import SheetJob, SkippedFile, plan_jobs
from .options import RayOptions, RunObserver, RunOptions
from .status import RunRecorder, RunState, RunSummary, SheetStatus
from .worker import segment_jobs

__all__ = ["RunOptions", "RayOptions", "RunObserver", "segment_archive"]


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
    skipped_files: Sequence[SkippedFile] = (),
) -> RunSummary:
    """Segment ``files`` into ``options.out_dir``, resumably; return what was done.

    Every page of a document is a sheet (see :func:`~.jobs.plan_jobs`); a document that cannot
    be opened is a failed sheet. ``skipped_files`` (from :func:`~.jobs.collect_documents`) are
    recorded in the summary. Sheets whose outputs are complete are skipped (``options.force``
    redoes them); temporary files of interrupted writes are removed first, and again when the run has finished (a worker
    killed mid-write leaves one). Every sheet ends ``done``, ``skipped`` or
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
    jobs = plan_jobs(files, options.dpi)
    settings = _settings(options, ray)
    if outputs.any:
        remove_stale_temporaries(options.out_dir)
    recorder = RunRecorder(jobs, outputs, settings, skipped_files=skipped_files)
    pending = []
    for job in jobs:
        if job.error is not None:
            recorder.add(SheetStatus.failed(job, job.error))
        elif not options.force and outputs.complete(job):
            recorder.add(SheetStatus.skipped(job))
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
        if outputs.any:
            # a worker killed mid-write (an OOM-killed Ray actor, whose sheet Ray retried) leaves
            # its temporary file behind; every writer has finished now, so none of them is live
            remove_stale_temporaries(options.out_dir)
    except KeyboardInterrupt:
        state = "interrupted"
        raise
    finally:
        restore_sigterm()
        recorder.flush(state)
    return recorder.summary


def _run_here(pending: list[SheetJob], options: RunOptions, recorder: RunRecorder, observer: RunObserver) -> None:
    """The plain path: one Segmenter in this process; Ctrl-C and SIGTERM stop it between sheets."""
    with (
        deferred_interrupts() as check_stop,
        Segmenter(
            options.model,
            device=options.device,
            batch_size=options.batch_size,
            threads=options.threads,
            grouping=options.grouping,
            classifier=options.classifier,
            scale=options.scale,
        ) as segmenter,
    ):
        recorder.summary.description = (
            f"{segmenter.model_path.name} on {segmenter.backend_name}, {segmenter.classifier_reason}"
        )
        observer.started(recorder.summary.description, len(pending), recorder.summary.skipped)
        for status in segment_jobs(segmenter, pending, options.outputs):
            recorder.add(status)
            observer.sheet_finished(status)
            check_stop()


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
        "dpi": options.dpi,
        "scale": options.scale,
        "ray": None if ray is None else {"address": ray.address, "actors": ray.actors},
    }
