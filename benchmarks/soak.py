"""Memory soak: COUNT predictions on the ONNX Runtime backend, resident memory (RSS) sampled.

Usage: python benchmarks/soak.py [--model M] [--count 10000] [--threads 2] [--sheets FILE_OR_DIR...]
                                 [--warmup N] [--samples 200] [--out FILE.json]

One Segmenter predicts the sheets in turn (default: the SDK's example sheets, single-tile and tiled)
COUNT times, as ``schemseg segment`` does, and the results are dropped. Growth is the median RSS of
the last tenth of the samples against the median of the first tenth after the warm-up (default: the
first 5% of predictions); the soak passes below 5%. The JSON (with every sample) goes to
benchmarks/results/ by default, with a PNG of RSS vs predictions where matplotlib is installed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from schemseg_sdk import Segmenter
from schemseg_sdk.archive import collect_images
from schemseg_sdk.bench.machine import PeakMemory, machine_info, machine_slug
from schemseg_sdk.fileio import atomic_output, atomic_write_text
from schemseg_sdk.imageio import read_image
from schemseg_sdk.segmenter import DEFAULT_MODEL

EXAMPLES = Path(__file__).resolve().parents[1] / "sdk/schemseg_sdk/examples"
LIMIT_PCT = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sheets", type=Path, nargs="+", default=[EXAMPLES])
    parser.add_argument("--warmup", type=int, default=None, help="predictions before the baseline [default: 5%%]")
    parser.add_argument("--samples", type=int, default=200, help="RSS samples after the warm-up")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else max(1, args.count // 20)
    sheets = [read_image(path) for path in collect_images(args.sheets)]
    memory = PeakMemory()
    if memory.current_mib() is None:
        sys.exit("soak.py reads the RSS from /proc/self/status: Linux only")
    start = time.perf_counter()
    samples = soak(args.model, sheets, args.count, args.threads, warmup, args.samples, memory)
    result = summarise(samples, warmup)
    result.update(
        {
            "schema": "schemseg.soak/1",
            "model": str(args.model),
            "count": args.count,
            "threads": args.threads,
            "warmup": warmup,
            "sheets": [f"{s.shape[1]}x{s.shape[0]}" for s in sheets],
            "seconds": round(time.perf_counter() - start, 1),
            "command": " ".join(sys.argv),
            "machine": machine_info(),
            "samples": samples,
        }
    )
    slug = machine_slug(result["machine"])  # type: ignore[arg-type]
    out = args.out or Path(
        f"benchmarks/results/soak-{args.model.stem}-{args.count}-{slug}-{time.strftime('%Y-%m-%d')}.json"
    )
    atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    plotted = plot(result, out.with_suffix(".png"))
    print(
        f"{args.count} predictions in {result['seconds']} s: RSS {result['rss_mib']['baseline']} -> "
        f"{result['rss_mib']['final']} MiB after warm-up ({result['growth_pct']:+.2f}%, limit {LIMIT_PCT}%): "
        f"{'passed' if result['passed'] else 'FAILED'}"
    )
    print(f"wrote {out}" + (f" and {out.with_suffix('.png')}" if plotted else ""))
    sys.exit(0 if result["passed"] else 1)


def soak(
    model: Path, sheets: list, count: int, threads: int, warmup: int, samples: int, memory: PeakMemory
) -> list[list[float]]:
    """Run ``count`` predictions; return ``[prediction number, RSS MiB]`` pairs (the first before any)."""
    every = max(1, (count - warmup) // max(1, samples))
    taken = [[0, memory.current_mib()]]
    start = time.perf_counter()
    with Segmenter(model, device="cpu", threads=threads) as segmenter:
        for i in range(1, count + 1):
            segmenter.predict(sheets[i % len(sheets)])
            if i == warmup or (i > warmup and (i - warmup) % every == 0) or i == count:
                taken.append([i, memory.current_mib()])
            if i % max(1, count // 20) == 0:
                print(
                    f"{i}/{count} predictions, {time.perf_counter() - start:.0f} s, RSS {taken[-1][1]} MiB", flush=True
                )
    return taken  # type: ignore[return-value]


def summarise(samples: list[list[float]], warmup: int) -> dict[str, object]:
    """Growth of the RSS after the warm-up, in percent (medians of the first and last tenth of samples)."""
    after = [rss for i, rss in samples if i >= warmup]
    tenth = max(1, len(after) // 10)
    baseline, final = statistics.median(after[:tenth]), statistics.median(after[-tenth:])
    growth = (final - baseline) / baseline * 100.0
    return {
        "rss_mib": {
            "start": samples[0][1],
            "baseline": round(baseline, 1),
            "final": round(final, 1),
            "max": max(rss for _, rss in samples),
        },
        "growth_pct": round(growth, 3),
        "limit_pct": LIMIT_PCT,
        "passed": growth < LIMIT_PCT,
    }


def plot(result: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 3.5))
    xs, ys = zip(*result["samples"])
    ax.plot(xs, ys, marker=".", linewidth=1)
    ax.axvline(result["warmup"], color="grey", linestyle=":", label="end of warm-up")
    ax.set(
        xlabel="predictions",
        ylabel="RSS (MiB)",
        title=f"{Path(result['model']).name}: "
        f"{result['count']} predictions, growth {result['growth_pct']:+.2f}% after warm-up",
    )
    ax.legend()
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return True


if __name__ == "__main__":
    main()
