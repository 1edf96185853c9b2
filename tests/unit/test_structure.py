"""The shape of the package: no import circle, no oversized module, no TYPE_CHECKING stubs.

Read from the sources with :mod:`ast`; nothing of jiuzhu is imported.  Each checker is a plain
function over source text or a module graph, with a self-test on a made-up example, so that a
rule that passes on jiuzhu is known to be able to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "jiuzhu"
MAX_LINES = 400


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node, except what lies in the body of an ``if TYPE_CHECKING:`` block."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports at run time, at any depth of its code."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # `from .pkg import name`: a submodule when one is called so, else the module itself
            targets = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem
                for alias in node.names
            ]
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a.b
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def import_graph(root: Path = SRC, package: str = "jiuzhu") -> dict[str, set[str]]:
    paths = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    known = set(paths)
    return {
        name: imported_modules(
            path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known
        )
        for name, path in paths.items()
    }


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, each sorted, in order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the package is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component, as a chain from its first module back."""
    return [_shortest_cycle(graph, set(c), c[0]) for c in strongly_connected(graph)]


def _shortest_cycle(graph: Mapping[str, set[str]], members: set[str], start: str) -> list[str]:
    """The shortest chain start -> ... -> start inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(graph.get(node, set()) & members):
                if succ == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [*reversed(chain), start]
                if succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")  # pragma: no cover


def stub_blocks(source: str) -> list[int]:
    """Lines of ``if TYPE_CHECKING:`` blocks that declare something instead of importing it."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and is_type_checking(node.test):
            imports_only = all(
                isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass) for stmt in node.body
            )
            if not imports_only:
                lines.append(node.lineno)
    return lines


# -- the rules, on jiuzhu ---------------------------------------------------------------------


def test_no_import_cycle_inside_the_package() -> None:
    graph = import_graph()
    report = [
        " -> ".join(chain) + (f"  (one of the circles among {', '.join(c)})" if len(c) > 2 else "")
        for chain, c in zip(import_cycles(graph), strongly_connected(graph), strict=True)
    ]
    assert not report, "import cycles (TYPE_CHECKING imports excluded):\n" + "\n".join(report)


def test_no_module_over_400_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_type_checking_stub_block() -> None:
    stubs = {
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in stub_blocks(path.read_text(encoding="utf-8"))
    }
    assert not stubs, (
        f"TYPE_CHECKING blocks that declare attributes or methods: {sorted(stubs)}; "
        "give the class what it uses (a base class, a protocol, a parameter) instead"
    )


# -- the checkers can fail ------------------------------------------------------------------


def test_cycle_finder_reports_each_cycle_as_a_chain() -> None:
    graph = {
        "p.a": {"p.b"},
        "p.b": {"p.c"},
        "p.c": {"p.a", "p.d"},
        "p.d": set(),
        "p.e": {"p.f"},
        "p.f": {"p.e"},
    }
    assert import_cycles(graph) == [["p.a", "p.b", "p.c", "p.a"], ["p.e", "p.f", "p.e"]]
    assert strongly_connected(graph) == [["p.a", "p.b", "p.c"], ["p.e", "p.f"]]
    assert import_cycles({"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": set()}) == []


def test_imports_under_type_checking_do_not_count_and_function_level_ones_do() -> None:
    known = {"p", "p.a", "p.b", "p.c", "p.sub", "p.sub.d"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import a\n"
        "from .sub import d, helper\n"
        "if TYPE_CHECKING:\n"
        "    from .b import B\n"
        "def f():\n"
        "    import p.c.nothing\n"
    )
    assert imported_modules(source, "p.x", False, known) == {"p.a", "p.sub.d", "p.sub", "p.c"}
    assert imported_modules("from ..a import A\n", "p.sub.d", False, known) == {"p.a"}
    assert imported_modules("from .d import D\n", "p.sub", True, known) == {"p.sub.d"}


def test_stub_block_finder_allows_import_only_blocks() -> None:
    imports_only = "if TYPE_CHECKING:\n    from .a import A\n    import b\n"
    stubs = (
        "if TYPE_CHECKING:\n    from .a import A\n"
        "class C:\n"
        "    if TYPE_CHECKING:\n"
        "        uow: A\n"
        "        def _append(self) -> None: ...\n"
    )
    assert stub_blocks(imports_only) == []
    assert stub_blocks(stubs) == [4]


@pytest.mark.parametrize("name", ["jiuzhu", "jiuzhu.audit", "jiuzhu.audit.chain"])
def test_module_names_follow_the_files(name: str) -> None:
    path = SRC / Path(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    assert module_name(path) == name
