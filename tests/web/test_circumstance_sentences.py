"""The timeline's sentences for the changes of circumstance, in both languages."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from jiuzhu.web.sentences import sentence


def said(type_: str, payload: dict[str, Any], lang: str) -> str:
    return sentence(SimpleNamespace(type=type_, payload=payload, type_zh="", type_en=""), lang)


def test_each_event_reads_as_a_sentence() -> None:
    assert (
        said("record_circumstance", {"kind": "death"}, "zh")
        == "记录家庭情况变化（家庭成员死亡），启动复核"
    )
    assert "a member died" in said("record_circumstance", {"kind": "death"}, "en")
    phase = {"months": 4, "paid_months": ["2024-04", "2024-05", "2024-06", "2024-07"],
             "reasons": "收入超过低保标准"}  # fmt: skip
    assert (
        said("decide_phase_out", phase, "zh") == "决定渐退 4 个月，发放至 2024-07：收入超过低保标准"
    )
    assert "paid through 2024-07" in said("decide_phase_out", phase, "en")
    assert said("record_rigid_expenditure", {"expenditure": "长期透析"}, "zh").endswith("长期透析")
    assert "2025-03-09" in said("lapse_rigid_expenditure", {"until": "2025-03-09"}, "en")
    assert said("renew_rigid_expenditure", {}, "zh") == "刚性支出认定续期"
