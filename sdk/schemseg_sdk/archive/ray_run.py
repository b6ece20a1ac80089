"""``schemseg segment --ray``: the archive on a Ray cluster (or a Ray started on this machine).

Pipeline: the driver lists the sheets (pages) that still need segmenting -> Ray Data splits them
into small batches of *paths* (with page numbers) -> ``map_batches`` over a fixed pool of
:class:`_SheetActor` (one Segmenter each; an actor reads, decodes or renders, segments and writes
each sheet atomically itself) -> one status per sheet
flows back to the driver, which records it. Only paths and short status rows cross the object
store, so large tiled scans never flood it; decoded images stay inside the actor that needs them.

Faults: an unreadable sheet or one that fails inside the model comes back ``failed`` with its
reason (see :func:`~.worker.segment_jobs`). An actor that dies (killed, out of memory) is
restarted by Ray and its batch retried, up to :data:`TASK_RETRIES` times; a batch that still fails
is recorded ``failed`` per sheet, so no sheet goes missing. A driver that dies takes its actors
with it; the rerun skips what was finished.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from .. import errors
from ..errors import BackendUnavailableError, InferenceError, InvalidInputError, ModelFormatError, SchemsegError
from ..segmenter import ENGINE_SUFFIXES, Segmenter
from ..signals import reclaim_interrupts, sigterm_interrupts
from .jobs import SheetJob
from .options import RayOptions, RunObserver, RunOptions
from .status import RunRecorder, SheetStatus
from .worker import segment_jobs

__all__ = ["ActorPlan", "plan_actors", "run_on_ray", "import_ray", "SHEETS_PER_CALL", "TASK_RETRIES"]

SHEETS_PER_CALL = 4
"""Sheets per actor call: small, so a lost actor costs little work and progress stays smooth."""
TASK_RETRIES = 3
"""Times a batch is retried after its actor died; finite, so a sheet that crashes the process ends."""
RAY_EXTRA = "pip install 'schemseg[ray]'"


@dataclass(frozen=True)
class ActorPlan:
    """What each Segmenter actor reserves and uses."""

    cpus: float
    """Ray CPUs reserved per actor."""
    gpus: int
    """1 for GPU actors (CUDA or TensorRT), else 0."""
    threads: int
    """ONNX Runtime threads per actor."""


def plan_actors(
    actors: int,
    cluster_cpus: float,
    largest_node_cpus: float,
    cluster_gpus: float,
    use_gpu: bool,
    threads: int | None = None,
) -> ActorPlan:
    """Size the actors from what the cluster has, so the whole pool can start.

    Each actor reserves ``cluster_cpus / actors`` CPUs (at most one node's worth, at most
    ``threads``), and runs that many ONNX Runtime threads unless ``threads`` says otherwise. A
    fixed reservation of one CPU per actor can leave a pool that never starts on a small machine.

    >>> plan_actors(2, cluster_cpus=2, largest_node_cpus=2, cluster_gpus=0, use_gpu=False)
    ActorPlan(cpus=1.0, gpus=0, threads=1)
    """
    if actors < 1:
        raise InvalidInputError(f"actors must be >= 1, got {actors}")
    if use_gpu and cluster_gpus < actors:
        raise InvalidInputError(
            f"{actors} GPU actor(s) asked for, but the Ray cluster has {cluster_gpus:g} GPU(s); "
            + (f"use --actors {int(cluster_gpus)} or fewer" if cluster_gpus >= 1 else "use --device cpu")
        )
    share = min(largest_node_cpus, cluster_cpus / actors, threads or math.inf)
    cpus = math.floor(share * 100) / 100
    if cpus <= 0:
        raise InvalidInputError(f"the Ray cluster has {cluster_cpus:g} CPU(s): too few for {actors} actor(s)")
    return ActorPlan(cpus=cpus, gpus=1 if use_gpu else 0, threads=threads or max(1, int(share)))


def import_ray() -> ModuleType:
    """Import Ray (with Ray Data) or say how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401 - the extra installs both; a bare ray lacks Ray Data
    except ImportError as exc:
        raise BackendUnavailableError(f"--ray needs Ray with Ray Data ({exc}); {RAY_EXTRA}") from None
    return ray


class _SheetActor:
    """A Ray Data actor: one Segmenter, opened once; each call segments a few sheets and writes them."""

    def __init__(self, options: RunOptions, threads: int, cwd: str) -> None:
        if os.path.isdir(cwd):
            os.chdir(cwd)  # relative paths mean what they mean to the driver (shared storage, same mount)
        self._segmenter = Segmenter(
            options.model,
            device=options.device,
            batch_size=options.batch_size,
            threads=threads,
            grouping=options.grouping,
            classifier=options.classifier,
            scale=options.scale,
        )
        self._outputs = options.outputs

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        jobs = [SheetJob.from_dict(json.loads(str(job))) for job in batch["job"]]
        statuses = [json.dumps(status.to_dict()) for status in segment_jobs(self._segmenter, jobs, self._outputs)]
        return {"status": np.array(statuses, dtype=object)}


def run_on_ray(
    pending: list[SheetJob], options: RunOptions, settings: RayOptions, recorder: RunRecorder, observer: RunObserver
) -> None:
    """Segment ``pending`` on Ray and record one status per sheet (see the module docstring)."""
    ray = import_ray()
    if options.model is not None and not options.model.is_file():
        raise ModelFormatError(f"{options.model}: no such model file")
    started_here = not ray.is_initialized()
    if started_here:
        _start_or_join(ray, settings.address)
    # ray.init replaces the SIGTERM handler with one that logs a stack trace and dies, and Ctrl-C was
    # seen not to interrupt a driver waiting on Ray Data: take both back, so they stop the run
    # cleanly (actors and a Ray started here shut down, summary written)
    reclaim_interrupts()
    restore_sigterm = sigterm_interrupts()
    try:
        plan = _plan_for_cluster(ray, options, settings.actors)
        where = settings.address or os.environ.get("RAY_ADDRESS") or "local"
        recorder.summary.description = (
            f"{(options.model or Path('reference.onnx')).name} on Ray ({where}, "
            f"{ray.cluster_resources().get('CPU', 0):g} CPUs; {settings.actors} actor(s) x {plan.cpus:g} CPU"
            f"{' + 1 GPU' if plan.gpus else ''}, {plan.threads} thread(s) each)"
        )
        observer.started(recorder.summary.description, len(pending), recorder.summary.skipped)
        _stream_statuses(ray, pending, options, plan, settings.actors, recorder, observer)
    finally:
        restore_sigterm()
        if started_here:
            ray.shutdown()
    for job in recorder.missing():
        status = SheetStatus.failed(
            job,
            (
                f"{job.label}: no result: the Ray actor segmenting it was lost {TASK_RETRIES + 1} times "
                "(a crash or out of memory); rerun to retry it, or segment it without --ray"
            ),
        )
        recorder.add(status)
        observer.sheet_finished(status)


def _start_or_join(ray: ModuleType, address: str | None) -> None:
    try:
        ray.init(address=address, include_dashboard=False, logging_level="WARNING")
    except Exception as exc:  # ConnectionError, TimeoutError, plain Exception: Ray's start-up errors share no base
        target = address or os.environ.get("RAY_ADDRESS")
        where = f"the Ray cluster at {target}" if target not in (None, "local") else "a local Ray"
        raise BackendUnavailableError(
            f"could not start or join {where} ({_first_line(exc)}); check the address (--ray ADDRESS, RAY_ADDRESS) "
            "and 'ray status', or run without --ray"
        ) from None


def _plan_for_cluster(ray: ModuleType, options: RunOptions, actors: int) -> ActorPlan:
    resources = ray.cluster_resources()
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    largest = max((node.get("CPU", 0.0) for node in nodes), default=0.0)
    gpus = resources.get("GPU", 0.0)
    engine = options.model is not None and options.model.suffix.lower() in ENGINE_SUFFIXES
    use_gpu = engine or options.device == "cuda" or (options.device == "auto" and gpus > 0)
    return plan_actors(actors, resources.get("CPU", 0.0), largest, gpus, use_gpu, options.threads)


def _stream_statuses(
    ray: ModuleType,
    pending: list[SheetJob],
    options: RunOptions,
    plan: ActorPlan,
    actors: int,
    recorder: RunRecorder,
    observer: RunObserver,
) -> None:
    rows = [{"job": json.dumps(job.to_dict())} for job in pending]
    with warnings.catch_warnings():
        # max_task_retries has no named parameter yet; Ray 2.60 (pinned) warns that the
        # **ray_remote_args form goes away in 2.64
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = ray.data.from_items(rows, override_num_blocks=math.ceil(len(rows) / SHEETS_PER_CALL)).map_batches(
            _SheetActor,
            fn_constructor_kwargs={"options": options, "threads": plan.threads, "cwd": os.getcwd()},
            batch_size=SHEETS_PER_CALL,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=plan.cpus,
            num_gpus=plan.gpus or None,
            max_task_retries=TASK_RETRIES,
        )
    dataset.context.enable_progress_bars = False  # the driver shows one bar of sheets
    dataset.context.max_errored_blocks = -1  # a batch that failed for good is recorded, the rest goes on
    data_logger = logging.getLogger("ray.data")
    level = data_logger.level
    data_logger.setLevel(logging.ERROR)  # its INFO/WARNING lines are in the session's ray-data log
    try:
        for row in dataset.iter_rows():
            status = SheetStatus.from_dict(json.loads(row["status"]))
            recorder.add(status)
            observer.sheet_finished(status)
    except ray.exceptions.RayError as exc:
        raise _schemseg_error_in(exc) or InferenceError(f"the Ray run failed: {_first_line(exc)}") from None
    finally:
        data_logger.setLevel(level)


def _schemseg_error_in(exc: BaseException) -> SchemsegError | None:
    """The SchemsegError behind a Ray error (e.g. an actor whose Segmenter could not open the model).

    An actor that dies in its constructor reaches the driver as an ActorDiedError whose text holds
    the remote traceback, not the exception object; its last schemseg error line is the reason.
    """
    cause = getattr(exc, "cause", None)
    if isinstance(cause, SchemsegError):
        return cause
    found = re.findall(r"^schemseg_sdk\.errors\.(\w+): (.+)$", str(exc), re.MULTILINE)
    if not found:
        return None
    name, message = found[-1]
    error_class = getattr(errors, name, None)
    if isinstance(error_class, type) and issubclass(error_class, SchemsegError):
        return error_class(message)
    return None


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
