"""The training loop: AdamW + warmup/cosine, AMP on CUDA, channels_last, validation by mIoU, resumable."""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from schemseg_sdk.classes import class_difference
from schemseg_sdk.cpu import has_fast_bf16
from schemseg_sdk.dataset import SegmentationDataset
from schemseg_sdk.errors import InvalidInputError
from schemseg_sdk.geometry import MODEL_INPUT_SIZE
from schemseg_sdk.model_info import ModelInfo
from schemseg_sdk.signals import deferred_interrupts

from .augment import AugmentConfig
from .checkpoint import info_dict, load_checkpoint, save_checkpoint
from .ema import WeightAverage
from .finetune import init_from_checkpoint, resolve_init_checkpoint, set_encoder_frozen, start_model_config
from .history import write_history
from .losses import DiceCELoss
from .model import SchemsegNet, create_model, model_normalisation
from .train_data import (
    CropDataset,
    EpochSampler,
    FolderSheets,
    MixedSheets,
    SheetSource,
    SyntheticSheets,
    steps_per_epoch,
)
from .validate import validate

__all__ = [
    "TrainConfig",
    "train",
    "resolve_device",
    "resolve_precision",
    "parse_data_spec",
    "parse_focus",
    "folder_sheets",
    "SCRATCH_LR",
    "FINETUNE_LR",
]

SCRATCH_LR = 2e-3
FINETUNE_LR = 5e-4  # from trained weights: a quarter of the from-scratch rate keeps what they learned


@dataclass
class TrainConfig:
    out: str
    data: str | list[str] | None = None  # dataset folders, each "DIR" or "DIR:WEIGHT" (mixed by weight)
    synthetic: bool = False
    synthetic_sheets: int = 1000
    val: str | list[str] | None = None  # one or more validation folders; the best checkpoint uses their mean
    val_limit: int | None = None
    epochs: int = 10
    batch: int = 8
    size: int = 256
    lr: float | None = None  # None: SCRATCH_LR, FINETUNE_LR with init, the run's own when resuming
    weight_decay: float = 1e-4
    warmup: float = 0.05
    device: str = "auto"
    workers: int = 1
    seed: int = 0
    model: str | None = None  # None: the init/resume checkpoint's architecture, else attention_unetpp
    model_options: dict[str, Any] = field(default_factory=dict)
    ce_weight: float = 1.0
    dice_weight: float = 1.0
    threads: int | None = None
    input_size: int | None = None  # the exported model's input: the init/resume checkpoint's, else 608
    max_steps: int | None = None  # stop early (tests, time budgets); the schedule still spans all epochs
    precision: str = "auto"  # "auto", "fp32" or "bf16" (autocast); see resolve_precision
    init: str | None = None  # "reference" or a checkpoint: a new run from its weights (see finetune.py)
    freeze_encoder_steps: int | None = None  # None: a tenth of the run's steps with init, else 0
    ema_decay: float | None = None  # average the weights (validated, kept, exported); None: off (a resumed run's own)
    focus: list[str] | None = None  # "CLASS:SHARE": symbol-centred crops centre on CLASS this share of the time


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError("--device cuda: no CUDA GPU is visible to PyTorch; use --device cpu or auto")
    return torch.device(device)


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for training, or None for plain fp32.

    ``auto``: bf16 on a CUDA GPU that supports it, and on CPUs with native bf16 (AVX512_BF16 or AMX);
    fp32 elsewhere (on AVX2-only CPUs bf16 is emulated and slower than fp32). ``bf16`` forces it.
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision != "auto":
        raise InvalidInputError(f"--precision {precision}: expected auto, fp32 or bf16")
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if has_fast_bf16() else None


def _sheet_source(config: TrainConfig) -> SheetSource:
    specs = _as_list(config.data)
    if config.synthetic == bool(specs):
        raise InvalidInputError("give exactly one of --data DIR or --synthetic")
    if config.synthetic:
        return SyntheticSheets(config.synthetic_sheets, config.seed)
    return folder_sheets(specs, config.seed)


def folder_sheets(specs: list[str], seed: int) -> SheetSource:
    """The sheets of ``DIR[:WEIGHT]`` dataset folders: one folder as it is, several mixed by weight."""
    folders, weights = zip(*(parse_data_spec(spec) for spec in specs))
    sources = [FolderSheets(f) for f in folders]
    for source in sources[1:]:
        source.dataset.require_classes(sources[0].class_names, f"the training data {folders[0]}")
    return sources[0] if len(sources) == 1 else MixedSheets(list(sources), list(weights), seed)


def parse_data_spec(spec: str) -> tuple[str, float]:
    """``"DIR"`` -> ``(DIR, 1.0)``; ``"DIR:WEIGHT"`` -> ``(DIR, WEIGHT)`` (a positive number).

    >>> parse_data_spec("data/real:2")
    ('data/real', 2.0)
    """
    folder, _, weight = spec.rpartition(":")
    if not folder:
        return spec, 1.0
    try:
        value = float(weight)
    except ValueError:
        return spec, 1.0  # a ':' that is part of the path
    if not value > 0:
        raise InvalidInputError(f"--data {spec}: the weight after ':' must be a positive number")
    return folder, value


def parse_focus(specs: list[str], class_names: tuple[str, ...]) -> tuple[tuple[int, float], ...]:
    """``["crossover:0.3"]`` -> ``((id of crossover, 0.3),)`` (the share after ':' between 0 and 1).

    >>> parse_focus(["crossover:0.3"], ("background", "junction", "crossover"))
    ((2, 0.3),)
    """
    focus = []
    for spec in specs:
        name, _, share = spec.partition(":")
        if name not in class_names[1:]:
            raise InvalidInputError(f"--focus {spec}: {name!r} is not a class of the training data")
        try:
            value = float(share)
        except ValueError:
            value = -1.0
        if not 0 < value <= 1:
            raise InvalidInputError(f"--focus {spec}: expected CLASS:SHARE with a share in (0, 1], e.g. crossover:0.3")
        focus.append((class_names.index(name), value))
    return tuple(focus)


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _lr_lambda(total: int, warmup: float):
    warm = max(1, int(total * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        progress = min(1.0, (step - warm) / max(1, total - warm))
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


class _Run:
    """The state of one training run (model, optimiser, schedule, position, history)."""

    def __init__(self, config: TrainConfig, resume: str | Path | None = None) -> None:
        if resume and config.init:
            raise InvalidInputError(
                "give --init (a new run from trained weights) or --resume (continue a run), not both"
            )
        self.out = Path(config.out)
        self.device = resolve_device(config.device)
        self.autocast = resolve_precision(config.precision, self.device)
        self.source = _sheet_source(config)
        self.class_names = self.source.class_names
        self.vals = {Path(v).name: SegmentationDataset(v) for v in _as_list(config.val)}
        for data in self.vals.values():
            data.require_classes(self.class_names, "the training data")
        start = Path(resume) if resume else resolve_init_checkpoint(config.init) if config.init else None
        state = load_checkpoint(start) if start else None
        self.model_config = start_model_config(_requested_model(config), state, str(start))
        options = dict(self.model_config)
        name = options.pop("name")
        mean, std = model_normalisation(name)
        size = config.input_size or (state["model_info"]["input_size"] if state else MODEL_INPUT_SIZE)
        self.info = ModelInfo(self.class_names, model_name=name, input_size=size, mean=mean, std=std)
        if state is not None:
            options["encoder_weights"] = None  # every weight comes from the checkpoint
        torch.manual_seed(config.seed)
        self.net = SchemsegNet(create_model(name, num_classes=len(self.class_names), **options), self.info)
        self.net = self.net.to(self.device).to(memory_format=torch.channels_last)
        self.steps_per_epoch = steps_per_epoch(len(self.source), config.batch)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.config = config = _resolve_defaults(config, state if resume else None, self.total_steps)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _lr_lambda(self.total_steps, config.warmup))
        self.loss_fn = DiceCELoss(config.ce_weight, config.dice_weight)
        self.step, self.epoch, self.best_miou = 0, 0, -1.0
        self.history: list[dict[str, float]] = []
        self.init: dict[str, object] | None = None
        if state is not None and config.init:
            self.init = init_from_checkpoint(self.net, state, self.class_names, str(start)).to_dict()
        elif state is not None:
            self.restore(state, str(start))
        self.average = WeightAverage(self.net, config.ema_decay) if config.ema_decay else None
        if self.average is not None and state is not None and "trained_model" in state and not config.init:
            self.average.module.load_state_dict(state["model"])  # a run that averaged goes on with its average

    @property
    def scored_net(self) -> SchemsegNet:
        """The weights that are validated, kept in ``best.pt`` and exported: the average when there is one."""
        return self.net if self.average is None else self.average.module  # type: ignore[return-value]

    def state(self) -> dict[str, Any]:
        trained = {} if self.average is None else {"trained_model": self.net.state_dict()}
        return {
            "model": self.scored_net.state_dict(),
            **trained,  # the weights the optimiser moves, where "model" holds their average
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "best_miou": self.best_miou,
            "history": self.history,
            "train_config": asdict(self.config),
            "model_config": self.model_config,
            "model_info": info_dict(self.info),
            "init": self.init,
        }

    def restore(self, state: dict[str, Any], path: str) -> None:
        difference = class_difference(
            tuple(state["model_info"]["class_names"]), self.class_names, "the checkpoint", "the data"
        )
        if difference:
            raise InvalidInputError(
                f"{path}: the checkpoint's classes differ from the training data's ({difference}); "
                f"to start a new run from it with the data's classes use --init {path} instead of --resume"
            )
        self.net.load_state_dict(state.get("trained_model", state["model"]))  # "model" is the average if any
        if "optimizer" in state:  # weights-only checkpoints resume with a fresh AdamW state
            self.optimizer.load_state_dict(state["optimizer"])
        if "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        else:
            with warnings.catch_warnings():  # replaying the schedule is not a skipped optimizer step
                warnings.simplefilter("ignore", UserWarning)
                for _ in range(state["step"]):
                    self.scheduler.step()
        self.step, self.epoch = state["step"], state["epoch"]
        self.best_miou, self.history = state["best_miou"], state["history"]
        self.init = state.get("init")


def _requested_model(config: TrainConfig) -> dict[str, Any] | None:
    """The architecture asked for on the command line, or None to take the checkpoint's."""
    if config.model is None and not config.model_options:
        return None
    return {"name": config.model or "attention_unetpp", **config.model_options}


def _resolve_defaults(config: TrainConfig, resumed: dict[str, Any] | None, total_steps: int) -> TrainConfig:
    """Fill in ``lr``, ``freeze_encoder_steps`` and ``ema_decay``: a resumed run keeps its own, a new one gets the defaults."""
    previous = resumed["train_config"] if resumed else {}
    lr = config.lr if config.lr is not None else previous.get("lr") or (FINETUNE_LR if config.init else SCRATCH_LR)
    freeze = config.freeze_encoder_steps
    if freeze is None:
        budget = min(total_steps, config.max_steps or total_steps)
        freeze = previous.get("freeze_encoder_steps") or (budget // 10 if config.init else 0)
    ema_decay = config.ema_decay if config.ema_decay is not None else previous.get("ema_decay")
    return replace(config, lr=lr, freeze_encoder_steps=freeze, ema_decay=ema_decay)


def train(config: TrainConfig, resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train, validate each epoch, keep ``best.pt`` (by mIoU) and ``last.pt``; return a summary.

    Ctrl-C (SIGINT) or SIGTERM stops after the current step (or after the end of the epoch, if its
    validation is running), saves ``last.pt`` there and raises KeyboardInterrupt, so
    ``resume=out/last.pt`` continues exactly there; a second signal stops at once.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    run = _Run(config, resume)
    config = run.config
    run.out.mkdir(parents=True, exist_ok=True)
    (run.out / "config.json").write_text(json.dumps(asdict(config), indent=2))
    dataset = CropDataset(
        run.source, config.size, config.seed, AugmentConfig(focus=parse_focus(_as_list(config.focus), run.class_names))
    )
    sampler = EpochSampler(len(dataset), config.seed)
    with deferred_interrupts() as check_stop:
        try:
            while run.epoch < config.epochs and not _reached_max(run):
                _train_epoch(run, dataset, sampler, progress, check_stop)
                if _reached_max(run) and run.step % run.steps_per_epoch:
                    break
                _end_epoch(run, progress)
                check_stop()
        except KeyboardInterrupt:
            save_checkpoint(run.out / "last.pt", run.state())
            raise
    save_checkpoint(run.out / "last.pt", run.state())
    summary = {"steps": run.step, "epochs": run.epoch, "best_miou": run.best_miou, "out": str(run.out)}
    return {**summary, "init": run.init} if run.init else summary


def _reached_max(run: _Run) -> bool:
    return run.config.max_steps is not None and run.step >= run.config.max_steps


def _train_epoch(
    run: _Run,
    dataset: CropDataset,
    sampler: EpochSampler,
    progress: bool,
    check_stop: Callable[[], None],
) -> None:
    config = run.config
    offset = run.step - run.epoch * run.steps_per_epoch
    if not 0 <= offset < run.steps_per_epoch:  # resumed with other data or batch size: start the epoch afresh
        offset = 0
    dataset.set_epoch(run.epoch)
    sampler.set_position(run.epoch, offset * config.batch)
    loader = DataLoader(
        dataset,
        batch_size=config.batch,
        sampler=sampler,
        num_workers=config.workers,
        drop_last=True,
        persistent_workers=False,
        pin_memory=run.device.type == "cuda",
    )
    remaining = run.steps_per_epoch - offset
    bar = tqdm(total=remaining, desc=f"epoch {run.epoch + 1}/{config.epochs}", disable=not progress, unit="step")
    run.net.train()
    losses: list[float] = []
    tick = time.perf_counter()
    try:
        for done, (images, masks) in enumerate(loader, start=1):
            loss = _train_step(run, images, masks)
            losses.append(loss)
            run.step += 1
            rate = config.batch / max(1e-9, time.perf_counter() - tick)
            tick = time.perf_counter()
            lr = run.scheduler.get_last_lr()[0]
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", sheets_s=f"{rate:.2f}", lr=f"{lr:.2e}")
            bar.update(1)
            check_stop()
            if _reached_max(run) or done >= remaining:
                break
    finally:
        bar.close()
    run.last_train_loss = float(np.mean(losses)) if losses else float("nan")


def _train_step(run: _Run, images: torch.Tensor, masks: torch.Tensor) -> float:
    set_encoder_frozen(run.net, run.step < (run.config.freeze_encoder_steps or 0))
    images = images.to(run.device, non_blocking=True)
    masks = masks.to(run.device, non_blocking=True)
    with torch.autocast(run.device.type, dtype=run.autocast or torch.float32, enabled=run.autocast is not None):
        logits = run.net.logits(images)
    loss = run.loss_fn(logits, masks)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.net.parameters(), 5.0)
    run.optimizer.step()
    run.scheduler.step()
    if run.average is not None:
        run.average.update(run.net)
    return float(loss.detach())


def _end_epoch(run: _Run, progress: bool) -> None:
    run.epoch += 1
    row: dict[str, float] = {
        "epoch": run.epoch,
        "step": run.step,
        "train_loss": getattr(run, "last_train_loss", float("nan")),
        "lr": run.scheduler.get_last_lr()[0],
    }
    if run.vals:
        row.update(_validate_all(run, progress))
        improved = row["val_miou"] > run.best_miou
        if improved:
            run.best_miou = row["val_miou"]
        run.history.append(row)
        if improved:
            save_checkpoint(run.out / "best.pt", run.state())
    else:
        run.history.append(row)
        save_checkpoint(run.out / "best.pt", run.state())
    save_checkpoint(run.out / "last.pt", run.state())
    write_history(run.out, run.history)


def _validate_all(run: _Run, progress: bool) -> dict[str, float]:
    """Score every validation set; ``val_miou`` is their mean (one set: its mIoU), the others per set."""
    row: dict[str, float] = {}
    for name, data in run.vals.items():
        scores = validate(run.scored_net, data, run.device, limit=run.config.val_limit, progress=progress)
        suffix = "" if len(run.vals) == 1 else f"_{name}"
        row.update({f"val_miou{suffix}": scores.mean_iou, f"val_pixel_accuracy{suffix}": scores.pixel_accuracy})
        (run.out / f"val{suffix}_epoch{run.epoch:03d}.json").write_text(json.dumps(scores.to_dict(), indent=2))
    if len(run.vals) > 1:
        row["val_miou"] = float(np.mean([row[f"val_miou_{name}"] for name in run.vals]))
    return row
