"""The import graph of world_model/, noise/, model/ and pipelines/ has no cycle and runs one way.

Every import counts, including those inside functions: a lazy import still makes a circle, only later.
Allowed package directions: pipelines -> noise -> world_model, pipelines -> world_model, pipelines -> model.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("world_model", "noise", "model", "pipelines")
ALLOWED = {  # package -> the packages of ours it may import
    "world_model": set(),
    "noise": {"world_model"},
    "model": set(),
    "pipelines": {"noise", "world_model", "model"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports anywhere in its body (a `from pkg import sub` names the submodule)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a non-module name: its module
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def test_the_graph_is_read_from_the_tree():
    g = graph()
    assert len(g) > 60 and "pipelines.cli" in g and "world_model" in g
    assert "pipelines.training.loading" in g["pipelines.training.tokenizer"]  # module-level import seen
    assert "pipelines.dataset.ray_runtime" in g["pipelines.dataset.build"]  # an import inside a function seen


def test_packages_import_one_way():
    bad = sorted(f"{a} -> {b}" for a, deps in graph().items() for b in deps
                 if b.split(".")[0] != a.split(".")[0] and b.split(".")[0] not in ALLOWED[a.split(".")[0]])
    assert not bad, "imports against the package direction:\n" + "\n".join(bad)


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(g[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", ["IGNORE_INDEX", "BOS", "SPECIAL_TOKENS", "HELDOUT_SEED", "SCHEMA_VERSION",
                                  "FORMAT_VERSION", "RUN_KEYS", "MANIFEST", "SHARD_DIR"])
def test_each_shared_constant_is_defined_once(name):
    homes = []
    for mod, path in modules().items():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for t in targets:
                names = [e.id for e in t.elts] if isinstance(t, ast.Tuple) else [getattr(t, "id", None)]
                if name in names:
                    homes.append(mod)
    assert len(homes) == 1, f"{name} defined in {homes}"
