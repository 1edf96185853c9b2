"""Deadline firing: APScheduler wakes the engine, rows hold the deadlines.

- ``recurrence.py``: visit recurrences computed with APScheduler's cron and interval triggers.
- ``sweep.py``: claim due rows in batches (leases; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
  and fire them, each deadline marked fired in the transaction that writes its event.
- ``worker.py``: the ``jiuzhu worker`` process (APScheduler 3.11, in-memory job store).
"""
