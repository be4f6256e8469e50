"""The house's plan, enforced: each package imports only the layers below it, and no file imports in a circle.

Every import counts, at the top of a module or inside a function (a function-local
import is still an import: it only runs later). The layers, top to bottom, are the
ones docs/architecture.md draws; a module may import its own layer and the layers
below it. The core (everything but the CLI, the notebook face and the renderers)
never imports rich or typer.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dlpath"

#: top to bottom; a layer may import itself and what is below it
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("the faces", ("dlpath", "dlpath.__main__", "dlpath.cli", "dlpath.notebook")),
    ("rendering", ("dlpath.render",)),
    ("one learner", ("dlpath.learner",)),
    ("grading", ("dlpath.grading",)),
    ("the course", ("dlpath.course",)),
    ("machines and data", ("dlpath.hardware", "dlpath.datasets", "dlpath.envs")),
    ("the ground floor", ("dlpath.errors", "dlpath.paths", "dlpath.text", "dlpath.version", "dlpath.atomic",
                          "dlpath.jsonable")),
]
UI_LIBRARIES = ("rich", "typer", "click")
UI_LAYERS = ("the faces", "rendering")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _in_a_package(path: Path) -> bool:
    """Whether `path` is a module of the package (every folder down to it has an __init__.py); a data
    folder's script (dlpath/data/make_data.py) is not."""
    return all((folder / "__init__.py").is_file() for folder in path.parents if PACKAGE in (folder, *folder.parents))


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if _in_a_package(p)}


def _layer(module: str) -> int:
    best, index = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    assert index is not None, f"{module} is in no layer: add it to LAYERS and to docs/architecture.md"
    return index


def _resolve(module: str, name: str) -> str:
    """The dlpath module that `name` (imported in `module`) names: itself, or its nearest package in MODULES."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports(module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in `module`, function-local ones included."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from dlpath.x import y` imports dlpath.x.y when y is a module
            names = [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno)
                     for alias in node.names]
        else:
            continue
        found.extend(names)
    return found


def _dlpath_imports(module: str) -> list[tuple[str, int]]:
    out = []
    for name, line in imports(module):
        if name == "dlpath" or name.startswith("dlpath."):
            target = _resolve(module, name)
            if target and target != module:
                out.append((target, line))
    return out


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    upward = []
    for module in MODULES:
        own = _layer(module)
        for target, line in _dlpath_imports(module):
            if target == "dlpath" and module != "dlpath":
                upward.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} imports the package "
                              "face `dlpath` (import from the module that defines the name instead)")
            elif _layer(target) < own:
                upward.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} ({LAYERS[own][0]}) "
                              f"imports {target} ({LAYERS[_layer(target)][0]}), a layer above it")
    assert not upward, "\n".join(upward)


def test_the_core_never_imports_rich_or_typer() -> None:
    found = []
    for module in MODULES:
        if LAYERS[_layer(module)][0] in UI_LAYERS:
            continue
        for name, line in imports(module):
            if name.split(".")[0] in UI_LIBRARIES:
                found.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} imports {name}")
    assert not found, "\n".join(found)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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


def test_no_file_imports_in_a_circle() -> None:
    graph = {module: {target for target, _ in _dlpath_imports(module) if target != "dlpath"} for module in MODULES}
    # A package's __init__ that only declares the plugin API is imported by every plugin; a plugin it loads by
    # name at run time (importlib) is not an import of it. Nothing else is excused.
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)
