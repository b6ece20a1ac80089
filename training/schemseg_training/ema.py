"""An exponential moving average of a network's weights, for validation, ``best.pt`` and export.

Mid-schedule, at a high learning rate, the trained weights jitter from step to step; their average
over the last few hundred steps scores like weights at the end of a decayed schedule, at any time.
That is what a run that stops at a session's end and resumes later needs.
"""

from __future__ import annotations

import copy

import torch

__all__ = ["WeightAverage"]


class WeightAverage:
    """``average = decay * average + (1 - decay) * weights`` after every optimiser step.

    Floating parameters and buffers (BatchNorm statistics) are averaged; integer buffers (BatchNorm's
    batch counter) are copied. The averaged copy stays in eval mode.

    >>> net = torch.nn.Linear(1, 1, bias=False); _ = net.weight.data.fill_(0.0)
    >>> average = WeightAverage(net, decay=0.5); _ = net.weight.data.fill_(1.0); average.update(net)
    >>> float(average.module.weight)
    0.5
    """

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight-average decay {decay} must lie between 0 and 1")
        self.decay = decay
        self.module = copy.deepcopy(net).eval()
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)
        self._floats: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None
        self._others: list[tuple[torch.Tensor, torch.Tensor]] = []

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        """Move the average towards ``net`` (always the network it was made from)."""
        if self._floats is None:  # state_dict tensors share storage with the modules: pair them once
            averaged, current = self.module.state_dict(), net.state_dict()
            floats = [k for k, v in averaged.items() if v.is_floating_point()]
            self._floats = ([averaged[k] for k in floats], [current[k] for k in floats])
            self._others = [(v, current[k]) for k, v in averaged.items() if not v.is_floating_point()]
        torch._foreach_lerp_(*self._floats, 1.0 - self.decay)
        for average, current_value in self._others:  # step counters and the like: copied
            average.copy_(current_value)
