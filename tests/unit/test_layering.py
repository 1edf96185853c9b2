"""The pure core stays pure: workflows and the hash chain import no infrastructure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "jiuzhu"
PURE = [*sorted((SRC / "workflows").glob("*.py")), SRC / "audit" / "canonical.py",
        SRC / "audit" / "chain.py", SRC / "audit" / "replay.py", SRC / "clock.py",
        SRC / "money.py", SRC / "idnumber.py"]  # fmt: skip
FORBIDDEN = ("sqlalchemy", "sqlmodel", "alembic", "apscheduler", "fastapi", "typer", "rich",
             "psycopg")  # fmt: skip
FORBIDDEN_INTERNAL = ("models", "service", "scheduler", "cli", "demo", "migrations")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.append(base)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_imports_no_infrastructure(path: Path) -> None:
    for name in _imports(path):
        if name.startswith("jiuzhu."):
            name = "." + name.removeprefix("jiuzhu.")
        top = name.lstrip(".").split(".")[0]
        assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
        if name.startswith("."):
            assert top not in FORBIDDEN_INTERNAL, f"{path.name} imports .{name}"
