"""The Alembic migrations build exactly the schema the models describe, and undo it."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from jiuzhu.migrations import current, head, upgrade
from jiuzhu.models import make_engine, metadata


def _diff(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)


def test_migrations_create_the_schema_of_the_models(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "m.db"))
    upgrade(engine)
    assert current(engine) == head()
    assert _diff(engine) == []


def test_migrations_downgrade_to_base_removes_every_table(tmp_path: Path) -> None:
    from alembic import command

    from jiuzhu.migrations import config

    engine = make_engine(str(tmp_path / "m.db"))
    upgrade(engine)
    command.downgrade(config(engine), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert _diff(engine) == []


def test_migrations_upgrade_is_a_no_op_when_at_head(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "m.db"))
    upgrade(engine)
    upgrade(engine)
    assert current(engine) == head()
