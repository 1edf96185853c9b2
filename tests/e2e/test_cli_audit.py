"""``jiuzhu audit verify`` and ``replay`` in the console program, before and after tampering."""

from __future__ import annotations

import json
import sqlite3

from cli_support import COUNTY, Binhai, Cli, apply


def tamper(cli: Cli, case_id: str, seq: int, payload: dict[str, object]) -> None:
    """What someone with write access to the file could do: drop the guard, rewrite an event."""
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET payload = ? WHERE case_id = ? AND seq = ?",
                     (json.dumps(payload), case_id, seq))  # fmt: skip


def test_audit_verify_passes_on_an_intact_database(cli: Cli, binhai: Binhai) -> None:
    cli.ok("case", "verify", binhai.approved_case, *COUNTY, "--result", "meets_standard")
    apply(cli, binhai)
    result = cli.ok("audit", "verify")
    assert "2 案件 cases, 6 事件 events" in result.stdout
    assert "audit passed" in result.stdout
    assert cli.json("audit", "verify") == {
        "ok": True,
        "cases": 2,
        "events": 6,
        "checkpoints": 0,
        "signed_checkpoints": 0,
        "breaks": [],
    }


def test_audit_verify_exits_1_naming_case_and_seq_after_tampering(cli: Cli, binhai: Binhai) -> None:
    intact, forged = apply(cli, binhai)["id"], binhai.approved_case
    tamper(cli, forged, 4, {"monthly_amount_fen": 900_000})
    result = cli("audit", "verify")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "audit FAILED" in result.stdout
    rows = [line for line in result.stdout.splitlines() if forged in line]
    assert len(rows) == 1 and " 4 " in rows[0] and "altered" in rows[0]
    assert intact not in result.stdout
    report = json.loads(cli("audit", "verify", "--json").stdout)
    assert report["ok"] is False
    breaks = [(b["case_id"], b["seq"], b["kind"]) for b in report["breaks"]]
    assert breaks == [(forged, 4, "altered")]


def test_audit_replay_exits_1_and_shows_what_differs_after_tampering(
    cli: Cli, binhai: Binhai
) -> None:
    case_id = binhai.approved_case
    matching = cli.ok("audit", "replay", case_id)
    assert "replay matches" in matching.stdout
    tamper(cli, case_id, 4, {"monthly_amount_fen": 900_000})
    result = cli("audit", "replay", case_id)
    assert result.returncode == 1, result.stderr
    assert "replay DIFFERS in: facts, monthly_amount_fen" in result.stdout
    report = json.loads(cli("audit", "replay", case_id, "--json").stdout)
    differences = {d["field"]: (d["expected"], d["stored"]) for d in report["differences"]}
    assert differences["monthly_amount_fen"] == (900_000, 200_000)


def test_audit_verify_refuses_a_missing_database_without_creating_it(cli: Cli) -> None:
    missing = cli.cwd / "nowhere.db"
    result = cli("audit", "verify", "--db", str(missing))
    assert result.returncode == 4 and "Error [invalid_input]" in result.stderr
    assert "不存在" in result.stderr and "there is no database" in result.stderr
    assert not missing.exists()


def test_auditor_with_the_cli_checkpoints_exports_verifies_replays_and_lists_findings(
    cli: Cli, binhai: Binhai
) -> None:
    """The whole auditor's round: a signed checkpoint, an export verified on its own, a replay
    as of an earlier moment, and the findings."""
    case_id = binhai.approved_case
    cli.ok("audit", "keygen", "--out", "audit.key")
    checkpoint = cli.json("audit", "checkpoint", "--key", "audit.key")
    assert (checkpoint["number"], checkpoint["cases"]) == (1, 1) and checkpoint["signature"]
    unsigned = cli.ok("audit", "export", "--out", "unsigned")
    refused = cli("audit", "verify", "unsigned", "--public-key", "audit.key.pub", "--json")
    assert refused.returncode == 1  # the agency's key demands a signed manifest
    assert [b["kind"] for b in json.loads(refused.stdout)["breaks"]] == ["manifest"]
    exported = cli.ok("audit", "export", "--out", "exp", "--key", "audit.key")
    assert "exported 1 案件 cases" in exported.stdout and "exported 1 案件 cases" in unsigned.stdout
    report = cli.json("audit", "verify", "exp", "--public-key", "audit.key.pub")
    assert (report["ok"], report["cases"], report["signed_checkpoints"]) == (True, 1, 1)
    assert cli.json("audit", "verify", "--public-key", "audit.key.pub")["ok"] is True

    before = cli("audit", "replay", case_id, "--as-of", "2000-01-01")
    assert before.returncode == 4 and "did not exist yet" in before.stderr  # not a break
    assert "Error [not_found]" in before.stderr
    now = cli.json("audit", "replay", case_id, "--as-of", "2999-01-01")
    assert now["state"] == "provisionally_approved" and now["workflow"] == "fast_track"
    shown = cli.ok("audit", "replay", case_id, "--as-of", "2999-01-01")
    assert "先行批准" in shown.stdout

    findings = json.loads(cli.ok("audit", "findings", "--now", "2999-01-01", "--json").stdout)
    assert [(f["case_id"], f["code"]) for f in findings] == [(case_id, "verification_overdue")]
    assert findings[0]["days"] > 300_000


def test_audit_verify_of_a_tampered_export_exits_1_naming_the_event(cli: Cli,
                                                                     binhai: Binhai) -> None:  # fmt: skip
    cli.ok("audit", "export", "--out", "exp", "--checkpoint")
    events = (cli.cwd / "exp" / "events.jsonl").read_text("utf-8").splitlines()
    forged = json.loads(events[1])
    forged["actor"]["org"] = "320922999"
    events[1] = json.dumps(forged, ensure_ascii=False)
    (cli.cwd / "exp" / "events.jsonl").write_text("\n".join(events) + "\n", "utf-8")
    result = cli("audit", "verify", "exp")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    breaks = json.loads(cli("audit", "verify", "exp", "--json").stdout)["breaks"]
    assert (forged["case_id"], 2, "altered") in [
        (b["case_id"], b["seq"], b["kind"]) for b in breaks
    ]
