"""Does `schemseg eval-netlist` give the official CI2N scorer's GED? Golden files and perturbed netlists.

Usage: python benchmarks/ci2n_scorer_agreement.py --venv /work/data/graph/scorer-venv
           [--data /work/shared/data/ci2n-netlist] [--work /work/data/graph/agreement] [--count 20]
           [--timeout 10] [--out benchmarks/results/ci2n_scorer_agreement.json]

Makes ``--count`` perturbed netlists from golden ones (seeded: dropped or added components, merged or
split nets, swapped ports, changed types, and renamed nets or reordered components, which must stay
exact), scores them and the golden files against the golden files with schemseg's scorer, then runs
the official code (``calc_ged.process_one_task`` per sheet, see ci2n_official_driver.py) with the
Python of ``--venv``, and writes both GEDs per sheet side by side.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from schemseg_sdk.bench.machine import machine_info
from schemseg_sdk.fileio import atomic_write_text
from schemseg_sdk.graph.netlist_score import score_dirs


def _nets(netlist: dict) -> list[str]:
    return sorted({n for c in netlist["ckt_netlist"] for n in c["port_connection"].values()})


def _perturb(netlist: dict, kind: str, rng: random.Random) -> dict:
    out = copy.deepcopy(netlist)
    comps = out["ckt_netlist"]
    nets = _nets(out)
    if kind == "drop_component":
        comps.pop(rng.randrange(len(comps)))
    elif kind == "add_resistor":
        comps.append({"component_type": "Res", "port_connection": {"Pos": rng.choice(nets), "Neg": rng.choice(nets)}})
    elif kind == "merge_nets" and len(nets) > 1:
        a, b = rng.sample(nets, 2)
        for c in comps:
            c["port_connection"] = {p: (a if n == b else n) for p, n in c["port_connection"].items()}
    elif kind == "split_net":
        c = rng.choice(comps)
        port = rng.choice(sorted(c["port_connection"]))
        c["port_connection"][port] = "split_net_new"
    elif kind == "swap_ports":
        c = rng.choice(comps)
        ports = sorted(c["port_connection"])
        if len(ports) > 1:
            p, q = rng.sample(ports, 2)
            c["port_connection"][p], c["port_connection"][q] = c["port_connection"][q], c["port_connection"][p]
    elif kind == "change_type":
        c = rng.choice(comps)
        swap = {"NMOS": "PMOS", "PMOS": "NMOS", "NPN": "PNP", "PNP": "NPN", "Res": "Cap", "Cap": "Res"}
        c["component_type"] = swap.get(
            c["component_type"], "Res" if "Pos" in c["port_connection"] else c["component_type"]
        )
    elif kind == "rename_nets":
        names = {n: f"n{i}" for i, n in enumerate(rng.sample(nets, len(nets)))}
        for c in comps:
            c["port_connection"] = {p: names[n] for p, n in c["port_connection"].items()}
    elif kind == "reorder":
        rng.shuffle(comps)
    return out


KINDS = (
    "drop_component",
    "add_resistor",
    "merge_nets",
    "split_net",
    "swap_ports",
    "change_type",
    "rename_nets",
    "reorder",
)


def make_perturbed(gold_dir: Path, work: Path, count: int, seed: int = 0) -> dict[str, list[str]]:
    rng = random.Random(seed)
    pred_dir, pert_gold = work / "perturbed" / "pred", work / "perturbed" / "gold"
    for d in (pred_dir, pert_gold):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    made = {}
    for i, gold in enumerate(rng.sample(sorted(gold_dir.glob("*.json")), count)):
        netlist = json.loads(gold.read_text())
        kinds = [KINDS[i % len(KINDS)]] + rng.sample(KINDS[:6], i % 3)
        pred = netlist
        for kind in kinds:
            pred = _perturb(pred, kind, rng)
        name = f"p{i:02d}_{gold.stem}"
        (pred_dir / f"{name}.json").write_text(json.dumps(pred, indent=1))
        shutil.copy(gold, pert_gold / f"{name}.json")
        made[name] = kinds
    return made


def official(venv: Path, scorer: Path, pred: Path, gold: Path, timeout: float, cwd: Path) -> dict:
    driver = Path(__file__).with_name("ci2n_official_driver.py").resolve()
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(driver), str(scorer), str(pred), str(gold), str(timeout)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/ci2n-netlist"))
    parser.add_argument("--work", type=Path, default=Path("/work/data/graph/agreement"))
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ci2n_scorer_agreement.json"))
    args = parser.parse_args()
    gold = args.data / "golden"
    made = make_perturbed(gold, args.work, args.count)
    rows = {}
    for label, pred_dir, gold_dir in (
        ("golden", gold, gold),
        ("perturbed", args.work / "perturbed" / "pred", args.work / "perturbed" / "gold"),
    ):
        start = time.perf_counter()
        ours = score_dirs(pred_dir, gold_dir, timeout=args.timeout)
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        theirs = official(args.venv, args.data, pred_dir, gold_dir, args.timeout, args.work / "official-cwd")
        theirs_s = time.perf_counter() - start
        sheets = [
            {
                "name": s.name,
                "ours": s.ged,
                "official": theirs.get(s.name),
                "timed_out": s.timed_out,
                "perturbations": made.get(s.name),
            }
            for s in ours.sheets
        ]
        agree = sum(r["ours"] == r["official"] for r in sheets)
        rows[label] = {
            "sheets": len(sheets),
            "agree": agree,
            "ours_seconds": round(ours_s, 1),
            "official_seconds": round(theirs_s, 1),
            "per_sheet": sheets,
        }
        print(f"{label}: {agree}/{len(sheets)} GEDs equal (ours {ours_s:.1f} s, official {theirs_s:.1f} s)")
        for r in sheets:
            if r["ours"] != r["official"] or label == "perturbed":
                print(f"  {r['name']}: ours {r['ours']} official {r['official']} {r['perturbations'] or ''}")
    result = {"command": " ".join(sys.argv), "timeout_s": args.timeout, "machine": machine_info(), **rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
