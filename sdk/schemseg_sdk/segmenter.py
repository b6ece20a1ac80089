"""The SDK's entry point: :class:`Segmenter` turns drawings of any size into class masks and symbols."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal, overload

import numpy as np

from ._pipeline import BatchShape, Clock, Job, SheetSource, pack_batches, stitch_batch, whole_file
from .backends.base import Backend
from .backends.onnxruntime import Device
from .backends.open import ENGINE_SUFFIXES, open_backend
from .documents import document_pages
from .errors import InvalidInputError, ModelFormatError, SchemsegError
from .instances import GroupingSettings, TextHeight, list_symbols
from .model_info import ModelInfo
from .result import STAGES, SegmentationResult
from .sheet_scale import ScaleChoice, SheetScale, check_scale, pixels_to_sheet, symbols_to_sheet
from .symbol_classifier import ClassifierChoice, SymbolClassifier, open_classifier

__all__ = ["Segmenter", "SheetSource", "DEFAULT_MODEL", "ENGINE_SUFFIXES"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "reference.onnx"
"""The reference model bundled with the package (fp32 ONNX, runs on any CPU)."""


class Segmenter:
    """Segment the symbols on engineering drawings with an ONNX model or a TensorRT engine.

    Any sheet size works: sheets up to the model input (608 x 608) are padded with white, larger
    ones are cut into overlapping tiles at the model's native scale and stitched by confidence.
    A sheet drawn at another scale than the model's (a P&ID scanned at 600 dpi) is first resampled
    to it (``scale``); the results are always in the sheet's own pixels.

    Threading: one Segmenter may be shared by any number of threads; it holds no per-call state.
    The ONNX Runtime backend shares one ``InferenceSession`` whose ``run`` is thread-safe and runs
    callers concurrently (set ``threads`` to split the cores between them). The TensorRT backend
    has one execution context: threads take turns, one ``predict*`` call at a time, so do not call
    ``predict`` from inside a ``predict_stream`` loop of the same Segmenter in the same thread.
    Give each process its own Segmenter.

    Args:
        model: ``.onnx`` model (ONNX Runtime) or ``.engine``/``.plan`` (TensorRT); ``None`` loads
            the bundled reference model :data:`DEFAULT_MODEL`.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when usable, else the CPU; see
            :attr:`backend_name`). On the CPU an ``.onnx`` graph runs on the installed runtime that
            runs its kind fastest, and ``model=None`` may take a faster gated graph shipped with the
            package (:mod:`~schemseg_sdk.backends.cpu_choice`; ``schemseg doctor`` says which and why).
            TensorRT engines always run on GPU 0 and refuse ``"cpu"``.
        batch_size: tiles/sheets per model run.
        threads: ONNX Runtime intra-op threads (``None``: ORT's default).
        rebuild_from: TensorRT only: the ``.onnx`` to rebuild the engine from when it does not fit
            this GPU or TensorRT version.
        grouping: how predicted pixels become symbols: grouped into instances with one class each
            (:class:`~schemseg_sdk.instances.GroupingSettings`, the default), or ``None`` for one
            symbol per connected region of a class, as the model painted it.
        classifier: with grouping, what gives each instance its class from its crop of the drawing
            (:mod:`~schemseg_sdk.symbol_classifier`): ``"auto"`` (the default) takes the model's own
            ``X.classifier.onnx`` beside ``X.onnx`` (``X.engine``), else the bundled classifier, the
            first that was trained for this model, and none otherwise; a classifier file; or ``None``
            (the segmentation model's vote decides, see :mod:`~schemseg_sdk.instances`).
            :attr:`classifier_reason` and ``result.grouping["classifier_reason"]`` say which and why.
        scale: ``"auto"`` (the default) measures each sheet's stroke width and text height and
            resamples it only where they lie outside the band the model was trained on, or where
            a big sheet is drawn larger than the model's reference (faster, see
            :mod:`~schemseg_sdk.sheet_scale`); a number is the zoom for every sheet (``1.0``: read
            as they are). ``result.scale`` says which zoom was used and why.

    Raises:
        ModelFormatError: missing, unreadable or foreign model file.
        BackendUnavailableError: the runtime for ``device``/the model file is not installed.

    >>> from schemseg_sdk import Segmenter
    >>> with Segmenter() as seg:  # doctest: +SKIP
    ...     result = seg.predict("sheet.png")
    ...     print(result.symbol_counts())
    ...     cv2.imwrite("sheet.overlay.png", result.overlay())
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: Device = "auto",
        batch_size: int = 4,
        threads: int | None = None,
        rebuild_from: str | os.PathLike[str] | None = None,
        grouping: GroupingSettings | None = GroupingSettings(),
        classifier: ClassifierChoice = "auto",
        scale: ScaleChoice = "auto",
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidInputError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.scale = check_scale(scale)
        self.model_path = _resolve_model(model)
        self.backend: Backend = open_backend(self.model_path, device, threads, rebuild_from, bundled=model is None)
        if model is None:  # a faster bundled graph may run instead of the fp32 model
            self.model_path = Path(getattr(self.backend, "model_path", self.model_path))
        max_batch = self.backend.input_spec.max_batch
        if batch_size > max_batch:
            self.backend.close()
            raise InvalidInputError(
                f"{self.model_path.name}: batch_size {batch_size} is above the engine's largest batch {max_batch}; "
                f"pass batch_size <= {max_batch} or rebuild the engine with a larger --batch"
            )
        self.batch_size = batch_size
        self.grouping = grouping
        self._closed = False
        self.classifier = self._open_classifier(classifier, threads)

    @classmethod
    def from_backend(
        cls,
        backend: Backend,
        *,
        batch_size: int = 4,
        name: str = "<backend>",
        grouping: GroupingSettings | None = GroupingSettings(),
        classifier: ClassifierChoice = "auto",
        scale: ScaleChoice = "auto",
        threads: int | None = None,
    ) -> Segmenter:
        """Wrap an already open backend (e.g. a PyTorch backend for benchmarks and checkpoint evaluation).

        The Segmenter takes ownership: closing it closes ``backend``. ``threads``: the classifier's threads.
        """
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int)
            or not 1 <= batch_size <= backend.input_spec.max_batch
        ):
            raise InvalidInputError(
                f"batch_size must be an integer in 1..{backend.input_spec.max_batch}, got {batch_size!r}"
            )
        checked_scale = check_scale(scale)
        self = cls.__new__(cls)
        self.scale = checked_scale
        self.model_path = Path(name)
        self.backend = backend
        self.batch_size = batch_size
        self.grouping = grouping
        self._closed = False
        self.classifier = self._open_classifier(classifier, threads)
        return self

    def _open_classifier(self, choice: ClassifierChoice, threads: int | None) -> SymbolClassifier | None:
        if self.grouping is None:
            self.classifier_reason = "no symbol classifier (grouping is off)"
            return None
        try:
            pick = open_classifier(choice, self.backend.info, threads, self.model_path)
        except SchemsegError:
            self.backend.close()
            raise
        self.classifier_reason = pick.reason
        return pick.classifier

    # -- properties ------------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        """The model's metadata (class names, input size, normalisation...)."""
        return self.backend.info

    @property
    def class_names(self) -> tuple[str, ...]:
        """The model's class names from its metadata; ``class_names[i]`` names class id ``i`` (background first)."""
        return tuple(self.backend.info.class_names)

    @property
    def input_size(self) -> int:
        """The model's square input side ``S`` (608 for the reference model)."""
        return int(self.backend.input_spec.size)

    @property
    def backend_name(self) -> str:
        """Which runtime runs the model, e.g. ``onnxruntime-cpu``, ``openvino-cpu``, ``onnxruntime-cuda``, ``tensorrt``."""
        return str(self.backend.name)

    # -- prediction ------------------------------------------------------------------------
    def predict(self, image: SheetSource, *, with_confidence: bool = True) -> SegmentationResult:
        """Segment one sheet: a path, encoded image bytes, an array (BGR, gray, BGRA, 16-bit...) or a page.

        A path is read as one image: of a multi-page TIFF (GIF, WebP) its first page, and
        ``result.page`` then says "page 1 of N"; use :meth:`predict_document` for PDF and
        multi-page files.

        ``with_confidence=False`` skips the confidence output (faster, less memory); tiles are
        then stitched by the nearest tile centre and symbols carry no confidence.

        Raises:
            InvalidInputError: the input is not a readable image (the message names it).
            InferenceError: the runtime failed (e.g. out of memory).
        """
        return self.predict_batch([image], with_confidence=with_confidence)[0]

    def predict_batch(self, images: Iterable[SheetSource], *, with_confidence: bool = True) -> list[SegmentationResult]:
        """Segment several sheets, ``batch_size`` tiles per model run; results keep the input order."""
        return list(self.predict_stream(images, with_confidence=with_confidence))

    @overload
    def predict_stream(
        self, images: Iterable[SheetSource], *, with_confidence: bool = ..., return_errors: Literal[False] = ...
    ) -> Iterator[SegmentationResult]: ...

    @overload
    def predict_stream(
        self, images: Iterable[SheetSource], *, with_confidence: bool = ..., return_errors: Literal[True]
    ) -> Iterator[SegmentationResult | InvalidInputError]: ...

    def predict_stream(
        self, images: Iterable[SheetSource], *, with_confidence: bool = True, return_errors: bool = False
    ) -> Iterator[SegmentationResult | InvalidInputError]:
        """Yield one result per input, in order, reading inputs lazily (memory stays bounded).

        Only the sheets whose tiles are in flight are held (about ``batch_size`` of them), so a
        generator over thousands of files works. With ``return_errors=True`` an input that cannot
        be read yields its :class:`InvalidInputError` in its place instead of stopping the stream.
        """
        self._check_open()
        if isinstance(images, (str, bytes, bytearray, memoryview, os.PathLike)) or (
            isinstance(images, np.ndarray) and images.ndim != 4
        ):
            raise InvalidInputError(
                f"expected several images (a list, generator or (N, H, W, C) array), got one "
                f"{type(images).__name__}; use predict() for a single image"
            )
        try:
            sources = iter(images)
        except TypeError:
            raise InvalidInputError(f"expected an iterable of images, got {type(images).__name__}") from None
        return self._stream(sources, with_confidence, return_errors)

    @overload
    def predict_document(
        self,
        path: str | os.PathLike[str],
        *,
        dpi: float | None = ...,
        with_confidence: bool = ...,
        return_errors: Literal[False] = ...,
    ) -> Iterator[SegmentationResult]: ...

    @overload
    def predict_document(
        self,
        path: str | os.PathLike[str],
        *,
        dpi: float | None = ...,
        with_confidence: bool = ...,
        return_errors: Literal[True],
    ) -> Iterator[SegmentationResult | InvalidInputError]: ...

    def predict_document(
        self,
        path: str | os.PathLike[str],
        *,
        dpi: float | None = None,
        with_confidence: bool = True,
        return_errors: bool = False,
    ) -> Iterator[SegmentationResult | InvalidInputError]:
        """Segment every page of a document (PDF, multi-page TIFF, or a single image): one result per page, in order.

        Pages are read lazily as the stream needs them, so a long document holds only the pages in
        flight; ``result.page`` says which page a result is (``None`` for a single image).

        Args:
            path: the document file.
            dpi: PDF render resolution; ``None`` chooses it from each page's size
                (:func:`~schemseg_sdk.documents.render_dpi`).
            with_confidence, return_errors: as for :meth:`predict_stream` (errors are per page).

        Raises:
            InvalidInputError: the document cannot be opened (encrypted or damaged PDF, no pages); raised here,
                before any page is segmented.

        >>> with Segmenter() as seg:  # doctest: +SKIP
        ...     for result in seg.predict_document("plant.pdf"):
        ...         result.save_json(f"plant.p{result.page.number:03d}.json")
        """
        self._check_open()
        pages = document_pages(path, dpi)
        sources = [page.path if whole_file(page) else page for page in pages]
        return self._stream(iter(sources), with_confidence, return_errors)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Free the backend (the ORT session or the TensorRT context); safe to call twice."""
        self._closed = True
        self.backend.close()
        if self.classifier is not None:
            self.classifier.close()

    def __enter__(self) -> Segmenter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Segmenter({str(self.model_path)!r}, backend={self.backend_name!r}, batch_size={self.batch_size})"

    # -- internals -------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise SchemsegError(f"Segmenter({self.model_path.name}) is closed; create a new one")

    def _stream(
        self, images: Iterator[SheetSource], with_confidence: bool, return_errors: bool
    ) -> Iterator[SegmentationResult | InvalidInputError]:
        pending: deque[Job] = deque()
        slots: deque[list[tuple[Job, int]]] = deque()
        clock = Clock()
        shape = BatchShape(self.input_size, self.info.pad_value, self.batch_size, self.scale)
        batches = pack_batches(images, shape, with_confidence, pending, slots, clock)
        outputs = self.backend.infer_many(batches, with_confidence=with_confidence)
        try:
            while True:
                start, generator_before = time.perf_counter(), clock.generator
                try:
                    output = next(outputs)
                except StopIteration:
                    break
                elapsed = time.perf_counter() - start - (clock.generator - generator_before)
                stitch_batch(slots.popleft(), output.class_ids, output.confidence, elapsed, output.timings)
                yield from self._finish_ready(pending, return_errors)
            yield from self._finish_ready(pending, return_errors)
        finally:
            close = getattr(outputs, "close", None)
            if close is not None:
                close()

    def _finish_ready(
        self, pending: deque[Job], return_errors: bool
    ) -> Iterator[SegmentationResult | InvalidInputError]:
        while pending and pending[0].ready:
            job = pending.popleft()
            if job.error is not None:
                if not return_errors:
                    raise job.error
                yield job.error
                continue
            yield self._finish_job(job)

    def _finish_job(self, job: Job) -> SegmentationResult:
        assert job.stitcher is not None and job.image is not None and job.sheet is not None and job.scale is not None
        mask, confidence = job.stitcher.result()
        mask, symbols, grouping = list_symbols(
            mask,
            confidence,
            job.image,
            self.class_names,
            self.grouping,
            job.timings,
            self.classifier,
            _text_height(job.scale),
        )
        if grouping is not None:
            grouping["classifier_reason"] = self.classifier_reason
        if job.image is not job.sheet:  # grouped at the model's scale, where its settings were tuned
            start = time.perf_counter()
            height, width = job.sheet.shape[:2]
            mask = pixels_to_sheet(mask, height, width)
            confidence = None if confidence is None else pixels_to_sheet(confidence, height, width)
            symbols = symbols_to_sheet(symbols, job.scale.zoom, height, width)
            job.timings["postprocess"] += time.perf_counter() - start
        job.timings["total"] = sum(job.timings[stage] for stage in STAGES)
        info = self.info
        model = {
            "name": info.model_name,
            "version": info.model_version,
            "precision": info.precision,
            "input_size": self.input_size,
            "backend": self.backend_name,
        }
        return SegmentationResult(
            mask,
            confidence,
            symbols,
            job.timings,
            job.label,
            job.sheet,
            model,
            len(job.stitcher.plan),
            self.class_names,
            grouping,
            job.page,
            job.scale.to_dict(),
        )


def _text_height(scale: SheetScale) -> TextHeight:
    """The text height for grouping at the model's scale: what ``scale="auto"`` measured on the sheet
    (zoom times that; ``None``: too little text, not measured again), or measured by grouping."""
    if scale.mode == "fixed":
        return "auto"
    return None if scale.text_px is None else scale.text_px * scale.zoom


def _resolve_model(model: str | os.PathLike[str] | None) -> Path:
    if model is None:
        if not DEFAULT_MODEL.is_file():
            raise ModelFormatError(
                f"{DEFAULT_MODEL}: bundled reference model not found; reinstall schemseg (the package ships it), "
                "export one with 'schemseg export', or pass a model path: Segmenter('model.onnx') "
                "or 'schemseg segment --model model.onnx'"
            )
        return DEFAULT_MODEL
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(f"model: expected a path to an .onnx or .engine file, got {type(model).__name__}")
    return Path(model)
