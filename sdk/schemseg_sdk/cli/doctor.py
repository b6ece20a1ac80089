"""``schemseg doctor``: which backends are usable on this machine, and what to install for the others.

Every probe is defensive: a broken optional install (a tensorrt wheel without its CUDA libraries, a
driver mismatch) is reported as a finding, never raised, so ``doctor`` always exits 0.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass

import click

from .._version import __version__
from ..cpu import read_cpuinfo

__all__ = ["doctor", "main", "Finding", "collect_findings", "cpu_summary", "gpu_summary"]

TENSORRT_HINT = "pip install 'schemseg[tensorrt]'"
CUDA_PYTHON_HINT = "pip install 'schemseg[cuda-python]'"
ORT_GPU_HINT = "pip install onnxruntime-gpu (it replaces the CPU-only onnxruntime package)"
CPU_FEATURES = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``ok`` is None for plain facts, True/False for usable/missing."""

    name: str
    detail: str
    ok: bool | None = None
    fix: str = ""


def cpu_summary(cpuinfo: str | None = None) -> str:
    """CPU model, logical/physical cores and the vector features ONNX Runtime uses (Linux /proc/cpuinfo)."""
    if cpuinfo is None:
        cpuinfo = read_cpuinfo()
    model, flags, cores = platform.processor() or platform.machine(), set[str](), set[tuple[str, str]]()
    physical_id = ""
    for line in cpuinfo.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name":
            model = value
        elif key == "flags" and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    features = [f for f in CPU_FEATURES if f in flags]
    physical = f" ({len(cores)} physical)" if cores else ""
    return f"{model}, {os.cpu_count()} cores{physical}; features: {' '.join(features) or 'unknown'}"


def gpu_summary() -> tuple[list[str], str]:
    """``(gpus, how)``: one ``"name, compute capability X.Y, driver D, M MiB"`` per NVIDIA GPU found."""
    smi = shutil.which("nvidia-smi")
    if smi:
        query = "--query-gpu=name,compute_cap,driver_version,memory.total"
        try:
            done = subprocess.run([smi, query, "--format=csv,noheader"], capture_output=True, text=True, timeout=15)
        except (OSError, subprocess.SubprocessError) as exc:
            return [], f"nvidia-smi failed ({exc})"
        if done.returncode != 0:
            return [], f"nvidia-smi failed ({(done.stderr or done.stdout).strip().splitlines()[:1]})"
        gpus = []
        for line in done.stdout.strip().splitlines():
            name, cc, driver, memory = ([p.strip() for p in line.split(",")] + ["?"] * 4)[:4]
            gpus.append(f"{name}, compute capability {cc}, driver {driver}, {memory}")
        return gpus, "nvidia-smi"
    return _gpus_from_cuda_python()


def _gpus_from_cuda_python() -> tuple[list[str], str]:
    try:
        from cuda.bindings import driver
    except Exception:  # noqa: BLE001 - absent or broken cuda-python: no second source of GPU facts
        return [], "nvidia-smi not on PATH, cuda-python not installed"
    try:
        driver.cuInit(0)
        _, count = driver.cuDeviceGetCount()
        gpus = []
        for index in range(count):
            _, device = driver.cuDeviceGet(index)
            _, raw = driver.cuDeviceGetName(64, device)
            attr = driver.CUdevice_attribute
            _, major = driver.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)
            _, minor = driver.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device)
            name = bytes(raw).split(b"\0")[0].decode(errors="replace")
            gpus.append(f"{name}, compute capability {major}.{minor}")
        return gpus, "cuda-python"
    except Exception as exc:  # noqa: BLE001 - driver missing or mismatched: report, never crash
        reason = str(exc).split(". ")[0].strip() or type(exc).__name__
        return [], f"nvidia-smi not on PATH; cuda-python found no usable driver: {reason}"


def _package(module: str, distribution: str) -> tuple[str | None, str]:
    """``(version, problem)``: the version when ``module`` imports, else why not."""
    try:
        imported = importlib.import_module(module)
    except ImportError as exc:
        if getattr(exc, "name", None) == module.split(".")[0]:
            return None, "not installed"
        return None, f"installed but broken ({exc})"
    except Exception as exc:  # noqa: BLE001 - e.g. a CUDA library that fails to load at import
        return None, f"installed but broken ({type(exc).__name__}: {exc})"
    version = getattr(imported, "__version__", None)
    if not version:
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown version"
    return str(version), ""


def _cuda_ep_loads(ort: object) -> tuple[bool, str]:
    """Create a one-node session on CUDA to see whether the provider really loads (no silent fallback)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    try:
        options = ort.SessionOptions()  # type: ignore[attr-defined]  # ort is passed as ModuleType (imported lazily)
        options.log_severity_level = 4
        session = ort.InferenceSession(  # type: ignore[attr-defined]  # ort is passed as ModuleType (imported lazily)
            model.SerializeToString(), options, providers=["CUDAExecutionProvider", "CPUExecutionProvider"]
        )
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable", with the reason
        return False, str(exc).strip().splitlines()[0]
    if "CUDAExecutionProvider" not in session.get_providers():
        return False, "CUDAExecutionProvider did not load (CUDA/cuDNN libraries missing or no GPU)"
    return True, ""


def collect_findings() -> tuple[list[Finding], list[Finding]]:
    """``(facts, backends)``: what is installed here, and which runtimes can run a model."""
    facts = [
        Finding("schemseg", f"{__version__}, Python {platform.python_version()} on {platform.platform()}"),
        Finding("CPU", cpu_summary()),
    ]
    gpus, how = gpu_summary()
    facts.append(Finding("GPU", "; ".join(gpus) if gpus else f"none found ({how})", bool(gpus)))
    ort_version, ort_problem = _package("onnxruntime", "onnxruntime")
    providers: list[str] = []
    if ort_version:
        import onnxruntime

        providers = list(onnxruntime.get_available_providers())
        facts.append(Finding("onnxruntime", f"{ort_version}; providers: {', '.join(providers)}", True))
    else:
        facts.append(Finding("onnxruntime", ort_problem, False, "pip install onnxruntime"))
    trt_version, trt_problem = _package("tensorrt", "tensorrt")
    facts.append(
        Finding("tensorrt", trt_version or trt_problem, bool(trt_version), "" if trt_version else TENSORRT_HINT)
    )
    pycuda_version, pycuda_problem = _package("pycuda", "pycuda")
    facts.append(
        Finding(
            "pycuda", pycuda_version or pycuda_problem, bool(pycuda_version), "" if pycuda_version else TENSORRT_HINT
        )
    )
    cuda_py_version, cuda_py_problem = _package("cuda.bindings", "cuda-python")
    facts.append(
        Finding(
            "cuda-python",
            cuda_py_version or cuda_py_problem,
            bool(cuda_py_version),
            "" if cuda_py_version else CUDA_PYTHON_HINT,
        )
    )
    facts.append(_bundled_model())
    facts.append(_cpu_path())
    backends = _backends(ort_version, providers, gpus, trt_version, pycuda_version or cuda_py_version)
    backends.insert(1, _openvino_backend())
    return facts, backends


def _bundled_model() -> Finding:
    from ..segmenter import DEFAULT_MODEL

    if DEFAULT_MODEL.is_file():
        return Finding(
            "model", f"bundled reference model {DEFAULT_MODEL} ({DEFAULT_MODEL.stat().st_size / 1e6:.1f} MB)", True
        )
    return Finding(
        "model", f"bundled reference model missing at {DEFAULT_MODEL}", False, "reinstall schemseg or pass --model"
    )


def _cpu_path() -> Finding:
    """Which graph and runtime ``Segmenter(device="cpu")`` takes here, and why."""
    from ..backends.cpu_choice import choose_bundled_graph
    from ..segmenter import DEFAULT_MODEL

    choice = choose_bundled_graph(DEFAULT_MODEL)
    return Finding("CPU path", f"Segmenter() runs {choice.graph.name} on {choice.runtime}: {choice.reason}")


def _openvino_backend() -> Finding:
    from ..backends.openvino import OPENVINO_HINT

    version, problem = _package("openvino", "openvino")
    if version is None:
        return Finding("openvino-cpu", f"OpenVINO {problem}", False, OPENVINO_HINT)
    uses = "the bundled model in bf16 on AVX512_BF16/AMX CPUs (where gated), int8 Q/DQ graphs on VNNI CPUs"
    return Finding("openvino-cpu", f"OpenVINO {version.split('-')[0]}: {uses}", True)


def _backends(
    ort_version: str | None, providers: list[str], gpus: list[str], trt_version: str | None, cuda_binding: str | None
) -> list[Finding]:
    found = [
        Finding("onnxruntime-cpu", "device='cpu'", bool(ort_version), "" if ort_version else "pip install onnxruntime")
    ]
    if "CUDAExecutionProvider" not in providers:
        found.append(Finding("onnxruntime-cuda", "CUDAExecutionProvider not offered", False, ORT_GPU_HINT))
    else:
        import onnxruntime

        ok, why = _cuda_ep_loads(onnxruntime)
        found.append(Finding("onnxruntime-cuda", "device='cuda'" if ok else why, ok, "" if ok else "see the GPU line"))
    missing = [
        text
        for text, present in (
            ("tensorrt", trt_version),
            ("pycuda or cuda-python", cuda_binding),
            ("an NVIDIA GPU", gpus),
        )
        if not present
    ]
    if missing:
        fix = TENSORRT_HINT if missing != ["an NVIDIA GPU"] else "TensorRT engines need an NVIDIA GPU and its driver"
        found.append(Finding("tensorrt", "needs " + ", ".join(missing), False, fix))
    else:
        found.append(Finding("tensorrt", "build engines with 'schemseg-build-engine MODEL.onnx'", True))
    return found


def _format(facts: list[Finding], backends: list[Finding]) -> str:
    width = max(len(f.name) for f in facts + backends)
    lines = []
    for fact in facts:
        fix = f": {fact.fix}" if fact.fix and fact.ok is False else ""
        lines.append(f"{fact.name:<{width}}  {fact.detail}{fix}")
    lines += ["", "Backends:"]
    for backend in backends:
        mark = "ok" if backend.ok else "--"
        fix = f"; {backend.fix}" if backend.fix and not backend.ok else ""
        lines.append(f"  [{mark}] {backend.name:<{width}}  {backend.detail}{fix}")
    return "\n".join(lines)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor(as_json: bool) -> None:
    """Show which backends are usable here (ONNX Runtime CPU/CUDA, OpenVINO, TensorRT), which CPU path
    Segmenter() takes and why, and what to install."""
    facts, backends = collect_findings()
    if as_json:
        data = {"facts": [asdict(f) for f in facts], "backends": [asdict(b) for b in backends]}
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(_format(facts, backends))


main = doctor
