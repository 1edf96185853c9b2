"""The policy file (docs/policy.md): its sections, TOML by extension, the one settings table,
and malformed files refused naming the key and what was expected, in English and Chinese."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.policy import (
    DEFAULT_BOOK,
    DEMO_FILE,
    ENV_POLICY_FILE,
    EPOCH,
    SETTINGS,
    PolicyBook,
    book_from,
    load,
    read_file,
    settings_table,
)
from jiuzhu.workflows import fast_track

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def line(**entry: Any) -> str:
    return json.dumps({"dibao_lines": {"3209": [entry]}})


GOOD = {"from": "2024-01-01", "yuan": "700"}
MALFORMED = [
    # (document, the key named, words of the English message, words of the Chinese one)
    ("[]", "the document", "expected an object", "应为对象"),
    ('{"lines": {}}', "lines", "unknown key 'lines'", "未知的键"),
    ('{"dibao_lines": []}', "dibao_lines", "expected an object", "应为对象"),
    ('{"dibao_lines": {"3209": {"from": "2024-01-01", "yuan": "700"}}}', "dibao_lines.3209",
     "expected a list of dated lines, got an object", "应为列表"),
    ('{"dibao_lines": {"3209": ["700"]}}', "dibao_lines.3209[0]", "expected an object", "应为对象"),
    (line(yuan="700"), "dibao_lines.3209[0].from", "the day it takes effect", "缺少生效日期"),
    (line(**{**GOOD, "from": "2024-02-30"}), "dibao_lines.3209[0].from",
     'expected a date YYYY-MM-DD such as "2024-01-01", got "2024-02-30"', "生效日期"),
    (line(**{**GOOD, "from": "2024-1-1"}), "dibao_lines.3209[0].from", "YYYY-MM-DD", "生效日期"),
    (line(**{**GOOD, "from": 20240101}), "dibao_lines.3209[0].from", "got the number", "生效日期"),
    (line(**{**GOOD, "yuan": 700}), "dibao_lines.3209[0].yuan",
     'expected a yuan amount as text such as "700", got the number 700', "低保标准应写成文字"),
    (line(**{**GOOD, "yuan": 700.5}), "dibao_lines.3209[0].yuan", "as text", "低保标准"),
    (line(from_="2024-01-01"), "dibao_lines.3209[0].from_", "unknown key 'from_'", "未知的键"),
    (line(**{**GOOD, "yuan": "-700"}), "dibao_lines.3209[0].yuan", "negative", "负数"),
    (line(**{**GOOD, "yuan": "0"}), "dibao_lines.3209[0].yuan", "above zero", "大于零"),
    (line(**{**GOOD, "yuan": "700.001"}), "dibao_lines.3209[0].yuan", "two decimals", "小数"),
    (line(**{**GOOD, "yuan": "seven hundred"}), "dibao_lines.3209[0].yuan", "not an amount",
     "金额"),
    (line(**{**GOOD, "source": 3}), "dibao_lines.3209[0].source", "text naming", "依据"),
    ('{"dibao_lines": {"320": [{"from": "2024-01-01", "yuan": "700"}]}}', "dibao_lines.320",
     "4-digit division code", "4 位行政区划代码"),
    ('{"dibao_lines": {"3201": [{"from": "2020-07-01", "yuan": "1000"}]}}',
     "dibao_lines.3201[0]", "never rewritten", "不能改写"),
    ('{"changes": {"from": "2025-01-01"}}', "changes", "expected a list of changes", "应为列表"),
    ('{"changes": [{"pay_day": 10}]}', "changes[0].from", "the day it takes effect", "缺少生效日期"),
    ('{"changes": [{"from": "2025-01-01"}]}', "changes[0]", "at least one setting", "至少"),
    ('{"changes": [{"from": "2025-01-01", "pay_dya": 10}]}', "changes[0].pay_dya",
     "unknown setting 'pay_dya'", "未知政策参数"),
    ('{"changes": [{"from": "2025-01-01", "pay_day": "10"}]}', "changes[0].pay_day",
     'expected a whole number from 1 to 28', "1 至 28 的整数"),
    ('{"changes": [{"from": "2025-01-01", "pay_day": 31}]}', "changes[0].pay_day",
     "got the number 31", "1 至 28"),
    ('{"changes": [{"from": "2025-01-01", "pay_day": true}]}', "changes[0].pay_day",
     "expected a whole number from 1 to 28", "整数"),
    ('{"changes": [{"from": "2025-01-01", "monthly_payments": 0}]}',
     "changes[0].monthly_payments", "expected true or false", "true 或 false"),
    ('{"changes": [{"from": "2025-01-01", "medical_ratio_pct": -5}]}',
     "changes[0].medical_ratio_pct", "from 0 to 100", "0 至 100"),
    ('{"changes": [{"from": "2025-01-01", "fast_track_threshold_yuan": 1.5}]}',
     "changes[0].fast_track_threshold_yuan", "whole number", "整数"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "english", "chinese"), MALFORMED,
                         ids=[m[1] + ":" + m[2][:24] for m in MALFORMED])  # fmt: skip
def test_a_malformed_file_is_refused_naming_the_key_and_what_was_expected(
    text: str, key: str, english: str, chinese: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        load(text, origin="policy file p.json")
    assert err.value.message.startswith(f"policy file p.json: {key}: "), err.value.message
    assert english in err.value.message
    assert chinese in err.value.zh and err.value.zh != err.value.message


def test_a_file_that_is_not_json_or_not_toml_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "p.toml"
    broken.write_text("[[dibao_lines.3209]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="is not valid TOML") as err:
        read_file(broken)
    assert "TOML" in err.value.zh
    with pytest.raises(InvalidInput, match="cannot read the policy file"):
        read_file(tmp_path / "missing.json")


def test_toml_by_extension_gives_the_same_book_as_json(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(
        '{"dibao_lines": {"3209": [{"from": "2024-01-01", "yuan": "700"}]},'
        ' "changes": [{"from": "2025-01-01", "pay_day": 10, "suspend_when_overdue": true}]}',
        encoding="utf-8",
    )
    (tmp_path / "p.toml").write_text(
        '[[dibao_lines.3209]]\nfrom = 2024-01-01\nyuan = "700"\n\n'
        "[[changes]]\nfrom = 2025-01-01\npay_day = 10\nsuspend_when_overdue = true\n",
        encoding="utf-8",
    )
    as_json, as_toml = read_file(tmp_path / "p.json"), read_file(tmp_path / "p.toml")
    assert as_json.describe() == as_toml.describe()
    assert as_toml.settings_on(date(2025, 1, 1))["suspend_when_overdue"] is True
    assert as_toml.settings_on(date(2024, 12, 31))["pay_day"] == 15


def test_the_docs_examples_load_and_the_doc_carries_the_settings_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    json_example = re.search(r"```json\n(.*?)```", text, re.S)
    toml_example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert json_example and toml_example
    book = load(json_example.group(1))
    assert book.dibao_line("3209", date(2025, 7, 1)).monthly_fen == 85_000
    assert load(toml_example.group(1), fmt="toml").settings_on(date(2025, 1, 1))["pay_day"] == 10
    assert settings_table() in text, "docs/policy.md's table is stale: paste settings_table()"
    assert all(f"| `{key}` |" in text for key in SETTINGS)


def test_every_fast_track_and_money_setting_is_in_the_one_table() -> None:
    for key in ("fast_track_threshold_yuan", "verification_months", "reminder_days",
                "suspend_when_overdue", "monthly_payments", "pay_day", "medical_ratio_pct",
                "medical_cap_yuan", "max_bill_yuan", "recover_on_termination",
                "max_expenditure_yuan", "max_monthly_amount_yuan"):  # fmt: skip
        assert key in SETTINGS and SETTINGS[key].source
    assert SETTINGS["fast_track_threshold_yuan"].default == 30_000
    booleans = {k for k, s in SETTINGS.items() if s.bounds is None}
    assert booleans == {"suspend_when_overdue", "monthly_payments", "recover_on_termination"}
    assert all(isinstance(SETTINGS[k].default, bool) for k in booleans)


def test_the_fast_track_records_its_part_of_the_book_under_the_keys_its_guards_read() -> None:
    book = DEFAULT_BOOK.with_settings("2025-01-01", fast_track_threshold_yuan=40_000)
    recorded = fast_track.recorded_policy(book.settings_on(date(2025, 1, 1)), date(2025, 1, 1))
    assert recorded["threshold_fen"] == 4_000_000 and recorded["in_force_on"] == "2025-01-01"
    assert fast_track.recorded_policy(book.settings_on(date(2024, 12, 31)))["threshold_fen"] == (
        3_000_000
    )
    assert fast_track.DEFAULT_POLICY["threshold_fen"] == 3_000_000
    assert set(fast_track.DEFAULT_POLICY) == {"threshold_fen", *fast_track.RECORDED}


def test_book_from_takes_a_book_a_path_or_overrides_and_else_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_POLICY_FILE, raising=False)
    assert book_from(None) is DEFAULT_BOOK
    assert book_from(DEFAULT_BOOK) is DEFAULT_BOOK
    overrides = book_from({"monthly_payments": False, "pay_day": 5})
    assert overrides.changes == ((EPOCH, {"monthly_payments": False, "pay_day": 5}),)
    assert overrides.settings_on(date(2024, 3, 1))["monthly_payments"] is False
    path = tmp_path / "p.json"
    path.write_text(line(**GOOD), encoding="utf-8")
    assert book_from(str(path)).dibao_line("3209", date(2024, 3, 1)).monthly_fen == 70_000
    assert book_from(path).dibao_line("3209", date(2024, 3, 1)).monthly_fen == 70_000
    monkeypatch.setenv(ENV_POLICY_FILE, str(path))
    assert book_from(None).dibao_line("3209", date(2024, 3, 1)).monthly_fen == 70_000


@pytest.mark.parametrize(
    ("policy", "words"),
    [({"threshold_fen": 5_000_000}, "renamed: fast_track_threshold_yuan"),
     ({"reminder_days": "7"}, "reminder_days: expected a whole number"),
     ({"suspend_when_overdue": 1}, "expected true or false"),
     (42, "not int")],
)  # fmt: skip
def test_book_from_refuses_bad_overrides_clearly(policy: object, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        book_from(policy)
    assert words in err.value.message and err.value.zh


def test_the_demo_file_has_lines_for_the_three_cities_with_their_sources() -> None:
    book = read_file(DEMO_FILE)
    on = date(2024, 3, 15)
    nanjing = book.dibao_line("3201", on)
    assert (nanjing.monthly_fen, nanjing.effective_from) == (94_500, date(2020, 7, 1))
    assert "宁民救〔2020〕95号" in nanjing.source
    for city in ("3205", "3209"):
        assert book.dibao_line(city, on).source.startswith("configuration (no source known)")
    assert isinstance(book, PolicyBook) and book.changes == ()
