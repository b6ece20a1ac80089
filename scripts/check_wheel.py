"""Does the wheel work on its own? Build it, install it into a fresh virtual environment outside the
repository with the runtime dependencies only (no torch), and segment an example sheet there.

    python scripts/check_wheel.py [--keep DIR] [--max-mb 40]

Catches what tests run from the clone cannot: package data left out of the wheel (the bundled model,
the classifier, the gate reports that choose the CPU path, the example sheets, the CI2N label maps), a runtime import of a training-only
package, an entry point that names a moved function. pip reuses the machine's wheel cache, so the
install costs seconds once the dependencies have been downloaded. Exits 1 with the reason on failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHEET = "circuit_bias.png"
# not part of the source: left out of the copy the wheel is built from
TOP_LEVEL_OUTPUTS = {".git", ".venv", "build", "dist", "data", "out", "runs", "engines", "site"}
ANYWHERE = shutil.ignore_patterns("*.egg-info", "__pycache__", ".*_cache")


def _not_source(folder: str, names: list[str]) -> set[str]:
    ignored = set(ANYWHERE(folder, names))
    return ignored | (TOP_LEVEL_OUTPUTS & set(names)) if Path(folder) == ROOT else ignored


def _run(command: list[str], cwd: Path, what: str) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"check_wheel: {what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def _build_wheel(out: Path) -> Path:
    """Build from a clean copy of the working tree: setuptools reuses ``build/``, and a module renamed
    since the last build would otherwise ship twice."""
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=_not_source)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)]
    _run(command, out, "building the wheel")
    wheels = sorted(out.glob("schemseg-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"check_wheel: expected one schemseg wheel in {out}, found {[w.name for w in wheels]}")
    return wheels[0]


def _check_outside(env: Path, work: Path) -> dict[str, object]:
    python = env / "bin" / "python"
    schemseg = env / "bin" / "schemseg"
    probe = (
        "import importlib.util, importlib.resources, schemseg_sdk, schemseg_sdk.cli; "
        "print(schemseg_sdk.__file__); print(importlib.util.find_spec('torch') is not None); "
        "print(importlib.resources.files('schemseg_training').joinpath('data/maps/ci2n.json').is_file())"
    )
    location, has_torch, has_maps = _run([str(python), "-c", probe], work, "importing the SDK").split()
    if not location.startswith(str(env)):
        raise SystemExit(f"check_wheel: schemseg_sdk was imported from {location}, not from the new environment")
    if has_maps != "True":
        raise SystemExit("check_wheel: the bundled LabelMe maps (schemseg_training/data/maps) are not in the wheel")
    if has_torch != "False":
        raise SystemExit("check_wheel: torch is installed in the runtime-only environment")
    examples = Path(
        _run(
            [
                str(python),
                "-c",
                "import schemseg_sdk, pathlib; print(pathlib.Path(schemseg_sdk.__file__).parent / 'examples')",
            ],
            work,
            "finding examples",
        )
    )
    shipped = {p.name for p in (Path(str(examples).strip()).parent / "models").glob("*.gate.json")}
    source = {p.name for p in (ROOT / "sdk" / "schemseg_sdk" / "models").glob("*.gate.json")}
    if source - shipped:
        raise SystemExit(
            f"check_wheel: gate reports {sorted(source - shipped)} are not in the wheel (Segmenter() reads them)"
        )
    sheet = Path(str(examples).strip()) / SHEET
    _run([str(schemseg), "segment", str(sheet), "--out", "out", "--json", "--overlay"], work, "schemseg segment")
    result = json.loads((work / "out" / f"{Path(SHEET).stem}.json").read_text())
    if not result.get("symbols"):
        raise SystemExit(f"check_wheel: schemseg segment found no symbols on {SHEET}")
    if not (work / "out" / f"{Path(SHEET).stem}.overlay.png").is_file():
        raise SystemExit("check_wheel: schemseg segment wrote no overlay")
    listed = _run([str(schemseg), "--help"], work, "schemseg --help")
    if "train" not in listed.split():
        raise SystemExit("check_wheel: the training commands are not listed by the installed schemseg")
    return {"symbols": len(result["symbols"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it (default: a temporary folder)")
    parser.add_argument("--max-mb", type=float, default=40.0, help="fail when the wheel is larger [default: 40]")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="schemseg-wheel-"))
    work.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    try:
        start = time.perf_counter()
        wheel = _build_wheel(work)
        times["build_s"] = time.perf_counter() - start
        size_mb = wheel.stat().st_size / 2**20
        if size_mb > args.max_mb:
            raise SystemExit(f"check_wheel: {wheel.name} is {size_mb:.1f} MiB, over the {args.max_mb} MiB limit")
        start = time.perf_counter()
        env = work / "env"
        venv.EnvBuilder(with_pip=True).create(env)
        _run(
            [str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
            work,
            "installing the wheel",
        )
        times["install_s"] = time.perf_counter() - start
        start = time.perf_counter()
        found = _check_outside(env, work)
        times["segment_s"] = time.perf_counter() - start
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    timing = ", ".join(f"{k} {v:.1f}" for k, v in times.items())
    print(
        f"check_wheel: ok: {wheel.name} {size_mb:.1f} MiB, runtime-only install, "
        f"{found['symbols']} symbols on {SHEET}; {timing}"
    )


if __name__ == "__main__":
    main()
