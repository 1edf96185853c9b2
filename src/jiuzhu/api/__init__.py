"""The HTTP service (FastAPI): one endpoint per service command, bearer tokens, problem JSON.

>>> from jiuzhu.api import create_app
>>> app = create_app(jiuzhu.connect(url))   # doctest: +SKIP
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
