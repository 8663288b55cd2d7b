"""The hall's shape: no import cycle among its modules or sub-features, no private name used across
modules, and no file too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import renshe

HALL = Path(renshe.__file__).parent / "hall"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_hall_modules_or_sub_features() -> None:
    graph = grimp.build_graph("renshe")
    modules = {m for m in graph.modules if m.startswith("renshe.hall")}
    edges = {m: {t for t in graph.find_modules_directly_imported_by(m) if t in modules} for m in modules}
    assert _cycles(edges) == []
    features: dict[str, set[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            a, b = ".".join(source.split(".")[:3]), ".".join(target.split(".")[:3])
            if a != b:
                features.setdefault(a, set()).add(b)
    assert _cycles(features) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hall_modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("renshe."):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{path.name}: from {node.module} import {alias.name}")
                hall_modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in hall_modules \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append(f"{path.name}: {node.value.id}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module() -> None:
    found = [use for path in HALL.rglob("*.py") for use in _private_uses(path)]
    assert found == []


def test_the_private_name_check_finds_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from renshe.hall.applications import service\nservice._create()\n", encoding="utf-8")
    assert _private_uses(sample) == ["sample.py: service._create"]


def test_no_hall_file_over_700_lines() -> None:
    long = {str(p.relative_to(HALL)): n for p in HALL.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}
