"""The world_model tree keeps the shape the domain packages promise: same files, small modules, one-way imports."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import world_model

ROOT = Path(world_model.__file__).parent
MODULES = sorted(ROOT.rglob("*.py"))
DOMAIN_FILES = {"__init__.py", "tables.py", "record.py", "graph.py", "constraints.py", "render.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _world_model_imports(path: Path) -> list[ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("world_model")]


@pytest.mark.parametrize("name", world_model.domains())
def test_every_domain_package_has_the_same_files(name):
    package = ROOT / name
    assert package.is_dir(), f"world_model/{name} should be a package"
    assert DOMAIN_FILES <= {p.name for p in package.glob("*.py")}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_no_module_is_above_700_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 700


def test_no_module_imports_another_modules_private_names():
    private = [f"{_module_name(p)}: {node.module}.{alias.name}"
               for p in MODULES for node in _world_model_imports(p) for alias in node.names
               if alias.name.startswith("_")]
    assert private == []


def test_world_model_imports_run_one_way():
    graph = nx.DiGraph()
    for path in MODULES:
        for node in _world_model_imports(path):
            if node.module != _module_name(path):
                graph.add_edge(_module_name(path), node.module)
    assert list(nx.simple_cycles(graph)) == []
