"""`schemseg doctor`: reports what is usable here, always exits 0."""

from __future__ import annotations

import importlib.util
import json

import onnxruntime
from click.testing import CliRunner

from schemseg_sdk.cli import main
from schemseg_sdk.cli.doctor import TENSORRT_HINT, cpu_summary

CPUINFO = """processor\t: 0
model name\t: Example CPU 9000
physical id\t: 0
core id\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f
processor\t: 1
model name\t: Example CPU 9000
physical id\t: 0
core id\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f
"""


def test_doctor_reports_runtimes_and_backends() -> None:
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("schemseg ") and lines[1].startswith("CPU ")
    assert any(line.startswith("onnxruntime ") and onnxruntime.__version__ in line for line in lines)
    backends = lines[lines.index("Backends:") + 1 :]
    assert [line.split()[1] for line in backends] == ["onnxruntime-cpu", "openvino-cpu", "onnxruntime-cuda", "tensorrt"]
    assert backends[0].startswith("  [ok] onnxruntime-cpu")
    if importlib.util.find_spec("openvino") is None:
        assert backends[1].startswith("  [--] openvino-cpu") and backends[1].endswith(
            "pip install 'schemseg[openvino]'"
        )
    else:
        assert backends[1].startswith("  [ok] openvino-cpu")
    # which graph and runtime Segmenter() takes here, and why
    path = next(line for line in lines if line.startswith("CPU path "))
    assert "Segmenter() runs reference" in path and (" on onnxruntime: " in path or " on openvino: " in path)
    if importlib.util.find_spec("tensorrt") is None:
        assert any(line.startswith("tensorrt ") and line.endswith(f"not installed: {TENSORRT_HINT}") for line in lines)
        assert backends[3].startswith("  [--] tensorrt") and "needs tensorrt" in backends[3]
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert backends[2].endswith(
            "CUDAExecutionProvider not offered; pip install onnxruntime-gpu "
            "(it replaces the CPU-only onnxruntime package)"
        )


def test_doctor_json() -> None:
    result = CliRunner().invoke(main, ["doctor", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [b["name"] for b in data["backends"]] == ["onnxruntime-cpu", "openvino-cpu", "onnxruntime-cuda", "tensorrt"]
    assert data["backends"][0]["ok"] is True
    assert {"name", "detail", "ok", "fix"} == set(data["facts"][0])


def test_cpu_summary_reads_model_cores_and_features() -> None:
    summary = cpu_summary(CPUINFO)
    assert summary.startswith("Example CPU 9000, ")
    assert summary.endswith("(1 physical); features: sse4_2 avx avx2 fma avx512f")
