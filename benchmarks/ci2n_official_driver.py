"""Run the official CI2N scorer's own code on folders of netlists, one sheet after another.

Run by benchmarks/ci2n_scorer_agreement.py with the Python of a side virtualenv that has the official
scorer's imports (torch, dgl, networkx, loguru, pydantic, fire, matplotlib). DGL 2.1.0 (the newest on PyPI) has no build of its graphbolt sampling library for
torch 2.14.1 and fails on import, so the driver puts an empty stand-in for ``dgl.graphbolt`` in
``sys.modules`` first; the scorer uses ``dgl.heterograph`` and ``to_networkx`` only. It calls
``calc_ged.process_one_task`` (the function ``calc_ged.main`` maps over a pool of one process per
sheet) for every golden file, in this process, and prints {name: ged} as JSON.

Usage: python ci2n_official_driver.py SCORER_DIR PRED_DIR GOLD_DIR TIMEOUT
"""

import json
import sys
import types
from pathlib import Path

scorer_dir, pred_dir, gold_dir, timeout = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, str(scorer_dir))


class _NoGraphbolt(types.ModuleType):
    """dgl.graphbolt (DGL's sampling library, which the scorer never uses) ships no build for this torch."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {})


sys.modules["dgl.graphbolt"] = _NoGraphbolt("dgl.graphbolt")
import calc_ged  # noqa: E402  (after the graphbolt stand-in above)
from loguru import logger  # noqa: E402  (after the graphbolt stand-in above)

logger.remove()  # the official ged() logs every step to stderr; the values are what is compared
import utils_ged  # noqa: E402  (after the graphbolt stand-in above)

utils_ged._init_logger = lambda start, verbose=True: utils_ged.FakeLogger()
results = {}
for gold in sorted(gold_dir.glob("*.json")):
    name, ged = calc_ged.process_one_task(gold.name, pred_dir, gold_dir, Path("output"), timeout=timeout)
    results[name] = ged if ged != float("inf") else None
print(json.dumps(results))
