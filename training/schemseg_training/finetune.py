"""Starting a run from trained weights (``schemseg train --init reference|CHECKPOINT``).

The new run takes every weight of the checkpoint and a fresh optimiser and schedule. The head's
rows (smp's ``segmentation_head``: one output channel per class) are matched by class name between
the checkpoint's class list and the data's: known names keep their trained rows, new names start
from the fresh initialisation, names the data does not have are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from schemseg_sdk.errors import InvalidInputError

from .model import SchemsegNet

__all__ = [
    "REFERENCE_CHECKPOINT",
    "HEAD_PREFIX",
    "InitReport",
    "resolve_init_checkpoint",
    "start_model_config",
    "init_from_checkpoint",
    "set_encoder_frozen",
]

REFERENCE_CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "reference.pt"
"""The bundled model's weights-only checkpoint, in the repository (not in the wheel: 11 MB)."""

HEAD_PREFIX = "core.segmentation_head."
"""State-dict keys of the per-class output convolution."""


@dataclass(frozen=True)
class InitReport:
    """Which classes of the data kept trained head rows, which start fresh, which were dropped."""

    checkpoint: str
    kept: tuple[str, ...]
    new: tuple[str, ...]
    dropped: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "checkpoint": self.checkpoint,
            "kept": list(self.kept),
            "new": list(self.new),
            "dropped": list(self.dropped),
        }


def resolve_init_checkpoint(spec: str) -> Path:
    """``"reference"`` -> the bundled model's checkpoint; anything else is a checkpoint path.

    >>> resolve_init_checkpoint("reference").name
    'reference.pt'
    """
    if spec == "reference":
        if not REFERENCE_CHECKPOINT.is_file():
            raise InvalidInputError(
                f"--init reference: {REFERENCE_CHECKPOINT} not found; the reference checkpoint (11 MB) is not "
                "shipped in the wheel, only in the repository: clone it and 'pip install -e .[train]' there, "
                "or pass --init PATH to a copy of training/checkpoints/reference.pt"
            )
        return REFERENCE_CHECKPOINT
    path = Path(spec)
    if not path.is_file():
        raise InvalidInputError(f"--init {spec}: no such checkpoint; expected 'reference' or a .pt checkpoint file")
    return path


def start_model_config(requested: dict[str, Any] | None, state: dict[str, Any] | None, source: str) -> dict[str, Any]:
    """The run's architecture: the checkpoint's it starts from, unless another one is asked for.

    Raises:
        InvalidInputError: ``requested`` (from ``--model``/``--decoder-channels``) differs from the
            checkpoint's architecture.
    """
    if state is None:
        return requested or {"name": "attention_unetpp"}
    stored = dict(state["model_config"])
    if requested is not None and requested != stored:
        raise InvalidInputError(
            f"{source}: checkpoint model {stored} differs from this run's {requested}; "
            "leave out --model and --decoder-channels to use the checkpoint's"
        )
    return stored


def init_from_checkpoint(
    net: SchemsegNet, state: dict[str, Any], class_names: tuple[str, ...], source: str
) -> InitReport:
    """Load ``state``'s weights into ``net`` (built for ``class_names``), head rows matched by name."""
    old_names = tuple(state["model_info"]["class_names"])
    pairs = [(i, old_names.index(name)) for i, name in enumerate(class_names) if name in old_names]
    new_rows, old_rows = (list(side) for side in zip(*pairs)) if pairs else ([], [])
    target = net.state_dict()
    weights: dict[str, torch.Tensor] = {}
    for key, fresh in target.items():
        stored = state["model"].get(key)
        if stored is None:
            raise InvalidInputError(f"{source}: no weight {key!r}; the checkpoint holds another architecture")
        stored = stored.to(device=fresh.device, dtype=fresh.dtype)
        if key.startswith(HEAD_PREFIX) and stored.shape[1:] == fresh.shape[1:] and stored.shape[0] == len(old_names):
            merged = fresh.clone()
            merged[new_rows] = stored[old_rows]
            stored = merged
        elif stored.shape != fresh.shape:
            raise InvalidInputError(
                f"{source}: weight {key!r} is {tuple(stored.shape)}, this model's is {tuple(fresh.shape)}; "
                "the checkpoint holds another architecture"
            )
        weights[key] = stored
    net.load_state_dict(weights)
    return InitReport(
        source,
        kept=tuple(n for n in class_names if n in old_names),
        new=tuple(n for n in class_names if n not in old_names),
        dropped=tuple(n for n in old_names if n not in class_names),
    )


def set_encoder_frozen(net: SchemsegNet, frozen: bool) -> None:
    """Freeze (no gradients, BatchNorm statistics fixed) or release the encoder, attention included."""
    encoder: nn.Module = net.core.encoder
    for parameter in encoder.parameters():
        parameter.requires_grad_(not frozen)
    encoder.train(net.training and not frozen)
