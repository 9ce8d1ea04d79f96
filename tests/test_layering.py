"""The dependency direction of STYLE.md §2, enforced on every import in the package."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lti_pl"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "models": ("flask", "pylti1p3", "lti_pl.services", "lti_pl.lti", "lti_pl.web"),
    "lti": ("lti_pl.services", "lti_pl.web"),
    "services": ("flask", "pylti1p3", "lti_pl.web", "lti_pl.jobs"),
    "jobs": ("pylti1p3", "lti_pl.web", "lti_pl.commands"),
    "commands": ("lti_pl.web",),
    "web": ("pylti1p3",),
    "analytics": (
        "flask",
        "pylti1p3",
        "lti_pl.models",
        "lti_pl.services",
        "lti_pl.lti",
        "lti_pl.web",
    ),
}


def imports_under(layer: str) -> Iterator[tuple[str, str]]:
    """Yield (path, imported module) for every import in a layer."""
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(PACKAGE)), alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield str(path.relative_to(PACKAGE)), node.module


def test_domain_imports_only_the_standard_library():
    names = list(imports_under("domain"))
    assert names, "the domain layer has modules"
    for path, name in names:
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name.startswith("lti_pl.domain"), f"{path}: {name}"


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inward(layer):
    offending = [
        f"{path}: {name}"
        for path, name in imports_under(layer)
        if name.startswith(FORBIDDEN[layer]) and not name.startswith("flask_sqlalchemy")
    ]
    assert offending == []


def test_only_the_lti_package_imports_pylti1p3():
    offending = [
        f"{path}: {name}"
        for layer in ("domain", "models", "services", "jobs", "web", "commands")
        for path, name in imports_under(layer)
        if name.startswith("pylti1p3")
    ]
    assert offending == []


def module_graph(layer: str) -> dict[str, set[str]]:
    """The layer's modules and the modules of the same layer each imports (function-local too)."""
    prefix = f"lti_pl.{layer}"
    graph: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        module = ".".join((prefix, *path.relative_to(PACKAGE / layer).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                # `from lti_pl.services import mastery` imports the module lti_pl.services.mastery
                targets |= {f"{node.module}.{alias.name}" for alias in node.names}
        graph[module] = targets
    return {
        module: {t for t in targets if t in graph and t != module and t != prefix}
        for module, targets in graph.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph (its modules in order, the first repeated), or []."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = "done"
        return []

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return []


def test_find_cycle_sees_a_back_edge():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("layer", ["services", "jobs"])
def test_import_graph_of_a_layer_is_acyclic(layer):
    graph = module_graph(layer)
    assert graph, f"{layer} has modules"
    assert find_cycle(graph) == []
