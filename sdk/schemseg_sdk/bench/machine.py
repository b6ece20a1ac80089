"""What machine a benchmark ran on (CPU, GPU, library versions) and how much memory it used."""

from __future__ import annotations

import datetime
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["machine_info", "machine_slug", "PeakMemory", "gpu_memory_mib", "PACKAGES"]

PACKAGES: dict[str, tuple[str, ...]] = {
    "schemseg": ("schemseg",),
    "numpy": ("numpy",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "onnx": ("onnx",),
    "openvino": ("openvino",),
    "opencv": ("opencv-python-headless", "opencv-python"),
    "torch": ("torch",),
    "tensorrt": ("tensorrt", "tensorrt-cu12", "tensorrt-cu11", "tensorrt_cu12"),
}
"""Reported library -> the distributions that provide it (read from package metadata: nothing is imported)."""

NVIDIA_SMI_TIMEOUT_S = 10


def machine_info() -> dict[str, object]:
    """CPU, memory, GPUs (via ``nvidia-smi`` when present), OS, Python, library versions and the date.

    >>> sorted(machine_info())[:3]  # doctest: +SKIP
    ['cpu_available', 'cpu_logical', 'cpu_model']
    """
    return {
        "hostname": socket.gethostname(),
        "cpu_model": _cpu_model(),
        "cpu_logical": os.cpu_count(),
        "cpu_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_features": _cpu_features(),
        "memory_gib": _memory_gib(),
        "gpus": _gpus(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {name: _version(dists) for name, dists in PACKAGES.items()},
        "load_average": _load_average(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def machine_slug(info: dict[str, object]) -> str:
    """A file-name-safe name for the machine: the first GPU's model, else the CPU model and core count.

    Hardware names stay the same when a container's random host name changes.

    >>> machine_slug({"gpus": [], "cpu_model": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_available": 2})
    'intel-xeon-2cpu'
    >>> machine_slug({"gpus": [{"name": "NVIDIA H100 80GB HBM3"}]})
    'nvidia-h100-80gb-hbm3'
    """
    gpus = info.get("gpus") or []
    if isinstance(gpus, list) and gpus and isinstance(gpus[0], dict):
        base = str(gpus[0].get("name", "gpu"))
    else:
        cpu = re.sub(r"\((r|tm)\)|\b(cpu|processor)\b|@.*$", " ", str(info.get("cpu_model") or ""), flags=re.IGNORECASE)
        base = f"{cpu} {info.get('cpu_available') or '?'}cpu"
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")


class PeakMemory:
    """Peak resident memory of this process since :meth:`reset`.

    On Linux the kernel's high-water mark (``VmHWM``) is reset through ``/proc/self/clear_refs``,
    so each backend gets its own peak; elsewhere ``resource.getrusage`` gives the process peak
    since start (it only grows, so later rows include earlier ones). :attr:`method` says which.
    """

    def __init__(self) -> None:
        self.method = "getrusage ru_maxrss (process peak since start)"
        if _read_vm_hwm_kib() is not None and _clear_refs():
            self.method = "VmHWM after /proc/self/clear_refs reset (peak per backend)"

    def reset(self) -> None:
        """Start a new peak (no effect with the ``getrusage`` method)."""
        if self.method.startswith("VmHWM"):
            _clear_refs()

    def current_mib(self) -> float | None:
        """The resident set size now in MiB (``None`` where ``/proc`` is absent)."""
        kib = _read_status_kib("VmRSS")
        return None if kib is None else round(kib / 1024.0, 1)

    def peak_mib(self) -> float:
        """The peak resident set size in MiB."""
        kib = _read_vm_hwm_kib() if self.method.startswith("VmHWM") else None
        if kib is None:
            kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return round(kib / 1024.0, 1)


def gpu_memory_mib() -> tuple[float | None, str]:
    """GPU memory in use now, from ``nvidia-smi``, with what the number covers; ``(None, reason)`` where unknown.

    The process's own use when ``nvidia-smi`` lists it; else (containers often hide process ids)
    the whole first GPU's ``memory.used``, which includes other processes.
    """
    if shutil.which("nvidia-smi") is None:
        return None, "no nvidia-smi on this machine"
    rows = _nvidia_smi(["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"]) or []
    own = [float(cols[1]) for cols in rows if len(cols) == 2 and cols[0] == str(os.getpid()) and _is_number(cols[1])]
    if own:
        return sum(own), "nvidia-smi used_memory of this process after the batch size's runs"
    device = _nvidia_smi(["--query-gpu=memory.used", "--format=csv,noheader,nounits"])
    if not device or not _is_number(device[0][0]):
        return None, "nvidia-smi failed"
    return float(device[0][0]), "nvidia-smi memory.used of the whole first GPU (this process is not listed on its own)"


# -- helpers -----------------------------------------------------------------------------------
CPU_FEATURES = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
"""The flags that decide the CPU paths (int8 dot products, native bf16), as ``/proc/cpuinfo`` names them."""


def _cpu_features() -> list[str]:
    from ..cpu import cpu_flags

    flags = cpu_flags()
    return [name for name in CPU_FEATURES if name in flags]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[dict[str, str]]:
    if shutil.which("nvidia-smi") is None:
        return []
    rows = _nvidia_smi(["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"])
    return [{"name": r[0], "driver": r[1], "memory": r[2]} for r in rows or [] if len(r) == 3]


def _nvidia_smi(args: list[str]) -> list[list[str]] | None:
    try:
        done = subprocess.run(
            ["nvidia-smi", *args], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [[c.strip() for c in line.split(",")] for line in done.stdout.splitlines() if line.strip()]


def _version(distributions: tuple[str, ...]) -> str | None:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _read_vm_hwm_kib() -> int | None:
    return _read_status_kib("VmHWM")


def _read_status_kib(key: str) -> int | None:
    try:
        match = re.search(rf"^{key}:\s+(\d+)\s+kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _clear_refs() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # 5: reset the peak RSS (VmHWM) to the current RSS
    except OSError:
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
