"""Fixtures for the CLI tests: the real console program on an SQLite file under ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Binhai, Cli, copy_database, set_up_binhai


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """``python -m jiuzhu.cli`` with ``$JIUZHU_DATABASE_URL`` set to this test's own file."""
    return Cli(db=tmp_path / "jiuzhu.db", cwd=tmp_path)


@pytest.fixture(scope="session")
def binhai_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Binhai]:
    """Built once through the CLI (nine commands), copied for each test: see ``binhai``."""
    directory = tmp_path_factory.mktemp("binhai")
    cli = Cli(db=directory / "template.db", cwd=directory)
    return cli.db, set_up_binhai(cli)


@pytest.fixture
def binhai(cli: Cli, binhai_template: tuple[Path, Binhai]) -> Binhai:
    """滨海县 › 东坎街道 › 团结社区, Chen Bihua's household and a provisionally approved case."""
    template, binhai = binhai_template
    copy_database(template, cli.db)
    return binhai
