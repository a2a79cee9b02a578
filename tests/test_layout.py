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


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "engine"])
def test_each_stage_names_its_entry_point(stage):
    module = importlib.import_module(f"stance.{stage}")
    assert module.__doc__ and module.__all__
    assert all(hasattr(module, name) for name in module.__all__)


def test_no_flat_stage_module_is_left_at_the_top():
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "analyze", "train", "records", "config", "project", "errors",
                   "home", "outputs", "lifeline"}, top
