"""Shared fixtures: a tiny real ONNX model, and the real drawings in ../shared (when present)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CI2N_DIR = REPO.parent / "shared" / "data" / "ci2n-dev"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ONNX model with the schemseg contract and a 64x64 input."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny.onnx", input_size=64)


@pytest.fixture(scope="session")
def ci2n_dir() -> Path:
    """The real circuit drawings (evaluation only); tests that need them skip where absent."""
    if not CI2N_DIR.is_dir():
        pytest.skip(f"real drawings not found at {CI2N_DIR}")
    return CI2N_DIR
