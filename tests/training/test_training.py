"""Training, resume, export and evaluation on tiny configurations (real torch, real ONNX Runtime)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")

from click.testing import CliRunner  # noqa: E402

import schemseg_sdk  # noqa: E402
from schemseg_sdk.classes import CLASS_NAMES, class_index  # noqa: E402
from schemseg_sdk.cli import main  # noqa: E402
from schemseg_sdk.errors import DatasetError, InvalidInputError  # noqa: E402
from schemseg_sdk.model_info import ModelInfo  # noqa: E402
from schemseg_training.losses import DiceCELoss  # noqa: E402
from schemseg_training.model import SchemsegNet, create_model  # noqa: E402
from schemseg_training.train import TrainConfig, train  # noqa: E402

TINY = {"decoder_channels": [16, 16, 8, 8, 8], "heads": 4}


def _write_dataset(root: Path, count: int = 4, size: int = 96) -> Path:
    """A few sheets with rectangles (resistor_iec) and circles (terminal), masks filled."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        image = np.full((size, size, 3), 255, np.uint8)
        mask = np.zeros((size, size), np.uint8)
        for _ in range(3):
            x, y = (int(v) for v in rng.integers(8, size - 30, 2))
            if rng.random() < 0.5:
                cv2.rectangle(image, (x, y), (x + 20, y + 10), (0, 0, 0), 2)
                cv2.rectangle(mask, (x, y), (x + 20, y + 10), class_index("resistor_iec"), -1)
            else:
                cv2.circle(image, (x + 10, y + 10), 8, (0, 0, 0), 2)
                cv2.circle(mask, (x + 10, y + 10), 8, class_index("terminal"), -1)
        cv2.imwrite(str(root / "images" / f"{i:05d}.png"), image)
        cv2.imwrite(str(root / "masks" / f"{i:05d}.png"), mask)
    (root / "dataset.json").write_text(json.dumps({"class_names": list(CLASS_NAMES)}))
    return root


def _config(tmp_path: Path, data: Path, **changes: object) -> TrainConfig:
    values: dict[str, object] = dict(
        out=str(tmp_path / "run"),
        data=str(data),
        val=str(data),
        epochs=2,
        batch=2,
        size=64,
        lr=3e-3,
        device="cpu",
        workers=0,
        threads=2,
        model_options=TINY,
        input_size=64,
    )
    values.update(changes)
    return TrainConfig(**values)  # type: ignore[arg-type]


def test_loss_falls_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    net = SchemsegNet(create_model(**TINY), ModelInfo(input_size=64))
    images = torch.randint(200, 256, (2, 64, 64, 3), dtype=torch.uint8)
    images[:, 20:40, 20:40] = 0
    target = torch.zeros(2, 64, 64, dtype=torch.long)
    target[:, 20:40, 20:40] = class_index("junction")
    loss_fn = DiceCELoss()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(12):
        loss = loss_fn(net.logits(images), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0], losses


def test_dice_ce_ignores_ignore_index() -> None:
    logits = torch.zeros(1, 3, 4, 4)
    target = torch.full((1, 4, 4), 255, dtype=torch.long)
    target[0, 0, 0] = 1
    assert torch.isfinite(DiceCELoss()(logits, target))


def test_train_resume_export_and_eval_agree(tmp_path: Path) -> None:
    data = _write_dataset(tmp_path / "data")
    summary = train(_config(tmp_path, data, max_steps=2), progress=False)
    run = Path(summary["out"])
    assert summary["steps"] == 2 and (run / "last.pt").is_file()
    assert (run / "metrics.csv").is_file() and (run / "curves.png").is_file()

    resumed = train(_config(tmp_path, data), resume=run / "last.pt", progress=False)
    assert resumed["steps"] == 4 and resumed["epochs"] == 2
    history = json.loads((run / "metrics.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2]

    onnx_path = tmp_path / "model.onnx"
    result = CliRunner().invoke(main, ["export", str(run / "best.pt"), "--out", str(onnx_path)])
    assert result.exit_code == 0, result.output
    assert "pixel agreement" in result.output
    model = onnx.load(str(onnx_path))
    info = ModelInfo.from_metadata({p.key: p.value for p in model.metadata_props})
    assert info.input_size == 64 and info.class_names == CLASS_NAMES
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batch = np.full((3, 64, 64, 3), 255, np.uint8)
    ids, conf = session.run(["class_ids", "confidence"], {"image": batch})
    assert ids.shape == (3, 64, 64) and ids.dtype == np.uint8 and conf.dtype == np.float32
    assert float(conf.min()) > 0.0 and float(conf.max()) <= 1.0 + 1e-6

    scores = {}
    for model_path in (run / "best.pt", onnx_path):
        out = tmp_path / f"{model_path.suffix[1:]}.json"
        res = CliRunner().invoke(main, ["eval", "--model", str(model_path), "--data", str(data), "--json", str(out)])
        assert res.exit_code == 0, res.output
        payload = json.loads(out.read_text())
        scores[model_path.suffix] = payload["mean_iou"]
        assert payload["grouped"] is True and payload["symbols"] is None  # these sheets record no boxes/
        assert "symbols: not scored (the dataset has no boxes/)" in res.output
    assert abs(scores[".pt"] - scores[".onnx"]) < 1e-3

    bundled = Path(schemseg_sdk.__file__).parent / "models" / "symbol_classifier.onnx"
    for choice, recorded in (("none", None), (str(bundled), str(bundled))):  # a classifier file for another model
        out = tmp_path / "classifier.json"
        args = ["eval", "--model", str(onnx_path), "--data", str(data), "--classifier", choice, "--json", str(out)]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
        assert json.loads(out.read_text())["classifier"] == recorded
    res = CliRunner().invoke(main, ["eval", "--model", str(onnx_path), "--data", str(data), "--classifier", "x.onnx"])
    assert res.exit_code == 2 and "--classifier x.onnx: no such file" in res.output


def test_bad_data_folder_gives_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images/ folder"):
        train(_config(tmp_path, tmp_path / "empty"), progress=False)
    result = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"Error: {tmp_path / 'empty'}: no images/ folder; a dataset holds images/ and masks/"
    )


def test_train_cli_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["train", "--synthetic", "--out", str(tmp_path), "--size", "100"])
    assert result.exit_code == 2 and "--size 100 must be a multiple of 32" in result.output
    result = CliRunner().invoke(main, ["train", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "give exactly one of --data DIR or --synthetic" in result.output


def test_resume_rejects_other_model(tmp_path: Path) -> None:
    data = _write_dataset(tmp_path / "data", count=2)
    summary = train(_config(tmp_path, data, max_steps=1, val=None), progress=False)
    other = _config(tmp_path, data, model_options={"decoder_channels": [8, 8, 8, 8, 8], "heads": 4})
    with pytest.raises(InvalidInputError, match="differs from this run's"):
        train(other, resume=Path(summary["out"]) / "last.pt", progress=False)


def test_model_info_cli() -> None:
    result = CliRunner().invoke(main, ["model", "info", "--size", "64"])
    assert result.exit_code == 0, result.output
    assert "attention_unetpp at 64x64:" in result.output and "decoder" in result.output
    result = CliRunner().invoke(main, ["model", "info", "--name", "nope"])
    assert result.exit_code == 2 and "valid names: attention_unetpp, attention_unetpp_lite0, unetpp" in result.output


def test_weights_only_checkpoint_resumes(tmp_path: Path) -> None:
    from schemseg_training.checkpoint import load_checkpoint, save_weights_only

    data = _write_dataset(tmp_path / "data", count=2)
    summary = train(_config(tmp_path, data, max_steps=1, val=None, epochs=2), progress=False)
    slim = tmp_path / "slim.pt"
    result = CliRunner().invoke(main, ["model", "weights", str(Path(summary["out"]) / "last.pt"), "--out", str(slim)])
    assert result.exit_code == 0, result.output
    state = load_checkpoint(slim)
    assert "optimizer" not in state and state["model"]["core.segmentation_head.0.weight"].dtype == torch.float16
    assert slim.stat().st_size < 0.4 * (Path(summary["out"]) / "last.pt").stat().st_size
    save_weights_only(Path(summary["out"]) / "last.pt", tmp_path / "fp32.pt", half=False)
    assert load_checkpoint(tmp_path / "fp32.pt")["model"]["core.segmentation_head.0.weight"].dtype == torch.float32
    resumed = train(_config(tmp_path, data, val=None, epochs=2), resume=slim, progress=False)
    assert resumed["steps"] == 2 and resumed["epochs"] == 2


def test_resume_with_another_dataset_size_starts_the_epoch_afresh(tmp_path: Path) -> None:
    small = _write_dataset(tmp_path / "small", count=2)
    summary = train(_config(tmp_path, small, max_steps=3, val=None, epochs=3, batch=1), progress=False)
    assert summary["steps"] == 3  # 2 steps per epoch: stopped inside epoch 2 (offset 1)
    big = _write_dataset(tmp_path / "big", count=8)
    resumed = train(
        _config(tmp_path, big, val=None, epochs=3, batch=2, out=str(tmp_path / "run2")),
        resume=Path(summary["out"]) / "last.pt",
        progress=False,
    )
    assert resumed["epochs"] == 3 and resumed["steps"] == 3 + 4 + 4  # epoch 2 afresh (4 steps), then epoch 3


def test_sigterm_saves_a_resumable_checkpoint(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    data = _write_dataset(tmp_path / "data", count=4)
    out = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        "500",
        "--batch",
        "2",
        "--size",
        "64",
        "--device",
        "cpu",
        "--workers",
        "0",
        "--threads",
        "1",
        "--model",
        "unetpp",
    ]
    code = "from schemseg_sdk.cli import main; main(prog_name='schemseg')"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    while not (out / "metrics.csv").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)  # wait until at least one epoch is done, so training is surely under way
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert f"continue with: schemseg train ... --resume {out / 'last.pt'}" in err
    state = torch.load(out / "last.pt", map_location="cpu", weights_only=False)
    assert state["step"] >= 2


def test_weights_only_checkpoint_keeps_values_beyond_fp16_and_rejects_damaged_ones(tmp_path: Path) -> None:
    from schemseg_sdk.errors import InvalidInputError
    from schemseg_training.checkpoint import load_checkpoint, load_net, save_checkpoint, save_weights_only

    data = _write_dataset(tmp_path / "data", count=2)
    summary = train(_config(tmp_path, data, max_steps=1, val=None, epochs=1), progress=False)
    state = load_checkpoint(Path(summary["out"]) / "last.pt")
    var_key = next(k for k in state["model"] if k.endswith("running_var"))
    state["model"][var_key] = state["model"][var_key] * 0 + 3.4e7  # as the v1/v2 bottleneck decoder block had
    save_checkpoint(tmp_path / "big.pt", state)
    save_weights_only(tmp_path / "big.pt", tmp_path / "slim.pt")
    slim = load_checkpoint(tmp_path / "slim.pt")["model"]
    assert slim[var_key].dtype == torch.float32 and torch.equal(slim[var_key], state["model"][var_key])
    assert slim["core.segmentation_head.0.weight"].dtype == torch.float16  # kernels are still halved
    assert slim["mean"].dtype == torch.float32 and torch.equal(slim["mean"], state["model"]["mean"])
    net, _ = load_net(tmp_path / "slim.pt")
    assert torch.isfinite(net.state_dict()[var_key]).all()

    state["model"][var_key] = state["model"][var_key].half()  # what the old fp16 copy wrote: inf
    save_checkpoint(tmp_path / "inf.pt", state)
    with pytest.raises(InvalidInputError, match=f"inf or NaN .*{var_key}"):
        load_checkpoint(tmp_path / "inf.pt")


def test_weight_average_is_validated_kept_and_resumed(tmp_path: Path) -> None:
    from schemseg_training.checkpoint import load_checkpoint, load_net, save_weights_only

    data = _write_dataset(tmp_path / "data", count=2)
    summary = train(_config(tmp_path, data, epochs=2, ema_decay=0.9), progress=False)
    state = load_checkpoint(Path(summary["out"]) / "last.pt")
    assert state["train_config"]["ema_decay"] == 0.9 and state["step"] == 2  # one step per epoch
    average, trained = state["model"], state["trained_model"]
    key = "core.segmentation_head.0.weight"
    assert not torch.equal(average[key], trained[key])  # the average lags the trained weights
    net, _ = load_net(Path(summary["out"]) / "last.pt")  # export, eval and --init take the average
    assert torch.equal(net.state_dict()[key], average[key])

    # resuming without --ema keeps the run's own decay and goes on from both sets of weights
    resumed = train(_config(tmp_path, data, epochs=3), resume=Path(summary["out"]) / "last.pt", progress=False)
    after = load_checkpoint(Path(resumed["out"]) / "last.pt")
    assert resumed["steps"] == 3 and after["train_config"]["ema_decay"] == 0.9
    expected = 0.9 * average[key] + 0.1 * after["trained_model"][key]  # one more update of the restored average
    assert torch.allclose(after["model"][key], expected, atol=1e-7)

    save_weights_only(Path(resumed["out"]) / "last.pt", tmp_path / "slim.pt")
    slim = load_checkpoint(tmp_path / "slim.pt")
    assert "trained_model" not in slim and torch.equal(slim["model"][key], after["model"][key].half())
