"""``jiuzhu temporary out-of-area`` and ``reconfirm``, and a bill paid on the status, through the
real program (at the simulated time of ``cli_support``: 2024-03-15)."""

from __future__ import annotations

from cli_support import Cli
from test_cli_cases import assert_refused, snapshot
from test_cli_standard import COUNTY, TOWNSHIP, VILLAGE, set_up_qinhuai

STATUS = ("--status", "dibao", "--unit-name", "安徽省阜阳市颍州区民政局", "--unit-code", "341202",
          "--document", "颍民救证〔2024〕15号")  # fmt: skip


def test_the_status_is_recorded_pays_a_bill_and_is_reconfirmed_through_the_cli(cli: Cli) -> None:
    home = set_up_qinhuai(cli)
    case = cli.json("temporary", "apply", *VILLAGE, "--household", home["id"],
                    "--applicant", home["member_ids"][0], "--new-citizen")  # fmt: skip
    before = snapshot(cli.db)
    refused = cli("temporary", "out-of-area", case["id"], *VILLAGE, *STATUS[:4],
                  "--unit-code", "320104", *STATUS[6:], "--valid-until", "2024-09-30")  # fmt: skip
    assert_refused(refused, 5, "rule_refused", "即本案所在区县", "this case's own county")
    assert snapshot(cli.db) == before
    case = cli.json("temporary", "out-of-area", case["id"], *VILLAGE, *STATUS,
                    "--valid-until", "2024-09-30")  # fmt: skip
    assert case["facts"]["out_of_area"]["state"] == "valid"
    assert set(case["deadlines"]) == {"out_of_area_reconfirm", "out_of_area_lapse"}
    paid = cli.ok("money", "bill", case["id"], *TOWNSHIP, "--total", "12000", "--insurance",
                  "8000", "--hospital", "南京市第一医院", "--date", "2024-03-15").stdout  # fmt: skip
    assert "3,400.00" in paid  # 85% of what insurance left
    case = cli.json("temporary", "reconfirm", case["id"], *TOWNSHIP, "--document", "续证",
                    "--valid-until", "2025-03-15")  # fmt: skip
    assert case["facts"]["out_of_area"]["valid_until"] == "2025-03-15"
    history = cli.ok("case", "history", case["id"], *COUNTY).stdout
    for label in ("登记户籍地低保、特困身份", "医疗救助结算", "复核户籍地低保、特困身份"):
        assert label in history


def test_the_commands_explain_themselves_in_chinese_and_english(cli: Cli) -> None:
    for command in ("out-of-area", "reconfirm"):
        shown = cli.ok("temporary", command, "--help").stdout
        assert "--valid-until" in shown and "有效期至" in shown and "Valid until" in shown
