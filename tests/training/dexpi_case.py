"""A DEXPI test case folder as the examples hold them: a Proteus XML and its rendering side by side."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_case(root: Path, proteus: str, rendering: np.ndarray) -> Path:
    """``root/C09 test sheet/`` with ``C09V01-TST.EX01.xml`` and ``.png``; the folder."""
    src = root / "C09 test sheet"
    src.mkdir()
    (src / "C09V01-TST.EX01.xml").write_text(proteus, encoding="utf-8")
    cv2.imwrite(str(src / "C09V01-TST.EX01.png"), rendering)
    return src
