"""The pure core stays pure: it imports no infrastructure and reads no clock.

The pure core is the workflows, the ledger, the policy book, the hash chain and replay, the
clock's arithmetic, money, errors and ID numbers: what a decision is made of.  It may be given
an instant; it never asks for one.  The one place that reads the wall clock is
``clock.SystemClock``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "jiuzhu"
PURE = [*sorted((SRC / "workflows").rglob("*.py")), *sorted((SRC / "ledger").rglob("*.py")),
        SRC / "audit" / "canonical.py", SRC / "audit" / "chain.py", SRC / "audit" / "replay.py",
        SRC / "audit" / "merkle.py", SRC / "audit" / "note.py", SRC / "audit" / "tiles.py",
        SRC / "audit" / "proofs.py",
        SRC / "policy.py", SRC / "policy_settings.py", SRC / "clock.py", SRC / "money.py", SRC / "errors.py",
        SRC / "idnumber.py"]  # fmt: skip
FORBIDDEN = ("sqlalchemy", "sqlmodel", "alembic", "apscheduler", "fastapi", "typer", "rich",
             "psycopg")  # fmt: skip
FORBIDDEN_INTERNAL = ("models", "service", "scheduler", "cli", "demo", "migrations", "api")
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
              ("date", "today"), ("time", "time"), ("time", "time_ns")}  # fmt: skip
SYSTEM_CLOCK_HOME = SRC / "clock.py"


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.append(base)
    return names


def clock_reads(source: str, *, home: bool = False) -> list[str]:
    """Where ``source`` reads the wall clock: the calls and names in ``WALL_CLOCK``, the import
    ``from time import time``, or any use of the system clock class.

    In the clock's own module (``home``), the body of ``class SystemClock`` and the name
    ``SystemClock`` are allowed: that is where the one system clock lives.
    """
    tree = ast.parse(source)
    allowed: set[int] = set()
    if home:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == "SystemClock":
                allowed |= {id(inner) for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Attribute):
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.attr) in WALL_CLOCK:
                found.append(f"line {node.lineno}: {name}.{node.attr}")
            elif node.attr == "SystemClock" and not home:
                found.append(f"line {node.lineno}: SystemClock")
        elif isinstance(node, ast.Name) and node.id == "SystemClock" and not home:
            found.append(f"line {node.lineno}: SystemClock")
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"line {node.lineno}: from time import {a.name}" for a in node.names
                      if a.name in {"time", "time_ns"}]  # fmt: skip
        elif isinstance(node, ast.ImportFrom) and not home:
            found += [f"line {node.lineno}: imports SystemClock" for a in node.names
                      if a.name == "SystemClock"]  # fmt: skip
    return found


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_imports_no_infrastructure(path: Path) -> None:
    for name in _imports(path):
        if name.startswith("jiuzhu."):
            name = "." + name.removeprefix("jiuzhu.")
        top = name.lstrip(".").split(".")[0]
        assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
        if name.startswith("."):
            assert top not in FORBIDDEN_INTERNAL, f"{path.name} imports .{name}"


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_reads_no_clock(path: Path) -> None:
    reads = clock_reads(path.read_text(encoding="utf-8"), home=path == SYSTEM_CLOCK_HOME)
    assert not reads, f"{path.relative_to(SRC)} reads the wall clock: {reads}; take an instant"


def test_clock_reader_finds_each_way_of_reading_the_wall_clock() -> None:
    source = (
        "import datetime as dt, time\n"
        "from datetime import date, datetime\n"
        "from time import time as now\n"
        "from .clock import SystemClock\n"
        "a = datetime.now()\n"  # wall clock ok: parsed, never run
        "b = dt.datetime.now(dt.UTC)\n"  # wall clock ok: parsed, never run
        "c = date.today()\n"  # wall clock ok: parsed, never run
        "d = time.time()\n"
        "e = SystemClock()\n"  # wall clock ok: parsed, never run
        "f = clock.SystemClock\n"
    )
    assert sorted(clock_reads(source)) == [
        "line 10: SystemClock",
        "line 3: from time import time",
        "line 4: imports SystemClock",
        "line 5: datetime.now",
        "line 6: datetime.now",
        "line 7: date.today",
        "line 8: time.time",
        "line 9: SystemClock",
    ]
    pure = "from datetime import datetime\ndef due(now: datetime) -> datetime:\n    return now\n"
    assert clock_reads(pure) == []


def test_only_the_system_clock_reads_the_wall_clock_in_its_home() -> None:
    home = (
        "class SystemClock:\n"
        "    def now(self):\n"
        "        return datetime.now(UTC)\n"  # wall clock ok: parsed, never run
        "class Other:\n"
        "    def now(self):\n"
        "        return SystemClock().now() if x else datetime.now(UTC)\n"  # wall clock ok: parsed, never run
    )
    assert clock_reads(home, home=True) == ["line 6: datetime.now"]
