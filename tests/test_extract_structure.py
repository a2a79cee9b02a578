"""The extraction package's shape (issue 29): no import cycles among its modules (function-level imports
included), no private names imported from another module, no function over 60 lines, no nesting past four
levels."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stance" / "extract"
MODULES = sorted(PACKAGE.glob("*.py"))
MAX_LINES = 60
MAX_DEPTH = 4
_NESTING = (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.AsyncFor, ast.AsyncWith)


def _imports(path: Path):
    """(module imported, names imported) for every import of a module, wherever it sits."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _module(path: Path) -> str:
    return "stance.extract" if path.stem == "__init__" else f"stance.extract.{path.stem}"


def test_no_import_cycles_within_extract():
    graph = nx.DiGraph()
    for path in MODULES:
        for module, names in _imports(path):
            targets = [module] + [f"{module}.{n}" for n in names]  # `from stance.extract import grammar`
            for target in targets:
                if target.startswith("stance.extract.") and (PACKAGE / f"{target.split('.')[2]}.py").exists():
                    graph.add_edge(_module(path), "stance.extract." + target.split(".")[2])
    graph.remove_nodes_from([n for n in list(graph) if n == "stance.extract"])
    assert list(nx.simple_cycles(graph)) == []


def test_no_private_names_imported_across_modules():
    private = [(path.name, module, name) for path in MODULES for module, names in _imports(path)
               for name in names if module.startswith("stance") and name.startswith("_")]
    assert private == []


def _depth(node: ast.AST, level: int = 0) -> int:
    deepest = level
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # counted on their own
        deepest = max(deepest, _depth(child, level + isinstance(child, _NESTING)))
    return deepest


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_are_short_and_shallow(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long, deep = [], []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.end_lineno - node.lineno + 1 > MAX_LINES:
                long.append(node.name)
            if _depth(node) > MAX_DEPTH:
                deep.append(node.name)
    assert (long, deep) == ([], [])
