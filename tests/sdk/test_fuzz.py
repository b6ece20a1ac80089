"""Property tests: whatever arrives, `predict` and `schemseg segment` answer with a SchemsegError or a result.

Random bytes, random arrays of odd shapes/dtypes/strides and truncated real drawings: never another
exception, a crash or a hang (each test runs under an alarm; examples are bounded to stay fast).
"""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from schemseg_sdk import SchemsegError, Segmenter
from schemseg_sdk.cli import main

FUZZ = settings(
    max_examples=60, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DTYPES = st.sampled_from(
    [
        "uint8",
        "uint16",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint32",
        "float16",
        "float32",
        "float64",
        "bool",
        "complex64",
        ">u2",
        "<i4",
        "U3",
        "object",
    ]
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=90),
    st.tuples(st.integers(1, 3), st.integers(1, 200)),  # slivers
)


@pytest.fixture(scope="module")
def seg(tiny_model: Path) -> Iterator[Segmenter]:
    with Segmenter(tiny_model, batch_size=3) as segmenter:
        yield segmenter


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    def fail(*_: object) -> None:
        raise TimeoutError("fuzz test hung for 120 s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def real_bytes(ci2n_dir: Path) -> list[bytes]:
    return [(ci2n_dir / name).read_bytes() for name in ("1.png", "10.png", "101.png")]


def predict_or_schemseg_error(seg: Segmenter, source: object) -> None:
    try:
        result = seg.predict(source)  # type: ignore[arg-type]
    except SchemsegError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.mask.ndim == 2 and result.mask.dtype == np.uint8
    assert result.confidence is not None and result.confidence.shape == result.mask.shape


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(seg: Segmenter, data: bytes) -> None:
    predict_or_schemseg_error(seg, data)


@FUZZ
@given(dtype=DTYPES, shape=SHAPES, data=st.data())
def test_random_arrays(seg: Segmenter, dtype: str, shape: tuple[int, ...], data: st.DataObject) -> None:
    array = np.zeros(shape, dtype=dtype)
    if array.size and array.dtype.kind in "uifb":
        array = data.draw(
            hnp.arrays(dtype, shape, elements=None if array.dtype.kind != "f" else st.floats(-2, 2, width=16))
        )
    if array.ndim >= 2 and data.draw(st.booleans()):
        array = array[::-1, ::2]  # negative and non-unit strides
    predict_or_schemseg_error(seg, array)


@FUZZ
@given(index=st.integers(0, 2), cut=st.floats(0.0, 1.0), flip=st.integers(0, 10_000))
def test_truncated_and_damaged_real_drawings(
    seg: Segmenter, real_bytes: list[bytes], index: int, cut: float, flip: int
) -> None:
    data = bytearray(real_bytes[index][: int(len(real_bytes[index]) * cut)])
    if data and flip % 3 == 0:
        data[flip % len(data)] ^= 0xFF
    predict_or_schemseg_error(seg, bytes(data))


def test_other_python_objects(seg: Segmenter) -> None:
    for source in (None, 3.5, [1, 2, 3], {"a": 1}, object()):
        predict_or_schemseg_error(seg, source)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(st.binary(max_size=500), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"])),
    cut=st.floats(0.0, 1.0),
)
def test_cli_never_shows_a_traceback(tiny_model: Path, real_bytes: list[bytes], data: bytes, cut: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "random.png").write_bytes(data)
        (root / "cut.png").write_bytes(real_bytes[1][: int(len(real_bytes[1]) * cut)])
        result = CliRunner().invoke(
            main, ["segment", str(root), "--model", str(tiny_model), "--out", str(root / "out")]
        )
    assert result.exit_code in (0, 1), result.output
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
