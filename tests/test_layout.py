"""The package's module layout: no import cycles, nothing heavy at import time."""

from __future__ import annotations

import ast
from pathlib import Path

import igraph

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Project modules imported anywhere in ``tree`` (functions included, TYPE_CHECKING not)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                up = parts[: len(parts) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in known and name != module}


def import_graph() -> dict[str, set[str]]:
    files = sorted((SRC / "agentscaler").rglob("*.py"))
    known = {_module_name(f) for f in files}
    return {
        _module_name(f): _imports(
            ast.parse(f.read_text(encoding="utf-8")),
            _module_name(f),
            f.name == "__init__.py",
            known,
        )
        for f in files
    }


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    names = sorted(graph)
    index = {n: i for i, n in enumerate(names)}
    g = igraph.Graph(directed=True)
    g.add_vertices(len(names))
    # an edge to a package's __init__ from inside that package is how re-exports work; leave
    # those out (they are never executed first by the module itself)
    edges = [
        (index[a], index[b])
        for a, targets in graph.items()
        for b in targets
        if not a.startswith(b + ".")
    ]
    g.add_edges(edges)
    cycles = [
        sorted(names[v] for v in component)
        for component in g.connected_components(mode="strong")
        if len(component) > 1
    ]
    assert not cycles, "import cycles between modules:\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )
