"""The sheet pipeline behind :class:`~schemseg_sdk.segmenter.Segmenter`: each input becomes a :class:`Job`
that is decoded, brought to the model's scale, cut into tiles packed into batches, and stitched back as
the batches come out of the backend."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from .documents import DocumentPage, first_of_several, read_page
from .errors import InvalidInputError
from .imageio import ImageSource, read_image
from .result import STAGES
from .sheet_scale import ScaleChoice, SheetScale, resample, resolve_scale
from .tiling import TilePlan, TileStitcher, copy_tile, plan_tiles

__all__ = [
    "END",
    "BatchShape",
    "Clock",
    "Job",
    "SheetSource",
    "label",
    "pack_batches",
    "start_job",
    "stitch_batch",
    "whole_file",
]

SheetSource = ImageSource | DocumentPage
"""What the Segmenter reads as one sheet: an image (path, bytes, array) or one page of a document."""


@dataclass(frozen=True)
class BatchShape:
    """How tiles are packed: the model's square input side, its pad value, tiles per batch, the scale choice."""

    size: int
    pad_value: int
    batch_size: int
    scale: ScaleChoice


END = object()
"""Marks the end of the sources (``None`` is an input to report, not the end)."""


@dataclass
class Clock:
    generator: float = 0.0  # seconds spent decoding/tiling inside the backend's batch pulls


@dataclass
class Job:
    """One sheet on its way through the pipeline."""

    label: str
    page: DocumentPage | None = None
    sheet: np.ndarray | None = None  # as decoded
    image: np.ndarray | None = None  # at the model's scale (the sheet itself at zoom 1)
    scale: SheetScale | None = None
    plan: TilePlan | None = None
    stitcher: TileStitcher | None = None
    error: InvalidInputError | None = None
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def ready(self) -> bool:
        return self.error is not None or (self.stitcher is not None and self.stitcher.done)


def start_job(source: SheetSource, size: int, with_confidence: bool, scale: ScaleChoice) -> Job:
    if isinstance(source, DocumentPage):
        page = None if whole_file(source) else source
    else:  # a multi-page file read as one image: its result says "page 1 of N"
        page = first_of_several(source) if isinstance(source, (str, os.PathLike)) else None
    job = Job(label(source), page)
    start = time.perf_counter()
    try:
        job.sheet = read_page(source) if isinstance(source, DocumentPage) else read_image(source)
    except InvalidInputError as exc:
        job.error = exc
        return job
    job.timings["decode"] = time.perf_counter() - start
    start = time.perf_counter()
    job.scale = resolve_scale(job.sheet, scale)
    job.image = resample(job.sheet, job.scale.zoom)
    job.timings["preprocess"] += time.perf_counter() - start
    height, width = job.image.shape[:2]
    job.plan = plan_tiles(height, width, size)
    job.stitcher = TileStitcher(job.plan, with_confidence)
    return job


def stitch_batch(
    batch: list[tuple[Job, int]],
    class_ids: np.ndarray,
    confidence: np.ndarray | None,
    elapsed: float,
    backend_timings: dict[str, float],
) -> None:
    """Hand each row of a batch output to its sheet; the batch's time is shared out per tile."""
    share = 1.0 / len(batch)
    for row, (job, index) in enumerate(batch):
        timings = job.timings
        timings["inference"] += elapsed * share
        for stage, seconds in backend_timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds * share
        start = time.perf_counter()
        assert job.stitcher is not None
        job.stitcher.add(index, class_ids[row], None if confidence is None else confidence[row])
        timings["stitch"] += time.perf_counter() - start


def whole_file(page: DocumentPage) -> bool:
    """A one-page raster is read as the image it is: its result names no page, as for a path."""
    return page.count == 1 and page.dpi is None


def label(source: object) -> str:
    if isinstance(source, DocumentPage):
        return str(source.path)
    if isinstance(source, (str, os.PathLike)):
        return str(os.fspath(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return "<array>" if isinstance(source, np.ndarray) else f"<{type(source).__name__}>"


def pack_batches(
    sources: Iterator[SheetSource],
    shape: BatchShape,
    with_confidence: bool,
    pending: deque[Job],
    slots: deque[list[tuple[Job, int]]],
    clock: Clock,
) -> Iterator[np.ndarray]:
    """Decode sheets lazily (each a :class:`Job` appended to ``pending``) and pack their tiles into batches.

    ``slots`` receives, per yielded batch, which job and tile each row holds; ``clock`` the seconds spent
    here, so that the backend's time per batch can leave them out.
    """
    size, pad_value, batch_size = shape.size, shape.pad_value, shape.batch_size
    buffer: np.ndarray | None = None
    batch: list[tuple[Job, int]] = []
    while True:
        start = time.perf_counter()
        source = next(sources, END)
        if source is END:  # not None: None is a bad input to report, not the end
            break
        job = start_job(cast(SheetSource, source), size, with_confidence, shape.scale)
        pending.append(job)
        for index in range(len(job.plan) if job.plan is not None else 0):
            tile_start = time.perf_counter()
            if buffer is None:
                buffer = np.empty((batch_size, size, size, 3), np.uint8)
            copy_tile(job.image, job.plan, index, buffer[len(batch)], pad_value)  # type: ignore[arg-type]  # job.plan is not None inside this loop (range is empty otherwise)
            batch.append((job, index))
            job.timings["preprocess"] += time.perf_counter() - tile_start
            if len(batch) == batch_size:
                slots.append(batch)
                clock.generator += time.perf_counter() - start
                yield buffer
                start, buffer, batch = time.perf_counter(), None, []
        clock.generator += time.perf_counter() - start
    if batch:
        assert buffer is not None
        slots.append(batch)
        yield buffer[: len(batch)]
