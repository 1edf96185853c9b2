"""Fixtures for the CLI tests: the real console program on an SQLite file under ``tmp_path``,
marked as a simulation and run at a pinned simulated time (see ``cli_support``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from cli_support import Binhai, Cli, copy_database, set_up_binhai


@pytest.fixture(scope="session")
def simulation_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the head migration, marked as a simulation (made once)."""
    directory = tmp_path_factory.mktemp("simulation")
    cli = Cli(db=directory / "empty.db", cwd=directory)
    cli.mark_simulation()
    return cli.db


@pytest.fixture
def cli(tmp_path: Path, simulation_template: Path) -> Cli:
    """``python -m jiuzhu.cli`` with ``$JIUZHU_DATABASE_URL`` set to this test's own file, an
    empty simulation database, at the seed's day (``SEED_DAY``)."""
    cli = Cli(db=tmp_path / "jiuzhu.db", cwd=tmp_path)
    copy_database(simulation_template, cli.db)
    return cli


@pytest.fixture(scope="session")
def binhai_template(
    tmp_path_factory: pytest.TempPathFactory, simulation_template: Path
) -> tuple[Path, Binhai, datetime]:
    """Built once through the CLI (nine commands), copied for each test: see ``binhai``."""
    directory = tmp_path_factory.mktemp("binhai")
    cli = Cli(db=directory / "template.db", cwd=directory)
    copy_database(simulation_template, cli.db)
    binhai = set_up_binhai(cli)
    assert cli.now is not None
    return cli.db, binhai, cli.now


@pytest.fixture
def binhai(cli: Cli, binhai_template: tuple[Path, Binhai, datetime]) -> Binhai:
    """滨海县 › 东坎街道 › 团结社区, Chen Bihua's household and a provisionally approved case,
    approved on the seed's day; the test's commands run after the template's."""
    template, binhai, after = binhai_template
    copy_database(template, cli.db)
    cli.now = after
    return binhai
