"""A PyTorch backend for :class:`~schemseg_sdk.Segmenter` (checkpoint evaluation, the benchmark's eager row)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from schemseg_sdk.backends.base import BackendBase, BatchOutput, InputSpec
from schemseg_sdk.errors import InferenceError

from .checkpoint import load_net
from .model import SchemsegNet

__all__ = ["TorchBackend"]


class TorchBackend(BackendBase):
    """Runs a :class:`SchemsegNet` in eager mode (FP32 on CPU; bf16 autocast on CUDA if asked).

    >>> from schemseg_sdk import Segmenter  # doctest: +SKIP
    >>> seg = Segmenter.from_backend(TorchBackend.from_checkpoint("runs/ref/best.pt"))  # doctest: +SKIP
    """

    def __init__(self, net: SchemsegNet, device: str = "cpu", amp: bool = False, max_batch: int = 64) -> None:
        super().__init__(net.info, InputSpec(name="image", size=net.info.input_size, max_batch=max_batch))
        self.device = torch.device(device)
        self.net = net.eval().to(self.device).to(memory_format=torch.channels_last)
        self.amp = amp and self.device.type == "cuda"
        self.name = f"torch-{self.device.type}" + ("-bf16" if self.amp else "-fp32")

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, device: str = "cpu", threads: int | None = None, amp: bool = False
    ) -> TorchBackend:
        if threads:
            torch.set_num_threads(threads)
        net, _ = load_net(path)
        return cls(net, device=device, amp=amp)

    @torch.no_grad()
    def _run(self, batch: np.ndarray, with_confidence: bool) -> BatchOutput:
        start = time.perf_counter()
        try:
            x = torch.from_numpy(batch).to(self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                ids, confidence = self.net(x)[:2]
            ids_np = ids.cpu().numpy()
            conf_np = confidence.float().cpu().numpy() if with_confidence else None
        except torch.cuda.OutOfMemoryError:
            raise InferenceError(
                f"{self.name}: CUDA out of memory at batch {batch.shape[0]}; use a smaller batch_size"
            ) from None
        return BatchOutput(ids_np, conf_np, {"compute": time.perf_counter() - start})

    def _release(self) -> None:
        self.net = None  # type: ignore[assignment]
