"""No import circles in the packages, lazy (function-level) imports included.

A circle such as evaluate -> segmenter -> TensorRT backend -> engine build -> gate -> evaluate works
only as long as every link but one stays lazy; this test keeps the layers apart for good.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (ROOT / "sdk" / "schemseg_sdk", ROOT / "training" / "schemseg_training")


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imports(name: str, path: Path, is_package: bool, modules: dict[str, tuple[Path, bool]]) -> set[str]:
    """Modules of the same package that ``name`` imports anywhere (``if TYPE_CHECKING`` included)."""
    base = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            parent = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join(parent + ([node.module] if node.module else []))
            children = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in modules]
            found.update(children if len(children) == len(node.names) else [target, *children])
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_import_circles(package: Path) -> None:
    modules = _modules(package)
    graph = {name: _imports(name, path, is_package, modules) for name, (path, is_package) in modules.items()}
    assert _find_cycle(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


CLI_MODULES = (
    "schemseg_training.cli",
    "schemseg_training.cli_classifier",
    "schemseg_training.cli_data",
    "schemseg_training.cli_synth",
    "schemseg_training.cli_train",
    "schemseg_sdk.cli",
    "schemseg_sdk.cli.segment",
)


def test_command_modules_import_first() -> None:
    """Across the two packages: every command module imports on its own, in a fresh interpreter.

    The static test above looks at one package at a time; the training commands import
    ``schemseg_sdk.cli``, whose group adds the training commands back (through an entry point).
    """
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('schemseg')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "    print(name, 'ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *CLI_MODULES], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [word for name in CLI_MODULES for word in (name, "ok")]


def test_training_uses_only_public_sdk_modules() -> None:
    """The training package imports no private (``_``) SDK module or name: what it needs is public API."""
    private = []
    for path in PACKAGES[1].rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("schemseg_sdk"):
                names = [alias.name for alias in node.names]
                parts = [*(node.module or "").split("."), *names]
                if any(part.startswith("_") for part in parts):
                    private.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {names}")
            elif isinstance(node, ast.Import):
                private += [
                    f"{path.relative_to(ROOT)}:{node.lineno} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("schemseg_sdk") and "._" in alias.name
                ]
    assert private == []
