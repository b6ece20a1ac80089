"""Seconds per training step (forward + backward + AdamW) for the settings that matter on a CPU.

One factor at a time from a base setting, all in one run so the ratios are comparable:

    .venv/bin/python benchmarks/train_throughput.py --data data/synth-train --data data/ci2n-train \
        --steps 6 --threads 2

Writes ``benchmarks/results/train-throughput-<machine>-<date>.json``: per setting the median,
min and max seconds per step, and the CPU's bf16 support (bf16 is only measured where asked:
on CPUs without AVX512_BF16/AMX it is emulated).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from schemseg_sdk.bench.machine import machine_info, machine_slug
from schemseg_sdk.cpu import cpu_flags, has_fast_bf16
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.model_info import ModelInfo
from schemseg_training.losses import DiceCELoss
from schemseg_training.model import SchemsegNet, create_model, model_normalisation
from schemseg_training.train import folder_sheets
from schemseg_training.train_data import CropDataset, EpochSampler

SLIM = (128, 64, 32, 16, 16)
WIDE = (256, 128, 64, 32, 16)


@dataclass(frozen=True)
class Setting:
    name: str
    model: str = "attention_unetpp_lite0"
    decoder: tuple[int, ...] = SLIM
    bf16: bool = False
    channels_last: bool = True
    workers: int = 1
    crop: int = 192
    batch: int = 8


def settings(with_bf16: bool) -> list[Setting]:
    base = Setting("base: lite0, decoder 128-16, fp32, channels_last, 1 worker, crop 192")
    rows = [
        base,
        replace(base, name="decoder 256-16", decoder=WIDE),
        replace(base, name="B0 from scratch, decoder 256-16", model="attention_unetpp", decoder=WIDE),
        replace(base, name="channels_first", channels_last=False),
        replace(base, name="0 workers", workers=0),
        replace(base, name="2 workers", workers=2),
        replace(base, name="crop 256 (1.78x the pixels)", crop=256),
    ]
    if with_bf16:
        rows.insert(1, replace(base, name="bf16 autocast", bf16=True))
    return rows


def measure(setting: Setting, data: list[str], steps: int, warmup: int) -> list[float]:
    torch.manual_seed(0)
    mean, std = model_normalisation(setting.model)
    core = create_model(setting.model, encoder_weights=None, decoder_channels=setting.decoder)
    net = SchemsegNet(core, ModelInfo(mean=mean, std=std))
    if setting.channels_last:
        net = net.to(memory_format=torch.channels_last)
    net.train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    loss_fn = DiceCELoss()
    dataset = CropDataset(folder_sheets(data, seed=0), setting.crop, seed=0)
    loader = DataLoader(
        dataset,
        batch_size=setting.batch,
        sampler=EpochSampler(len(dataset), 0),
        num_workers=setting.workers,
        drop_last=True,
    )
    times: list[float] = []
    tick = time.perf_counter()
    for step, (images, masks) in enumerate(loader):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=setting.bf16):
            logits = net.logits(images)
        loss = loss_fn(logits, masks)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        now = time.perf_counter()
        if step >= warmup:
            times.append(now - tick)
        tick = now
        if len(times) >= steps:
            break
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="DIR[:WEIGHT], repeatable")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--bf16",
        choices=["auto", "yes", "no"],
        default="auto",
        help="measure bf16 autocast: auto = only where the CPU has native bf16",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with_bf16 = args.bf16 == "yes" or (args.bf16 == "auto" and has_fast_bf16())
    rows = []
    for setting in settings(with_bf16):
        times = measure(setting, args.data, args.steps, args.warmup)
        row = {
            **asdict(setting),
            "s_per_step_median": statistics.median(times),
            "min": min(times),
            "max": max(times),
            "steps": len(times),
        }
        rows.append(row)
        print(
            f"{setting.name:<60} {row['s_per_step_median']:.3f} s/step (min {row['min']:.3f}, max {row['max']:.3f})",
            flush=True,
        )
    info = machine_info()
    flags = cpu_flags()
    payload = {
        "machine": info,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "data": args.data,
        "cpu_bf16_native": has_fast_bf16(flags),
        "cpu_flags": sorted(f for f in flags if "avx" in f or "amx" in f),
        "bf16_measured": with_bf16,
        "settings": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"train-throughput-{machine_slug(info)}-{datetime.date.today().isoformat()}.json"
    atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
