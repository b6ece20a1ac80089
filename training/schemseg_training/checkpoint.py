"""Checkpoints: model weights plus everything needed to rebuild, resume and export the model."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.fileio import atomic_output
from schemseg_sdk.model_info import ModelInfo

from .model import SchemsegNet, create_model

__all__ = ["save_checkpoint", "load_checkpoint", "load_net", "save_weights_only"]


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically (an interrupted save never leaves a broken checkpoint)."""
    with atomic_output(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a damaged file
        raise InvalidInputError(f"{path}: not a readable schemseg checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or "model" not in state or "model_config" not in state:
        raise InvalidInputError(f"{path}: not a schemseg checkpoint (no 'model' / 'model_config' entries)")
    for key in ("model", "trained_model"):
        broken = _non_finite(state.get(key, {}))
        if broken:
            raise InvalidInputError(
                f"{path}: {len(broken)} tensor(s) of '{key}' hold inf or NaN ({', '.join(broken[:3])}); "
                "the weights are damaged (a diverged run, or an fp16 copy of values beyond fp16's range)"
            )
    return state


def _non_finite(weights: dict[str, torch.Tensor]) -> list[str]:
    return [k for k, v in weights.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]


def load_net(path: str | Path, with_logits: bool = False) -> tuple[SchemsegNet, dict[str, Any]]:
    """Rebuild the :class:`SchemsegNet` stored in a checkpoint (eval mode, CPU)."""
    state = load_checkpoint(path)
    config = dict(state["model_config"])
    name = config.pop("name")
    info = ModelInfo(**{k: tuple(v) if isinstance(v, list) else v for k, v in state["model_info"].items()})
    config["encoder_weights"] = None  # every weight comes from the checkpoint
    core = create_model(name, num_classes=len(info.class_names), **config)
    net = SchemsegNet(core, info, with_logits=with_logits)
    net.load_state_dict(state["model"])
    net.eval()
    return net, state


def info_dict(info: ModelInfo) -> dict[str, Any]:
    return asdict(info)


def save_weights_only(source: str | Path, target: str | Path, half: bool = True) -> None:
    """Copy a checkpoint without its optimiser and schedule state, kernels as fp16 by default.

    That is a sixth of a full checkpoint, small enough to commit. Only convolution and linear kernels
    (``*.weight`` of two or more dimensions: nearly all the bytes) become fp16, and only where every
    value fits fp16's range. Biases, norm weights, BatchNorm statistics and the input normalisation
    stay fp32: a BatchNorm running variance can exceed 65504, the largest fp16 value, and would become
    inf. ``schemseg train --resume`` accepts the result: it continues at the same step with a fresh
    AdamW state, the fp16 kernels widened back to fp32 on loading (rounding them costs nothing
    measurable in accuracy).
    A run with ``--ema`` keeps only the averaged weights (its ``model``); resuming from them starts
    the trained weights from the average.
    """
    state = load_checkpoint(source)
    for key in ("optimizer", "scheduler", "trained_model"):
        state.pop(key, None)
    if half:
        state["model"] = {k: _half_if_kernel(k, v) for k, v in state["model"].items()}
    save_checkpoint(target, state)


def _half_if_kernel(key: str, tensor: torch.Tensor) -> torch.Tensor:
    if not (key.endswith(".weight") and tensor.is_floating_point() and tensor.dim() >= 2):
        return tensor
    half = tensor.half()
    return half if bool(torch.isfinite(half).all()) else tensor
