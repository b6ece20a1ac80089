"""Which runtime runs an ONNX graph on the CPU, and which bundled graph ``Segmenter()`` takes.

The rules follow measurements (docs/cpu-speed.md), not guesses:

* fp32 graphs run on ONNX Runtime: OpenVINO's fp32 was no faster on the measured AVX-512 CPU.
* Q/DQ int8 graphs (``quantization = qdq-...``) run on OpenVINO where it is installed and the CPU
  has VNNI: OpenVINO fuses each Q/DQ pair into int8 kernels, while ONNX Runtime runs them as
  written, in float (see ``session.disable_quant_qdq`` in :mod:`.onnxruntime`), which is slower
  than fp32. Without VNNI int8 products are summed in int16 and can saturate, so there they stay
  on ONNX Runtime, exact but not faster.
* QOperator int8 graphs (``quantization = qoperator-...``) are ONNX Runtime's own form.

``Segmenter()`` (no model given) takes the first bundled path in :data:`BUNDLED_CPU_GRAPHS` that
is shipped, whose accuracy gate report beside it says ``passed``, and that this CPU and the
installed runtimes can run; else the fp32 reference model on ONNX Runtime. A path is a graph, the
runtime that runs it and, for OpenVINO, the precision it computes in: the bundled fp32 model in
bfloat16 is a path of its own, with its own gate report (``reference.openvino-bf16.gate.json``),
because bf16 arithmetic changes the answer as int8 does, only less.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..cpu import cpu_flags, has_fast_bf16, has_int8_dot_product
from ..fileio import sha256_file

if TYPE_CHECKING:
    from .base import Backend
    from .onnxruntime import Device
    from .openvino import OvPrecision

__all__ = [
    "BUNDLED_CPU_GRAPHS",
    "BundledGraph",
    "CpuChoice",
    "CpuFeature",
    "CpuRuntime",
    "choose_bundled_graph",
    "choose_runtime",
    "gate_passed",
    "gate_report_path",
    "open_onnx_backend",
    "openvino_installed",
]

CpuRuntime = Literal["onnxruntime", "openvino"]
CpuFeature = Literal["vnni", "bf16"]


@dataclass(frozen=True)
class CpuChoice:
    """The graph to run, the runtime and precision that run it, and why (``schemseg doctor`` prints the reason)."""

    graph: Path
    runtime: CpuRuntime
    reason: str
    precision: OvPrecision = "f32"  # OpenVINO's inference precision; ONNX Runtime runs the graph as written


@dataclass(frozen=True)
class BundledGraph:
    """A path that may ship beside the bundled fp32 model: graph file, runtime, the CPU feature it needs,
    and OpenVINO's inference precision."""

    file: str
    runtime: CpuRuntime
    needs: CpuFeature | None
    precision: OvPrecision = "f32"

    @property
    def gate_report(self) -> str:
        """The gate report that must say ``passed`` beside the graph (see :func:`gate_report_path`)."""
        return gate_report_path(Path(self.file), self.precision).name

    def describe(self) -> str:
        return f"{self.file} in bf16" if self.precision == "bf16" else self.file


BUNDLED_CPU_GRAPHS: tuple[BundledGraph, ...] = (
    BundledGraph("reference.onnx", "openvino", "bf16", "bf16"),  # the fp32 graph computed in bfloat16
    BundledGraph("reference.int8.onnx", "openvino", "vnni"),  # Q/DQ graph, int8 kernels with VNNI
    BundledGraph("reference.int8-cpu.onnx", "onnxruntime", "vnni"),  # QOperator, 8-bit weights
    BundledGraph("reference.int8-cpu-avx2.onnx", "onnxruntime", None),  # QOperator, 7-bit weights
)
"""Fastest first (measured ratios in docs/cpu-speed.md); each needs a passed gate report to be taken.
bf16 leads: as fast as OpenVINO's int8 graph on the measured AVX512_BF16 CPU, closer to fp32, and
no second graph to ship."""


def openvino_installed() -> bool:
    """True where the ``openvino`` package is installed (found, not imported: importing costs ~0.5 s)."""
    return importlib.util.find_spec("openvino") is not None


def choose_runtime(
    quantization: str | None, flags: set[str] | None = None, openvino: bool | None = None
) -> tuple[CpuRuntime, str]:
    """The CPU runtime for a graph with the metadata ``extra.quantization`` value, and why.

    >>> choose_runtime(None, {"avx2"}, openvino=True)[0]
    'onnxruntime'
    >>> choose_runtime("qdq-s8s8-symmetric-per-channel", {"avx512_vnni"}, openvino=True)[0]
    'openvino'
    """
    openvino = openvino_installed() if openvino is None else openvino
    if not (quantization or "").startswith("qdq"):
        kind = "int8 QOperator graph (ONNX Runtime's own form)" if quantization else "fp32 graph"
        return "onnxruntime", f"{kind}: ONNX Runtime (OpenVINO measured no faster for it, docs/cpu-speed.md)"
    if not has_int8_dot_product(flags):
        return "onnxruntime", (
            "int8 Q/DQ graph on a CPU without VNNI: ONNX Runtime runs it as written in float "
            "(exact, not faster); int8 kernels could saturate here"
        )
    if not openvino:
        return "onnxruntime", (
            "int8 Q/DQ graph: ONNX Runtime runs it as written in float (slower than fp32); "
            "pip install 'schemseg[openvino]' for its int8 kernels"
        )
    return "openvino", "int8 Q/DQ graph on a VNNI CPU: OpenVINO fuses it into int8 kernels"


def gate_report_path(graph: Path, precision: OvPrecision = "f32") -> Path:
    """``STEM.gate.json`` beside ``graph``; ``STEM.openvino-bf16.gate.json`` for the graph computed in bf16.

    >>> gate_report_path(Path("m/reference.onnx"), "bf16").name
    'reference.openvino-bf16.gate.json'
    """
    stem = graph.name[: -len(".onnx")] if graph.name.endswith(".onnx") else graph.stem
    return graph.with_name(stem + (".openvino-bf16" if precision == "bf16" else "") + ".gate.json")


def gate_passed(graph: Path, precision: OvPrecision = "f32") -> bool:
    """True where the gate report of ``graph`` (in ``precision``) records a passed accuracy gate for this very
    file (its ``graph_sha256``): a model replaced after its gate, e.g. retrained, must be judged again."""
    try:
        report = json.loads(gate_report_path(graph, precision).read_text(encoding="utf-8"))
        return bool(report.get("status") == "passed" and report.get("graph_sha256") == sha256_file(graph))
    except (OSError, ValueError, AttributeError):
        return False


def choose_bundled_graph(fp32_model: Path, flags: set[str] | None = None, openvino: bool | None = None) -> CpuChoice:
    """The fastest bundled path beside ``fp32_model`` that passed its gate and runs here; else the fp32 model
    on ONNX Runtime."""
    flags = cpu_flags() if flags is None else flags
    openvino = openvino_installed() if openvino is None else openvino
    features: set[CpuFeature] = set()
    if has_int8_dot_product(flags):
        features.add("vnni")
    if has_fast_bf16(flags):
        features.add("bf16")
    have = ", ".join(sorted(_FEATURE_NAMES[f] for f in features)) or "neither VNNI nor native bf16"
    skipped: list[str] = []
    for candidate in BUNDLED_CPU_GRAPHS:
        path = fp32_model.with_name(candidate.file)
        why_not = _why_not(path, candidate, features, openvino)
        if why_not is None:
            return CpuChoice(
                path,
                candidate.runtime,
                f"{candidate.describe()}: fastest bundled path that passed its accuracy gate and runs on this "
                f"CPU ({have}) with {candidate.runtime}" + (f" (passed over: {'; '.join(skipped)})" if skipped else ""),
                candidate.precision,
            )
        skipped.append(f"{candidate.describe()} {why_not}")
    runtime, reason = choose_runtime(None, flags, openvino)
    return CpuChoice(fp32_model, runtime, f"{reason}; no faster bundled path qualifies ({'; '.join(skipped)})")


_FEATURE_NAMES = {"vnni": "VNNI", "bf16": "native bf16 (AVX512_BF16 or AMX)"}


def _why_not(path: Path, candidate: BundledGraph, features: set[CpuFeature], openvino: bool) -> str | None:
    if not path.is_file():
        return "not shipped"
    if not gate_passed(path, candidate.precision):
        return f"has no passed gate report ({candidate.gate_report})"
    if candidate.needs is not None and candidate.needs not in features:
        return f"needs {_FEATURE_NAMES[candidate.needs]}"
    if candidate.runtime == "openvino" and not openvino:
        return "needs OpenVINO (pip install 'schemseg[openvino]')"
    return None


def open_onnx_backend(path: Path, device: Device, threads: int | None, *, bundled: bool = False) -> Backend:
    """Open an ``.onnx`` graph: on the GPU through ONNX Runtime when ``device`` asks for it (or ``auto`` finds
    CUDA), else on the CPU runtime :func:`choose_runtime` picks; ``bundled``: ``path`` is the bundled fp32
    model and :func:`choose_bundled_graph` may take a faster graph shipped beside it."""
    from .onnxruntime import CUDA_EP, OnnxRuntimeBackend, _import_onnxruntime

    if device == "cuda" or (device == "auto" and CUDA_EP in _import_onnxruntime().get_available_providers()):
        return OnnxRuntimeBackend(path, device=device, threads=threads)
    if bundled:
        choice = choose_bundled_graph(path)
        if choice.runtime == "openvino":
            return _openvino(choice.graph, threads, choice.precision)
        return OnnxRuntimeBackend(choice.graph, device="cpu", threads=threads)
    backend = OnnxRuntimeBackend(path, device="cpu", threads=threads)
    runtime, _ = choose_runtime(backend.info.extra.get("quantization"))
    if runtime == "onnxruntime":
        return backend
    backend.close()  # only Q/DQ graphs get here: reading their metadata through ORT costs one session
    return _openvino(path, threads)


def _openvino(path: Path, threads: int | None, precision: OvPrecision = "f32") -> Backend:
    from .openvino import OpenVinoBackend

    return OpenVinoBackend(path, threads=threads, precision=precision)
