"""DiceCE: cross-entropy plus soft Dice over the classes present, with configurable weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from schemseg_sdk.classes import IGNORE_INDEX

__all__ = ["DiceCELoss"]


class DiceCELoss(nn.Module):
    """``ce_weight * CE + dice_weight * (1 - mean soft Dice)``.

    Dice is averaged over the classes that occur in the batch's target or prediction mass, so
    absent classes do not dilute it; pixels equal to ``ignore_index`` count in neither term.

    >>> loss = DiceCELoss()
    >>> float(loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))) > 0
    True
    """

    def __init__(
        self,
        ce_weight: float = 1.0,
        dice_weight: float = 1.0,
        include_background_in_dice: bool = False,
        ignore_index: int = IGNORE_INDEX,
        smooth: float = 1.0,
    ) -> None:
        super().__init__()
        self.ce_weight = ce_weight
        self.dice_weight = dice_weight
        self.include_background = include_background_in_dice
        self.ignore_index = ignore_index
        self.smooth = smooth

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        loss = logits.new_zeros(())
        if self.ce_weight:
            loss = loss + self.ce_weight * F.cross_entropy(logits, target, ignore_index=self.ignore_index)
        if self.dice_weight:
            loss = loss + self.dice_weight * self._dice_loss(logits, target)
        return loss

    def _dice_loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        num_classes = logits.shape[1]
        valid = (target != self.ignore_index).unsqueeze(1).float()
        probs = logits.softmax(dim=1) * valid
        onehot = F.one_hot(target.clamp(0, num_classes - 1), num_classes).permute(0, 3, 1, 2).float() * valid
        dims = (0, 2, 3)
        inter = (probs * onehot).sum(dims)
        total = probs.sum(dims) + onehot.sum(dims)
        dice = (2 * inter + self.smooth) / (total + self.smooth)
        present = onehot.sum(dims) > 0
        if not self.include_background:
            present[0] = False
        if not present.any():
            return logits.new_zeros(())
        return 1.0 - dice[present].mean()
