"""The table of policy settings, each with its default, bounds, meaning and source (pure).

:data:`SETTINGS` is the one table of settings; local practice the rules leave open is a setting
with a default, never a constant in code.  :mod:`jiuzhu.policy` re-exports every name here and
holds the dated book that changes them (``docs/policy.md`` lists the table).
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL = "configuration (local practice; no rule found)"
MCA_2021 = "最低生活保障审核确认办法 (MCA 2021)"
OPINIONS_2020 = "关于改革完善社会救助制度的意见 (2020)"
NOTICE_2022_DOC = "关于进一步做好最低生活保障等社会救助兜底工作的通知 (2022)"
NOTICE_2022 = f"{NOTICE_2022_DOC} §4(1)"
RIGID_2025 = "刚性支出困难家庭认定办法 (MCA 2025)"


@dataclass(frozen=True)
class Setting:
    """One setting: its default, its bounds (``None``: true or false), meaning and source."""

    default: int | bool
    bounds: tuple[int, int] | None
    meaning: str
    source: str = LOCAL

    @property
    def expected(self) -> str:
        if self.bounds is None:
            return "true or false"
        return f"a whole number from {self.bounds[0]} to {self.bounds[1]}"

    @property
    def expected_zh(self) -> str:
        if self.bounds is None:
            return "true 或 false"
        return f"{self.bounds[0]} 至 {self.bounds[1]} 的整数"


SETTINGS: dict[str, Setting] = {
    # the fast track (容缺审批), the Jiangsu pilot in Binhai county
    "fast_track_threshold_yuan": Setting(
        30_000, (1, 100_000_000), "the fast track takes a sudden expenditure of at least this "
        "many yuan", "the Jiangsu pilot (Binhai county): 30,000 yuan"),
    "verification_months": Setting(
        1, (1, 12), "the fast track's data check falls due this many calendar months after the "
        "provisional approval", "the Jiangsu pilot: the data check returns in about a month"),
    "reminder_days": Setting(
        7, (1, 365), "an overdue data check is chased every this many days until its result "
        "arrives"),
    "suspend_when_overdue": Setting(
        False, None, "withhold the allowance while the data check is overdue (paid when it "
        "meets the standard)"),
    "max_expenditure_yuan": Setting(
        100_000_000, (1, 1_000_000_000), "a larger sudden expenditure is refused as "
        "implausible"),
    # money: the allowance, medical assistance, recovery
    "monthly_payments": Setting(
        True, None, "the worker's payment run books the monthly allowance (false: another "
        "system pays it)"),
    "pay_day": Setting(15, (1, 28), "the monthly allowance falls due on this day of the month "
                       "(00:00 Shanghai)"),
    "max_monthly_amount_yuan": Setting(
        100_000, (1, 10_000_000), "a larger monthly amount is refused as implausible"),
    "medical_ratio_pct": Setting(
        85, (0, 100), "medical assistance pays this percentage of what insurance left"),
    "medical_cap_yuan": Setting(
        60_000, (0, 10_000_000), "medical assistance per case and calendar year at most"),
    "max_bill_yuan": Setting(
        10_000_000, (1, 1_000_000_000), "a larger medical bill (or repayment, write-off) is "
        "refused as implausible"),
    "recover_on_termination": Setting(
        False, None, "a termination without falsification also orders back what was paid",
        "configuration: no rule requires recovery without falsification"),
    # the standard path (审核确认)
    "standard_limit_wd": Setting(
        30, (1, 120), "overall limit from acceptance, working days", NOTICE_2022),
    "standard_special_limit_wd": Setting(
        45, (1, 180), "overall limit in special cases, working days", NOTICE_2022),
    "investigation_start_wd": Setting(
        3, (1, 30), "the home investigation starts within this many working days of "
        "acceptance", f"{MCA_2021} Art. 15"),
    "verification_start_wd": Setting(
        3, (1, 30), "the county starts the data check within this many working days of the "
        "request", f"{MCA_2021} Art. 17"),
    "public_notice_days": Setting(
        7, (1, 30), "the public notice lasts this many calendar days", f"{MCA_2021} Art. 19"),
    "county_review_wd": Setting(
        10, (1, 60), "the county reviews the materials within this many working days",
        f"{MCA_2021} Art. 20"),
    "rejection_notice_wd": Setting(
        3, (1, 30), "written reasons reach the applicant within this many working days",
        f"{MCA_2021} Art. 22"),
    # temporary assistance, Qinhuai's "1+4", and assisting first (先行救助)
    "temporary_income_multiple": Setting(
        2, (1, 10), "\"1+4\" condition 1: six-month average income below this many dibao lines",
        "the Jiangsu pilot (Qinhuai's \"1+4\")"),
    "temporary_multiplier_min": Setting(
        1, (1, 100), "the grant is at least this many dibao lines per person",
        "the Jiangsu pilot (Qinhuai's \"1+4\")"),
    "temporary_multiplier_max": Setting(
        5, (1, 100), "the grant is at most this many dibao lines per person",
        "the Jiangsu pilot (Qinhuai's \"1+4\")"),
    "assist_first_paperwork_wd": Setting(
        10, (1, 60), "after assisting first, the paperwork is completed within this many "
        "working days"),
    # out-of-area dibao or tekun status of new citizens (their medical assistance where they live)
    "out_of_area_notice_days": Setting(
        30, (1, 365), "an out-of-area dibao or tekun status is re-confirmed from this many days "
        "before its valid-until day (the county is alarmed)"),
    "out_of_area_max_months": Setting(
        12, (1, 60), "an out-of-area status is recorded valid for at most this many months "
        "ahead"),
    # re-review (复核) of paying cases; the steps' working-day limits: no source sets a figure
    "review_months_stable": Setting(12, (1, 36), "a dibao household stable in the short term is "
        "re-reviewed every this many months", f"{MCA_2021} Art. 31; {OPINIONS_2020}"),
    "review_months_unstable": Setting(6, (1, 36), "a dibao household with unstable income or "
        "members able to work is re-reviewed every this many months", f"{MCA_2021} Art. 31"),
    "review_months_tekun": Setting(12, (1, 36), "a tekun person is re-reviewed every this many "
        "months", "特困人员认定办法 (MCA 2021)"),
    "review_village_workdays": Setting(10, (1, 60), "a re-review's village investigation, working days"),
    "review_township_workdays": Setting(5, (1, 60), "a re-review's township opinion, working days"),
    "review_county_workdays": Setting(10, (1, 60), "a re-review's county decision, working days"),
    # changes of circumstance (dynamic management) on a paying case
    "recheck_months": Setting(3, (1, 12), "a change of circumstance (a death, a birth, an "
        "income change, a move out, work found, a recovery) opens a re-review to be decided "
        "within this many calendar months (then the county is alarmed)",
        f"{NOTICE_2022_DOC} §1(3) (re-review on a change of circumstance); the 3 months: "
        "configuration, no rule found here fixes the figure"),
    "phase_out_months_max": Setting(6, (1, 12), "a household whose income rose to the dibao "
        "line or above is phased out (渐退) over at most this many months, as the county "
        "decides", f"{NOTICE_2022_DOC} §1(3)"),
    "rigid_expenditure_months": Setting(12, (1, 36), "a rigid-expenditure (刚性支出) status "
        "holds this many months unless renewed (not renewed: a re-review is opened)",
        f"{RIGID_2025} Art. 10"),
    # other programmes (recorded for completeness)
    "near_dibao_ratio_pct": Setting(
        150, (100, 300), "near-dibao: per-capita income below this percentage of the line",
        "the rules on near-dibao households: strictly below 1.5 x the line"),
}  # fmt: skip
DEFAULT_SETTINGS: dict[str, int | bool] = {key: s.default for key, s in SETTINGS.items()}
RENAMED = {"threshold_fen": "fast_track_threshold_yuan (in yuan: 30000, not 3000000 fen)"}
