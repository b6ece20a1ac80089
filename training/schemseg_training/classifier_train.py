"""Train and export the symbol classifier (see :mod:`schemseg_sdk.symbol_classifier`).

A small CNN over the instance's 64x64 gray crop (ink high: ``1 - gray / 255``), five convolutions to 4x4
(about 20 million multiply-adds an instance: it must stay a small part of the sheet's inference time),
whose flattened features meet the size features and the segmentation model's vote in a two-layer
head. Trained with AdamW and a one-cycle schedule, label smoothing 0.05, crops shifted by up to
3 pixels. The export takes uint8 crops and float features and gives softmax probabilities, with the
metadata the SDK checks.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn import functional

from schemseg_sdk.errors import ModelFormatError
from schemseg_sdk.fileio import atomic_write_bytes
from schemseg_sdk.instance_crops import CROP_SIZE
from schemseg_sdk.symbol_classifier import (
    CROPS_INPUT,
    FEATURES_INPUT,
    PROBABILITIES,
    SymbolClassifier,
    classifier_metadata,
)

from .classifier_data import InstanceSet

__all__ = ["SymbolNet", "ClassifierTraining", "train_classifier", "export_classifier", "accuracy", "class_weights"]

OPSET = 17


class SymbolNet(nn.Module):
    """Crop ``(N, 1, S, S)`` in [0, 1] (ink high) and features ``(N, F)`` to class logits ``(N, K)``."""

    def __init__(self, features: int, classes: int, size: int = CROP_SIZE) -> None:
        super().__init__()
        self.features, self.size = features, size

        def stage(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(
            *stage(1, 16, 2),
            *stage(16, 32),
            nn.MaxPool2d(2),
            *stage(32, 64),
            nn.MaxPool2d(2),
            *stage(64, 96),
            *stage(96, 128),
            nn.MaxPool2d(2),
        )  # S -> S / 16, about 20 MMAC at 64
        flat = 128 * (size // 16) ** 2
        self.head = nn.Sequential(nn.Linear(flat + features, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, classes))

    def forward(self, ink: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.body(ink).flatten(1), features], 1))


class _Exported(nn.Module):
    """The graph the SDK runs: uint8 crops and features in, probabilities out."""

    def __init__(self, net: SymbolNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, crops: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        ink = 1.0 - crops.unsqueeze(1).float() / 255.0
        return torch.softmax(self.net(ink, features), dim=1)


@dataclass(frozen=True)
class ClassifierTraining:
    epochs: int = 10
    batch: int = 128
    lr: float = 2e-3
    seed: int = 0
    shift: int = 3
    balance: float = 0.0
    """Class weights of the loss, ``count ** -balance`` (0: none; 1: each class counts alike), see :func:`class_weights`."""


def class_weights(labels: np.ndarray, classes: int, balance: float) -> torch.Tensor:
    """Loss weights per class, ``count ** -balance``, scaled so that the training instances' mean weight is 1.

    Rare classes (a few hundred switches among 100,000 instances) otherwise weigh little against the
    frequent ones and 'no symbol', and the classifier drops them. Classes without instances get 0.
    """
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    weights = np.where(counts > 0, np.maximum(counts, 1.0) ** -balance, 0.0)
    weights *= len(labels) / max(float((weights * counts).sum()), 1e-12)
    return torch.from_numpy(weights.astype(np.float32))


def _ink(crops: np.ndarray) -> torch.Tensor:
    return 1.0 - torch.from_numpy(crops).float().unsqueeze(1) / 255.0


def accuracy(net: SymbolNet, data: InstanceSet) -> float:
    """Share of instances of ``data`` whose label ``net`` predicts."""
    return float((predict(net, data) == data.labels).mean()) if len(data.labels) else float("nan")


def predict(net: SymbolNet, data: InstanceSet) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(data.labels), 512):
            part = slice(start, start + 512)
            out.append(net(_ink(data.crops[part]), torch.from_numpy(data.features[part])).argmax(1).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def train_classifier(
    train: InstanceSet,
    val: InstanceSet | None,
    classes: int,
    settings: ClassifierTraining,
    report: Callable[[str], None] = print,
) -> SymbolNet:
    """Train a :class:`SymbolNet` on ``train``; ``report`` gets one line per epoch (loss, val accuracy)."""
    torch.manual_seed(settings.seed)
    generator = np.random.default_rng(settings.seed)
    net = SymbolNet(train.features.shape[1], classes, train.crops.shape[1])
    ink, features = _ink(train.crops), torch.from_numpy(train.features)
    labels = torch.from_numpy(train.labels.astype(np.int64))
    weights = class_weights(train.labels.astype(np.int64), classes, settings.balance) if settings.balance else None
    per_epoch = max(1, len(labels) // settings.batch)
    optimiser = torch.optim.AdamW(net.parameters(), settings.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, settings.lr, total_steps=settings.epochs * per_epoch)
    start = time.perf_counter()
    for epoch in range(settings.epochs):
        net.train()
        order = torch.from_numpy(generator.permutation(len(labels)))
        for step in range(per_epoch):
            index = order[step * settings.batch : (step + 1) * settings.batch]
            dy, dx = (int(v) for v in generator.integers(-settings.shift, settings.shift + 1, 2))
            batch = torch.roll(ink[index], (dy, dx), (2, 3))  # ink is 0 at the border: the roll brings in paper
            loss = functional.cross_entropy(net(batch, features[index]), labels[index], weights, label_smoothing=0.05)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        scored = f", val accuracy {accuracy(net, val):.4f}" if val is not None else ""
        report(
            f"epoch {epoch + 1}/{settings.epochs}: loss {loss.item():.3f}{scored} ({time.perf_counter() - start:.0f} s)"
        )
    return net.eval()


def export_classifier(
    net: SymbolNet, out: str | Path, class_names: tuple[str, ...], segmentation_model: str, trained_on: str
) -> None:
    """Write ``net`` as a classifier ONNX file (atomically) and check ONNX Runtime agrees with PyTorch."""
    exported = _Exported(net.float()).eval()  # the exporter restores the mode it found: eval, for BatchNorm
    crops = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, net.size, net.size), dtype=np.uint8))
    features = torch.rand(3, net.features)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            exported,
            (crops, features),
            buffer,
            input_names=[CROPS_INPUT, FEATURES_INPUT],
            output_names=[PROBABILITIES],
            opset_version=OPSET,
            dynamo=False,
            dynamic_axes={name: {0: "N"} for name in (CROPS_INPUT, FEATURES_INPUT, PROBABILITIES)},
        )
    model = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(model, classifier_metadata(class_names, segmentation_model, trained_on, net.size))
    model.producer_name = "schemseg"
    onnx.checker.check_model(model)
    atomic_write_bytes(out, model.SerializeToString())
    with SymbolClassifier(out) as classifier, torch.no_grad():
        expected = exported(crops, features).numpy()
        got = classifier.probabilities(crops.numpy(), features.numpy())
    if not np.allclose(expected, got, atol=1e-4):
        Path(out).unlink()
        raise ModelFormatError(
            f"{out}: ONNX Runtime and PyTorch disagree (max |diff| {np.abs(expected - got).max():.2e}); nothing written"
        )
