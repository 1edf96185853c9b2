"""``jiuzhu demo``: a year of stories, caseload, deadlines and services, then a passing audit."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from cli_support import Cli

from jiuzhu.clock import SHANGHAI

pytestmark = pytest.mark.slow
ID_NUMBER = re.compile(r"\b[1-9]\d{16}[\dX]\b")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def table(out: str, title: str, key: int) -> list[list[str]]:
    """The rows of the Rich table under ``title``, each cell without whitespace.

    A row starts on the line where column ``key`` (one that never wraps, such as a count) is
    filled; the lines below it continue its cells.  Whitespace is dropped because wrapping may
    split a text at a space or, in Chinese, anywhere.
    """
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            return rows
        if not line.startswith("│"):
            continue
        cells = ["".join(cell.split()) for cell in line.strip().strip("│").split("│")]
        if cells[key] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    raise AssertionError(f"table {title!r} has no end")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One run of ``jiuzhu demo --cases 200`` (a simulated year), read by the tests below."""
    directory = tmp_path_factory.mktemp("demo")
    return Cli(db=directory / "unused.db", cwd=directory).ok(
        "demo", "--cases", "200", "--db", str(directory / "demo.db"))  # fmt: skip


def test_demo_runs_200_cases_for_a_year_prints_the_stories_and_passes_the_audit(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    out = demo_run.stdout
    assert "容缺审批案件 fast-track cases by state" in out and "2024-02-20 → 2025-02-20" in out
    for label in ("核对通过", "verified", "先行批准", "provisionally approved", "已撤销",
                  "revoked"):  # fmt: skip
        assert label in out
    assert "applications: 200 generated + 12 stories" in out
    assert re.search(r"常规程序 standard path: \d+ cases \(.*confirmed \d+", out)
    assert re.search(r"临时救助 temporary assistance: \d+ cases", out)
    assert "refused at intake" in out and "commands/s" in out
    stories = {row[0]: row for row in table(out, "种子故事 the seed's stories", key=1)}
    assert all(UUID.match(row[1]) for row in stories.values())
    chen = stories["陈必华ChenBihua(seed)"]
    assert "核对通过verified" in chen[2]
    assert "回访follow-upvisit:12done,0missed,已结束ended" in chen[3]  # monthly, all year
    fraud = stories["falsification弄虚作假"]
    assert "已撤销revoked" in fraud[2]
    assert "核对逾期from2024-04-15,3weeklyreminder(s)beforetheresult" in fraud[3]
    assert "清洁照料cleaningandcare:7done,0missed,已结束ended" in fraud[3]  # ended by revoking
    assert "不予批准rejected" in stories["failedappraisal评议未通过"][2]
    assert "已撤回withdrawn" in stories["withdrawn撤回"][2]
    new_citizen = stories["新市民户籍地低保newcitizenwithout-of-areadibao"]
    assert "已发放paid" in new_citizen[2]  # one bill at the dibao ratio: 85 % of 4,000 yuan
    assert "(medical医疗救助3,400.00)" in new_citizen[3]
    review = stories["复核调减保障金are-reviewlowerstheamount"]
    assert "审核确认confirmed" in review[2]  # 6 x 1,635 (April to September) + 5 x 835
    assert "paid已发放13,985.00" in review[3]
    assert "re-review复核1:调整保障金额changetheamountto835.00from2024-10" in review[3]
    phased = stories["收入增加渐退anincomerisephasedout"]
    assert "已停止保障stoppedafterare-review" in phased[2]  # April to August at 1,635 yuan
    assert "paid已发放8,175.00" in phased[3]
    assert "re-review复核1:渐退phase-outpaying2024-06,2024-07,2024-08" in phased[3]
    served = stories["服务机构上门探访与电路改造aprovider'svisitsandarewiringproject"]
    assert "核对通过verified" in served[2]  # 12 months at 1,500 yuan
    assert "paid已发放18,000.00" in served[3] and "电路改造rewiring:已完成completed" in served[3]
    assert "上门探访homevisit:14done,0missed,已结束ended" in served[3]
    assert "audit passed" in out
    assert re.search(r"检查点 checkpoint 1 at 2025-02-20 17:30: root [0-9a-f]{16}… over [\d,]+ "
                     r"chain heads", out)  # fmt: skip
    assert "1 检查点 checkpoints" in out  # and the verify checked it
    assert not ID_NUMBER.search(out + demo_run.stderr)


def test_demo_summary_shows_late_checks_and_missed_visits_and_accounts_for_every_firing(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    out = demo_run.stdout
    timing = {row[1]: [number(cell) for cell in row[2:5]]
              for row in table(out, "核对时效 verification timeliness", key=2)}  # fmt: skip
    on_time, late, overdue, not_due, total = (timing[key] for key in (
        "ontime", "camebacklate", "stilloverdueattheend", "notyetdue",
        "provisionallyapproved"))  # fmt: skip
    assert on_time[0] + late[0] + overdue[0] + not_due[0] == total[0]
    assert min(on_time[0], late[0], overdue[0], not_due[0]) > 0  # a year shows every kind
    assert on_time[1:] == [0, 0] and not_due[1:] == [0, 0]  # never chased
    assert late[1] > 0 and late[2] > 0 and overdue[1] == overdue[0]  # overdue, then reminded
    assert f"overdue list at the end (jiuzhu deadlines overdue): {overdue[0]} cases" in out

    services = {row[0]: row for row in table(out, "服务计划 service plans", key=2)}
    for kind in ("清洁照料cleaningandcare", "回访follow-upvisit"):
        assert number(services[kind][2]) > 0 and number(services[kind][4]) > 0
    done, missed = number(services["合计"][4]), number(services["合计"][5])
    assert done > 10 * missed > 0  # most visits are done, some are missed
    assert f"missed-visit list (jiuzhu deadlines missed): {missed:,} occurrences" in out

    fired = re.search(r"after each due time\) fired ([\d,]+) deadlines, .* due: (.*)$", out,
                      re.MULTILINE)  # fmt: skip
    assert fired is not None
    by_type = {kind: number(n) for kind, n in (p.rsplit(" ", 1) for p in fired[2].split(", "))}
    assert number(fired[1]) == sum(by_type.values())
    assert (by_type["mark_overdue"], by_type["remind"], by_type["plan.miss"]) == (
        total[1], total[2], missed)  # fmt: skip
    assert by_type["pay_allowance"] > 0 and by_type["mark_limit_passed"] > 0


def test_demo_shows_the_money_paid_owed_back_and_repaid(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    out = demo_run.stdout
    months = {row[0]: [amount(c) for c in row[1:5]]
              for row in table(out, "资金 money by month", key=1)}  # fmt: skip
    assert "2024-02" in months and "2025-02" in months
    total = months.pop("合计total")
    assert [sum(m[i] for m in months.values()) for i in range(4)] == total
    assert months["2024-02"][1] == 35_275  # Chen Bihua's ICU bill: 85 % of 41,500 yuan
    assert total[2] >= 4_000 and total[3] >= 4_000  # the fraud story's recovery, repaid
    stories = {row[0]: row for row in table(out, "种子故事 the seed's stories", key=1)}
    fraud = stories["falsification弄虚作假"][3]
    assert "应追回4,000.00,repaid已退还4,000.00,stillowed尚欠0.00" in fraud
    assert "beforeinclusion,wasrefused" in stories["陈必华ChenBihua(seed)"][3]


def test_demo_recreates_its_default_file_but_keeps_other_files_unless_fresh(cli: Cli) -> None:
    first = cli.ok("demo", "--cases", "20")
    assert (cli.cwd / "jiuzhu-demo.db").exists() and "audit passed" in first.stdout
    second = cli.ok("demo", "--cases", "20")
    assert "removed the previous demo database" in second.stderr
    other = cli.cwd / "mine.db"
    cli.now = None  # an ordinary database of the system clock, not a simulation
    cli.ok("db", "upgrade", "--db", str(other))
    refused = cli("demo", "--cases", "20", "--db", str(other))
    assert refused.returncode == 4 and "--fresh" in refused.stderr
    assert "Error [invalid_input]" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "audit passed" in cli.ok("demo", "--cases", "20", "--db", str(other), "--fresh").stdout


def test_the_demo_database_is_a_simulation_the_console_program_carries_on_in_simulated_time(
    cli: Cli,
) -> None:
    demo_db = cli.cwd / "demo.db"
    shown = cli.ok("demo", "--cases", "20", "--db", str(demo_db)).stdout
    hint = f"JIUZHU_SIMULATED_TIME=2025-02-21T09:00:00+08:00 jiuzhu worker --once --db {demo_db}"
    assert hint in shown  # the demo's last day is 2025-02-20
    cli.db, cli.now = demo_db, datetime(2025, 3, 17, 9, 0, tzinfo=SHANGHAI)
    assert "模拟数据库 simulation" in cli.ok("db", "current").stdout
    report = json.loads(cli.ok("worker", "--once").stdout.splitlines()[-1])
    assert report["fired"] > 0 and report["failed"] == 0  # March's allowances, due on the 15th
    with sqlite3.connect(demo_db) as conn:
        (latest,) = conn.execute("SELECT max(occurred_at) FROM events").fetchone()
    assert latest.startswith("2025-03-17 01:0")  # 09:0x in Shanghai: the simulated time
    cli.ok("audit", "verify")
