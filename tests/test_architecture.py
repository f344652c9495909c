"""The layers hold: no import cycles (lazy imports included), and the rules import no I/O.

The import graph is read from the source (every ``import`` statement, also those inside
functions), so a cycle hidden behind a lazy import fails here as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("srichan_world", "server", "tools")
MAX_SOURCE_LINES = 600
"""One idea per module: past this a file holds more than one (benchmarks are exempt)."""
IO_LIBRARIES = frozenset(
    {"aiohttp", "asyncio", "hiredis", "redis", "socket", "sqlite3", "ssl", "websockets"}
)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(path: Path, name: str, is_package: bool) -> Iterator[str]:
    """Every module an import statement in ``path`` names: ``from a import b`` names ``a.b``
    when that is a module of ours, else ``a``."""
    modules = _modules()
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in modules else base


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in _imported(path, name, path.name == "__init__.py"):
            if target in modules and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_a_lazy_import_is_an_edge(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from server.app import create_app\n", encoding="utf-8")
    assert "server.app" in set(_imported(source, "server.x", False))


def test_the_rules_import_no_io_library() -> None:
    offenders = []
    for name, path in _modules().items():
        if not name.startswith("srichan_world"):
            continue
        for target in _imported(path, name, path.name == "__init__.py"):
            if target.split(".")[0] in IO_LIBRARIES:
                offenders.append(f"{name} imports {target}")
    assert offenders == []


def test_no_module_imports_the_app_module() -> None:
    """``server/app.py`` wires everything; nothing below it may reach back up."""
    importers = sorted(
        name
        for name, targets in import_graph().items()
        if "server.app" in targets and name.startswith("server.")
    )
    assert importers == []


def test_source_files_hold_one_idea() -> None:
    long = []
    for name, path in _modules().items():
        if name.startswith("tools.bench"):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_SOURCE_LINES:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert long == []
