"""CPU features from ``/proc/cpuinfo`` (Linux): detected, never assumed, since machines differ."""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_cpuinfo", "cpu_flags", "has_fast_bf16", "has_int8_dot_product"]


def read_cpuinfo() -> str:
    """The text of ``/proc/cpuinfo``, or ``""`` where there is none (macOS, Windows)."""
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The feature flags of the first CPU listed.

    >>> sorted(cpu_flags("processor : 0\\nflags : avx2 fma avx\\n"))
    ['avx', 'avx2', 'fma']
    """
    for line in (read_cpuinfo() if cpuinfo is None else cpuinfo).splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "flags":
            return set(value.split())
    return set()


def has_fast_bf16(flags: set[str] | None = None) -> bool:
    """True where the CPU computes bfloat16 natively (AVX512_BF16 or AMX); elsewhere bf16 is emulated and slow.

    >>> has_fast_bf16({"avx2"}), has_fast_bf16({"avx512f", "avx512_bf16"}), has_fast_bf16({"amx_bf16"})
    (False, True, True)
    """
    flags = cpu_flags() if flags is None else flags
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def has_int8_dot_product(flags: set[str] | None = None) -> bool:
    """True where the CPU has VNNI (AVX512_VNNI, AVX_VNNI or AMX-INT8): u8 x s8 products summed in int32.

    Without it ONNX Runtime's U8S8 kernels add pairs of products in int16 (``vpmaddubsw``), which
    saturates with 8-bit weights: such CPUs need 7-bit weights (255 x 64 x 2 = 32,640 fits).

    >>> has_int8_dot_product({"avx2"}), has_int8_dot_product({"avx512_vnni"}), has_int8_dot_product({"avx_vnni"})
    (False, True, True)
    """
    flags = cpu_flags() if flags is None else flags
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})
