"""``jiuzhu serve`` (the HTTP service, uvicorn) and ``jiuzhu token`` (its bearer tokens).

Tokens are made, listed and revoked here, on the command line, by whoever holds the database:
token administration is not an HTTP endpoint.  A token's text is shown once, when it is made;
only its SHA-256 is stored.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ..errors import InvalidInput
from .common import database_url, service, use_policy_file
from .options import PolicyOpt, shared
from .output import out, say

DEFAULT_MAX_BODY = 64 * 1024  # = jiuzhu.api.guard.DEFAULT_MAX_BODY (FastAPI loads only to serve)
DEFAULT_MAX_UPLOAD = 256 * 1024 * 1024  # = jiuzhu.api.guard.DEFAULT_MAX_UPLOAD

token_app = typer.Typer(
    help="Bearer tokens 访问令牌 of the HTTP service: each stands for a role at an organisation "
    "unit (角色 + 所属单位).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(token_app, name="token")


class LogLevel(StrEnum):  # uvicorn's
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


# -- jiuzhu serve --------------------------------------------------------------------------------
@shared(db="existing", json=False)
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on 监听地址.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port 端口 (0: any free "
                                      "port, shown when serving).")] = 8000,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="uvicorn worker processes 进程数.")] = 1,
    with_worker: Annotated[bool, typer.Option(
        "--with-worker", help="Also run the deadline worker 期限调度 in this process "
        "(a background thread), as `jiuzhu worker` would.")] = False,
    max_body: Annotated[int, typer.Option(
        "--max-body", min=1024, max=1024**3, help="Largest request body in bytes 请求体上限 "
        "(larger: 413).")] = DEFAULT_MAX_BODY,
    max_upload: Annotated[int, typer.Option(
        "--max-upload", min=1024, max=16 * 1024**3, help="Largest import upload in bytes "
        "导入文件上限 (POST /imports/...; larger: 413).")] = DEFAULT_MAX_UPLOAD,
    import_dir: Annotated[str | None, typer.Option(
        "--import-dir", help="Folder for uploaded import files and their error reports "
        "导入文件目录 (default: $JIUZHU_IMPORT_DIR, else jiuzhu-imports in the system's "
        "temporary folder).")] = None,
    log_level: Annotated[LogLevel, typer.Option("--log-level", help="uvicorn log level.")]
    = LogLevel.info,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="Log lines 日志格式: "
                                                  "text, or json (one object per line, for a "
                                                  "log collector); each carries the request "
                                                  "id 请求编号 (X-Request-Id).")] = LogFormat.text,
    policy: PolicyOpt = None,
    *, db: str | None,
) -> None:  # fmt: skip
    """Run the HTTP service 启动 HTTP 服务 (FastAPI on uvicorn; OpenAPI at /docs).

    Every request needs a bearer token from `jiuzhu token create`. Stop with Ctrl-C or
    SIGTERM: requests in flight finish, then the deadline worker (if any) stops after its
    current chunk.
    """
    import uvicorn
    from sqlalchemy.engine import make_url

    from .. import migrations
    from ..api.app import ENV_MAX_BODY, ENV_MAX_UPLOAD
    from ..api.imports import ENV_IMPORT_DIR
    from ..api.logs import log_config
    from ..models.db import ENV_URL, make_engine
    from ..simulation import ENV_SIMULATED_TIME, simulated_start

    use_policy_file(policy)  # every worker process decides by the same book
    url = database_url(db)
    if simulated_start() is not None:
        raise InvalidInput(
            f"jiuzhu serve runs on the system clock only; unset {ENV_SIMULATED_TIME} to serve",
            f"jiuzhu serve 只按系统时钟运行；请取消设置环境变量 {ENV_SIMULATED_TIME} 后再启动",
        )
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)  # once, before any worker process starts
    finally:
        engine.dispose()
    os.environ[ENV_URL] = url  # read by each worker process (jiuzhu.web.site:site_from_env)
    os.environ[ENV_MAX_BODY] = str(max_body)
    os.environ[ENV_MAX_UPLOAD] = str(max_upload)
    if import_dir:
        os.environ[ENV_IMPORT_DIR] = import_dir
    shown = make_url(url).render_as_string(hide_password=True)
    listener = listening_socket(host, port)
    port = listener.getsockname()[1]
    say(f"jiuzhu HTTP 服务 serving {shown} on http://{host}:{port} (workers {workers}); "
        f"web front 网页 http://{host}:{port}/ ; OpenAPI http://{host}:{port}/docs",
        console=None)  # fmt: skip
    deadline_worker = _start_deadline_worker(url) if with_worker else None
    # uvicorn re-raises the SIGTERM/SIGINT that stopped it once it has shut down; with these
    # handlers in place that ends in the ``finally`` below, which stops the deadline worker.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: None)
    try:
        uvicorn.run("jiuzhu.web.site:site_from_env", factory=True, fd=listener.fileno(),
                    workers=workers, log_level=log_level.value, proxy_headers=False,
                    server_header=False, log_config=log_config(log_format.value))  # fmt: skip
    finally:
        if deadline_worker is not None:
            stop, thread = deadline_worker
            stop.set()
            thread.join()


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, with ``TCP_NODELAY`` set before it listens.

    Linux gives each accepted connection the listener's ``TCP_NODELAY``.  uvicorn's own socket
    for ``--workers`` > 1 is made without it (asyncio then never sets it per connection),
    and every response's body then waited ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}",
                           f"无法监听 {host}:{port}：{exc.strerror}") from None  # fmt: skip
    sock.set_inheritable(True)  # handed to uvicorn's worker processes
    return sock


def _start_deadline_worker(url: str) -> tuple[threading.Event, threading.Thread]:
    from ..scheduler.startup import check_worker_id, worker_lock
    from ..scheduler.worker import run_worker

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("jiuzhu").setLevel(logging.INFO)
    with worker_lock(url):  # refuse at once, on the main thread, if another worker holds it
        pass
    stop = threading.Event()
    worker_id = check_worker_id(None)

    def run() -> None:
        try:
            run_worker(url, worker_id=worker_id, stop=stop)
        except Exception:  # noqa: BLE001 - the thread's boundary: say it, the service goes on
            logging.getLogger("jiuzhu.scheduler").exception("the deadline worker stopped")

    thread = threading.Thread(target=run, name="jiuzhu-deadline-worker", daemon=True)
    thread.start()
    return stop, thread


# -- jiuzhu token --------------------------------------------------------------------------------
@token_app.command("create")
@shared()
def token_create(
    role: Annotated[str, typer.Option("--role", help="Role 角色: village, township, county, "
                                      "verification_centre, auditor, admin, provider (with "
                                      "--provider).")],  # fmt: skip
    org: Annotated[str | None, typer.Option("--org", help="Organisation unit 所属单位 "
                                            "(not for admin).")] = None,  # fmt: skip
    user: Annotated[str | None, typer.Option("--user", help="Staff id 工作人员编号 recorded "
                                             "with events (optional).")] = None,  # fmt: skip
    expires: Annotated[str, typer.Option("--expires", help="Lifetime 有效期: e.g. 90d, 12h, "
                                         "2w or an ISO date-time; default 90d, at most 365d "
                                         "(最长 365 天).")] = "90d",
    note: Annotated[str | None, typer.Option("--note", help="What the token is for 用途.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Service provider 服务机构 "
                                                 "id (role provider only).")] = None,  # fmt: skip
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Make a token 签发令牌 for a role at a unit; its text is shown ONCE (only a hash is kept)."""
    from ..api import tokens
    from ..clock import SystemClock
    from ..service.actors import ROLE_LABELS, Role

    svc = service(db)  # brings the schema to head
    try:
        clock = SystemClock()
        expiry = tokens.parse_expiry(expires, clock.now())
        info, text = tokens.create_token(svc.engine, clock, role=role, org=org, user=user,
                                         expires_at=expiry, note=note,
                                         provider=provider)  # fmt: skip
    finally:
        svc.close()
    if json_out:
        typer.echo(json.dumps({**info.to_dict(clock.now()), "token": text}, ensure_ascii=False))
        return
    label = ROLE_LABELS[Role(info.role)]
    say(f"令牌已签发 token {info.id} for {label.zh} {label.en} {info.org or ''}".rstrip()
        + (f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else
           ", never expires"))  # fmt: skip
    say("请妥善保存，此令牌只显示一次 Keep it safe; it is shown only this once:", "bold")
    typer.echo(text)


@token_app.command("list")
@shared()
def token_list(*, db: str | None, json_out: bool) -> None:
    """List tokens 令牌列表 (never their secrets): role, unit, expiry, status."""
    from ..api import tokens
    from ..clock import SystemClock

    svc = service(db)
    try:
        infos, now = tokens.list_tokens(svc.engine), SystemClock().now()
    finally:
        svc.close()
    if json_out:
        typer.echo(json.dumps([i.to_dict(now) for i in infos], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"令牌 tokens ({len(infos)})", box=box.SIMPLE_HEAD)
    for header in ("id", "角色 role", "单位 org", "工号 user", "签发 created", "到期 expires",
                   "状态 status", "用途 note"):  # fmt: skip
        table.add_column(header, no_wrap=header != "用途 note")
    for i in infos:
        table.add_row(i.id, i.role, i.org or "—", i.user or "—", f"{i.created_at:%Y-%m-%d}",
                      f"{i.expires_at:%Y-%m-%d %H:%M}" if i.expires_at else "never",
                      i.status(now), i.note or "")  # fmt: skip
    out().print(table)


@token_app.command("revoke")
@shared(json=False)
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="Token id 令牌编号 (from `jiuzhu token list`).")],
    *,
    db: str | None,
) -> None:
    """Revoke a token 吊销令牌: the next request that carries it is refused (401)."""
    from ..api import tokens
    from ..clock import SystemClock

    svc = service(db)
    try:
        info = tokens.revoke_token(svc.engine, SystemClock(), token_id)
    finally:
        svc.close()
    say(f"令牌已吊销 token {info.id} revoked at {info.revoked_at:%Y-%m-%d %H:%M} UTC")
