"""Every label of the pages, in Chinese first and English: the one table of strings.

The language is a cookie (``lang=zh|en``, Chinese by default).  State, trigger and role labels
come from the workflows and :mod:`jiuzhu.service.actors`; everything else the pages say is here.
"""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")
LANG_COOKIE = "jiuzhu_lang"

STRINGS: dict[str, tuple[str, str]] = {
    # frame
    "app": ("救助 社会救助办理", "jiuzhu social assistance"),
    "skip": ("跳到正文", "Skip to content"),
    "switch": ("English", "中文"),
    "switch_label": ("切换语言", "Switch language"),
    "nav": ("主导航", "Main navigation"),
    "home": ("首页", "Home"),
    "search": ("查找案件", "Find a case"),
    "queues": ("工作队列", "Work queues"),
    "audit": ("审计监督", "Audit"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "sign_in_intro": (
        "请使用本单位分配的账户登录。",
        "Sign in with the account your unit gave you.",
    ),
    "provider_tasks": ("服务任务", "Service tasks"),
    "provider_intro": (
        "本机构承接的上门服务和一次性项目，按应办时间排序。完成后在此登记。",
        "The visits and one-off projects assigned to your organisation, the earliest due "
        "first. Record each here once done.",
    ),
    "no_tasks": ("暂无待办的服务任务。", "Nothing awaits your organisation."),
    "task_recorded": ("已登记，谢谢。", "Recorded, thank you."),
    "service_done": ("服务内容", "What was done"),
    "notes": ("备注", "Notes"),
    "record_visit": ("登记到访", "Record the visit"),
    "mark_done": ("登记完成", "Mark it done"),
    "error": ("出错了", "Something went wrong"),
    "refused": ("未能办理", "Not done"),
    "csrf_title": ("请求已被拒绝", "Request refused"),
    "csrf_text": (
        "表单已过期或来源不明，未作任何更改。请返回页面刷新后重试。",
        "The form had expired or did not come from this site; nothing was changed. "
        "Go back, reload the page and try again.",
    ),
    "not_found_title": ("未找到", "Not found"),
    "back_home": ("返回首页", "Back to the home page"),
    # home
    "your_unit": ("所在单位", "Your unit"),
    "role": ("角色", "Role"),
    "queue_counts": ("待办数量", "Work waiting"),
    # cases
    "case": ("案件", "Case"),
    "case_no": ("案件编号", "Case number"),
    "state": ("当前状态", "State"),
    "programme": ("救助项目", "Programme"),
    "village": ("所属村（社区）", "Village / community"),
    "opened_at": ("申请时间", "Opened"),
    "expenditure": ("突发支出", "Sudden expenditure"),
    "monthly_amount": ("每月金额", "Monthly amount"),
    "diagram": ("办理流程", "Workflow"),
    "diagram_desc": (
        "流程图，当前状态已突出显示",
        "Workflow diagram, the current state highlighted",
    ),
    "timeline": ("办理记录", "Timeline"),
    "when": ("时间", "When"),
    "who": ("办理人", "Who"),
    "what": ("事项", "What"),
    "deadlines": ("待办期限", "Open deadlines"),
    "due_at": ("到期时间", "Due"),
    "time_left": ("剩余时间", "Time left"),
    "overdue_by": ("已逾期 {t}", "overdue by {t}"),
    "no_deadlines": ("没有待办期限。", "No open deadlines."),
    "ledger": ("资金台账", "Ledger"),
    "kind": ("类别", "Kind"),
    "amount": ("金额", "Amount"),
    "booked_on": ("记账日期", "Booked on"),
    "period": ("所属月份", "Month"),
    "balance": ("合计", "Totals"),
    "paid_fen": ("已发放合计", "paid out in all"),
    "owed_fen": ("尚欠（应追回）", "still owed"),
    "no_entries": ("尚无资金记录。", "No entries yet."),
    "plans": ("服务计划", "Service plans"),
    "no_plans": ("没有服务计划。", "No service plans."),
    "plan_done": ("已完成 {n} 次", "{n} done"),
    "plan_missed": ("未完成 {n} 次", "{n} missed"),
    "plan_next": ("下次：{t}", "next: {t}"),
    "members": ("家庭成员", "Household members"),
    "name": ("姓名", "Name"),
    "relation": ("关系", "Relation"),
    "id_number": ("身份证号", "ID number"),
    "actions": ("可办理事项", "What you can do"),
    "no_actions": ("当前没有您可办理的事项。", "Nothing for you to do on this case now."),
    "others_turn": ("待{who}办理：{what}", "Waiting for the {who}: {what}"),
    "submit": ("提交", "Submit"),
    "optional": ("（选填）", "(optional)"),
    "yuan": ("元", "yuan"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "conflict_hint": (
        "案件已被他人更新，请查看最新情况后重新办理。",
        "Someone else changed the case meanwhile: look at it again and decide anew.",
    ),
    "print": ("打印案件摘要", "Print the case summary"),
    "printed_at": ("打印时间", "Printed"),
    # a new application
    "new_application": ("新申请", "New application"),
    "household_intro": (
        "先登记申请家庭及其成员（姓名、身份证号、关系），再填写申请。",
        "First register the household and its members (name, ID number, "
        "relation), then fill in the application.",
    ),
    "member_n": ("家庭成员 {n}", "Member {n}"),
    "register_household": ("登记家庭", "Register the household"),
    "applicant": ("申请人", "Applicant"),
    "submit_application": ("提交申请", "Submit the application"),
    # search and queues
    "search_intro": ("按姓名、身份证号或案件编号查找。", "Find by name, ID number or case number."),
    "results": ("查找结果", "Results"),
    "no_results": ("没有找到符合条件的案件。", "No case matches."),
    "open": ("查看", "Open"),
    "reason": ("原因", "Reason"),
    "queue_empty": ("这个队列是空的。", "This queue is empty."),
    # audit
    "findings": ("检查发现", "Findings"),
    "summary": ("按类别和单位汇总", "By kind and unit"),
    "count": ("数量", "Count"),
    "unit": ("单位", "Unit"),
    "all": ("全部", "all"),
    "filter": ("筛选", "Filter"),
    "next_page": ("下一页", "Next page"),
    "no_findings": ("没有检查发现。", "No findings."),
    "verify": ("校验记录链", "Verify the chains"),
    "verify_intro": (
        "逐案重算事件哈希链，核对案件与台账。",
        "Recomputes every case's hash chain and checks cases and ledgers.",
    ),
    "verify_run": ("开始校验", "Run verification"),
    "progress": ("进度", "Progress"),
    "verify_ok": (
        "校验通过：{cases} 个案件，{events} 条事件，无断点。",
        "Verified: {cases} cases, {events} events, no break.",
    ),
    "verify_breaks": ("发现 {n} 处断点：", "{n} breaks found:"),
    "replay": ("按日期回放", "Replay as of a date"),
    "replay_intro": (
        "查看案件在某一时刻的状态，并与现在比较。",
        "See a case as it stood at a moment, compared with today.",
    ),
    "as_of": ("截至", "As of"),
    "then": ("当时", "Then"),
    "now": ("现在", "Now"),
    "field": ("字段", "Field"),
    "no_differences": ("与现在没有差别。", "No difference from today."),
    "checkpoints": ("检查点", "Checkpoints"),
    "no_checkpoints": ("尚无检查点。", "No checkpoints yet."),
    "export": ("下载审计导出", "Download the audit export"),
    "export_intro": (
        "导出不含个人信息（只含编号）。",
        "The export holds no personal data (ids only).",
    ),
    "reads": ("个人信息查阅记录", "Personal-data reads"),
    "purpose": ("用途", "Purpose"),
    "person": ("人员编号", "Person id"),
    "read_at": ("查阅时间", "Read at"),
    "older": ("更早的记录", "Older entries"),
    # the household's chain
    "household_chain": ("家庭救助链", "The household's chain"),
    "household_chain_intro": (
        "该家庭各项救助的全部案件、发放和服务，按时间排列（共 {n} 项）。",
        "Every case, payment and service of this household, in time order ({n} items).",
    ),
    "detail": ("说明", "Detail"),
    "paid_under": ("已由案件 {case} 发放", "paid under case {case}"),
    "no_chain": ("该家庭尚无记录。", "Nothing recorded for this household yet."),
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def pick(lang: str, label: Any) -> str:
    """A workflow ``Label`` (``zh``/``en``), a ``(zh, en)`` pair or a plain string, in ``lang``."""
    if isinstance(label, tuple):
        return str(label[1] if lang == "en" else label[0])
    if hasattr(label, "zh"):
        return str(label.en if lang == "en" else label.zh)
    return str(label)


def lang_of(cookie: str | None) -> str:
    return cookie if cookie in LANGS else "zh"
