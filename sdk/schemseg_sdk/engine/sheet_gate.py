"""The gate on what users see: per-class IoU drops with confidence intervals, and symbol F1 after grouping.

The pixel gate of :mod:`.gate` compares pooled IoU on one set of sheets. On the bundled model it
failed an int8 graph whose mean IoU dropped 0.42 points because five classes dropped more than 2
points, among them pnp, 0.037 -> 0.013 IoU: a class the fp32 model hardly finds, where a few pixels
decide the figure. This gate asks two questions instead, on sheets that hold every class:

1. **Pixels.** Per class, the IoU drop and its 90% confidence interval from a paired bootstrap
   over sheets (both graphs scored on the same resampled sheets). A class the fp32 model finds
   (IoU >= :data:`FOUND_IOU`) fails when its drop exceeds :data:`~.gate.MAX_CLASS_DROP` and the
   interval lies above zero (a real loss, not the luck of which sheets were drawn). A class it
   hardly finds is judged by what it moves the pixel-weighted IoU (drop x its share of the
   true symbol pixels), at most :data:`MAX_SHARE_DROP` points. The mean IoU may drop at most
   :data:`~.gate.MAX_MEAN_DROP` points.
2. **Symbols.** The SDK's own path after inference (grouping, the symbol classifier) on both
   graphs' outputs, matched with the true boxes: mean symbol F1 may drop at most
   :data:`MAX_F1_DROP` points. Per-class counts are reported beside it.

Both graphs run on the runtime that ``Segmenter(device="cpu")`` gives them, so a Q/DQ graph is
judged in OpenVINO's int8 kernels where users get those; a graph judged in bf16 runs on OpenVINO
in bfloat16, as ``Segmenter()`` runs the bundled model where that gate passed. Both read the sheets at their own pixels
(``scale=1.0``): the gate compares two graphs of one model on the same input, and the validation
sets are drawn at the model's scale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..backends.base import Backend
from ..backends.cpu_choice import CpuRuntime
from ..backends.onnxruntime import OnnxRuntimeBackend
from ..backends.openvino import OvPrecision
from ..dataset import SegmentationDataset
from ..instances import GroupingSettings, group_symbols
from ..metrics import ConfusionMatrix
from ..segmenter import Segmenter
from ..symbol_classifier import open_classifier
from ..symbol_metrics import SymbolMatcher
from .gate import MAX_CLASS_DROP, MAX_MEAN_DROP, verdict_heading

__all__ = [
    "FOUND_IOU",
    "MAX_F1_DROP",
    "MAX_SHARE_DROP",
    "ClassVerdict",
    "SheetCounts",
    "SheetGateResult",
    "bootstrap_drops",
    "count_sheets",
    "judge",
]

FOUND_IOU = 0.10
"""Below this fp32 IoU a class is one the model hardly finds: its IoU rests on a few pixels."""
MAX_SHARE_DROP = 0.05
"""Points of pixel-weighted IoU a hardly-found class may cost (a tenth of the mean allowance)."""
MAX_F1_DROP = 0.5
"""Points of mean symbol F1 (the issue's target: within 0.5 points of fp32)."""
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.90


@dataclass(frozen=True)
class SheetCounts:
    """Per sheet (rows) and class (columns): pixel intersections/unions/truth, and symbol counts."""

    class_names: tuple[str, ...]
    inter: np.ndarray
    union: np.ndarray
    truth: np.ndarray
    true_symbols: np.ndarray | None  # None: the dataset has no boxes/
    predicted: np.ndarray | None
    matched: np.ndarray | None

    @property
    def sheets(self) -> int:
        return int(self.inter.shape[0])


def count_sheets(
    model: str | os.PathLike[str],
    val: str | os.PathLike[str],
    *,
    limit: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    runtime: CpuRuntime | None = None,
    precision: OvPrecision = "f32",
) -> SheetCounts:
    """Run ``model`` as ``Segmenter(device="cpu")`` does (or on ``runtime``; ``precision="bf16"``: on OpenVINO
    in bfloat16) on ``val`` and count, sheet by sheet, its raw pixels against the masks and its grouped
    symbols (bundled classifier where it fits) against the boxes."""
    dataset = SegmentationDataset(val)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    if precision == "bf16":
        runtime = "openvino"
    with _open(Path(model), threads, runtime, precision) as segmenter:
        names = segmenter.class_names
        dataset.require_classes(names, f"model {Path(model).name}")
        classifier = open_classifier("auto", segmenter.info, threads).classifier if dataset.has_boxes else None
        rows: list[tuple[np.ndarray, ...]] = []
        images = (dataset.read_image(i) for i in range(count))
        results = segmenter.predict_stream(images, with_confidence=True)
        for index, result in enumerate(tqdm(results, total=count, desc=Path(model).name, disable=not progress)):
            rows.append(_count_one(result.mask, result.confidence, result.image, dataset, index, names, classifier))
        if classifier is not None:
            classifier.close()
    stacked = [np.stack(column) for column in zip(*rows)]
    symbols = stacked[3:] if dataset.has_boxes else [None, None, None]
    return SheetCounts(tuple(names), stacked[0], stacked[1], stacked[2], *symbols)


def _open(model: Path, threads: int | None, runtime: CpuRuntime | None, precision: OvPrecision) -> Segmenter:
    if runtime is None:
        return Segmenter(model, device="cpu", threads=threads, grouping=None, scale=1.0)
    if runtime == "openvino":
        from ..backends.openvino import OpenVinoBackend

        backend: Backend = OpenVinoBackend(model, threads=threads, precision=precision)
    else:
        backend = OnnxRuntimeBackend(model, device="cpu", threads=threads)
    return Segmenter.from_backend(backend, name=str(model), grouping=None, threads=threads, scale=1.0)


def _count_one(
    mask: np.ndarray,
    confidence: np.ndarray | None,
    image: np.ndarray | None,
    dataset: SegmentationDataset,
    index: int,
    names: tuple[str, ...],
    classifier: object,
) -> tuple[np.ndarray, ...]:
    matrix = ConfusionMatrix(len(names), names)
    matrix.update(mask, dataset.read_mask(index, mask.shape))
    m = matrix.matrix
    inter = np.diag(m).copy()
    out: tuple[np.ndarray, ...] = (inter, m.sum(0) + m.sum(1) - inter, m.sum(1))
    if not dataset.has_boxes:
        return out
    assert image is not None
    grouped = group_symbols(mask, confidence, image, names, GroupingSettings(), classifier)  # type: ignore[arg-type]
    matcher = SymbolMatcher(names)
    matcher.update([(s.class_id, s.bbox) for s in grouped.symbols], dataset.read_boxes(index))
    return (*out, matcher.true_count.copy(), matcher.predicted.copy(), matcher.matched.copy())


def _iou(inter: np.ndarray, union: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, np.nan)


def _mean_f1(true: np.ndarray, predicted: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Mean F1 over the classes with true symbols, along the last axis (as :class:`SymbolScores` defines it)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(true + predicted > 0, 2 * matched / (true + predicted), 0.0)
    present = true[..., 1:] > 0
    return np.where(present.any(-1), (f1[..., 1:] * present).sum(-1) / np.maximum(present.sum(-1), 1), np.nan)


def bootstrap_drops(
    reference: SheetCounts, candidate: SheetCounts, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> dict[str, np.ndarray]:
    """Point drops (points, reference - candidate) and their bootstrap intervals, resampling sheets in pairs.

    Returns ``class_drop``/``class_low``/``class_high`` per class, ``mean_drop``/``mean_low``/``mean_high``
    and, with boxes, ``f1_drop``/``f1_low``/``f1_high`` (each a 0-d array).
    """
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(reference.sheets, np.full(reference.sheets, 1.0 / reference.sheets), size=samples)
    weights = np.vstack([np.ones(reference.sheets, np.int64), weights]).astype(np.float64)  # row 0: the sheets as drawn
    present = reference.truth.sum(0) > 0
    present[0] = False

    def iou(counts: SheetCounts) -> np.ndarray:
        return _iou(weights @ counts.inter, weights @ counts.union)

    ref_iou, cand_iou = iou(reference), iou(candidate)
    drops = 100.0 * (np.nan_to_num(ref_iou) - np.nan_to_num(cand_iou))
    mean = 100.0 * (
        np.nanmean(np.where(present, ref_iou, np.nan), 1) - np.nanmean(np.where(present, cand_iou, np.nan), 1)
    )
    out = _summarise("class", drops) | _summarise("mean", mean)
    if reference.true_symbols is not None and candidate.predicted is not None:

        def f1(counts: SheetCounts) -> np.ndarray:
            return _mean_f1(weights @ counts.true_symbols, weights @ counts.predicted, weights @ counts.matched)  # type: ignore[operator]

        out |= _summarise("f1", 100.0 * (f1(reference) - f1(candidate)))
    return out


def _summarise(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    tail = 100.0 * (1.0 - CONFIDENCE) / 2.0
    low, high = np.nanpercentile(values[1:], [tail, 100.0 - tail], axis=0)
    return {f"{name}_drop": values[0], f"{name}_low": low, f"{name}_high": high}


@dataclass(frozen=True)
class ClassVerdict:
    """One class row: fp32 and candidate IoU (0..1), drop and its interval (points), share of true pixels."""

    name: str
    reference: float
    candidate: float
    drop: float
    low: float
    high: float
    share: float
    found: bool  # fp32 IoU >= FOUND_IOU: judged by its drop; else by drop x share
    failed: bool


@dataclass(frozen=True)
class SheetGateResult:
    """The verdict of :func:`judge` for one candidate graph on one validation set."""

    label: str
    graph: str
    val: str
    sheets: int
    classes: tuple[ClassVerdict, ...]
    mean_drop: tuple[float, float, float]  # point, low, high (IoU points)
    f1: tuple[float, float] | None  # fp32 and candidate mean symbol F1 (0..1); None without boxes
    f1_drop: tuple[float, float, float] | None
    counts: dict[str, tuple[int, int, int]]  # class -> (true, fp32 predicted, candidate predicted)

    @property
    def failures(self) -> list[str]:
        """Why the gate failed (empty: passed)."""
        out = []
        if self.mean_drop[0] > MAX_MEAN_DROP:
            out.append(f"mean IoU dropped {self.mean_drop[0]:.2f} points (allowed {MAX_MEAN_DROP})")
        for c in self.classes:
            if c.failed and c.found:
                out.append(
                    f"{c.name} dropped {c.drop:.2f} IoU points, 90% interval [{c.low:.2f}, {c.high:.2f}] "
                    f"(allowed {MAX_CLASS_DROP}, interval above 0)"
                )
            elif c.failed:
                out.append(
                    f"{c.name} (fp32 IoU {c.reference:.3f}, hardly found) cost {c.drop * c.share:.3f} points "
                    f"of pixel-weighted IoU (allowed {MAX_SHARE_DROP})"
                )
        if self.f1_drop is not None and self.f1_drop[0] > MAX_F1_DROP:
            out.append(f"mean symbol F1 dropped {self.f1_drop[0]:.2f} points (allowed {MAX_F1_DROP})")
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def table(self) -> str:
        width = max([len("mean IoU"), *(len(c.name) for c in self.classes)])
        lines = [
            verdict_heading(self.label, self.graph, self.val, self.sheets, self.passed),
            f"{'class':<{width}}  {'fp32 IoU':>8}  {'IoU':>8}  {'drop (pt)':>9}  {'90% interval':>15}  {'share':>6}",
        ]
        for c in self.classes:
            flag = "  FAIL" if c.failed else ("" if c.found else "  (hardly found: judged by share)")
            lines.append(
                f"{c.name:<{width}}  {c.reference:8.4f}  {c.candidate:8.4f}  {c.drop:9.2f}  "
                f"[{c.low:6.2f}, {c.high:6.2f}]  {c.share:6.3f}{flag}"
            )
        point, low, high = self.mean_drop
        lines.append(f"{'mean IoU':<{width}}  {'':8}  {'':8}  {point:9.2f}  [{low:6.2f}, {high:6.2f}]")
        if self.f1 is not None and self.f1_drop is not None:
            point, low, high = self.f1_drop
            lines.append(
                f"symbol F1 (grouped, classifier): fp32 {self.f1[0]:.4f}, candidate {self.f1[1]:.4f}, "
                f"drop {point:.2f} points [{low:.2f}, {high:.2f}] (allowed {MAX_F1_DROP})"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        data = asdict(self)
        data.update(
            passed=self.passed,
            failures=self.failures,
            max_mean_drop=MAX_MEAN_DROP,
            max_class_drop=MAX_CLASS_DROP,
            found_iou=FOUND_IOU,
            max_share_drop=MAX_SHARE_DROP,
            max_f1_drop=MAX_F1_DROP,
            confidence=CONFIDENCE,
            bootstrap_samples=BOOTSTRAP_SAMPLES,
        )
        return data


def judge(reference: SheetCounts, candidate: SheetCounts, *, label: str, graph: str, val: str) -> SheetGateResult:
    """Compare a candidate graph's counts with the fp32 graph's on the same sheets (see the module docstring)."""
    drops = bootstrap_drops(reference, candidate)
    ref_iou = _iou(reference.inter.sum(0), reference.union.sum(0))
    cand_iou = _iou(candidate.inter.sum(0), candidate.union.sum(0))
    truth = reference.truth.sum(0).astype(np.float64)
    share = truth / max(truth[1:].sum(), 1.0)
    rows = []
    for i, name in enumerate(reference.class_names):
        if i == 0 or truth[i] == 0:
            continue
        drop, low, high = (float(drops[f"class_{k}"][i]) for k in ("drop", "low", "high"))
        found = bool(np.nan_to_num(ref_iou[i]) >= FOUND_IOU)
        failed = bool(drop > MAX_CLASS_DROP and low > 0) if found else bool(drop * share[i] > MAX_SHARE_DROP)
        rows.append(
            ClassVerdict(
                name,
                float(np.nan_to_num(ref_iou[i])),
                float(np.nan_to_num(cand_iou[i])),
                round(drop, 4),
                round(low, 4),
                round(high, 4),
                round(float(share[i]), 5),
                found,
                failed,
            )
        )
    f1 = f1_drop = None
    counts: dict[str, tuple[int, int, int]] = {}
    if "f1_drop" in drops:
        assert (
            reference.true_symbols is not None and reference.predicted is not None and candidate.predicted is not None
        )
        f1 = (
            float(_mean_f1(reference.true_symbols.sum(0), reference.predicted.sum(0), reference.matched.sum(0))),  # type: ignore[union-attr]  # the symbol figures are set together (asserted above)
            float(_mean_f1(candidate.true_symbols.sum(0), candidate.predicted.sum(0), candidate.matched.sum(0))),  # type: ignore[union-attr]  # the symbol figures are set together (asserted above)
        )
        f1_drop = tuple(round(float(drops[f"f1_{k}"]), 4) for k in ("drop", "low", "high"))
        true, ref_pred, cand_pred = (
            a.sum(0) for a in (reference.true_symbols, reference.predicted, candidate.predicted)
        )
        counts = {
            n: (int(true[i]), int(ref_pred[i]), int(cand_pred[i]))
            for i, n in enumerate(reference.class_names)
            if i and (true[i] or ref_pred[i] or cand_pred[i])
        }
    mean = tuple(round(float(drops[f"mean_{k}"]), 4) for k in ("drop", "low", "high"))
    return SheetGateResult(label, graph, val, reference.sheets, tuple(rows), mean, f1, f1_drop, counts)  # type: ignore[arg-type]
