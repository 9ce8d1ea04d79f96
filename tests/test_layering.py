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
    "services": ("flask", "pylti1p3", "lti_pl.web"),
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
        for layer in ("domain", "models", "services", "web", "commands")
        for path, name in imports_under(layer)
        if name.startswith("pylti1p3")
    ]
    assert offending == []
