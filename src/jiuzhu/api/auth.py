"""Every request resolves to an actor through its bearer token (``Authorization: Bearer``).

This module answers "who is calling?"; what that actor may do, and where, is decided by the
service's one authorisation matrix (:mod:`jiuzhu.service.actors`), exactly as on the library
path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..service.actors import Actor
from . import tokens

bearer = HTTPBearer(auto_error=False, description="A token made with `jiuzhu token create`.")


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise tokens.unauthenticated(
            "this endpoint needs a bearer token (Authorization: Bearer jz_...)",
            "请在 Authorization 请求头中提供令牌（Bearer jz_...）",
            error=None,
        )
    service = request.app.state.backend.service
    return tokens.resolve(service.engine, credentials.credentials, service.clock.now())
