"""Set-up of ``bench/payrun.py``: N paying cases whose first monthly allowance is due.

A handful of real fast-track cases are taken to ``provisionally_approved`` (a paying state)
through the service on a FakeClock, in a database first marked as a simulation (so that the
worker can be run on ``$JIUZHU_SIMULATED_TIME``).  Then they are cloned in bulk: every row a
case owns (household, persons and their ID-number digests, case row, events, deadline rows,
and the Merkle log leaves of all of them) is written again under fresh ids, a fresh case number
and fresh ID numbers, with each clone's hash chain recomputed (its events name the clone's
ids, so their hashes differ) and its leaves appended after the last one (``log_head``).  On
PostgreSQL the rows go in with ``COPY``; on SQLite with ``executemany``.  The clones are what
the service would have written (``audit verify`` passes on them: checked at ``--quick``),
only faster: the ids are substituted in the template's stored text and canonical JSON (they
are values, never keys, so canonical key order is unchanged).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import _common
from sqlalchemy import select, text

import jiuzhu
from jiuzhu import FakeClock
from jiuzhu.audit.canonical import canonical_json
from jiuzhu.audit.chain import GENESIS, event_document
from jiuzhu.audit.leaves import REGISTRY, _plain
from jiuzhu.models.db import make_engine
from jiuzhu.models.digests import DIGEST_KEY_SETTING, case_no, id_number_digest
from jiuzhu.models.rows import actor_of
from jiuzhu.models.tables import metadata
from jiuzhu.simulation import mark_simulation

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # the approvals: 09:30 in Shanghai
MONTH = "2026-03"  # the month the run pays: due on the pay day, 2026-03-15 (Shanghai)
MONTHLY_FEN = 86_000  # 860 yuan a month, every case
TEMPLATES = 4  # real cases made through the service; the rest are their clones
CHUNK = 20_000  # clones generated and written per round

HOUSEHOLD_COLS = ("id", "village_id", "created_at")
PERSON_COLS = ("id", "household_id", "name", "id_number", "relation", "created_at")
CASE_COLS = ("id", "workflow", "workflow_version", "state", "row_version", "programme",
             "household_id", "village_id", "org_path", "expenditure_fen", "monthly_amount_fen",
             "facts", "deadlines", "last_seq", "head_hash", "opened_at", "updated_at",
             "case_no")  # fmt: skip
EVENT_COLS = ("case_id", "seq", "type", "payload", "actor_role", "actor_org", "actor_user",
              "occurred_at", "prev_hash", "hash", "idempotency_key")  # fmt: skip
DEADLINE_COLS = ("case_id", "kind", "due_at", "status", "opened_seq", "closed_seq",
                 "claimed_by", "lease_until", "fired_at")  # fmt: skip
LEAF_COLS = ("idx", "kind", "ref", "hash", "data")


def make_templates(url: str, count: int) -> None:
    """``count`` real fast-track cases approved at :data:`START` (allowance due on the 15th)."""
    clock = FakeClock(START)
    svc = jiuzhu.connect(_common.without_commit_flush(url), clock=clock)
    try:
        mark_simulation(svc.engine, clock)  # before any case: the worker may run simulated
        village, township = _common.setup_county(svc)
        for i in range(count):
            hh = svc.register_household(village, members=[
                {"id_number": _common.id_number(2 * i), "name": f"成员{i}", "relation": "head"},
                {"id_number": _common.id_number(2 * i + 1), "name": f"配偶{i}",
                 "relation": "spouse"},
            ])  # fmt: skip
            case = svc.apply(village, household_id=hh.id, applicant_id=hh.member_ids[0],
                             programme="dibao", cause="major_illness",
                             expenditure="52000.00")  # fmt: skip
            svc.promise(village, case.id, signed_by=hh.member_ids[0])
            svc.record_appraisal(village, case.id, outcome="passed", attendance=21,
                                 votes_for=18, votes_against=2, abstentions=1)  # fmt: skip
            case = svc.approve(township, case.id, monthly_amount=str(MONTHLY_FEN // 100))
            if case.state != "provisionally_approved" or "allowance_due" not in case.deadlines:
                raise RuntimeError(f"set-up: case {case.id} is {case.state}, {case.deadlines}")
    finally:
        svc.close()


class Template:
    """One real case and everything it owns, ready to be cloned by substitution."""

    def __init__(self, conn: Any, case: Any) -> None:
        self.case = dict(case._mapping)
        hh = self.case["household_id"]
        self.household = _one_of(conn, "households", "id", hh)[0]
        self.persons = _one_of(conn, "persons", "household_id", hh)
        self.events = _one_of(conn, "events", "case_id", case.id, "seq")
        self.deadlines = _one_of(conn, "deadlines", "case_id", case.id)
        self.facts = json.dumps(self.case["facts"], ensure_ascii=False)
        self.deadline_json = json.dumps(self.case["deadlines"])
        self.payloads = [json.dumps(e["payload"], ensure_ascii=False) for e in self.events]
        # the canonical text each event's hash covers, its own prev_hash still in it
        self.documents = [canonical_json(event_document(
            case_id=e["case_id"], seq=e["seq"], type=e["type"], payload=e["payload"],
            actor=actor_of(_Row(e)), occurred_at=jiuzhu.clock.iso_utc(e["occurred_at"]),
            prev_hash=e["prev_hash"])) for e in self.events]  # fmt: skip
        self.old = [self.case["id"], hh, *(p["id"] for p in self.persons), self.case["case_no"]]
        # the canonical text of each registry record (a leaf covers its digest), ids to replace
        self.household_record = _record_text("household", self.household)
        self.person_records = [_record_text("person", p) for p in self.persons]
        self.leaves_per_case = 1 + len(self.persons) + len(self.events)


def _record_text(kind: str, row: dict[str, Any]) -> str:
    fields = REGISTRY[kind][2] or tuple(row)
    return canonical_json({n: _plain(row[n]) for n in fields})


def _one_of(conn: Any, table: str, key: str, value: str,
            order: str = "id") -> list[dict[str, Any]]:  # fmt: skip
    """Rows read through the typed table (aware datetimes, JSON decoded), as the service
    and ``audit verify`` read them."""
    t = metadata.tables[table]
    query = select(t).where(t.c[key] == value).order_by(t.c[order])
    return [dict(r._mapping) for r in conn.execute(query)]


class _Row:
    def __init__(self, mapping: dict[str, Any]) -> None:
        self.__dict__.update(mapping)


def _uuid(kind: int, j: int) -> str:
    return str(uuid.UUID(int=(kind << 112) | (0x4000 << 64) | j))


class Clones:
    """The rows of clones ``lo..hi-1`` (clone j copies template ``j % len(templates)``)."""

    def __init__(self, templates: list[Template], secret: str, county: str, year: int) -> None:
        self.templates, self.secret, self.county, self.year = templates, secret, county, year

    def rows(self, lo: int, hi: int, leaf_idx: int) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {
            "households": [], "persons": [], "person_digests": [], "cases": [], "events": [],
            "deadlines": [], "log_leaves": []}  # fmt: skip
        for j in range(lo, hi):
            leaf_idx = self._one(j, out, leaf_idx)
        return out

    def _one(self, j: int, out: dict[str, list[tuple[Any, ...]]], idx: int) -> int:
        t = self.templates[j % len(self.templates)]
        new = [_uuid(1, j), _uuid(2, j), *(_uuid(3 + k, j) for k in range(len(t.persons))),
               case_no(self.county, self.year, j + 1)]  # fmt: skip
        pairs = list(zip(t.old, new, strict=True))

        def sub(value: str) -> str:
            for old, repl in pairs:
                value = value.replace(old, repl)
            return value

        case_id, hh_id = new[0], new[1]
        leaves = out["log_leaves"]
        hh = {**t.household, "id": hh_id}
        out["households"].append(tuple(hh[c] for c in HOUSEHOLD_COLS))
        leaves.append(_record_leaf(idx, "household", hh_id, sub(t.household_record)))
        idx += 1
        for k, p in enumerate(t.persons):
            number = _common.id_number(2 * j + k)
            pid = new[2 + k]
            person = {**p, "id": pid, "household_id": hh_id, "id_number": number}
            out["persons"].append(tuple(person[c] for c in PERSON_COLS))
            out["person_digests"].append((pid, id_number_digest(self.secret, number)))
            record = sub(t.person_records[k]).replace(p["id_number"], number)
            leaves.append(_record_leaf(idx, "person", pid, record))
            idx += 1
        prev, events = GENESIS, []
        for e, payload, doc in zip(t.events, t.payloads, t.documents, strict=True):
            doc = sub(doc) if e["prev_hash"] == GENESIS else sub(doc).replace(e["prev_hash"], prev)
            digest = hashlib.sha256(doc.encode()).hexdigest()
            events.append((case_id, e["seq"], e["type"], sub(payload), e["actor_role"],
                           e["actor_org"], e["actor_user"], e["occurred_at"], prev, digest,
                           None))  # fmt: skip
            data = f'{{"case_id":"{case_id}","hash":"{digest}","seq":{e["seq"]},"t":"event"}}'
            leaves.append(_leaf(idx, "event", f"{case_id}/{e['seq']}", data))
            idx, prev = idx + 1, digest
        row = {**t.case, "id": case_id, "household_id": hh_id, "facts": sub(t.facts),
               "deadlines": t.deadline_json, "head_hash": prev, "case_no": new[-1]}  # fmt: skip
        out["cases"].append(tuple(row[c] for c in CASE_COLS))
        out["events"] += events
        out["deadlines"] += [(case_id, *(d[c] for c in DEADLINE_COLS[1:])) for d in t.deadlines]
        return idx


def _leaf(idx: int, kind: str, ref: str, data: str) -> tuple[Any, ...]:
    """A log leaf row: RFC 9162 leaf hash SHA-256(0x00 || data) (``audit/leaves.py``)."""
    return (idx, kind, ref, hashlib.sha256(b"\x00" + data.encode()).hexdigest(), data)


def _record_leaf(idx: int, kind: str, key: str, record: str) -> tuple[Any, ...]:
    digest = hashlib.sha256(record.encode()).hexdigest()
    return _leaf(idx, kind, key, f'{{"id":"{key}","record":"{digest}","t":"{kind}"}}')


COLUMNS = {"households": HOUSEHOLD_COLS, "persons": PERSON_COLS,
           "person_digests": ("person_id", "digest"), "cases": CASE_COLS, "events": EVENT_COLS,
           "deadlines": DEADLINE_COLS, "log_leaves": LEAF_COLS}  # fmt: skip
JSON_COLS = {"facts", "deadlines", "payload"}
ORDER = ("households", "persons", "person_digests", "cases", "events", "deadlines", "log_leaves")


WRITERS = 2  # processes generating and copying clones on PostgreSQL (one on SQLite)
_STATE: dict[str, Any] = {}  # what forked writers inherit: the url, the clones


def clone(url: str, n: int, writers: int = WRITERS) -> None:
    """Bring the database made by :func:`make_templates` to ``n`` cases by cloning."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cases = metadata.tables["cases"]
            found = conn.execute(select(cases).order_by(cases.c.case_no)).all()
            templates = [Template(conn, c) for c in found]
            secret = conn.execute(text("SELECT value FROM database_settings WHERE key = :k"),
                                  {"k": DIGEST_KEY_SETTING}).scalar_one()  # fmt: skip
            county, year = conn.execute(text(
                "SELECT county, year FROM case_number_counters")).one()  # fmt: skip
            size = conn.execute(text("SELECT size FROM log_head")).scalar_one()
        postgres = engine.dialect.name == "postgresql"
    finally:
        engine.dispose()
    per_case = {t.leaves_per_case for t in templates}
    if len(per_case) != 1:
        raise RuntimeError(f"templates of different shapes: {per_case} leaves a case")
    leaves, first = per_case.pop(), len(templates)
    # each clone's leaves have their numbers known in advance: writers need not take turns
    spans = [(lo, min(n, lo + CHUNK), size + (lo - first) * leaves)
             for lo in range(first, n, CHUNK)]  # fmt: skip
    _STATE.update(url=_common.without_commit_flush(url), postgres=postgres,
                  clones=Clones(templates, secret, county, year))  # fmt: skip
    done = 0
    if postgres and writers > 1 and len(spans) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(writers) as pool:
            for count in pool.imap_unordered(_write_span, spans):
                done = _progress(done, count, n - first)
    else:
        for span in spans:
            done = _progress(done, _write_span(span), n - first)
    engine = make_engine(_STATE["url"])
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE log_head SET size = :s"),
                         {"s": size + (n - first) * leaves})  # fmt: skip
            conn.execute(text("UPDATE case_number_counters SET last = :n"), {"n": max(n, first)})
        if postgres:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _progress(done: int, count: int, total: int) -> int:
    if (done + count) // (10 * CHUNK) > done // (10 * CHUNK) or done + count == total:
        _common.info(f"  cloned {done + count:,} of {total:,}")
    return done + count


def _write_span(span: tuple[int, int, int]) -> int:
    lo, hi, leaf_idx = span
    batch = _STATE["clones"].rows(lo, hi, leaf_idx)
    engine = make_engine(_STATE["url"])  # one per span, disposed: a template copies only
    try:  # when nothing is connected to it
        with engine.begin() as conn:
            for table in ORDER:
                write(conn, table, batch[table], _STATE["postgres"])
    finally:
        engine.dispose()
    return hi - lo


def write(conn: Any, table: str, rows: list[tuple[Any, ...]], postgres: bool) -> None:
    cols = COLUMNS[table]
    if not rows:
        return
    if postgres:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            cp.write("".join("\t".join(map(_copy_text, row)) + "\n" for row in rows))
        return
    dicts = [dict(zip(cols, r, strict=True)) for r in rows]
    for d in dicts:  # the typed insert wants the JSON columns decoded
        for c in JSON_COLS.intersection(d):
            d[c] = json.loads(d[c])
    conn.execute(metadata.tables[table].insert(), dicts)


def _copy_text(value: Any) -> str:
    """One field of COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (value.replace("\\", "\\\\").replace("\t", "\\t")
                     .replace("\n", "\\n").replace("\r", "\\r"))  # fmt: skip
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)
