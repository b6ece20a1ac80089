"""Writing a dataset folder all at once: built beside ``out`` and renamed onto it when complete."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemseg_sdk.errors import DatasetError

__all__ = ["building_dataset"]


@contextmanager
def building_dataset(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success it becomes ``out_dir``, else it is removed.

    An interrupted or failed import thus leaves nothing behind.

    Raises:
        DatasetError: ``out_dir`` exists and is not an empty folder.
    """
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise DatasetError(f"{out_dir}: already exists and is not empty; choose a new --out folder or delete it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield work
        if out_dir.exists():
            out_dir.rmdir()
        work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
