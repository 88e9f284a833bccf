"""The import graph of ``explorer/``: no cycle, and no import against the layers (docs/ARCHITECTURE.md).

Every import counts, also the ones inside functions: a lazy import against the grain is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "explorer"
# Lowest first. A module may import its own layer or any below; the top-level modules of a layer are listed by name.
LAYERS = (
    (
        "explorer.errors",
        "explorer.atomic",
        "explorer.registry",
        "explorer.paths",
        "explorer.checks",
        "explorer.artifacts",
    ),
    ("explorer.data", "explorer.media", "explorer.models", "explorer.encoders"),
    ("explorer.explain", "explorer.metrics", "explorer.training", "explorer.evaluation"),
    ("explorer.demo", "explorer.commands", "explorer.ui", "explorer.cli", "explorer.__main__", "explorer.Home"),
)
STREAMLIT_ALLOWED = ("explorer.ui", "explorer.Home")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> int:
    """The layer of the longest listed prefix; the package's own ``__init__`` is at the bottom."""
    if module == "explorer":
        return 0
    best, rank = "", None
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, index
    assert rank is not None, f"{module} is in no layer; add it to LAYERS"
    return rank


def imported_modules(module: str) -> set[str]:
    """The explorer modules ``module`` imports, anywhere in its body."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: imported_modules(module) for module in MODULES}


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert not upward, "imports against the layers:\n" + "\n".join(upward)


def test_the_import_graph_has_no_cycle():
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_streamlit_only_in_the_ui(module):
    if module.startswith(STREAMLIT_ALLOWED):
        return
    tree = ast.parse(MODULES[module].read_text())
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in getattr(node, "names", [])
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name == "streamlit" or name.startswith("streamlit.") for name in names), module


def test_the_metrics_load_without_any_model():
    """``import explorer.metrics`` must stay light: it is what a notebook imports to score predictions."""
    code = "import sys, explorer.metrics; print(sorted(m for m in sys.modules if m.startswith('explorer')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "explorer.models" not in loaded and "explorer.explain" not in loaded, loaded
