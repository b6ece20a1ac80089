"""Benchmark statistics and machine facts: percentiles against numpy, summaries, slugs, memory peaks."""

from __future__ import annotations

import numpy as np
import pytest

from schemseg_sdk.bench.machine import PeakMemory, gpu_memory_mib, machine_info, machine_slug
from schemseg_sdk.bench.stats import median, percentile, summarize


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 90, 3.7),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([4.0, 1.0, 3.0, 2.0], 25, 1.75),  # order of the input does not matter
        ([7.0], 99, 7.0),
        ([10.0, 20.0], 99, 19.9),
    ],
)
def test_percentile_known_values(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected, abs=1e-12)


def test_percentile_matches_numpy_linear_interpolation() -> None:
    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 10, 11, 101):
        values = rng.lognormal(0.0, 1.0, size).tolist()
        for q in (0, 1, 25, 50, 90, 99, 99.9, 100):
            assert percentile(values, q) == pytest.approx(float(np.percentile(values, q, method="linear")), rel=1e-12)


def test_percentile_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"^percentile of an empty sequence$"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"^percentile q must be in 0..100, got 101$"):
        percentile([1.0], 101)


def test_summary_in_milliseconds() -> None:
    summary = summarize([0.010, 0.020, 0.030, 0.040])
    assert summary.p50 == median([0.010, 0.020, 0.030, 0.040]) == pytest.approx(0.025)
    assert summary.to_dict() == {
        "count": 4,
        "mean": 25.0,
        "p50": 25.0,
        "p90": 37.0,
        "p99": 39.7,
        "min": 10.0,
        "max": 40.0,
        "stdev": 12.91,
    }
    assert summarize([0.5]).stdev == 0.0
    with pytest.raises(ValueError, match=r"^cannot summarize zero measurements$"):
        summarize([])


def test_machine_info_and_slug() -> None:
    info = machine_info()
    assert {
        "hostname",
        "cpu_model",
        "cpu_logical",
        "cpu_available",
        "memory_gib",
        "gpus",
        "os",
        "python",
        "versions",
        "load_average",
        "date",
    } <= set(info)
    assert set(info["versions"]) == {
        "schemseg",
        "numpy",
        "onnxruntime",
        "onnx",
        "opencv",
        "openvino",
        "torch",
        "tensorrt",
    }
    assert info["versions"]["numpy"] == np.__version__
    assert (
        machine_slug({"gpus": [], "cpu_model": "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", "cpu_available": 16})
        == "intel-xeon-platinum-8481c-16cpu"
    )
    assert (
        machine_slug({"gpus": [{"name": "NVIDIA H100 80GB HBM3", "driver": "550.54", "memory": "81559 MiB"}]})
        == "nvidia-h100-80gb-hbm3"
    )


def test_peak_memory_sees_a_large_allocation_and_resets() -> None:
    memory = PeakMemory()
    memory.reset()
    before = memory.peak_mib()
    block = np.ones(64 * 2**20, np.uint8)  # 64 MiB, touched
    assert memory.peak_mib() >= before + 60
    del block
    if memory.method.startswith("VmHWM"):
        memory.reset()
        assert memory.peak_mib() < before + 60


def test_gpu_memory_says_why_it_is_unknown() -> None:
    value, note = gpu_memory_mib()
    if value is None:
        assert note in ("no nvidia-smi on this machine", "nvidia-smi failed")
    else:
        assert value >= 0 and note.startswith("nvidia-smi ")
