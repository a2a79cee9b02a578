"""The package's folders follow the pipeline: stages never import the pipelines or the CLI above them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stance"
STAGES = ("ingest", "extract", "classify", "track", "store", "report", "export", "engine")
ABOVE = ("stance.cli", "stance.analyze", "stance.review", "stance.evaluate")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_never_imports_a_pipeline_or_the_cli(stage):
    found = {f"{path.relative_to(PACKAGE)}: {name}" for path in (PACKAGE / stage).glob("*.py")
             for name in _imports(path) if any(name == up or name.startswith(up + ".") for up in ABOVE)}
    assert not found, found


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_names_its_entry_point(stage):
    module = importlib.import_module(f"stance.{stage}")
    assert module.__doc__ and module.__all__
    assert all(hasattr(module, name) for name in module.__all__)


def test_no_flat_stage_module_is_left_at_the_top():
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "analyze", "train", "records", "config", "project", "errors",
                   "home", "outputs", "lifeline"}, top


def _module_graph():
    """stance's modules and the modules each imports, function-level imports included (a cycle hidden inside a
    function is still a cycle); `from package import name` points at the submodule when `name` is one."""
    import networkx as nx

    def name_of(path: Path) -> str:
        parts = list(path.with_suffix("").relative_to(PACKAGE.parent).parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(path): path for path in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(package[:len(package) - node.level + 1] + [node.module or ""]).strip(".") \
                    if node.level else node.module
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            else:
                continue
            graph.add_edges_from((name, target) for target in targets if target in modules and target != name)
    return graph


def test_no_import_cycles():
    import networkx as nx

    cycles = [" -> ".join(cycle + cycle[:1]) for cycle in nx.simple_cycles(_module_graph())]
    assert not cycles, cycles


def test_the_cycle_check_sees_a_cycle_inside_a_function(tmp_path, monkeypatch):
    """The check itself: two modules that import each other, one of them inside a function."""
    fake = tmp_path / "stance"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from stance.b import thing\n")
    (fake / "b.py").write_text("def thing():\n    from stance import a\n    return a\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    import networkx as nx

    assert sorted(map(sorted, nx.simple_cycles(_module_graph()))) == [["stance.a", "stance.b"]]
