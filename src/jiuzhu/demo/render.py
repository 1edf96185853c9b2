"""The demo's report: what the year did, as tables and lines on a Rich console."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import ledger
from ..cli.output import grouped_yuan
from ..clock import local_date, parse_iso_utc
from ..service.views import CaseView
from ..workflows import oneoff, service_plan
from ..workflows import review as review_workflow
from ..workflows.base import Label
from .county import COUNTY, TOWNSHIPS
from .simulation import END, START
from .stories import Story
from .year import DemoResult, ServiceRow, StateRow, TimelinessRow


# -- rendering -----------------------------------------------------------------------------
def render(result: DemoResult, console: Console) -> None:
    stats = result.stats

    def line(text: str) -> None:
        console.print(Text(text), soft_wrap=True)

    line(f"滨海县 Binhai county ({COUNTY[0]}): {len(TOWNSHIPS)} 乡镇（街道） townships, "
         f"{result.villages} 村（社区） villages; simulated {START.date()} → {END.date()}, "
         "the deadline worker sweeping on the hour after each due time")  # fmt: skip
    console.print(state_table(result.rows))
    line(f"申请 applications: {stats.applications:,} generated + {len(result.stories)} stories; "
         f"低于门槛不予受理 refused at intake (below 30,000 yuan, to the standard path): "
         f"{stats.intake_refusals:,} (no case opened); households 家庭: {stats.households:,}")  # fmt: skip
    console.print(timeliness_table(result.timeliness))
    line(f"县核对逾期清单 the county's overdue list at the end (jiuzhu deadlines overdue): "
         f"{result.overdue_listed:,} cases")  # fmt: skip
    console.print(services_table(result.services))
    line(f"漏访清单 the county's missed-visit list (jiuzhu deadlines missed): "
         f"{result.missed_listed:,} occurrences; 随案件撤销、终止而结束的服务计划 plans ended "
         f"with a revoked or terminated case: {result.ended_with_case:,}")  # fmt: skip
    console.print(money_table(result.money))
    total = {k: sum(m.get(k, 0) for m in result.money.values()) for k in ledger.KINDS}
    owed = total["recovery"] + total["fine"] - total["repayment"] - total["write_off"]
    line(f"资金 money: paid out 已发放 {grouped_yuan(sum(total[k] for k in ledger.PAID_OUT))} "
         f"(monthly allowance 低保金 {grouped_yuan(total['allowance'])}, medical assistance "
         f"医疗救助 {grouped_yuan(total['medical'])}); owed back 应追回 "
         f"{grouped_yuan(total['recovery'] + total['fine'])}, repaid 已退还 "
         f"{grouped_yuan(total['repayment'])}, still owed 尚欠 {grouped_yuan(owed)}; "
         f"credit records 信用记录: {result.credit_records:,}; medical bills refused as dated "
         f"before inclusion: {stats.bills_refused:,}")  # fmt: skip
    paths = result.paths
    for name, label in (("standard", "常规程序 standard path"),
                        ("temporary", "临时救助 temporary assistance")):  # fmt: skip
        states = ", ".join(f"{state} {n:,}" for state, n in sorted(paths[name].items()))
        line(f"{label}: {sum(paths[name].values()):,} cases ({states})")
    line(f"常规程序 standard path: {stats.routed:,} fast-track refusals applied there; monthly "
         f"amounts confirmed {grouped_yuan(paths['money']['monthly_fen'])}; temporary grants "
         f"paid {grouped_yuan(paths['money']['grants_fen'])}; working-day limits passed, still "
         f"on the counties' alarm lists (jiuzhu standard alarms): {result.limit_alarms:,}")  # fmt: skip
    console.print(story_table(result.stories))
    rate = stats.commands / result.seconds if result.seconds else 0.0
    fired = ", ".join(f"{kind} {n:,}" for kind, n in result.firings.items())
    line(f"定时任务 worker: {stats.sweeps:,} wake-ups (on the hour after each due time) fired "
         f"{stats.fired:,} deadlines, each at most {stats.latest_minutes:.0f} min after it fell "
         f"due: {fired}")  # fmt: skip
    line(f"速度 rate: {stats.commands:,} commands and {stats.fired:,} firings in "
         f"{result.seconds:.1f} s = {rate:,.0f} commands/s ({result.engine.dialect.name})")  # fmt: skip


def money_table(months: dict[str, dict[str, int]]) -> Table:
    table = Table(title="资金 money by month booked (ledger, yuan 元)")
    table.add_column("月份\nmonth")
    kinds = ("allowance", "medical", "recovery", "repayment")
    for kind in kinds:
        zh, en = ledger.KIND_LABELS[kind]
        table.add_column(f"{zh}\n{en}", justify="right")
    for month, sums in months.items():
        table.add_row(month, *(grouped_yuan(sums.get(k, 0)) for k in kinds))
    table.add_section()
    table.add_row("合计 total", *(grouped_yuan(sum(m.get(k, 0) for m in months.values()))
                                  for k in kinds))  # fmt: skip
    return table


def state_table(rows: list[StateRow]) -> Table:
    table = Table(title="容缺审批案件 fast-track cases by state (amounts in yuan 元)")
    table.add_column("状态")
    table.add_column("state")
    for header in ("案件 cases", "突发支出 expenditure", "月救助金 monthly amount"):
        table.add_column(header, justify="right")
    for row in rows:
        monthly = grouped_yuan(row.monthly_fen) if row.monthly_fen else "—"
        table.add_row(row.zh, f"{row.en} ({row.state})", f"{row.cases:,}",
                      grouped_yuan(row.expenditure_fen), monthly)  # fmt: skip
    paying = sum(r.monthly_fen for r in rows if r.state in ("provisionally_approved", "verified"))
    table.add_section()
    table.add_row("合计", "total", f"{sum(r.cases for r in rows):,}",
                  grouped_yuan(sum(r.expenditure_fen for r in rows)), "")  # fmt: skip
    table.add_row("发放中", "in payment (provisionally approved + verified)", "", "",
                  grouped_yuan(paying))  # fmt: skip
    return table


def timeliness_table(rows: list[TimelinessRow]) -> Table:
    table = Table(title="核对时效 verification timeliness: result against due date (approval + 1 "
                  "month)")  # fmt: skip
    table.add_column("核对时效")
    table.add_column("timeliness")
    for header in ("案件\ncases", "逾期记录\noverdue events", "催办\nreminders",
                   "逾期天数 days late\nmedian / max"):  # fmt: skip
        table.add_column(header, justify="right")
    for row in rows:
        late = sorted(row.late_days)
        days = f"{late[len(late) // 2]:.1f} / {late[-1]:.1f}" if late else "—"
        table.add_row(row.zh, row.en, f"{row.cases:,}", f"{row.overdue_events:,}",
                      f"{row.reminders:,}", days)  # fmt: skip
    table.add_section()
    table.add_row("合计", "provisionally approved", f"{sum(r.cases for r in rows):,}",
                  f"{sum(r.overdue_events for r in rows):,}",
                  f"{sum(r.reminders for r in rows):,}", "")  # fmt: skip
    return table


def services_table(rows: list[ServiceRow]) -> Table:
    table = Table(title="服务计划 service plans (物质+服务): occurrences done and missed")
    table.add_column("服务\nservice")
    table.add_column("提供方\nprovider")
    for header in ("计划\nplans", "服务中/暂停/结束\nactive/paused/ended", "完成\ndone",
                   "未完成\nmissed", "漏访率\nmissed share"):  # fmt: skip
        table.add_column(header, justify="right")
    for row in rows:
        label, states = service_plan.KINDS[row.kind], row.states
        share = row.missed / (row.done + row.missed) if row.done + row.missed else 0.0
        table.add_row(f"{label.zh}\n{label.en}", "\n".join(sorted(row.providers)),
                      f"{sum(states.values()):,}",
                      f"{states['active']:,} / {states['suspended']:,} / {states['ended']:,}",
                      f"{row.done:,}", f"{row.missed:,}", f"{share:.1%}")  # fmt: skip
    table.add_section()
    table.add_row("合计", "total", f"{sum(sum(r.states.values()) for r in rows):,}", "",
                  f"{sum(r.done for r in rows):,}", f"{sum(r.missed for r in rows):,}", "")  # fmt: skip
    return table


PHASE_OUT = Label("渐退", "phase-out")


def story_table(stories: list[tuple[Story, CaseView]]) -> Table:
    table = Table(title="种子故事 the seed's stories")
    for header in ("故事 story", "案件 case", "状态 final state", "说明 note"):
        table.add_column(header, no_wrap=header == "案件 case", overflow="fold")
    for story, view in stories:
        note = "; ".join([story.note, *story_facts(view)])
        table.add_row(story.title, view.id, f"{view.state_zh} {view.state_en}", Text(note))
    return table


def story_facts(view: CaseView) -> list[str]:
    """What the year recorded on a story's case: an overdue data check, its service plans."""
    facts = []
    overdue = view.facts.get("overdue")
    if overdue:
        due = local_date(parse_iso_utc(overdue["due_at"]))
        facts.append(f"data check overdue 核对逾期 from {due}, {overdue['reminders']} weekly "
                     "reminder(s) before the result")  # fmt: skip
    money = view.facts.get("money")
    if money:
        medical = sum(view.facts.get("medical", {}).get("used_fen", {}).values())
        facts.append(f"paid 已发放 {grouped_yuan(money['paid_fen'])} (medical 医疗救助 "
                     f"{grouped_yuan(medical)})")  # fmt: skip
        if money["recovered_fen"]:
            facts.append(f"recovery ordered 应追回 {grouped_yuan(money['recovered_fen'])}, "
                         f"repaid 已退还 {grouped_yuan(money['repaid_fen'])}, still owed 尚欠 "
                         f"{grouped_yuan(money['owed_fen'])}; credit record written")  # fmt: skip
    for review in view.facts.get("reviews", []):
        decision = review["decision"]
        outcome = review_workflow.OUTCOMES.get(decision["outcome"], PHASE_OUT)
        change = (f" to {grouped_yuan(decision['monthly_fen'])} from {decision['from_month']}"
                  if decision["outcome"] == "change" else "")  # fmt: skip
        if decision["outcome"] == "phase_out":
            change = f" paying {', '.join(decision['paid_months'])}"
        facts.append(f"re-review 复核 {review['number']}: {outcome.zh} {outcome.en}{change}")
    for item in view.facts.get("oneoffs", {}).values():
        kind, state = oneoff.KINDS[item["kind"]], oneoff.STATES[item["state"]]
        facts.append(f"{kind.zh} {kind.en}: {state.zh} {state.en}")
    for plan in view.facts.get("plans", {}).values():
        kind, state = service_plan.KINDS[plan["kind"]], service_plan.STATES[plan["state"]]
        facts.append(f"{kind.zh} {kind.en}: {plan['done']} done, {plan['missed']} missed, "
                     f"{state.zh} {state.en}")  # fmt: skip
    return facts
