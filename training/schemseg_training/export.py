"""Export a checkpoint to the schemseg ONNX contract, with metadata, checked against PyTorch."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from schemseg_sdk.errors import ModelFormatError
from schemseg_sdk.fileio import atomic_write_bytes
from schemseg_sdk.model_info import CLASS_IDS, CONFIDENCE, INPUT_NAME, LOGITS, ModelInfo

from .checkpoint import load_net
from .model import SchemsegNet

__all__ = ["export_onnx", "export_net", "check_parity", "OPSET"]

OPSET = 18
MIN_AGREEMENT = 0.999


def export_onnx(
    checkpoint: str | Path, out: str | Path, *, logits: bool = False, check: bool = True, samples: int = 2
) -> dict[str, float]:
    """Export ``checkpoint`` to ``out`` (atomically); return the parity figures of the check.

    Raises :class:`ModelFormatError` if ONNX Runtime and PyTorch disagree on more than 0.1% of pixels.
    """
    net, state = load_net(checkpoint, with_logits=logits)
    version = f"step{state.get('step', 0)}"
    info = net.info.replace(model_version=version)
    net.info = info
    model = export_net(net, info)
    data = model.SerializeToString()
    parity = check_parity(net, data, info.input_size, samples) if check else {}
    atomic_write_bytes(out, data)
    return parity


def export_net(net: SchemsegNet, info: ModelInfo) -> onnx.ModelProto:
    """Trace ``net`` (uint8 NHWC in; class ids, confidence[, logits] out) with a dynamic batch axis."""
    net = net.eval().float()
    size = info.input_size
    example = torch.full((1, size, size, 3), 255, dtype=torch.uint8)
    outputs = [CLASS_IDS, CONFIDENCE] + ([LOGITS] if net.with_logits else [])
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (example,),
            buffer,
            input_names=[INPUT_NAME],
            output_names=outputs,
            opset_version=OPSET,
            dynamic_axes={name: {0: "N"} for name in [INPUT_NAME, *outputs]},
            dynamo=False,
        )
    model = onnx.load_from_string(buffer.getvalue())
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, info.to_metadata())
    model.producer_name = "schemseg"
    onnx.checker.check_model(model)
    return model


def check_parity(net: SchemsegNet, model_bytes: bytes, size: int, samples: int) -> dict[str, float]:
    """Run ONNX Runtime and PyTorch on synthetic sheets; class ids must agree on >= 99.9% of pixels."""
    import onnxruntime as ort

    from schemseg_sdk.geometry import pad_image

    from .synth import render_sheet

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    agree, total, conf_err = 0, 0, 0.0
    for seed in range(samples):
        sheet = render_sheet(10_000 + seed)
        batch = pad_image(sheet.image[:size, :size], size, size)[None]
        ids_ort, conf_ort = session.run([CLASS_IDS, CONFIDENCE], {INPUT_NAME: batch})[:2]
        with torch.no_grad():
            ids_pt, conf_pt = net(torch.from_numpy(batch))[:2]
        agree += int((ids_ort == ids_pt.numpy()).sum())
        total += ids_ort.size
        conf_err = max(conf_err, float(np.abs(conf_ort - conf_pt.numpy()).max()))
    agreement = agree / total
    if agreement < MIN_AGREEMENT:
        raise ModelFormatError(
            f"export check failed: ONNX Runtime and PyTorch class ids agree on {agreement:.4%} of pixels "
            f"(need >= {MIN_AGREEMENT:.1%}); the exported graph is not trustworthy"
        )
    return {"pixel_agreement": agreement, "max_confidence_error": conf_err, "sheets": samples}
