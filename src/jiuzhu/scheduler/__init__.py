"""Deadline firing (APScheduler).

Deadlines are rows (``deadlines`` table) written in the transaction of the transition that
opens them; the due dates are computed by the workflows (``workflows/calendar.py``).  The worker
that claims and fires due rows arrives with the deadlines milestone; until then this package
holds nothing, on purpose.
"""
