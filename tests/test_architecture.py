"""The platform's shape as checks that can fail: no import cycle anywhere in `renshe`, no module over
700 lines, and no route, page or web module that ends a transaction by hand (the request's unit of
work does)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "renshe"
MAX_LINES = 700
HAND_TRANSACTION = re.compile(r"\b(?:session|db|savepoint)\.(?:commit|rollback)\(|\bdb\.commit\(")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return sorted(found)


def test_cycle_finder_finds_a_cycle_and_nothing_else() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.e", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_the_import_graph_has_no_cycle() -> None:
    assert import_cycles(grimp.build_graph("renshe")) == []


def test_no_module_is_over_700_lines() -> None:
    long = {str(path.relative_to(PACKAGE.parent)): count for path in PACKAGE.rglob("*.py")
            if "migrations" not in path.parts and (count := len(path.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_routes_and_pages_never_end_a_transaction_by_hand() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if not (path.stem.endswith(("api", "pages")) or path.parent.name == "web"):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if HAND_TRANSACTION.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == []
