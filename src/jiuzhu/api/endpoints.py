"""Turn a service method into a FastAPI endpoint, reading its signature.

A :class:`Route` names a method of :class:`~jiuzhu.service.service.CaseService` (or a small
function of the same shape), an HTTP method and a path.  Everything else is read off the
method's signature, so that the HTTP contract cannot drift from the library's:

* ``actor`` comes from the bearer token (see :mod:`.auth`);
* positional parameters after ``actor`` (``case_id``, ``household_id``) are path parameters;
* keyword-only parameters are the JSON body's fields (POST) or query parameters (GET), with
  the method's defaults; ``date``/``datetime`` arguments travel as ISO text, amounts
  (``object``) as text or integers of yuan;
* ``expected_version`` comes from ``If-Match`` and ``idempotency_key`` from
  ``Idempotency-Key``; a command that takes neither refuses those headers (400) instead of
  ignoring them.

The endpoint checks nothing the service checks: it parses, calls, and renders.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, is_dataclass
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any

from fastapi import Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field, TypeAdapter, create_model

from ..clock import iso_utc
from ..errors import JiuzhuError
from ..service.actors import Actor
from ..service.paging import Page
from . import envelope
from . import schema_hints as hints
from .auth import current_actor
from .examples import BODY_ENUMS, EXAMPLES
from .markdown import markdown
from .problems import ApiError, from_error

PASSED_BY_HEADER = ("expected_version", "idempotency_key")
_ETAG = re.compile(r'^\s*"([0-9]{1,9})"\s*$')


@dataclass(frozen=True)
class Route:
    """One endpoint: ``name`` is the service method (or the name of ``call``)."""

    name: str
    method: str
    path: str
    status: int = 200
    tag: str = "cases"
    call: Callable[..., Any] | None = None  # (service, actor, ...) instead of the method
    render: Callable[[Any], Any] | None = None  # result -> JSON-ready value
    hidden: tuple[str, ...] = ()  # parameters not served (test hooks such as ``now``)
    response: Any = None  # documented response type; default: the return annotation
    location: str | None = None  # with status 201: where the new record is read, e.g. /cases/{id}
    responses: dict[int | str, dict[str, Any]] | None = None  # more, for the OpenAPI document

    def function(self, service_class: type) -> Callable[..., Any]:
        return self.call or getattr(service_class, self.name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Shape:
    """What a route's signature asks of a request."""

    path: tuple[str, ...]
    fields: dict[str, tuple[Any, Any]]  # name -> (type, default or ...)
    versioned: bool
    keyed: bool
    returns: Any


def shape_of(route: Route, service_class: type) -> Shape:
    fn = route.function(service_class)
    params = list(inspect.signature(fn).parameters.values())[2:]  # (self|service, actor)
    path, fields = [], {}
    for p in params:
        if p.name in route.hidden or p.name in PASSED_BY_HEADER:
            continue
        kind = api_type(resolve(fn, p.annotation))
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            if f"{{{p.name}}}" not in route.path:
                raise TypeError(f"{route.name}: path {route.path} lacks {{{p.name}}}")
            path.append(p.name)
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[p.name] = (kind, default)
    names = {p.name for p in params}
    returns = route.response or resolve(fn, inspect.signature(fn).return_annotation)
    return Shape(tuple(path), fields, "expected_version" in names, "idempotency_key" in names,
                 returns)  # fmt: skip


def resolve(fn: Callable[..., Any], annotation: Any) -> Any:
    """A (possibly string) annotation as a type; ``Any`` when it cannot be resolved."""
    if annotation is inspect.Parameter.empty:
        return Any
    if isinstance(annotation, str):
        try:
            return eval(annotation, vars(typing) | fn.__globals__)  # noqa: S307 - our own source
        except Exception:  # noqa: BLE001 - a name imported only for type checkers
            return Any
    return annotation


def api_type(kind: Any) -> Any:
    """The JSON-side type of a service argument."""
    if kind is object:
        return str | int  # an amount of yuan: text ("2000.50") or an integer, never a float
    if kind in (date, datetime):
        return str
    if isinstance(kind, UnionType) or typing.get_origin(kind) is typing.Union:
        members = []
        for arg in typing.get_args(kind):
            mapped = api_type(arg)
            if mapped not in members:
                members.append(mapped)
        result = members[0]
        for member in members[1:]:
            result = result | member
        return result
    return kind


def documented(kind: Any) -> Any:
    """``kind`` if it has a JSON schema (for the OpenAPI document), else None."""
    if kind is Any or kind is None or kind is inspect.Parameter.empty:
        return None
    try:
        TypeAdapter(kind).json_schema(mode="serialization")
    except Exception:  # noqa: BLE001 - any type pydantic cannot describe stays undocumented
        return None
    return kind


# -- building the endpoint ---------------------------------------------------------------------


def build(route: Route, service_class: type) -> tuple[Callable[..., Any], Any]:
    """The endpoint function for ``route`` and its documented response model."""
    shape = shape_of(route, service_class)
    fn = route.function(service_class)
    raw = {n: resolve(fn, p.annotation) for n, p in inspect.signature(fn).parameters.items()}
    params = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter(
            "actor",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[Actor, Depends(current_actor)],
        ),  # fmt: skip
    ]
    for name in shape.path:
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
            str, Path(json_schema_extra=hints.QUERY.get(name))]))  # fmt: skip
    if route.method == "GET":
        for name, (kind, default) in shape.fields.items():
            extra = hints.query_extra(name, raw.get(name))
            params.append(inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if default is ... else default,
                annotation=Annotated[hints.enum_type(name, kind),
                                     Query(json_schema_extra=extra)]))  # fmt: skip
    else:  # a command without arguments still refuses a body it cannot read
        body_model = _body_model(route.name, shape, raw)
        required = any(default is ... for _, default in shape.fields.values())
        params.append(inspect.Parameter(
            "body", inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if required else None,
            annotation=Annotated[body_model if required else body_model | None,
                                 Body()]))  # fmt: skip
    if shape.keyed:
        params.append(inspect.Parameter(
            "idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, Header(
                alias="Idempotency-Key", description="Retrying with the same key returns the "
                "first result and changes nothing (1-128 printable ASCII characters).",
                json_schema_extra={"pattern": "^[!-~]{1,128}$", "examples": ["apply-0042"]})]))  # fmt: skip
    if shape.versioned:
        params.append(inspect.Parameter(
            "if_match", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, Header(
                alias="If-Match", description='The case\'s ETag as read, e.g. "4": refused '
                "with 412 if the case changed since.",
                json_schema_extra={"pattern": '^"[0-9]{1,9}"$|^\\*$', "examples": ['"4"']})]))  # fmt: skip

    def endpoint(**kw: Any) -> Response:
        return _serve(route, shape, kw)

    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = route.name
    endpoint.__doc__ = markdown(inspect.getdoc(fn))
    return endpoint, envelope.documented_response(route.name, shape.returns, documented)


def _body_model(name: str, shape: Shape, raw: dict[str, Any]) -> Any:
    """The JSON body: strict, so that ``true`` is no amount and ``"20"`` no head count."""
    fields: dict[str, Any] = {}
    for field, (kind, default) in shape.fields.items():
        extra = hints.body_extra(field, kind, raw.get(field)) or {}
        if (name, field) in BODY_ENUMS:
            extra = {k: v for k, v in extra.items() if k != "maxLength"}
            extra["enum"] = BODY_ENUMS[(name, field)]
        fields[field] = (kind, Field(default, json_schema_extra=extra or None))
    title = "".join(part.title() for part in name.split("_")) + "Body"
    example = EXAMPLES.get(name)
    config = ConfigDict(extra="forbid", strict=True,
                        json_schema_extra={"examples": [example]} if example else None)  # fmt: skip
    return create_model(title, __config__=config, **fields)


# -- serving a request -------------------------------------------------------------------------


def _serve(route: Route, shape: Shape, kw: dict[str, Any]) -> Response:
    request: Request = kw["request"]
    instance = request.url.path
    if_match = kw.get("if_match")
    try:
        _refuse_unused_headers(request, shape)
        args = [kw[name] for name in shape.path]
        if route.method == "GET":
            options = {name: kw[name] for name in shape.fields}
        else:
            body = kw.get("body")
            options = {} if body is None else body.model_dump(exclude_unset=True)
        check_text([args, options, kw.get("idempotency_key")])
        if shape.keyed and kw.get("idempotency_key") is not None:
            options["idempotency_key"] = kw["idempotency_key"]
        if shape.versioned and if_match is not None:
            options["expected_version"] = expected_version(if_match)
        service = request.app.state.backend.service
        call = route.call or getattr(service, route.name)
        if route.call is not None:
            result = call(service, kw["actor"], *args, **options)
        else:
            result = call(kw["actor"], *args, **options)
    except JiuzhuError as exc:
        return from_error(exc, instance=instance, if_match=if_match not in (None, "*"))
    return _respond(route, result, request)


def _refuse_unused_headers(request: Request, shape: Shape) -> None:
    for header, taken in (("idempotency-key", shape.keyed), ("if-match", shape.versioned)):
        if not taken and header in request.headers:
            raise ApiError("bad_request", f"this endpoint does not take the {header.title()} "
                           "header", f"该接口不支持 {header.title()} 请求头")  # fmt: skip


def expected_version(if_match: str) -> int | None:
    if if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise ApiError("bad_request", f'If-Match must be one ETag as given, e.g. "4"; got '
                       f"{if_match[:40]!r}", 'If-Match 应为一个 ETag，例如 "4"')  # fmt: skip
    return int(match.group(1))


def check_text(value: Any) -> None:
    """Refuse text no database column can hold: NUL characters and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ApiError("invalid_input", "text may not contain NUL characters",
                           "文字中不能包含空字符（NUL）")  # fmt: skip
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError("invalid_input", "text contains an unpaired surrogate (not Unicode "
                           "text)", "文字中含有无效的 Unicode 代理字符") from None  # fmt: skip
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_text(item)


def _respond(route: Route, result: Any, request: Request) -> Response:
    headers: dict[str, str] = {}
    version = getattr(result, "row_version", None)
    if isinstance(version, int):
        headers["ETag"] = f'"{version}"'
    if getattr(result, "replayed", False):
        headers["Idempotent-Replayed"] = "true"
    if route.location and getattr(result, "id", None):
        headers["Location"] = route.location.format(id=result.id)
    if isinstance(result, Response):  # a file (e.g. the report as xlsx): sent as it is
        return result
    if isinstance(result, Page):
        content: Any = envelope.of_page(result, jsonable, request)
    else:
        content = route.render(result) if route.render else jsonable(result)
        if isinstance(content, list):
            content = envelope.of_list(content)
    return JSONResponse(content, status_code=route.status, headers=headers)


def jsonable(value: Any) -> Any:
    """A service result as JSON: views through ``to_dict``, instants as UTC ISO text."""
    if hasattr(value, "to_dict") and is_dataclass(value):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
