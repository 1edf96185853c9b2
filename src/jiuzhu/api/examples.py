"""A valid request body for each command, shown in ``/docs`` (the numbers of docs/domain.md
§10: 2,000 yuan a month, an appraisal of 20 present, Nanjing's line of 945 yuan)."""

from __future__ import annotations

from typing import Any

from ..service.registry import LEVELS
from ..workflows import (
    circumstance,
    fast_track,
    oneoff,
    out_of_area,
    review,
    service_plan,
    standard,
    temporary,
)

PERSON = "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"
HOUSEHOLD = "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
PLAN = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
APPRAISAL = {"outcome": "passed", "attendance": 20, "votes_for": 18, "votes_against": 1,
             "abstentions": 1}  # fmt: skip
INVESTIGATORS = ["bh-01", "bh-02"]

EXAMPLES: dict[str, dict[str, Any]] = {
    "add_org_unit": {"id": "320922100001", "name": "八滩村", "level": "village",
                     "parent_id": "320922100"},
    "register_household": {"members": [{"name": "陈必华", "id_number": "320922197403150018",
                                        "relation": "head"}]},
    "transfer_household": {"to_village": "320922101001", "reason": "迁居至八滩村"},
    "apply": {"household_id": HOUSEHOLD, "applicant_id": PERSON, "programme": "dibao",
              "cause": "major_illness", "expenditure": "90000"},
    "promise": {"signed_by": PERSON},
    "record_appraisal": APPRAISAL,
    "approve": {"monthly_amount": "2000"},
    "refuse": {"reason": "家庭经济状况不符合条件"},
    "record_verification": {"result": "meets_standard"},
    "withdraw": {"reason": "申请人主动撤回"},
    "open_service_plan": {"kind": "cleaning", "provider": {"name": "暖心洁家"},
                          "recurrence": {"type": "interval", "days": 2}},
    "record_visit": {"plan_id": PLAN, "what": "打扫卫生", "notes": "老人身体尚好"},
    "open_oneoff": {"kind": "rewiring", "what": "更换老化电线、加装漏电保护", "due_on": "2024-04-30",
                    "provider": {"name": "安心电工服务社"}},
    "complete_oneoff": {"oneoff_id": PLAN, "notes": "已通电测试"},
    "register_project": {"unit_id": "320922100", "name": "暖心助老", "year": 2024},
    "register_provider": {"unit_id": "320922100", "name": "暖心居家养老服务中心"},
    "suspend_service_plan": {"plan_id": PLAN, "reason": "住院期间暂停"},
    "resume_service_plan": {"plan_id": PLAN},
    "end_service_plan": {"plan_id": PLAN, "reason": "迁出本村"},
    "apply_standard": {"household_id": HOUSEHOLD, "applicant_id": PERSON},
    "start_investigation": {"investigators": INVESTIGATORS},
    "complete_investigation": {"household_income": "1200", "signed_by": PERSON,
                               "investigators": INVESTIGATORS},
    "record_check": {"result": "meets_standard"},
    "give_opinion": {"recommend": True, "opinion": "同意"},
    "record_objection": {"route": "appraisal", "summary": "群众对收入有异议"},
    "appraise_standard": APPRAISAL,
    "mark_special": {"reason": "hard_investigation"},
    "decide_standard": {"decision": "confirm"},
    "deliver_rejection_notice": {"delivered_on": "2024-04-02"},
    "apply_temporary": {"household_id": HOUSEHOLD, "applicant_id": PERSON},
    "assess_temporary": {"sudden_event": "火灾，消防部门证明"},
    "assist_first": {"multiplier": 2, "reason": "火灾，先行救助"},
    "complete_paperwork": {"sudden_event": "火灾，消防部门证明"},
    "decide_temporary": {"decision": "approve", "multiplier": 3},
    "close_temporary": {"note": "已回访"},
    "record_out_of_area": {"status": "dibao", "unit_name": "安徽省阜阳市颍州区民政局",
                           "unit_code": "341202", "document": "颍民救证〔2024〕15号",
                           "valid_until": "2024-09-30"},
    "reconfirm_out_of_area": {"document": "颍民救证〔2024〕88号", "valid_until": "2025-03-31"},
    "open_review": {"reason": "家庭成员就业，收入发生变化"},
    "investigate_review": {"findings": "长子已就业，月收入 2,000 元", "investigators": INVESTIGATORS,
                           "household_income": "2000"},
    "give_review_opinion": {"opinion": "建议调减保障金额"},
    "decide_review": {"outcome": "change", "reasons": "家庭收入增加", "monthly_amount": "835",
                      "from_month": "2024-05", "household_category": "able_to_work"},
    "record_circumstance": {"kind": "income_change", "household_income": "3000",
                            "note": "长子已就业"},
    "decide_phase_out": {"months": 4, "reasons": "家庭人均收入超过低保标准"},
    "record_rigid_expenditure": {"expenditure": "长期血液透析"},
    "renew_rigid_expenditure": {"note": "仍需长期透析"},
    "record_medical_bill": {"billed_on": "2024-03-20", "total": "90000",
                            "insurance_paid": "50000", "hospital": "滨海县人民医院"},
    "record_repayment": {"amount": "100"},
    "impose_fine": {"multiple": "1.5", "reason": "骗取低保金"},
    "write_off": {"amount": "100", "reason": "家庭成员死亡"},
}  # fmt: skip

# body fields with a closed set of values, by (command, field)
# (the service's own lists, as service/*.py check them with inputs.choice)
BODY_ENUMS: dict[tuple[str, str], list[Any]] = {
    ("apply", "programme"): list(fast_track.PROGRAMMES),
    ("apply", "cause"): list(fast_track.CAUSES),
    ("record_appraisal", "outcome"): ["passed", "failed"],
    ("appraise_standard", "outcome"): ["passed", "failed"],
    ("record_verification", "result"): list(fast_track.VERIFICATION_RESULTS),
    ("record_check", "result"): list(standard.CHECK_RESULTS),
    ("mark_special", "reason"): list(standard.SPECIAL_REASONS),
    ("apply_standard", "special"): list(standard.SPECIAL_REASONS),
    ("open_service_plan", "kind"): list(service_plan.KINDS),
    ("open_oneoff", "kind"): list(oneoff.KINDS),
    ("apply_temporary", "kind"): list(temporary.KINDS),
    ("record_objection", "route"): ["reinvestigate", "appraisal"],
    ("decide_standard", "decision"): ["confirm", "reject"],
    ("decide_temporary", "decision"): ["approve", "reject"],
    ("record_out_of_area", "status"): list(out_of_area.STATUSES),
    ("decide_review", "outcome"): list(review.OUTCOMES),
    ("record_circumstance", "kind"): list(circumstance.KINDS),
    ("decide_review", "household_category"): list(review.CATEGORIES),
    ("decide_standard", "household_category"): list(review.CATEGORIES),
    ("record_verification", "household_category"): list(review.CATEGORIES),
    ("add_org_unit", "level"): list(LEVELS),
}  # fmt: skip


__all__ = ["BODY_ENUMS", "EXAMPLES"]
