"""``schemseg train-classifier``: the symbol classifier for a segmentation model, from datasets with boxes.

torch is imported inside the command, so ``schemseg --help`` works without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from schemseg_sdk.cli import handle_errors
from schemseg_sdk.fileio import sha256_file

__all__ = ["train_classifier_command"]


@click.command("train-classifier")
@click.option(
    "--data",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Dataset whose boxes cover all its symbols and text (synthetic sheets); repeatable.",
)
@click.option(
    "--symbols-only",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Dataset whose boxes cover every symbol but no text (real drawings such as CI2N): unpaired "
    "instances are 'no symbol' unless the model calls them designation; repeatable.",
)
@click.option(
    "--partial",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Dataset whose boxes leave symbols unlabelled: only instances that pair with a true symbol "
    "are used; repeatable.",
)
@click.option("--val", type=click.Path(exists=True, file_okay=False), help="Dataset to report accuracy on each epoch.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The segmentation model whose output is classified [default: the bundled one].",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The classifier's .onnx file.")
@click.option(
    "--predictions",
    default="data/predictions",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Cache of the model's predictions (MODEL-SHA-DATASET/NAME.npz), reused when present.",
)
@click.option(
    "--epochs",
    default=10,
    show_default=True,
    type=click.IntRange(1),
    help="Passes over the instances of the training sets.",
)
@click.option("--limit", type=click.IntRange(1), help="Use the first N sheets of each dataset only.")
@click.option("--threads", type=click.IntRange(1), help="CPU threads for the model and torch.")
@click.option(
    "--merge-gap",
    multiple=True,
    type=click.FloatRange(0),
    help="Group the training instances with this merge_gap (stroke widths) [default: GroupingSettings' "
    "own]; repeatable: the instances of each grouping, each once. A small gap shows it more single "
    "pieces, the default 5 the groups grouping asks it about before joining them (one symbol, or "
    "neighbours that hold several true symbols: 'no symbol'). The bundled classifier was trained "
    "at 3 alone.",
)
@click.option(
    "--class-balance",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Weight each class's instances in the loss by count ** -B: 0 none, 0.5 lifts rare classes "
    "(switches, inductors among 100,000 instances), 1 weighs every class alike.",
)
@handle_errors
def train_classifier_command(
    data: tuple[str, ...],
    symbols_only: tuple[str, ...],
    partial: tuple[str, ...],
    val: str | None,
    model_path: str | None,
    out: str,
    predictions: str,
    epochs: int,
    limit: int | None,
    threads: int | None,
    merge_gap: tuple[float, ...],
    class_balance: float,
) -> None:
    """Train the symbol classifier that gives each grouped instance its class (see docs/grouping.md)."""
    from .cli_train import _require_torch

    _require_torch()
    if not data and not symbols_only and not partial:
        raise click.UsageError("give at least one --data, --symbols-only or --partial dataset")
    import torch

    from schemseg_sdk import Segmenter
    from schemseg_sdk.instances import GroupingSettings
    from schemseg_sdk.symbol_classifier import model_identity

    from .classifier_data import InstanceSet, collect_instances
    from .classifier_train import ClassifierTraining, export_classifier, train_classifier

    if threads:
        torch.set_num_threads(threads)
    settings = [GroupingSettings(merge_gap=gap) for gap in merge_gap] or [GroupingSettings()]
    with Segmenter(model_path, device="cpu", threads=threads, grouping=None) as segmenter:
        key = f"{segmenter.model_path.stem}-{_sha(segmenter.model_path)}"

        def instances(folder: str, negatives: str) -> InstanceSet:
            cache = Path(predictions) / f"{key}-{Path(folder).name}"
            return collect_instances(folder, segmenter, cache, negatives=negatives, limit=limit, settings=settings)

        sets = (
            [(folder, "all") for folder in data]
            + [(folder, "non_text") for folder in symbols_only]
            + [(folder, "none") for folder in partial]
        )
        parts = [instances(folder, negatives) for folder, negatives in sets]
        train = InstanceSet.concatenate(parts)
        held_out = instances(val, "all") if val else None
        info = segmenter.info
        class_names = segmenter.class_names
    click.echo(f"{len(train.labels)} training instances ({int((train.labels == 0).sum())} not symbols)")
    net = train_classifier(
        train, held_out, len(class_names), ClassifierTraining(epochs=epochs, balance=class_balance), click.echo
    )
    sources = ", ".join(
        f"{Path(folder).name} ({len(part.labels)} instances, {int((part.labels == 0).sum())} not symbols)"
        for (folder, _), part in zip(sets, parts)
    )
    export_classifier(net, out, class_names, model_identity(info), sources)
    click.echo(f"written: {out}")


def _sha(path: Path) -> str:
    """The first 12 hex digits of the file's sha256: cached predictions belong to this exact model file."""
    return sha256_file(path)[:12]
