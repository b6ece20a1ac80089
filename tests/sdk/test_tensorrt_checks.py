"""Pure logic of the TensorRT backend (no TensorRT, no GPU): sidecar checks, sizes, chunks, schedule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from schemseg_sdk.backends.engine_checks import (
    Chunk,
    DoubleBufferSchedule,
    RuntimeSystem,
    TensorDesc,
    check_compatibility,
    check_engine_io,
    find_mismatches,
    parse_version,
    plan_buffers,
    plan_chunks,
    rebuild_command,
    schedule_for,
    tensorrt_version_ok,
)
from schemseg_sdk.classes import CLASS_NAMES
from schemseg_sdk.engine.sidecar import EngineSidecar, read_sidecar, write_sidecar
from schemseg_sdk.errors import EngineLoadError, InvalidInputError

HERE = RuntimeSystem(tensorrt_version="10.3.0.26", gpu_name="NVIDIA GeForce RTX 3060", compute_capability="8.6")


def make_sidecar(**changes: object) -> EngineSidecar:
    sidecar = EngineSidecar(
        schemseg_version="0.1.0",
        tensorrt_version="10.3.0.26",
        gpu_name="NVIDIA GeForce RTX 3060",
        compute_capability="8.6",
        precision="fp16",
        batch_min=1,
        batch_opt=4,
        batch_max=8,
        input_size=608,
        class_names=CLASS_NAMES,
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
        onnx_sha256="0" * 64,
        source_onnx="models/unetpp.onnx",
    )
    return replace(sidecar, **changes)  # type: ignore[arg-type]


@pytest.fixture()
def bundle(tmp_path: Path) -> Path:
    """A real engine file and sidecar on disk (the engine bytes are not a plan; only the sidecar is read)."""
    engine = tmp_path / "engines" / "unetpp.fp16.engine"
    engine.parent.mkdir()
    engine.write_bytes(b"not a real plan")
    write_sidecar(engine, make_sidecar())
    return engine


def test_sidecar_written_on_this_system_passes(bundle: Path) -> None:
    sidecar = read_sidecar(bundle)
    assert find_mismatches(sidecar, HERE) == []
    check_compatibility(bundle, sidecar, HERE)


def test_mismatch_error_names_every_difference_and_the_rebuild_command(bundle: Path) -> None:
    sidecar = read_sidecar(bundle)
    other = RuntimeSystem(tensorrt_version="10.4.0.26", gpu_name="NVIDIA RTX A4000", compute_capability="8.6")
    with pytest.raises(EngineLoadError) as err:
        check_compatibility(bundle, sidecar, other)
    folder = bundle.parent
    assert str(err.value) == (
        f"{bundle}: engine was built for another system: TensorRT 10.3.0.26 (engine) vs 10.4.0.26 (here); "
        "GPU 'NVIDIA GeForce RTX 3060' (engine) vs 'NVIDIA RTX A4000' (here). "
        f"Rebuild it here with: schemseg-build-engine models/unetpp.onnx --fp16 --batch 1:4:8 --out {folder} "
        "(or load it with rebuild_from='models/unetpp.onnx')"
    )


def test_compute_capability_mismatch_is_reported() -> None:
    mismatches = find_mismatches(make_sidecar(), replace(HERE, compute_capability="8.9"))
    assert mismatches == ["compute capability 8.6 (engine) vs 8.9 (here)"]


def test_gpu_name_compare_ignores_case_and_outer_spaces() -> None:
    assert find_mismatches(make_sidecar(gpu_name=" nvidia geforce rtx 3060 "), HERE) == []


@pytest.mark.parametrize(
    ("built", "running", "compatible", "ok"),
    [
        ("10.3.0.26", "10.3.0.26", False, True),
        ("10.3.0.26", "10.3.0.27", False, False),
        ("10.3.0", "10.4.0", True, True),
        ("10.3.0", "11.0.0", True, True),
        ("10.4.0", "10.3.0", True, False),
    ],
)
def test_tensorrt_version_rule(built: str, running: str, compatible: bool, ok: bool) -> None:
    assert tensorrt_version_ok(built, running, compatible) is ok


def test_version_compatible_plan_says_so_when_runtime_is_older() -> None:
    sidecar = make_sidecar(tensorrt_version="10.8.0", version_compatible=True)
    assert find_mismatches(sidecar, replace(HERE, tensorrt_version="10.3.0.26")) == [
        "TensorRT 10.8.0 or newer (version-compatible plan) (engine) vs 10.3.0.26 (here)"
    ]


def test_parse_version_stops_at_suffix() -> None:
    assert parse_version("10.3.0.26") == (10, 3, 0, 26)
    assert parse_version("11.0.0b1") == (11, 0)


def test_rebuild_command_quotes_paths_and_has_a_placeholder_without_source() -> None:
    sidecar = make_sidecar(source_onnx="my models/u net.onnx", precision="int8", batch_min=2, batch_opt=2, batch_max=4)
    assert rebuild_command(sidecar, "plant engines/u.int8.engine") == (
        "schemseg-build-engine 'my models/u net.onnx' --int8 --batch 2:2:4 --out 'plant engines'"
    )
    assert rebuild_command(make_sidecar(source_onnx=""), "x.fp16.engine").startswith("schemseg-build-engine MODEL.onnx")


def schemseg_tensors(size: int = 608, profile: tuple[int, int, int] = (1, 4, 8)) -> list[TensorDesc]:
    shapes = tuple((b, size, size, 3) for b in profile)
    return [
        TensorDesc("image", True, "uint8", (-1, size, size, 3), shapes),  # type: ignore[arg-type]
        TensorDesc("class_ids", False, "uint8", (-1, size, size)),
        TensorDesc("confidence", False, "float32", (-1, size, size)),
    ]


def test_engine_with_the_schemseg_contract_passes() -> None:
    check_engine_io(schemseg_tensors(), make_sidecar(), "e.engine")
    extra = [*schemseg_tensors(), TensorDesc("logits", False, "float32", (-1, 41, 608, 608))]
    check_engine_io(extra, make_sidecar(), "e.engine")


def test_engine_with_wrong_output_dtype_is_refused() -> None:
    tensors = schemseg_tensors()
    tensors[2] = TensorDesc("confidence", False, "float16", (-1, 608, 608))
    with pytest.raises(EngineLoadError) as err:
        check_engine_io(tensors, make_sidecar(), "e.engine")
    assert str(err.value) == (
        "e.engine: tensor 'confidence' is output float16 (-1, 608, 608); expected output float32 (-1, 608, 608). "
        "Build engines with 'schemseg-build-engine' from a schemseg ONNX export"
    )


def test_engine_missing_an_output_or_with_another_input_size_is_refused() -> None:
    with pytest.raises(EngineLoadError, match="tensor 'class_ids' is missing"):
        check_engine_io(schemseg_tensors()[::2], make_sidecar(), "e.engine")
    with pytest.raises(EngineLoadError, match=r"tensor 'image' is input uint8 \(-1, 64, 64, 3\)"):
        check_engine_io(schemseg_tensors(size=64), make_sidecar(), "e.engine")


def test_engine_profile_must_match_its_sidecar() -> None:
    with pytest.raises(EngineLoadError) as err:
        check_engine_io(schemseg_tensors(profile=(1, 8, 16)), make_sidecar(), "e.engine")
    assert str(err.value).startswith(
        "e.engine: engine batch profile (1, 8, 16) does not match its sidecar (1, 4, 8); the sidecar belongs to "
        "another engine, rebuild with: schemseg-build-engine"
    )


def test_buffers_for_a_608_sheet_are_about_1_1_mb_in_and_1_8_mb_out() -> None:
    sizes = plan_buffers(schemseg_tensors(), max_batch=1)
    assert sizes == {"image": 608 * 608 * 3, "class_ids": 608 * 608, "confidence": 608 * 608 * 4}
    assert round(sizes["image"] / 1e6, 1) == 1.1
    assert round((sizes["class_ids"] + sizes["confidence"]) / 1e6, 1) == 1.8
    assert plan_buffers(schemseg_tensors(), max_batch=8)["confidence"] == 8 * 608 * 608 * 4


def test_buffer_plan_refuses_a_second_dynamic_dimension() -> None:
    with pytest.raises(EngineLoadError, match="dynamic dimension besides the batch"):
        plan_buffers([TensorDesc("x", False, "float32", (-1, -1, 608))], max_batch=4)


def test_chunks_split_at_the_profile_max_and_pad_to_its_min() -> None:
    assert plan_chunks(3, 1, 8) == [Chunk(0, 3, 3)]
    assert plan_chunks(10, 2, 4) == [Chunk(0, 4, 4), Chunk(4, 8, 4), Chunk(8, 10, 2)]
    assert plan_chunks(1, 4, 8) == [Chunk(0, 1, 4)]
    assert [c.size for c in plan_chunks(9, 4, 4)] == [4, 4, 1]
    with pytest.raises(InvalidInputError, match="cannot plan 0 images over a batch profile 1..8"):
        plan_chunks(0, 1, 8)


def test_schedule_for_one_batch_is_the_plain_sequence() -> None:
    assert [(op.kind, op.stream) for op in schedule_for(1)] == [
        ("prepare", "host"),
        ("h2d", "copy"),
        ("compute", "compute"),
        ("d2h", "copy"),
        ("collect", "host"),
    ]


def test_schedule_overlaps_next_input_copy_with_previous_compute() -> None:
    ops = [(op.kind, op.batch, op.slot) for op in schedule_for(3)]
    assert ops == [
        ("prepare", 0, 0), ("h2d", 0, 0), ("compute", 0, 0),
        ("prepare", 1, 1), ("h2d", 1, 1), ("compute", 1, 1), ("d2h", 0, 0), ("collect", 0, 0),
        ("prepare", 2, 0), ("h2d", 2, 0), ("compute", 2, 0), ("d2h", 1, 1), ("collect", 1, 1),
        ("d2h", 2, 0), ("collect", 2, 0),
    ]  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_schedule_invariants(n: int) -> None:
    ops = schedule_for(n)
    position = {(op.kind, op.batch): i for i, op in enumerate(ops)}
    for k in range(n):
        order = [position[(kind, k)] for kind in ("prepare", "h2d", "compute", "d2h", "collect")]
        assert order == sorted(order)  # every batch goes through the stages in order
        if k + 1 < n:
            # the input copy of k+1 is queued on the copy stream before the output copy of k
            assert position[("h2d", k + 1)] < position[("d2h", k)]
            assert position[("compute", k)] < position[("compute", k + 1)]
        if k >= 2:  # a slot is refilled only after its previous batch was collected
            assert position[("collect", k - 2)] < position[("prepare", k)]
    assert [op.batch for op in ops if op.kind == "collect"] == list(range(n))
    assert {op.slot for op in ops} == ({0, 1} if n > 1 else {0})


def test_schedule_issued_step_by_step_matches_the_whole_schedule() -> None:
    schedule = DoubleBufferSchedule()
    steps = [schedule.add_batch() for _ in range(4)] + [schedule.finish()]
    assert [op for step in steps for op in step] == schedule_for(4)
    assert schedule.finish() == []
    with pytest.raises(InvalidInputError, match="at least 2 buffer sets"):
        DoubleBufferSchedule(slots=1)
