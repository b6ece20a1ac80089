"""``schemseg train``, ``schemseg eval``, ``schemseg export`` and ``schemseg model info``.

torch is imported inside the commands, so ``schemseg --help`` and the SDK commands work without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from schemseg_sdk.cli import handle_errors
from schemseg_sdk.cli.segment import CLASSIFIER_OPTION
from schemseg_sdk.errors import BackendUnavailableError
from schemseg_sdk.fileio import atomic_write_text

__all__ = ["train_command", "eval_command", "export_command", "model_group"]


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise BackendUnavailableError(
            "PyTorch is not installed; training commands need the training extra: pip install 'schemseg[train]'"
        ) from None


@click.command("train")
@click.option(
    "--data",
    multiple=True,
    metavar="DIR[:WEIGHT]",
    help="Dataset folder (images/ + masks/); repeat to mix folders, drawn in proportion to WEIGHT (1).",
)
@click.option("--synthetic", is_flag=True, help="Render synthetic sheets on the fly instead of --data.")
@click.option("--synthetic-sheets", default=1000, show_default=True, help="Sheets per epoch with --synthetic.")
@click.option(
    "--val",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Validation dataset folder; repeat for several (the best checkpoint uses their mean mIoU).",
)
@click.option("--val-limit", type=click.IntRange(1), help="Validate on the first N sheets only.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder, e.g. runs/NAME.")
@click.option(
    "--epochs",
    default=10,
    show_default=True,
    type=click.IntRange(1),
    help="Passes over the training data (an epoch: as many sheets as all --data folders hold).",
)
@click.option("--batch", default=8, show_default=True, type=click.IntRange(1), help="Crops per optimiser step.")
@click.option("--size", default=256, show_default=True, type=click.IntRange(32), help="Crop size (multiple of 32).")
@click.option("--lr", type=float, help="Peak learning rate [default: 2e-3; 5e-4 with --init; a resumed run's own].")
@click.option(
    "--device",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="Where to train (auto: CUDA when available).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0), help="Data loader processes.")
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads (default: torch's choice).")
@click.option(
    "--precision",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "fp32", "bf16"]),
    help="auto: bf16 autocast on GPUs and on CPUs with AVX512_BF16/AMX, fp32 elsewhere.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of crops, augmentation and initialisation.")
@click.option(
    "--model",
    "model_name",
    type=click.Choice(["attention_unetpp", "attention_unetpp_lite0", "unetpp"]),
    help="Architecture [default: the --init/--resume checkpoint's, else attention_unetpp].",
)
@click.option(
    "--decoder-channels", metavar="C1,C2,C3,C4,C5", help="U-Net++ decoder widths [default: 256,128,64,32,16]."
)
@click.option("--ce-weight", default=1.0, show_default=True, type=float, help="Weight of the cross-entropy loss.")
@click.option(
    "--dice-weight",
    default=1.0,
    show_default=True,
    type=float,
    help="Weight of the Dice loss (classes present, background excluded).",
)
@click.option("--max-steps", type=click.IntRange(1), help="Stop after N steps (the schedule spans all epochs).")
@click.option("--resume", type=click.Path(exists=True, dir_okay=False), help="Continue from a last.pt checkpoint.")
@click.option(
    "--init",
    metavar="reference|CHECKPOINT",
    help="Start a new run (fresh optimiser and schedule) from the bundled model's weights or a checkpoint's; "
    "head rows are matched to the data's classes by name.",
)
@click.option(
    "--ema",
    "ema_decay",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    metavar="DECAY",
    help="Keep an exponential moving average of the weights (e.g. 0.998) and validate, keep and export it "
    "[default: off; a resumed run's own].",
)
@click.option(
    "--freeze-encoder-steps",
    type=click.IntRange(0),
    help="Train only decoder and head for the first N steps [default: a tenth of the steps with --init, else 0].",
)
@click.option(
    "--focus",
    multiple=True,
    metavar="CLASS:SHARE",
    help="Of the symbol-centred crops of sheets showing CLASS, centre this share on it (a rare look "
    "to learn, e.g. crossover:0.3 with broken-wire data); repeatable.",
)
@handle_errors
def train_command(**options: object) -> None:
    """Train the segmentation model; Ctrl-C leaves a resumable last.pt."""
    _require_torch()
    from .train import TrainConfig, parse_data_spec, train

    if int(options["size"]) % 32:  # type: ignore[call-overload]
        raise click.UsageError(f"--size {options['size']} must be a multiple of 32")
    if bool(options["synthetic"]) == bool(options["data"]):
        raise click.UsageError("give exactly one of --data DIR or --synthetic")
    if options["resume"] and options["init"]:
        raise click.UsageError("give --init (a new run from trained weights) or --resume (continue a run), not both")
    resume = options.pop("resume")
    options["model"] = options.pop("model_name")
    decoder = options.pop("decoder_channels")
    if decoder:
        options["model_options"] = {"decoder_channels": _channels(str(decoder))}
    for spec in options["data"]:  # type: ignore[union-attr]
        folder = parse_data_spec(str(spec))[0]
        if not Path(folder).is_dir():
            raise click.UsageError(f"--data {spec}: {folder} is not a folder")
    options["data"] = list(options["data"]) or None  # type: ignore[call-overload]
    options["val"] = list(options["val"]) or None  # type: ignore[call-overload]
    options["focus"] = list(options["focus"]) or None  # type: ignore[call-overload]
    config = TrainConfig(**options)  # type: ignore[arg-type]
    try:
        summary = train(config, resume=resume)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        raise click.ClickException(
            f"interrupted; progress saved, continue with: schemseg train ... --resume {Path(config.out) / 'last.pt'}"
        ) from None
    click.echo(json.dumps(summary))


def _channels(text: str) -> list[int]:
    try:
        channels = [int(c) for c in text.split(",")]
    except ValueError:
        channels = []
    if len(channels) != 5 or min(channels) < 1:
        raise click.UsageError(f"--decoder-channels {text}: expected five positive integers, e.g. 128,64,32,16,16")
    return channels


@click.command("eval")
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint (.pt) or an exported model (.onnx).",
)
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False), help="Dataset folder.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the scores as JSON here.")
@click.option("--limit", type=click.IntRange(1), help="Evaluate the first N sheets only.")
@click.option("--threads", type=click.IntRange(1), help="CPU threads for inference (default: the runtime's choice).")
@click.option(
    "--group/--no-group",
    "group",
    default=True,
    show_default=True,
    help="Group predicted pixels into symbols with one class each (as 'schemseg segment' does).",
)
@click.option(
    "--scale",
    "scale",
    default="auto",
    show_default=True,
    metavar="auto|FLOAT",
    help="Zoom sheets to the model's scale as 'schemseg segment --scale' does (1 = as drawn).",
)
@CLASSIFIER_OPTION
@handle_errors
def eval_command(
    model_path: str,
    data: str,
    json_out: str | None,
    limit: int | None,
    threads: int | None,
    group: bool,
    scale: str,
    classifier: str,
) -> None:
    """Per-class IoU and mean IoU (the model's classes that occur, background excluded) of a model on a
    dataset, and, where the dataset has boxes/, per-class symbol precision, recall, F1 and count error."""
    from schemseg_sdk.cli.segment import classifier_option, scale_option
    from schemseg_sdk.instances import GroupingSettings

    from .evaluate import evaluate_path

    zoom = scale_option(scale)
    choice = classifier_option(classifier)
    grouping = GroupingSettings() if group else None
    evaluation = evaluate_path(
        model_path, data, limit=limit, threads=threads, grouping=grouping, scale=zoom, classifier=choice
    )
    click.echo(evaluation.table())
    if json_out:
        payload = {
            "model": model_path,
            "data": data,
            "limit": limit,
            "scale": zoom,
            "classifier": None if choice is None else str(choice),
            **evaluation.to_dict(),
        }
        atomic_write_text(json_out, json.dumps(payload, indent=2) + "\n")


@click.command("export")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output .onnx path.")
@click.option("--logits", is_flag=True, help="Add the raw logits output (debugging; 60 MB per sheet).")
@click.option("--no-check", is_flag=True, help="Skip the ONNX Runtime vs PyTorch parity check.")
@handle_errors
def export_command(checkpoint: str, out: str, logits: bool, no_check: bool) -> None:
    """Export a checkpoint to ONNX (uint8 BGR in; class ids and confidence out; metadata inside)."""
    _require_torch()
    from .export import export_onnx

    parity = export_onnx(checkpoint, out, logits=logits, check=not no_check)
    size_mb = Path(out).stat().st_size / 1e6
    detail = f", ONNX Runtime vs PyTorch pixel agreement {parity['pixel_agreement']:.4%}" if parity else ""
    click.echo(f"wrote {out} ({size_mb:.1f} MB){detail}")


@click.group("model")
def model_group() -> None:
    """Inspect model architectures."""


@model_group.command("info")
@click.option("--name", default="attention_unetpp", show_default=True, help="Architecture (as train --model).")
@click.option("--size", default=608, show_default=True, type=click.IntRange(32), help="Input size for the FLOPs count.")
@click.option("--decoder-channels", metavar="C1,C2,C3,C4,C5", help="U-Net++ decoder widths.")
@handle_errors
def model_info_command(name: str, size: int, decoder_channels: str | None) -> None:
    """Parameters and GFLOPs of an architecture at SIZE x SIZE (GFLOPs = 2 x multiply-accumulates)."""
    _require_torch()
    from .model import create_model
    from .model_stats import model_stats

    try:
        options = {"decoder_channels": _channels(decoder_channels)} if decoder_channels else {}
        stats = model_stats(create_model(name, encoder_weights=None, **options), size)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"{name} at {size}x{size}: {stats['parameters'] / 1e6:.2f} M parameters, {stats['gflops']:.1f} GFLOPs")
    for part, gflops in stats["gflops_by_part"].items():  # type: ignore[union-attr]
        share = gflops / stats["gflops"]  # type: ignore[operator]
        params = stats["parameters_by_part"].get(part, 0) / 1e6  # type: ignore[union-attr]
        click.echo(f"  {part:<18} {params:6.2f} M params  {gflops:6.1f} GFLOPs ({share:.0%})")


@model_group.command("weights")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The weights-only checkpoint to write.")
@click.option("--fp32", is_flag=True, help="Keep fp32 weights (default: fp16, half the size).")
@handle_errors
def model_weights_command(checkpoint: str, out: str, fp32: bool) -> None:
    """Write CHECKPOINT without optimiser state (fp16 weights): small enough to commit, resumable."""
    _require_torch()
    from .checkpoint import save_weights_only

    save_weights_only(checkpoint, out, half=not fp32)
    click.echo(f"wrote {out} ({Path(out).stat().st_size / 1e6:.1f} MB)")
