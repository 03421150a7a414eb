"""The house's floors: modules import downward only, and nothing imports in a circle.

Every module under toolkit/ (museokit) and sim/ (museokit.sim) is parsed with ast, and
every import counts: at the top, inside a function, under `if TYPE_CHECKING:`. A circle
between two modules, or a lower layer reaching up, fails with the modules named.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = {"museokit": REPO / "toolkit", "museokit.sim": REPO / "sim"}

#: What the core must never know: everything built on top of it.
ABOVE_CORE = ("backends", "net", "ops", "media", "vision", "sim", "cli")


def module_files() -> dict[str, Path]:
    """Every module's dotted name -> its file (packages as their __init__.py)."""
    found: dict[str, Path] = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if "templates" in parts:  # behaviour templates are copied, not imported
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    # museokit.sim lives in its own folder: its files must not also count under toolkit/.
    return found


MODULES = module_files()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    """The museokit module `name` means (a module, or the package holding a name)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """Every museokit module `module` imports, with the line, wherever the import sits."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            # `from museokit.core import config` imports the module museokit.core.config.
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for target in targets:
            known = _known(target)
            if known and known != module:
                yield known, node.lineno


GRAPH = {module: sorted(set(imports_of(module))) for module in MODULES}


def _ancestors(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def cycles() -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan), each sorted.

    Importing a package runs its __init__, so a module's own ancestors are left out: a
    package's __init__ importing its submodules is not a circle.
    """
    edges = {m: {t for t, _ in GRAPH[m] if t not in _ancestors(m)} for m in GRAPH}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return groups


def test_the_walk_finds_the_modules_and_their_imports() -> None:
    # A guard for the test itself: an empty graph would pass everything below.
    assert "museokit.core.config" in MODULES and "museokit.sim.command" in MODULES
    assert any(t == "museokit.core.bus" for t, _ in GRAPH["museokit.core.runtime"])


def test_no_import_circles() -> None:
    found = cycles()
    assert not found, "import circles:\n" + "\n".join(
        " <-> ".join(group) + "\n    " + "\n    ".join(
            f"{m} -> {t} (line {line})" for m in group for t, line in GRAPH[m] if t in group)
        for group in found)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) == "core"))
def test_core_imports_nothing_above_it(module: str) -> None:
    upward = [(t, line) for t, line in GRAPH[module]
              if _layer(t) in ABOVE_CORE or t == "museokit"]
    assert not upward, f"{MODULES[module]} reaches above the core: {upward}"


def test_nothing_imports_the_command_line() -> None:
    users = [(m, line) for m in MODULES for t, line in GRAPH[m]
             if t == "museokit.cli" and m != "museokit.__main__"]
    assert not users, f"museokit.cli is the top floor, yet imported by {users}"
