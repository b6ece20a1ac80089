"""--init: a new run from trained weights, head rows matched by class name, the encoder frozen at first."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

torch = pytest.importorskip("torch", reason="training tests need the 'train' extra (torch)")

from click.testing import CliRunner  # noqa: E402
from test_training import TINY, _config, _write_dataset  # noqa: E402

from schemseg_sdk.classes import CLASS_NAMES, class_index  # noqa: E402
from schemseg_sdk.cli import main  # noqa: E402
from schemseg_sdk.errors import InvalidInputError  # noqa: E402
from schemseg_sdk.model_info import ModelInfo  # noqa: E402
from schemseg_training import finetune  # noqa: E402
from schemseg_training.checkpoint import load_checkpoint, load_net  # noqa: E402
from schemseg_training.finetune import init_from_checkpoint, resolve_init_checkpoint  # noqa: E402
from schemseg_training.model import SchemsegNet, create_model  # noqa: E402
from schemseg_training.train import FINETUNE_LR, train  # noqa: E402

OURS = ("background", "terminal", "widget")  # terminal is known, widget is new, 38 reference classes dropped
HEAD = "core.segmentation_head.0."


def _custom_dataset(root: Path) -> Path:
    """The training test sheets relabelled into OURS: terminal stays, resistor_iec becomes widget."""
    data = _write_dataset(root)
    for path in (data / "masks").iterdir():
        mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        relabelled = mask.copy()
        relabelled[mask == class_index("terminal")] = 1
        relabelled[mask == class_index("resistor_iec")] = 2
        cv2.imwrite(str(path), relabelled)
    (data / "dataset.json").write_text(json.dumps({"class_names": list(OURS)}))
    return data


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of the tiny model trained one step on the reference class list."""
    root = tmp_path_factory.mktemp("start")
    summary = train(_config(root, _write_dataset(root / "data"), max_steps=1, val=None), progress=False)
    return Path(summary["out"]) / "last.pt"


def test_head_rows_follow_the_class_names(start: Path) -> None:
    state = load_checkpoint(start)
    torch.manual_seed(1)
    net = SchemsegNet(create_model(num_classes=3, **TINY), ModelInfo(OURS, input_size=64))
    fresh = {k: v.clone() for k, v in net.state_dict().items()}
    report = init_from_checkpoint(net, state, OURS, str(start))
    assert report.kept == ("background", "terminal") and report.new == ("widget",)
    assert report.dropped == tuple(n for n in CLASS_NAMES if n not in OURS)
    weights, old = net.state_dict(), state["model"]
    for part in ("weight", "bias"):
        assert torch.equal(weights[HEAD + part][0], old[HEAD + part][0])
        assert torch.equal(weights[HEAD + part][1], old[HEAD + part][class_index("terminal")])
        assert torch.equal(weights[HEAD + part][2], fresh[HEAD + part][2])  # the new class starts fresh
    assert all(torch.equal(weights[k], old[k]) for k in weights if not k.startswith(HEAD))


def test_a_fine_tune_run_freezes_the_encoder_first(start: Path, tmp_path: Path) -> None:
    data = _custom_dataset(tmp_path / "ours")
    config = _config(tmp_path, data, model_options={}, init=str(start), epochs=1, freeze_encoder_steps=2, lr=None)
    summary = train(config, progress=False)
    assert summary["steps"] == 2 and summary["init"]["new"] == ["widget"]
    state, before = load_checkpoint(Path(summary["out"]) / "last.pt"), load_checkpoint(start)
    assert state["train_config"]["lr"] == FINETUNE_LR and state["step"] == 2
    encoder = [k for k in state["model"] if k.startswith("core.encoder.")]
    assert encoder and all(torch.equal(state["model"][k], before["model"][k]) for k in encoder)  # BN stats too
    decoder = [k for k in state["model"] if k.startswith("core.decoder.") and k.endswith("weight")]
    assert any(not torch.equal(state["model"][k], before["model"][k]) for k in decoder)
    net, _ = load_net(Path(summary["out"]) / "last.pt")
    assert net.info.class_names == OURS and net.core.segmentation_head[0].out_channels == 3
    assert json.loads((tmp_path / "run" / "val_epoch001.json").read_text())["per_class"].keys() <= set(OURS)


def test_by_default_the_encoder_learns_after_a_tenth_of_the_steps(start: Path, tmp_path: Path) -> None:
    data = _custom_dataset(tmp_path / "ours")
    summary = train(_config(tmp_path, data, model_options={}, init=str(start), epochs=1, val=None), progress=False)
    state, before = load_checkpoint(Path(summary["out"]) / "last.pt"), load_checkpoint(start)
    assert state["train_config"]["freeze_encoder_steps"] == 0  # a tenth of 2 steps
    encoder = [k for k in state["model"] if k.startswith("core.encoder.") and k.endswith("weight")]
    assert any(not torch.equal(state["model"][k], before["model"][k]) for k in encoder)


def test_resume_refuses_a_checkpoint_of_other_classes(start: Path, tmp_path: Path) -> None:
    data = _custom_dataset(tmp_path / "ours")
    with pytest.raises(InvalidInputError) as info:
        train(_config(tmp_path, data, model_options={}), resume=start, progress=False)
    message = str(info.value)
    assert message.startswith(f"{start}: the checkpoint's classes differ from the training data's (only in the ")
    assert message.endswith(f"use --init {start} instead of --resume")


def test_init_errors(start: Path, tmp_path: Path) -> None:
    data = _custom_dataset(tmp_path / "ours")
    with pytest.raises(InvalidInputError, match="^give --init .* or --resume .*, not both$"):
        train(_config(tmp_path, data, init=str(start)), resume=start, progress=False)
    with pytest.raises(InvalidInputError, match="^--init nope.pt: no such checkpoint; expected 'reference' or"):
        train(_config(tmp_path, data, init="nope.pt"), progress=False)
    other = _config(tmp_path, data, init=str(start), model_options={"decoder_channels": [8, 8, 8, 8, 8], "heads": 4})
    with pytest.raises(InvalidInputError, match="differs from this run's .*; leave out --model and --decoder-channels"):
        train(other, progress=False)
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(tmp_path / "r"), "--init", "reference", "--resume", str(start)],
    )
    assert result.exit_code == 2 and "give --init (a new run from trained weights) or --resume" in result.output


def test_reference_checkpoint_is_found_or_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = resolve_init_checkpoint("reference")
    assert path == Path(__file__).resolve().parents[2] / "training" / "checkpoints" / "reference.pt"
    state = load_checkpoint(path)
    options = dict(state["model_config"])  # the bundled architecture, whichever it is
    net = SchemsegNet(
        create_model(options.pop("name"), num_classes=3, encoder_weights=None, **options), ModelInfo(OURS)
    )
    report = init_from_checkpoint(net, state, OURS, "reference")
    assert report.kept == ("background", "terminal") and len(report.dropped) == len(CLASS_NAMES) - 2
    head = state["model"][HEAD + "bias"].float()
    assert torch.equal(net.state_dict()[HEAD + "bias"][:2], head[[0, class_index("terminal")]])
    monkeypatch.setattr(finetune, "REFERENCE_CHECKPOINT", tmp_path / "reference.pt")
    with pytest.raises(InvalidInputError, match="is not shipped in the wheel, only in the repository"):
        resolve_init_checkpoint("reference")
