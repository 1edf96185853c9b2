"""The import file layout: headers in Chinese, English or both; encodings; row checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.service.import_checks import RowRefused, case_row, household_row
from jiuzhu.service.import_layout import COLUMNS, map_header, read_rows, write_template
from jiuzhu.service.imports import mask

TODAY = date(2024, 3, 15)


def test_a_header_may_be_chinese_english_or_both() -> None:
    keys = [c.key for c in COLUMNS["households"]]
    for header in ([c.zh for c in COLUMNS["households"]], keys,
                   [c.header for c in COLUMNS["households"]],
                   ["户 编号", "NAME", "身份证号", "Relation", "村(社区)代码"]):  # fmt: skip
        positions = map_header("households", header)
        assert list(positions) == keys[: len(header)]


def test_unknown_repeated_and_missing_columns_are_refused_in_both_languages() -> None:
    for header, words in ((["户编号", "电话"], "not a column"), (["姓名", "name"], "twice"),
                          (["姓名"], "lacks the column")):  # fmt: skip
        with pytest.raises(InvalidInput, match=words) as err:
            map_header("households", header)
        assert err.value.zh != err.value.message
    with pytest.raises(InvalidInput, match="household_key"):
        map_header("cases", ["救助项目", "办理流程", "当前状态", "月救助金额", "决定日期",
                             "起始发放月份"])  # fmt: skip


def test_utf8_with_a_bom_gb18030_and_xlsx_read_alike(tmp_path: Path) -> None:
    text = "户编号,姓名\n\nH1,陈必华\n"
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "gb.csv").write_bytes(text.encode("gb18030"))
    write_template("households", tmp_path / "t.xlsx")
    expected = [(1, ["户编号", "姓名"]), (3, ["H1", "陈必华"])]  # a blank row keeps its number
    assert list(read_rows(tmp_path / "bom.csv")) == expected
    assert list(read_rows(tmp_path / "gb.csv")) == expected
    assert list(read_rows(tmp_path / "t.xlsx")) == [(1, [c.header for c in COLUMNS["households"]])]


def test_id_numbers_are_masked_in_the_error_report() -> None:
    assert mask("11010519491231002x") == "110105********002X"
    assert mask("11010519491231") == "110105****1231"
    assert mask("1101051949123") == "*" * 13
    assert mask("12345") == "*****"


def test_row_checks_name_the_column_and_say_why() -> None:
    cells = {"household_key": "H1", "name": "陈必华", "id_number": "110105194912310021",
             "relation": "户主", "village": "v1"}  # fmt: skip
    with pytest.raises(RowRefused) as err:
        household_row(2, cells, TODAY)
    assert err.value.column == "id_number" and "check" in err.value.en
    assert household_row(2, {**cells, "id_number": "11010519491231002X"}, TODAY).relation == "head"
    case = {"household_key": "H1", "programme": "最低生活保障", "workflow": "审核确认",
            "state": "审核确认", "monthly_amount": "650", "decision_date": "2024-01-10",
            "start_month": "2024-02"}  # fmt: skip
    assert case_row(2, case, TODAY).decision["monthly_fen"] == 65_000
    for change, column in (({"decision_date": "2024-04-01"}, "decision_date"),
                           ({"paid_through": "2024-2"}, "paid_through"),
                           ({"paid_through": "2024-05"}, "paid_through"),
                           ({"monthly_amount": "abc"}, "monthly_amount"),
                           ({"workflow": "other"}, "workflow"),
                           ({"verification_due": "2024-04-01"}, "verification_due"),
                           ({"workflow": "fast_track", "state": "verified"}, "cause")):  # fmt: skip
        with pytest.raises(RowRefused) as err:
            case_row(2, {**case, **change}, TODAY)
        assert err.value.column == column, change
