"""A letter's text, from the case's events and the registry's names (pure: no PDF, no I/O).

:func:`build` gives a :class:`LetterContent`: title, addressee, paragraphs, an itemised table,
signature lines, the facts the check code binds and the code itself.  The wording of the route
of appeal and of the credit commitment's consequences is here, in one place each
(:data:`APPEAL`, :data:`CONSEQUENCES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..clock import parse_iso_utc
from ..ledger import KIND_LABELS
from ..money import yuan
from ..workflows import fast_track, standard, temporary
from .code import check_code, grouped, qr_text
from .facts import KINDS, Event, letter_facts, pick

# The route of appeal of a refusal: administrative reconsideration within 60 days (Administrative
# Reconsideration Law art. 20) or a suit within 6 months (Administrative Litigation Law art. 46).
APPEAL = ("如对本决定不服，可以自收到本告知书之日起六十日内向{county}人民政府申请行政复议，"
          "或者自收到本告知书之日起六个月内依法向人民法院提起行政诉讼。")  # fmt: skip
APPEAL_EN = ("Appeal: administrative reconsideration 行政复议 within 60 days, or administrative "
             "litigation 行政诉讼 within 6 months, of receiving this notice.")  # fmt: skip
# What the credit commitment binds the household to (the fast track's revocation, recovery,
# fine of 1-3 times what was obtained, and the credit record: docs/domain.md §3, §7)
CONSEQUENCES = ("如经家庭经济状况核对发现隐瞒、虚报家庭收入和财产等弄虚作假情形，将撤销救助，"
                "追回已发放的全部救助资金，处以所骗取金额一倍以上三倍以下的罚款，"
                "并将失信行为记入个人信用记录。")  # fmt: skip
CAUSES = {k: v.zh for k, v in fast_track.CAUSES.items()}
PROGRAMMES = {**{k: v.zh for k, v in fast_track.PROGRAMMES.items()},
              standard.PROGRAMME: "最低生活保障", temporary.PROGRAMME: "临时救助"}  # fmt: skip
TITLES = {
    ("approval", "fast_track"): ("先行救助审批决定书", "Provisional-approval decision"),
    ("approval", "standard"): ("最低生活保障审核确认决定书", "Decision of approval (dibao)"),
    ("approval", "temporary"): (
        "临时救助审批决定书",
        "Decision of approval (temporary assistance)",
    ),
}


@dataclass(frozen=True)
class Names:
    """Registry facts a letter shows but its code never binds: people and units by id."""

    people: Mapping[str, tuple[str, str]]  # person id -> (name, relation)
    units: Mapping[str, str]  # unit id -> name


@dataclass(frozen=True)
class LetterContent:
    kind: str
    title: str
    title_en: str
    case_id: str
    case_no: str
    seq: int
    day: date
    occurred_at: datetime
    unit_name: str  # the unit that issues the letter (the event's actor's unit)
    addressee: str
    paragraphs: tuple[str, ...]
    header: tuple[str, ...] = ()  # the itemised table's header ...
    rows: tuple[tuple[str, ...], ...] = ()  # ... and its rows
    after: tuple[str, ...] = ()  # paragraphs after the table
    signature: tuple[str, ...] = ()  # lines to sign on (the commitment)
    facts: dict[str, Any] = field(default_factory=dict)
    code: str = ""
    person_ids: tuple[str, ...] = ()  # whose names the letter shows (the read log)

    @property
    def qr(self) -> str:
        return qr_text(self.case_no, self.seq, self.code)

    @property
    def code_grouped(self) -> str:
        return grouped(self.code)


def zh_date(day: date | str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def zh_month(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def money(fen: int) -> str:
    return f"{yuan(fen)} 元"


def build(
    kind: str, events: Sequence[Event], names: Names, seq: int | None = None
) -> LetterContent:
    """The ``kind`` letter of the case whose events are ``events`` (at event ``seq``, default:
    the latest event of that kind)."""
    event = pick(events, kind, seq)
    facts = letter_facts(kind, events, event["seq"])
    opening = events[0]["payload"]
    path = str(opening["org_path"]).split("/")
    county = names.units.get(path[0], path[0])
    township = names.units.get(path[1], path[1]) if len(path) > 1 else county
    members = [m for m in opening.get("member_ids", []) if m in names.people]
    head = next((m for m in members if names.people[m][1] == "head"), opening["applicant_id"])
    applicant = opening["applicant_id"]
    head_name = names.people.get(head, ("", ""))[0]
    applicant_name = names.people.get(applicant, ("", ""))[0]
    programme = PROGRAMMES.get(facts["programme"], facts["programme"])
    label = KINDS[kind]
    title, title_en = TITLES.get((kind, facts["workflow"]), (label.zh, label.en.capitalize()))
    text: dict[str, Any] = {}
    if kind == "approval":
        text = _approval(facts, head_name, programme, opening)
    elif kind == "refusal":
        text = _refusal(facts, event, programme, county)
    elif kind == "recovery":
        text = _recovery(facts, event, township)
    else:
        text = _commitment(facts, head_name, applicant_name, programme, township)
    return LetterContent(
        kind=kind, title=title, title_en=title_en, case_id=facts["case_id"],
        case_no=facts["case_no"], seq=facts["seq"], day=date.fromisoformat(facts["date"]),
        occurred_at=parse_iso_utc(str(event["occurred_at"])),
        unit_name=names.units.get(event["actor"]["org"], event["actor"]["org"]),
        addressee=text.pop("addressee", f"{head_name}（户主）："), facts=facts,
        code=check_code(facts), person_ids=tuple(dict.fromkeys((head, applicant))), **text,
    )  # fmt: skip


def _approval(facts: Mapping[str, Any], head: str, programme: str,
              opening: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    if facts["workflow"] == "fast_track":
        cause = CAUSES.get(opening.get("cause", ""), opening.get("cause", ""))
        due = facts.get("verification_due")
        return {
            "paragraphs": (
                f"你户因{cause}发生突发性刚性支出 {money(facts['expenditure_fen'])}，申请{programme}。"
                "经签署诚信承诺、村（社区）民主评议通过，根据容缺审批（先行救助）的规定，"
                "决定先行给予救助，自审批当月起发放：",),
            "header": ("项目 item", "内容 value"),
            "rows": (("救助项目 programme", programme),
                     ("月救助金额 monthly amount", money(facts["monthly_fen"])),
                     ("起始月份 from month", zh_month(facts["from_month"])),
                     ("家庭经济状况核对截止日期 verification deadline",
                      zh_date(due) if due else "—")),
            "after": ("先行救助后将开展家庭经济状况核对。核对符合条件的，继续给予救助；"
                      "核对不符合条件的，自次月起停止救助。",
                      "根据你户签署的诚信承诺书：" + CONSEQUENCES),
        }  # fmt: skip
    if facts["workflow"] == "standard":
        return {
            "paragraphs": (f"经审核确认，你户符合{programme}条件，决定给予救助，"
                           "自审核确认之日的次月起发放：",),
            "header": ("项目 item", "内容 value"),
            "rows": (("救助项目 programme", programme),
                     ("月救助金额 monthly amount", money(facts["monthly_fen"])),
                     ("起始月份 from month", zh_month(facts["from_month"]))),
            "after": ("享受救助期间，家庭人口、收入、财产状况发生变化的，应当及时告知"
                      "乡镇人民政府（街道办事处）。",),
        }  # fmt: skip
    first = (
        "经审核，决定先行给予临时救助（先行救助，须按期补齐手续）："
        if facts["event"] == ("assist_first")
        else "经审核，你户符合临时救助条件，决定给予临时救助："
    )
    return {
        "paragraphs": (first,),
        "header": ("项目 item", "内容 value"),
        "rows": (("救助倍数 multiplier", f"{facts.get('multiplier', '')} 倍低保标准"),
                 ("家庭人口 household size", f"{facts.get('household_size', '')} 人"),
                 ("救助金额合计 total", money(facts.get("total_fen", 0))),
                 ("其中现金 in cash", money(facts.get("cash_fen", 0))),
                 ("其中实物 in kind", money(facts.get("in_kind_fen", 0)))),
    }  # fmt: skip


def _refusal(facts: Mapping[str, Any], event: Event, programme: str, county: str) -> dict[str, Any]:
    payload = event["payload"]
    if event["type"] == "fail_appraisal":
        v = facts.get("votes", {})
        reason = (f"村（社区）民主评议未通过（出席 {v.get('attendance', '')} 人，赞成 "
                  f"{v.get('votes_for', '')} 票，反对 {v.get('votes_against', '')} 票，"
                  f"弃权 {v.get('abstentions', 0)} 票）")  # fmt: skip
    else:
        reason = str(payload.get("reason") or "—")
    return {
        "paragraphs": (
            f"你户的{programme}申请，经审核，决定不予批准。",
            f"不予批准的理由 reasons：{reason}",
        ),
        "after": (APPEAL.format(county=county), APPEAL_EN),
    }


def _recovery(facts: Mapping[str, Any], event: Event, township: str) -> dict[str, Any]:
    reason = str(event["payload"].get("reason") or "核对发现弄虚作假")
    rows = []
    for i, item in enumerate(facts["items"], 1):
        what = KIND_LABELS.get(item["for"], (item["for"], ""))[0]
        when = zh_month(item["period"]) if item.get("period") else (item.get("ref") or "")
        rows.append((str(i), what, when, money(item["amount_fen"])))
    return {
        "paragraphs": (
            "经家庭经济状况核对，你户存在弄虚作假情形（" + reason + "），"
            "根据你户签署的诚信承诺书及有关规定，决定撤销对你户的救助，"
            "并追回已发放的全部救助资金，明细如下：",),
        "header": ("序号 no.", "款项 payment", "月份/票据 month / bill", "金额 amount"),
        "rows": (*rows,
                 ("", "应追回合计 total to recover", "", money(facts["total_fen"])),
                 ("", "已退还 already repaid", "", money(facts["repaid_fen"])),
                 ("", "尚欠 outstanding", "", money(facts["outstanding_fen"]))),
        "after": (
            f"请于 {zh_date(facts['repay_by'])} 前将尚欠款项 {money(facts['outstanding_fen'])} "
            f"缴至{township}指定的救助资金账户，或至{township}社会救助窗口当面缴纳，并索取收据。"
            "逾期不缴回的，将依法追缴。",
            "失信行为已记入个人信用记录。如对本决定不服，可以依法申请行政复议或者提起行政诉讼。"),
    }  # fmt: skip


def _commitment(facts: Mapping[str, Any], head: str, applicant: str, programme: str,
                township: str) -> dict[str, Any]:  # fmt: skip
    cause = CAUSES.get(facts.get("cause", ""), facts.get("cause", ""))
    return {
        "addressee": f"致{township}：",
        "paragraphs": (
            f"本人 {applicant}（户主：{head}）代表家庭申请{programme}（容缺审批），"
            f"申报因{cause}发生的突发性刚性支出 {money(facts['expenditure_fen'])}。",
            "本人承诺：所申报的家庭人口、收入、财产和支出情况真实、完整，"
            "同意并授权民政部门对家庭经济状况进行核对。",
            "本人知悉：" + CONSEQUENCES),
        "header": ("项目 item", "内容 value"),
        "rows": (("户主 household head", head), ("申请人 applicant", applicant),
                 ("救助项目 programme", programme), ("支出原因 cause", cause),
                 ("申报支出 declared expense", money(facts["expenditure_fen"]))),
        "signature": ("承诺人（签名）signature：____________________",
                      "日期 date：________年____月____日"),
    }  # fmt: skip


__all__ = ["APPEAL", "CONSEQUENCES", "LetterContent", "Names", "build", "money", "zh_date"]
