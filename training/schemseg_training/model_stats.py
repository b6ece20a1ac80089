"""Parameter and FLOP counts of a model (``schemseg model info``)."""

from __future__ import annotations

from collections import defaultdict

import torch
from torch import nn

__all__ = ["model_stats"]


def model_stats(core: nn.Module, size: int = 608) -> dict[str, object]:
    """Parameters and GFLOPs (2 x multiply-accumulates) for one ``size x size`` sheet, split by part."""
    from torch.utils.flop_counter import FlopCounterMode

    core = core.eval()
    params = {name: sum(p.numel() for p in module.parameters()) for name, module in core.named_children()}
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        core(torch.zeros(1, 3, size, size))
    per_part: dict[str, float] = defaultdict(float)
    for module_name, counts in counter.get_flop_counts().items():
        parts = module_name.split(".")
        if len(parts) == 2:  # "Global.encoder" style top-level children
            per_part[parts[1]] = sum(counts.values()) / 1e9
    total = counter.get_total_flops() / 1e9
    return {
        "input_size": size,
        "parameters": sum(params.values()),
        "parameters_by_part": params,
        "gflops": total,
        "gflops_by_part": dict(per_part),
    }
