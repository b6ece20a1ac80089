"""Self-attention over the bottleneck tokens (one building block, exportable to ONNX/TensorRT)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BottleneckSelfAttention"]


class BottleneckSelfAttention(nn.Module):
    """Multi-head self-attention over the ``H/32 x W/32`` tokens of the deepest encoder feature.

    The positional encoding is a depthwise 3x3 convolution (a conditional positional encoding): it
    works for any input size divisible by 32 and exports to plain Conv. Pre-norm transformer block
    with residuals: ``x + pos(x)``, ``t + attn(norm(t))``, ``t + mlp(norm(t))``. Written with
    MatMul/Softmax/LayerNormalization only, all in the onnx-tensorrt operator list.

    >>> block = BottleneckSelfAttention(320, heads=8)
    >>> block(torch.zeros(2, 320, 19, 19)).shape
    torch.Size([2, 320, 19, 19])
    """

    def __init__(self, channels: int, heads: int = 8, mlp_ratio: float = 2.0) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.heads = heads
        self.head_dim = channels // heads
        self.scale = self.head_dim**-0.5
        self.pos = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.norm1 = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels)
        hidden = int(channels * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, channels))
        # start as (almost) identity so an untrained block does not disturb the U-Net++
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        nn.init.zeros_(self.mlp[2].weight)
        nn.init.zeros_(self.mlp[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos(x)
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, HW, C)
        tokens = tokens + self._attend(self.norm1(tokens))
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens.transpose(1, 2).reshape(b, c, h, w)

    def _attend(self, t: torch.Tensor) -> torch.Tensor:
        b, n, c = t.shape
        qkv = self.qkv(t).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, heads, N, d)
        weights = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)
