"""Each operation's summary in the OpenAPI document: Chinese, then English ("先行批准 · approve").

By route name (the service method).  The names of the case-finding routes (search, queues,
members, the personal-data read log) are listed ahead of their routes.
"""

from __future__ import annotations

SUMMARIES: dict[str, str] = {
    "add_org_unit": "新增单位 · add an organisation unit",
    "register_household": "登记家庭 · register a household",
    "get_household": "查看家庭 · household",
    "apply": "容缺申请 · apply (fast track)",
    "promise": "签署信用承诺 · sign the credit commitment",
    "record_appraisal": "民主评议 · record the democratic appraisal",
    "approve": "先行批准 · approve",
    "refuse": "不予批准 · refuse",
    "record_verification": "核对结果 · record the data check",
    "withdraw": "撤回申请 · withdraw",
    "open_service_plan": "制定服务计划 · open a service plan",
    "record_visit": "记录服务 · record a visit",
    "suspend_service_plan": "暂停服务 · suspend a service plan",
    "resume_service_plan": "恢复服务 · resume a service plan",
    "end_service_plan": "结束服务 · end a service plan",
    "open_oneoff": "设立一次性服务项目 · open a one-off project",
    "complete_oneoff": "完成一次性服务项目 · complete a one-off project",
    "register_provider": "登记服务机构 · register a service provider",
    "list_providers": "服务机构列表 · service providers",
    "provider_plans": "本机构待服务计划 · the provider's plans awaiting a visit",
    "apply_standard": "低保申请 · apply (standard path)",
    "accept_standard": "受理 · accept",
    "start_investigation": "开始入户调查 · start the home investigation",
    "complete_investigation": "完成入户调查 · complete the home investigation",
    "start_verification": "开始经济状况核对 · start the data check",
    "record_check": "核对结果 · record the check",
    "give_opinion": "乡镇初审意见 · township opinion",
    "record_objection": "公示异议 · record an objection",
    "appraise_standard": "民主评议 · democratic appraisal",
    "mark_special": "特殊情况延期 · mark as a special case",
    "decide_standard": "县级审核确认 · county decision",
    "deliver_rejection_notice": "送达不予确认通知 · deliver the rejection notice",
    "limit_alarms_page": "时限预警 · limit alarms",
    "apply_temporary": "临时救助申请 · apply (temporary assistance)",
    "assess_temporary": "临时救助评估 · assess",
    "assist_first": "先行救助 · assist first",
    "complete_paperwork": "补齐手续 · complete the paperwork",
    "decide_temporary": "临时救助审批 · decide",
    "pay_temporary": "发放临时救助 · pay",
    "close_temporary": "结案 · close",
    "record_out_of_area": "登记户籍地低保、特困身份 · record the out-of-area status",
    "reconfirm_out_of_area": "复核户籍地身份 · re-confirm the out-of-area status",
    "open_review": "启动复核 · open a re-review (township)",
    "investigate_review": "复核入户调查 · re-review: the village's investigation",
    "give_review_opinion": "复核乡镇意见 · re-review: the township's opinion",
    "decide_review": "复核决定（继续、调整、暂停、停止） · re-review: the county's decision",
    "record_medical_bill": "医疗救助 · record a medical bill",
    "record_repayment": "记录退还 · record a repayment",
    "impose_fine": "处以罚款 · impose a fine",
    "write_off": "核销 · write off",
    "ledger": "资金台账 · ledger",
    "credit_records_page": "失信记录 · credit records",
    "cases_page": "案件列表 · cases",
    "get_case": "查看案件 · case",
    "history": "案件历史 · history",
    "replay": "重放核对 · replay (as of an instant)",
    "report": "统计报表 · unit report",
    "count_by_state": "按状态统计 · counts by state",
    "overdue_verifications_page": "核对逾期 · overdue data checks",
    "missed_visits_page": "服务漏访 · missed visits",
    "findings": "合规问题 · findings",
    "findings_summary": "合规问题汇总 · findings summary",
    "checkpoints": "审计检查点 · checkpoints",
    # the case-finding routes
    "find_case": "查找案件 · find a case",
    "search": "搜索 · search",
    "queue": "待办队列 · work queue",
    "members": "家庭成员 · household members",
    "personal_data_reads": "个人信息查阅记录 · personal-data read log",
    "unit_names": "单位名称 · unit names",
}


def summary_of(name: str) -> str:
    return SUMMARIES.get(name, name.replace("_", " "))


__all__ = ["SUMMARIES", "summary_of"]
