"""Segment a list of sheets with one Segmenter and write their outputs: the work of the plain path
and of each Ray actor alike, so both give the same files."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from ..errors import InferenceError, InvalidInputError, SchemsegError
from ..result import SegmentationResult
from ..segmenter import Segmenter, SheetSource
from .jobs import Outputs, SheetJob
from .status import SheetStatus

__all__ = ["segment_jobs"]


def segment_jobs(segmenter: Segmenter, jobs: Iterable[SheetJob], outputs: Outputs) -> Iterator[SheetStatus]:
    """Segment ``jobs`` in order, write each sheet's outputs, and yield one status per job, in order.

    A sheet that cannot be read, segmented or written gives a ``failed`` status instead of an
    exception. A failed model run (:class:`InferenceError`, ``MemoryError``) may have held tiles
    of several sheets, so the sheets in flight then are redone one at a time: only the sheets that
    fail alone are marked failed, and streaming goes on with the rest.
    """
    remaining = deque(jobs)
    while remaining:
        in_flight: deque[SheetJob] = deque()
        results = segmenter.predict_stream(_feed(remaining, in_flight), return_errors=True)
        while True:
            try:
                result = next(results)
            except StopIteration:
                break
            except (InferenceError, MemoryError):
                for job in in_flight:
                    yield _segment_alone(segmenter, job, outputs)
                break
            yield finish_sheet(in_flight.popleft(), result, outputs)


def finish_sheet(job: SheetJob, result: SegmentationResult | SchemsegError, outputs: Outputs) -> SheetStatus:
    """Write the outputs of one segmented sheet and say how it went."""
    if isinstance(result, SchemsegError):
        return SheetStatus.failed(job, _reason(job, result))
    try:
        written = outputs.write(job.stem, result)
    except (OSError, SchemsegError, MemoryError) as exc:
        detail = f"{exc.strerror} ({exc.filename})" if isinstance(exc, OSError) and exc.strerror else str(exc)
        return SheetStatus.failed(job, f"{job.label}: cannot write the outputs: {detail or type(exc).__name__}")
    timings = {stage: round(seconds, 6) for stage, seconds in result.timings.items()}
    return SheetStatus(
        str(job.source),
        job.stem,
        "done",
        symbols=result.symbol_counts(),
        timings=timings,
        written=written,
        page=None if job.page is None else job.page.number,
    )


def _feed(remaining: deque[SheetJob], in_flight: deque[SheetJob]) -> Iterator[SheetSource]:
    """Hand sheets to the Segmenter lazily, remembering which ones it has taken but not yet returned."""
    while remaining:
        job = remaining.popleft()
        in_flight.append(job)
        yield job.sheet


def _segment_alone(segmenter: Segmenter, job: SheetJob, outputs: Outputs) -> SheetStatus:
    try:
        result = segmenter.predict(job.sheet)
    except (SchemsegError, MemoryError) as exc:
        return SheetStatus.failed(job, _reason(job, exc))
    return finish_sheet(job, result, outputs)


def _reason(job: SheetJob, exc: BaseException) -> str:
    """One line naming the file: input errors name it already, model errors name the model."""
    if isinstance(exc, InvalidInputError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"{job.label}: out of memory while segmenting it"
    return f"{job.label}: segmentation failed: {exc}"
