"""The working-day calendar as loaded data, and the database's own settings.

``calendar_revisions`` holds one row per loaded revision of a year's State Council holiday
notice (国务院办公厅关于某年部分节假日安排的通知): the holidays and the make-up working days
(调休), the notice's document number and date, and the day from which the revision is in force.
Rows are append-only: a correction is a new revision of the same year, kept beside the old one,
so a past decision can always be explained by the revision it used.  See
``jiuzhu.calendar_book``.

``database_settings`` holds facts about the database itself (key -> value), such as whether it
was created as a simulation (see ``jiuzhu.clock``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, UniqueConstraint
from sqlmodel import Field, SQLModel

from .tables import _instant, _serial


class CalendarRevisionRecord(SQLModel, table=True):
    __tablename__ = "calendar_revisions"
    __table_args__ = (UniqueConstraint("year", "revision", name="uq_calendar_year_revision"),)

    id: int | None = _serial()
    year: int
    revision: int  # 1, 2, ... per year, in the order loaded
    document: str = Field(max_length=100)  # the notice's document number
    published_on: date = Field(sa_column=Column(Date, nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    holidays: list[Any] = Field(sa_column=Column(JSON, nullable=False))  # ["YYYY-MM-DD", ...]
    workdays: list[Any] = Field(sa_column=Column(JSON, nullable=False))  # make-up working days
    names: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # day -> holiday name
    note: str | None = Field(default=None, max_length=200)
    source_sha256: str = Field(max_length=64)
    loaded_by: str = Field(max_length=64)
    loaded_at: datetime = _instant()


class DatabaseSettingRecord(SQLModel, table=True):
    __tablename__ = "database_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
    set_at: datetime = _instant()


CALENDAR_TABLES = (CalendarRevisionRecord, DatabaseSettingRecord)
