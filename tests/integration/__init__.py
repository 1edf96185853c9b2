"""Integration tests: the service on real databases (SQLite and PostgreSQL, see ``db_url``)."""
