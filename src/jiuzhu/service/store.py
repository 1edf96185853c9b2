"""The tables, Core statements and row mappings of :mod:`jiuzhu.models.rows`, by their old name."""

from __future__ import annotations

from ..models.rows import *  # noqa: F403
from ..models.rows import __all__  # noqa: F401
