"""The import graph of the project's own packages, read from the source (no imports run), and its rules.

Every `import` counts, at the top of a module or inside a function: a function-level import that
hides a cycle is still a cycle. tests/test_architecture.py checks the real tree; it also plants a
cycle and a forbidden import in a copy to show the checks catch them.
"""
from __future__ import annotations

import ast
from pathlib import Path

# What each part of the engine may import from the engine, lowest layer first. A part may always import
# itself. `base` is the foundation modules at the top of the package.
BASE = ("errors", "serialise", "settings", "status", "device", "owners", "alphabet", "run_folder", "background")
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "modeling": {"base"},
    "evaluation": {"base"},
    "config": {"base", "modeling"},
    "data": {"base", "config"},
    "train": {"base", "modeling", "config", "data", "evaluation"},
    "checks": {"base", "modeling", "config", "data", "evaluation", "train"},
    "runs": {"base", "modeling", "config", "data", "evaluation", "train"},
    "script_export": {"base", "modeling", "config", "data"},
    "lessons": {"base", "modeling", "config", "data", "evaluation", "train", "checks", "runs", "explain"},
    "explain": {"base", "modeling", "config", "data", "evaluation", "train"},
    "cli": {"base", "modeling", "config", "data", "evaluation", "train", "checks", "runs", "script_export", "lessons",
            "explain"},
    "api": {"base", "modeling", "config", "data", "evaluation", "train", "checks", "runs", "script_export", "cli",
            "lessons", "explain"},
}
OUTSIDE_THE_ENGINE = ("dashboard", "streamlit", "bench", "tools", "tests")  # protscope imports none of these


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, package: str) -> dict[str, Path]:
    return {module_name(root, p): p for p in sorted((root / package).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file; `from a import b` is a.b when that is a module."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = package.split(".")
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                found.append((full if full in known else base, node.lineno))
    return found


def graph(root: Path, packages=("protscope", "dashboard")) -> dict[str, dict[str, int]]:
    """module -> {imported module of these packages (or an outside top-level name): first line}."""
    paths = {name: path for package in packages for name, path in modules(root, package).items()}
    known = set(paths)
    edges: dict[str, dict[str, int]] = {}
    for name, path in paths.items():
        out = edges.setdefault(name, {})
        for target, line in imports_of(name, path, known):
            top = target.split(".")[0]
            if target in known or top in OUTSIDE_THE_ENGINE:
                out.setdefault(target if target in known else top, line)
    return edges


def part_of(module: str) -> str:
    """The layer of a protscope module: its sub-package, `base` for a foundation module, `api` for the rest."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__main__",):
        return "api"
    return "base" if parts[1] in BASE else (parts[1] if len(parts) > 2 else "api")


def layer_violations(edges: dict[str, dict[str, int]], root: Path) -> list[str]:
    found = []
    for source, targets in edges.items():
        where = lambda line: f"{module_path(source)}:{line}"  # noqa: B023
        for target, line in targets.items():
            top = target.split(".")[0]
            if source.startswith("protscope"):
                if top in OUTSIDE_THE_ENGINE:
                    found.append(f"{where(line)}: the engine imports {target}")
                elif top == "protscope":
                    a, b = part_of(source), part_of(target)
                    if a != b and b not in MAY_IMPORT[a]:
                        found.append(f"{where(line)}: protscope.{a} may not import {target} (protscope.{b})")
            elif source.startswith("dashboard.logic"):
                if top in ("streamlit", "bench", "tools", "tests") or (top == "dashboard"
                                                                     and not target.startswith("dashboard.logic")):
                    found.append(f"{where(line)}: dashboard.logic is pure logic and may not import {target}")
            elif source.startswith("dashboard") and top in ("bench", "tools", "tests"):
                found.append(f"{where(line)}: the app imports the test-only {target}")
    return found


def module_path(name: str) -> str:
    return name.replace(".", "/") + ".py"


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Each import cycle once, as its modules in order (Tarjan's strongly connected components)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found
