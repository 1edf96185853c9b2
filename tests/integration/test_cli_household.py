"""``jiuzhu household show HOUSEHOLD_ID``: the household's chain as a table and as JSON, in
process on an SQLite file; a bad format and a household outside the actor's reach refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from helpers import case_in, make_county, make_household
from typer.testing import CliRunner

import jiuzhu
from jiuzhu import FakeClock, InvalidInput, PermissionDenied
from jiuzhu.cli import output
from jiuzhu.cli.program import app
from jiuzhu.scheduler.sweep import sweep

VILLAGE = ("--role", "village", "--org", "320922100001")
NEIGHBOUR = ("--role", "village", "--org", "320922100002")


@pytest.fixture
def household(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, list[str]]]:
    """(database file, household id, its two cases' numbers): two dibao cases, March paid to
    the first and withheld for the second."""
    for name in ("JIUZHU_SIMULATED_TIME", "JIUZHU_DATABASE_URL", "JIUZHU_ROLE", "JIUZHU_ORG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    svc = jiuzhu.connect(sqlite_url, clock=clock, upgrade=False)
    org = make_county(svc)
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    clock.set(datetime(2024, 3, 20, 2, tzinfo=UTC))
    sweep(svc, worker="cli", now=clock.now() + timedelta(minutes=1))
    svc.close()
    output.out.cache_clear()
    yield sqlite_url.removeprefix("sqlite:///"), home.id, [first.case_no, second.case_no]
    output.out.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), prog_name="jiuzhu")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_chain_as_a_table_and_as_json(household: tuple[str, str, list[str]]) -> None:
    db, home, numbers = household
    code, out, _ = run("household", "show", home, "--db", db, *VILLAGE)
    assert code == 0, out
    assert "家庭救助链" in out and "chain of household" in out
    assert all(n in out for n in numbers)
    assert "2000.00 元 yuan · 2024-03" in out and "团结社区" in out and "陈必华" in out
    assert "已由案件 paid under case" in out and "共 4 项 items" in out
    code, out, _ = run("household", "show", home, "--db", db, *VILLAGE, "--format", "json")
    items = json.loads(out)
    assert code == 0
    assert sorted(i["kind"] for i in items) == ["case", "case", "payment", "withheld"]
    [paid] = [i for i in items if i["kind"] == "payment"]
    assert (paid["amount_yuan"], paid["amount_fen"], paid["period"]) == ("2000.00", 200_000,
                                                                         "2024-03")  # fmt: skip
    code, again, _ = run("household", "show", home, "--db", db, *VILLAGE, "--json")
    assert code == 0 and json.loads(again) == items


def test_a_bad_format_and_a_household_out_of_reach_are_refused(
    household: tuple[str, str, list[str]],
) -> None:
    db, home, _ = household
    with pytest.raises(InvalidInput, match="--format 'xml' is unknown") as bad:
        run("household", "show", home, "--db", db, *VILLAGE, "--format", "xml")
    assert "无效" in bad.value.zh  # the console program prints it in both languages
    with pytest.raises(PermissionDenied):
        run("household", "show", home, "--db", db, *NEIGHBOUR)


def test_the_county_moves_the_household_and_the_chain_shows_the_move(
    household: tuple[str, str, list[str]],
) -> None:
    db, home, numbers = household
    county = ("--role", "county", "--org", "320922")
    code, out, _ = run("household", "transfer", home, "--to", "320922101001", "--reason",
                       "迁居至八滩村", "--db", db, *county, "--json")  # fmt: skip
    assert code == 0, out
    moved = json.loads(out)
    assert (moved["from_village_id"], moved["to_village_id"]) == ("320922100001", "320922101001")
    assert len(moved["cases"]) == 2
    code, out, _ = run("household", "show", home, "--db", db, "--role", "village", "--org",
                       "320922101001", "--format", "json")  # fmt: skip
    assert code == 0 and {i["case_no"] for i in json.loads(out)} == set(numbers)
    with pytest.raises(PermissionDenied):  # the old village no longer reaches it
        run("household", "show", home, "--db", db, *VILLAGE)
    with pytest.raises(PermissionDenied):
        run("household", "transfer", home, "--to", "320922100001", "--reason", "x", "--db", db,
            *VILLAGE)  # fmt: skip
