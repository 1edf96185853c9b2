"""Which triggers each command may fire: an idempotency key names a command, not a trigger,
so a key replayed with a command that fired another trigger is refused (``CommandBase``), and
the web front offers each command by the triggers it fires."""

from __future__ import annotations

# Which triggers a command may have fired (an idempotency key names a command, not a trigger).
COMMAND_TRIGGERS = {
    "apply": {"apply"},
    "promise": {"promise"},
    "record_appraisal": {"review", "fail_appraisal"},
    "approve": {"approve"},
    "refuse": {"refuse"},
    "record_verification": {"verify", "revoke", "terminate"},
    "withdraw": {"withdraw"},
    "manage_service_plans": {"plan.open", "plan.suspend", "plan.resume", "plan.end"},
    "record_visit": {"plan.visit"},
    "open_oneoff": {"oneoff.opened"},
    "complete_oneoff": {"oneoff.completed"},
    # the standard path and temporary assistance
    "apply_standard": {"apply"},
    "accept_standard": {"accept"},
    "investigate": {"start_investigation", "complete_investigation"},
    "check_standard": {"start_verification", "record_check"},
    "propose_standard": {"recommend", "not_recommend", "mark_special"},
    "record_objection": {"object_reinvestigate", "object_appraise"},
    "appraise_standard": {"appraise"},
    "decide_standard": {"confirm", "reject"},
    "decide_review": {"decide_review", "stop_review"},
    "deliver_rejection_notice": {"deliver_notice"},
    "apply_temporary": {"apply"},
    "assess_temporary": {"assess", "complete_paperwork"},
    "decide_temporary": {"approve", "reject", "assist_first"},
    "pay_temporary": {"pay", "close"},
}  # any other command fires the trigger of its own name


def same_command(trigger: str, command: str) -> bool:
    return trigger in COMMAND_TRIGGERS.get(command, {command})
