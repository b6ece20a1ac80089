"""GPU check driver (run by ``scripts/gpu_check.sh``): transfer benchmark, optional engine latency, JSON.

Installs nothing and fetches nothing; every part that cannot run says why in ``skipped``.

    python scripts/gpu_check.py OUTDIR [--engine PATH] [--tests-xml FILE --tests-rc N] [--budget S]

Writes ``OUTDIR/gpu_check.json``: system, pytest summary (from the JUnit XML the shell script made),
H2D/D2H bandwidth of a 608x608 uint8 batch from pinned vs pageable host memory for each installed CUDA
binding, and, when TensorRT and an engine exist, TensorRTBackend and Segmenter latency.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "sdk")]  # runs from a checkout without installing

from schemseg_sdk.backends.cuda_memory import CudaDevice, available_bindings, open_device  # noqa: E402
from schemseg_sdk.errors import SchemsegError  # noqa: E402
from schemseg_sdk.fileio import atomic_write_text  # noqa: E402

SHEET = 608  # the real model's input side
REPEATS = 30


class Budget:
    """Wall-clock budget so the whole check ends in time; parts past it are skipped, not hung."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


def system_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform(), "numpy": np.__version__}
    info["cuda_bindings"] = list(available_bindings())
    info["tensorrt"] = _module_version("tensorrt")
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        info["nvidia_smi"] = out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        info["nvidia_smi"] = f"unavailable ({exc})"
    return info


def _module_version(name: str) -> str | None:
    if importlib.util.find_spec(name) is None:
        return None
    try:
        return str(getattr(__import__(name), "__version__", "unknown"))
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, not fatal
        return f"import failed: {exc}"


def test_summary(xml_path: Path | None, rc: int | None) -> dict[str, Any]:
    """Counts and skip reasons from pytest's JUnit XML."""
    summary: dict[str, Any] = {"exit_code": rc}
    if xml_path is None or not xml_path.is_file():
        summary["error"] = "no JUnit XML (pytest did not run or was stopped by its time limit)"
        return summary
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    skips: dict[str, int] = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        children = {child.tag: child for child in case}
        if "failure" in children:
            counts["failed"] += 1
        elif "error" in children:
            counts["errors"] += 1
        elif "skipped" in children:
            counts["skipped"] += 1
            reason = children["skipped"].get("message", "")
            skips[reason] = skips.get(reason, 0) + 1
        else:
            counts["passed"] += 1
    return {**summary, **counts, "skip_reasons": skips}


def _time_copies(device: CudaDevice, copy: Any, nbytes: int) -> dict[str, float]:
    """Median time and bandwidth of ``copy(stream)`` measured with CUDA events."""
    stream, start, end = device.create_stream(), device.create_event(), device.create_event()
    copy(stream)  # warm-up
    device.synchronize_stream(stream)
    times = []
    for _ in range(REPEATS):
        device.record(start, stream)
        copy(stream)
        device.record(end, stream)
        device.synchronize(end)
        times.append(device.elapsed_s(start, end))
    median = statistics.median(times)
    return {"median_ms": round(median * 1e3, 4), "gb_per_s": round(nbytes / median / 1e9, 2)}


def transfer_benchmark(binding: str, batch: int) -> dict[str, Any]:
    """H2D of a uint8 (batch, 608, 608, 3) input and D2H of its outputs (uint8 ids + float32 confidence)."""
    device = open_device(0, binding)
    try:
        with device.activate():
            in_shape, out_bytes = (batch, SHEET, SHEET, 3), batch * SHEET * SHEET * 5
            d_in, d_out = device.device_alloc(int(np.prod(in_shape))), device.device_alloc(out_bytes)
            hosts = {
                "pinned": (device.pinned_empty(in_shape, np.uint8), device.pinned_empty((out_bytes,), np.uint8)),
                "pageable": (np.zeros(in_shape, np.uint8), np.zeros(out_bytes, np.uint8)),
            }
            result: dict[str, Any] = {"device": device.info.name, "batch": batch, "bytes_in": d_in.nbytes,
                                      "bytes_out": out_bytes}  # fmt: skip
            for kind, (h_in, h_out) in hosts.items():
                copy_in = lambda s, h=h_in: device.copy_to_device(d_in, h, s)  # noqa: E731
                copy_out = lambda s, h=h_out: device.copy_to_host(h, d_out, s)  # noqa: E731
                result[f"h2d_{kind}"] = _time_copies(device, copy_in, d_in.nbytes)
                result[f"d2h_{kind}"] = _time_copies(device, copy_out, out_bytes)
        return result
    finally:
        device.close()


def find_engine(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    found = sorted((ROOT / "engines").glob("*.engine")) if (ROOT / "engines").is_dir() else []
    return found[0] if found else None


def engine_benchmark(engine: Path, budget: Budget) -> dict[str, Any]:
    """TensorRTBackend per-batch latency with stage timings, pipelined throughput, Segmenter latency."""
    from schemseg_sdk.backends.tensorrt import TensorRTBackend

    result: dict[str, Any] = {"engine": str(engine)}
    with TensorRTBackend(engine) as backend:
        size, max_batch = backend.input_spec.size, backend.input_spec.max_batch
        result.update(backend=backend.name, max_batch=max_batch, precision=backend.info.precision)
        for batch_size in sorted({1, max_batch}):
            batch = np.full((batch_size, size, size, 3), 255, np.uint8)
            backend.infer(batch)
            runs = [_timed(backend.infer, batch) for _ in range(REPEATS) if budget.left() > 30]
            result[f"infer_batch{batch_size}"] = _latency(runs)
        batches = [np.full((max_batch, size, size, 3), 255, np.uint8) for _ in range(20)]
        start = time.perf_counter()
        count = sum(len(out.class_ids) for out in backend.infer_many(iter(batches)))
        result["infer_many_images_per_s"] = round(count / (time.perf_counter() - start), 1)
    result["segmenter"] = segmenter_latency(engine, budget)
    return result


def _timed(infer: Any, batch: np.ndarray) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    out = infer(batch)
    return time.perf_counter() - start, out.timings


def _latency(runs: list[tuple[float, dict[str, float]]]) -> dict[str, Any]:
    if not runs:
        return {"skipped": "time budget used up"}
    stages = {key: round(statistics.median(t[key] for _, t in runs) * 1e3, 3) for key in runs[0][1]}
    wall = round(statistics.median(w for w, _ in runs) * 1e3, 3)
    return {"runs": len(runs), "wall_median_ms": wall, "stages_ms": stages}


def segmenter_latency(engine: Path, budget: Budget) -> dict[str, Any]:
    try:
        from schemseg_sdk import Segmenter
    except ImportError as exc:
        return {"skipped": f"Segmenter not importable ({exc})"}
    sheet = np.full((600, 600, 3), 255, np.uint8)
    sheet[200:260, 150:400] = 0
    with Segmenter(engine) as seg:
        seg.predict(sheet)
        walls = []
        for _ in range(REPEATS):
            if budget.left() < 20:
                break
            start = time.perf_counter()
            seg.predict(sheet)
            walls.append(time.perf_counter() - start)
    if not walls:
        return {"skipped": "time budget used up"}
    return {"sheet": "600x600", "runs": len(walls), "predict_median_ms": round(statistics.median(walls) * 1e3, 3)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    budget = Budget(args.budget)
    report: dict[str, Any] = {"system": system_info(), "skipped": {}}
    xml = Path(args.tests_xml) if args.tests_xml else None
    report["tests"] = test_summary(xml, args.tests_rc)
    transfers = []
    for binding in available_bindings() or ["(none)"]:
        for batch in (1, 8):
            try:
                transfers.append({"binding": binding, **transfer_benchmark(binding, batch)})
            except SchemsegError as exc:
                report["skipped"][f"transfer/{binding}/batch{batch}"] = str(exc)
    report["transfers"] = transfers
    engine = find_engine(args.engine)
    if report["system"]["tensorrt"] is None:
        report["skipped"]["engine"] = "TensorRT is not installed"
    elif engine is None or not engine.is_file():
        report["skipped"]["engine"] = f"no engine found ({engine or 'engines/*.engine'}); pass --engine PATH"
    elif budget.left() < 30:
        report["skipped"]["engine"] = "time budget used up"
    else:
        try:
            report["engine"] = engine_benchmark(engine, budget)
        except SchemsegError as exc:
            report["skipped"]["engine"] = str(exc)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--engine", help="a NAME.PRECISION.engine to time (default: the first engines/*.engine)")
    parser.add_argument("--tests-xml", help="JUnit XML of the GPU-marked pytest run")
    parser.add_argument("--tests-rc", type=int, default=None, help="exit code of that pytest run")
    parser.add_argument("--budget", type=float, default=110.0, help="seconds for the benchmarks")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = run(args)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.outdir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.outdir / "gpu_check.json", json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
