"""The Binhai county (滨海县) demo: the seed's stories and a year of caseload.

Everything goes through the real service on a :class:`~jiuzhu.clock.FakeClock` that runs from
2024-02-20, just after the Spring Festival like Chen Bihua's story in the seed, to 2025-02-20
(:mod:`.simulation`: scripts in time order, the deadline worker waking on the hour after each
due time).  The county, its database and its synthetic people are in :mod:`.county`; the
generated caseload, its data checks and its services (物质+服务) in :mod:`.caseload`; the
seed's fast-track stories in :mod:`.stories`, the standard path's and temporary assistance's
(the Jiangsu "1+4" and National Day stories) in :mod:`.paths`; the year as a whole and its
summary in :mod:`.year`; the report in :mod:`.render`.

``jiuzhu demo`` runs it: :func:`prepare_database`, :func:`open_county`, :func:`run`,
:func:`render`.
"""

from __future__ import annotations

from ..cli.output import grouped_yuan
from .county import COUNTY, DEFAULT_DB, TOWNSHIPS, People, Units, create_users, prepare_database
from .render import render
from .simulation import END, START, Simulation
from .stories import STORIES, Story
from .year import DemoResult, open_county, run

__all__ = [
    "create_users",
    "COUNTY", "DEFAULT_DB", "END", "START", "STORIES", "TOWNSHIPS", "DemoResult", "People",
    "Simulation", "Story", "Units", "grouped_yuan", "open_county", "prepare_database", "render",
    "run",
]  # fmt: skip
