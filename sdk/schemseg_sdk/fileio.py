"""File helpers: atomic writing (a reader never sees a half-written output), hashing, reading JSON objects."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import SchemsegError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_output",
    "remove_stale_temporaries",
    "sha256_file",
    "read_json_object",
]

# atomic_output's temporary names: ".NAME." + mkstemp's 8 random characters + ".tmp" + NAME's suffix
_TEMPORARY_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\.[^.]*)?$")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    On error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files others may read
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as fh:
            _write_and_sync(fh, data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file and a rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that interrupted :func:`atomic_output` writes left in ``folder``.

    A process killed with SIGKILL cannot remove its temporary file; the target itself is never
    half-written. Call this only when no other process writes into ``folder``. Returns what was removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = [path for path in folder.glob(".*.tmp*") if _TEMPORARY_NAME.match(path.name) and path.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _write_and_sync(fh: IO[bytes], data: bytes) -> None:
    fh.write(data)
    fh.flush()
    os.fsync(fh.fileno())


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json_object(
    path: str | os.PathLike[str], what: str, error: type[SchemsegError], expected: str = "a JSON object"
) -> dict[str, Any]:
    """The JSON object in the UTF-8 file ``path``; ``what`` names the file in the errors (``"graph file"``).

    Raises:
        SchemsegError: ``error``, the caller's subclass, naming ``path``: no such file, unreadable
            (not UTF-8 JSON), or JSON that is not an object (``expected`` says what should be there).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        raise error(f"{path}: unreadable {what} ({exc})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: holds a {type(data).__name__}, expected {expected}")
    return data
