"""Every list the API answers with comes in one envelope: ``{"items", "total", "next"}``.

``total`` is how many items match the request in all (counted by the database for the long
lists); ``next`` is the URL (path and query) of the following page, or null on the last one.
Short lists (a case's history, a report) come whole: ``next`` is null.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from fastapi import Request
from pydantic import create_model

from ..service.paging import Page


def of_list(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "next": None}


def of_page(page: Page, jsonable: Callable[[Any], Any], request: Request) -> dict[str, Any]:
    nxt = None
    if page.next is not None:
        url = request.url.include_query_params(after=page.next)
        nxt = f"{url.path}?{url.query}"
    return {"items": jsonable(page.items), "total": page.total, "next": nxt}


def documented_response(name: str, returns: Any,
                        documented: Callable[[Any], Any]) -> Any:  # fmt: skip
    """The response model: an envelope for a list (or a page of ``list[X]``), else ``returns``."""
    if returns is Page:
        returns = list[dict[str, Any]]
    if typing.get_origin(returns) is not list:
        return documented(returns)
    (item,) = typing.get_args(returns) or (Any,)
    item = documented(item) or dict[str, Any]
    title = "".join(part.title() for part in name.split("_")) + "List"
    return create_model(title, items=(list[item], ...), total=(int, ...),  # type: ignore[valid-type]
                        next=(str | None, ...))  # fmt: skip


__all__ = ["documented_response", "of_list", "of_page"]
