"""What ``jiuzhu serve`` runs: the HTTP API with the web front mounted on it.

:func:`jiuzhu.api.create_app` stays the API alone, for back ends that embed it; this module is
the one place that puts the two together (the web front builds on the API, never the other way).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

import jiuzhu

from ..api.app import ENV_MAX_BODY, ENV_MAX_UPLOAD, create_app
from ..api.guard import DEFAULT_MAX_BODY, DEFAULT_MAX_UPLOAD
from ..service.service import CaseService
from . import mount


def create_site(service: CaseService, *, max_body: int = DEFAULT_MAX_BODY,
                max_upload: int = DEFAULT_MAX_UPLOAD) -> FastAPI:  # fmt: skip
    """The API of ``service`` with the pages at ``/`` (sign-in, cases, search, queues, audit)."""
    app = create_app(service, max_body=max_body, max_upload=max_upload)
    mount(app, service)
    return app


def site_from_env() -> FastAPI:
    """The uvicorn factory of ``jiuzhu serve`` (one per worker process; schema already at head).

    The service decides by the policy file named by ``$JIUZHU_POLICY_FILE`` (``jiuzhu serve
    --policy FILE`` sets it, after checking the file), as the command line does."""
    service = jiuzhu.connect(os.environ.get("JIUZHU_DATABASE_URL"), upgrade=False)
    return create_site(
        service,
        max_body=int(os.environ.get(ENV_MAX_BODY, DEFAULT_MAX_BODY)),
        max_upload=int(os.environ.get(ENV_MAX_UPLOAD, DEFAULT_MAX_UPLOAD)),
    )
