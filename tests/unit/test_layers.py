"""Layers, not loops: the package's import graph has no cycle and each layer looks only down.

The graph counts every import in a module, those inside functions and under
``TYPE_CHECKING`` included: a lazy import still means one module cannot be read, tested or
changed without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "leadreel"

#: What a layer must never import (prefixes of module names).
FORBIDDEN = {
    "leadreel.render": (
        "leadreel.models",
        "leadreel.db",
        "leadreel.extensions",
        "leadreel.web",
        "leadreel.services",
        "leadreel.tasks",
        "leadreel.app",
    ),
    "leadreel.integrations": ("leadreel.services", "leadreel.web", "leadreel.app"),
    "leadreel.models": ("leadreel.services", "leadreel.web", "leadreel.tasks", "leadreel.app"),
    "leadreel.services": ("leadreel.web", "leadreel.app", "leadreel.commands", "flask"),
    "leadreel.agent": ("leadreel.web", "leadreel.app", "leadreel.commands", "flask"),
    "leadreel.tasks": ("leadreel.web", "leadreel.app"),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported_names(module: str, path: Path) -> set[str]:
    """Every module name ``module`` imports, resolved to absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a package's ``__init__`` is not an edge)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in _imported_names(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and modules[target].name != "__init__.py":
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_loops_in_src() -> None:
    loops = cycles(import_graph())
    assert not loops, "modules that import each other:\n" + "\n".join(", ".join(c) for c in loops)


def test_the_cycle_finder_finds_a_loop_through_a_third_module() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_below(layer: str) -> None:
    modules = _modules()
    bad = []
    for name, path in modules.items():
        if name != layer and not name.startswith(layer + "."):
            continue
        for target in _imported_names(name, path):
            if any(target == f or target.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{name} imports {target}")
    assert not bad, "\n".join(sorted(bad))


def test_the_render_engine_loads_without_the_app() -> None:
    """``leadreel.render`` can be used alone: importing it pulls in no database, web or queue."""
    import subprocess
    import sys

    code = (
        "import sys, leadreel.render.engine, leadreel.render.media, leadreel.render.cards\n"
        "roots = ('sqlalchemy', 'flask', 'werkzeug', 'playwright')\n"
        "inner = ('leadreel.models', 'leadreel.tasks', 'leadreel.services', 'leadreel.web')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in roots or m.startswith(inner)]\n"
        "print(' '.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
