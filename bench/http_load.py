"""Benchmark: the HTTP service under a mixed case-worker workload, against the library.

``http``: ``jiuzhu serve --workers 2`` (two uvicorn worker processes) on a fresh PostgreSQL
database, driven over loopback for a bounded time by C client threads, each with one bare
keep-alive connection (``http.client``).  Each thread repeats one case worker's round of eight
requests:

    POST /households, POST /cases (apply), POST promise, POST record-appraisal,
    POST approve (as the township), GET /cases/{id}, GET /cases?limit=20, GET history

Baseline ``library``: the same rounds through ``jiuzhu.connect`` (the library an agency back
end embeds) on its own fresh database.  It answers the question this benchmark is for: what
does the HTTP layer (uvicorn, FastAPI, the token lookup, JSON both ways, loopback) cost on top
of the commands themselves?  Both sides drive from as many processes as the server has
workers, the same threads in each, started together once all are ready; ``rate`` counts the
time the threads drove, not process start-up.

The sides run in ABBA order (half the time each turn) so background load falls on both.
``rate`` is requests per second (all threads together); ``p50_ms``/``p99_ms`` are per
request; ``client_cpu_ms`` is CPU per request in the driving processes (on the library side
that is all of jiuzhu's work), ``server_cpu_ms`` in the server's workers (Linux).  Clients,
server and PostgreSQL share the machine.  JSON lines on stdout (bench/README.md); progress on
stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Named http_load.py so as not to shadow the standard library's ``http`` (used here and by
# uvicorn); bench/transitions.py would still shadow that library.  bench/ goes on the path last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]

import argparse  # noqa: E402
import http.client  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402
from urllib.request import urlopen  # noqa: E402

import _common  # noqa: E402

OPS = ("register_household", "apply", "promise", "record_appraisal", "approve", "get_case",
       "list_cases", "history")  # fmt: skip
APPRAISAL = {"outcome": "passed", "attendance": 21, "votes_for": 19, "votes_against": 1,
             "abstentions": 1}  # fmt: skip
Samples = dict[str, list[int]]


def members(i: int) -> list[dict[str, str]]:
    return [{"name": "居民", "id_number": _common.id_number(i), "relation": "head"}]


# -- one case worker's round -------------------------------------------------------------------
def http_round(client: Any, auth: dict[str, dict[str, str]], i: int, time_op: Callable) -> None:
    v, t = auth["village"], auth["township"]
    home = time_op("register_household", lambda: client.post(
        "/households", json={"members": members(i)}, headers=v))  # fmt: skip
    h = home.json()
    case = time_op("apply", lambda: client.post("/cases", headers=v, json={
        "household_id": h["id"], "applicant_id": h["member_ids"][0], "programme": "dibao",
        "cause": "major_illness", "expenditure": "90000"})).json()  # fmt: skip
    cid = case["id"]
    time_op("promise", lambda: client.post(f"/cases/{cid}/promise", headers=v,
                                           json={"signed_by": h["member_ids"][0]}))  # fmt: skip
    time_op("record_appraisal", lambda: client.post(f"/cases/{cid}/record-appraisal",
                                                    headers=v, json=APPRAISAL))  # fmt: skip
    time_op("approve", lambda: client.post(f"/cases/{cid}/approve", headers=t,
                                           json={"monthly_amount": "2000"}))  # fmt: skip
    time_op("get_case", lambda: client.get(f"/cases/{cid}", headers=v))
    time_op("list_cases", lambda: client.get("/cases", params={"limit": 20}, headers=t))
    time_op("history", lambda: client.get(f"/cases/{cid}/history", headers=v))


def library_round(svc: Any, actors: dict[str, Any], i: int, time_op: Callable) -> None:
    v, t = actors["village"], actors["township"]
    home = time_op("register_household", lambda: svc.register_household(v, members=members(i)))
    case = time_op("apply", lambda: svc.apply(
        v, household_id=home.id, applicant_id=home.member_ids[0], programme="dibao",
        cause="major_illness", expenditure="90000"))  # fmt: skip
    time_op("promise", lambda: svc.promise(v, case.id, signed_by=home.member_ids[0]))
    time_op("record_appraisal", lambda: svc.record_appraisal(v, case.id, **APPRAISAL))
    time_op("approve", lambda: svc.approve(t, case.id, monthly_amount="2000"))
    time_op("get_case", lambda: svc.get_case(v, case.id))
    time_op("list_cases", lambda: svc.list_cases(t, limit=20))
    time_op("history", lambda: svc.history(v, case.id))


class Deadline(Exception):
    pass


def drive(round_fn: Callable, targets: list[Any], handles: Any, seconds: float,
          first_i: int) -> tuple[Samples, float]:  # fmt: skip
    """Run rounds on one thread per target until ``seconds`` pass; latencies (ns) per operation
    and the wall time the threads ran (from their start to the last one's end).

    Round ``k`` of thread ``slot`` registers ID number ``first_i + slot * 100_000 + k``.
    """
    samples: Samples = defaultdict(list)
    lock = threading.Lock()
    errors: list[BaseException] = []
    started = time.perf_counter()
    stop_at = started + seconds

    def worker(slot: int) -> None:
        mine: Samples = defaultdict(list)

        def time_op(name: str, call: Callable) -> Any:
            if time.perf_counter() >= stop_at:
                raise Deadline
            t0 = time.perf_counter_ns()
            result = call()
            mine[name].append(time.perf_counter_ns() - t0)
            status = getattr(result, "status_code", 200)
            if status >= 300:
                raise RuntimeError(f"{name}: HTTP {status} {result.text[:300]}")
            return result

        try:
            for k in itertools.count():
                round_fn(targets[slot], handles, first_i + slot * 100_000 + k, time_op)
        except Deadline:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)
        with lock:
            for name, values in mine.items():
                samples[name].extend(values)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(len(targets))]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client thread(s) failed; first: {errors[0]!r}")
    return dict(samples), wall


# -- the HTTP client: one keep-alive connection per thread -----------------------------------
class Reply:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.body = status, body
        self.text = body.decode("utf-8", "replace") if status >= 300 else ""

    def json(self) -> Any:
        return json.loads(self.body)


class KeepAlive:
    """A bare HTTP/1.1 keep-alive client (``http.client``): what a request costs the client is
    the JSON both ways and the socket, not a client library's bookkeeping."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def _call(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers = {**headers, "Content-Type": "application/json"}
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        return Reply(response.status, response.read())

    def post(self, path: str, *, json: Any, headers: dict[str, str]) -> Reply:
        return self._call("POST", path, json, headers)

    def get(self, path: str, *, headers: dict[str, str], params: Any = None) -> Reply:
        return self._call("GET", f"{path}?{urlencode(params)}" if params else path, None, headers)

    def close(self) -> None:
        self.conn.close()


# -- both sides: as many processes as the server has workers, the same threads in each -------
def side_process(label: str, target: str, secrets: dict[str, str], threads: int,
                 seconds: float, first_i: int, barrier: Any, results: Any) -> None:  # fmt: skip
    """One process of ``label``'s side: ``threads`` threads on the library (``target`` is the
    database) or on the server (``target`` is its base URL), once every process is ready."""
    closers: list[Callable[[], None]] = []
    try:
        if label == "library":
            import jiuzhu
            from jiuzhu import Actor, Role

            svc = jiuzhu.connect(target, upgrade=False)
            closers.append(svc.close)
            targets: list[Any] = [svc] * threads
            handles: Any = {"village": Actor(Role.VILLAGE, _common.VILLAGE, "bench-village"),
                            "township": Actor(Role.TOWNSHIP, _common.TOWNSHIP, "bench-township")}  # fmt: skip
            round_fn: Callable = library_round
        else:
            targets = [KeepAlive(target) for _ in range(threads)]
            closers.extend(t.close for t in targets)
            handles = {who: {"Authorization": f"Bearer {text}"} for who, text in secrets.items()}
            round_fn = http_round
        barrier.wait(timeout=120)
        cpu = time.process_time()
        samples, wall = drive(round_fn, targets, handles, seconds, first_i)
        results.put((samples, wall, time.process_time() - cpu, None))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it
        barrier.abort()  # the other processes stop waiting
        results.put(({}, 0.0, 0.0, repr(exc)))
    finally:
        for close in closers:
            close()


def run_side(label: str, target: str, secrets: dict[str, str], workers: int, threads: int,
             seconds: float, first_i: int) -> tuple[Samples, float, float]:  # fmt: skip
    """Samples, wall time (the longest process' drive) and CPU seconds of the client processes."""
    per = [n for n in (threads // workers + (1 if w < threads % workers else 0)
                       for w in range(workers)) if n]  # fmt: skip
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(len(per)), ctx.Queue()
    procs = [ctx.Process(target=side_process, args=(label, target, secrets, n, seconds,
                                                    first_i + w * 1_000_000, barrier, results))
             for w, n in enumerate(per)]  # fmt: skip
    for proc in procs:
        proc.start()
    parts = [results.get(timeout=seconds + 180) for _ in procs]
    for proc in procs:
        proc.join()
    failed = [error for *_, error in parts if error]
    if failed:
        raise RuntimeError(f"{label}: {failed[0]}")
    merged: Samples = defaultdict(list)
    for part, *_ in parts:
        for name, values in part.items():
            merged[name].extend(values)
    return dict(merged), max(p[1] for p in parts), sum(p[2] for p in parts)


# -- the server ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jiuzhu.cli", "serve", "--db", url, "--port", str(port),
         "--workers", str(workers), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while True:
        try:
            with urlopen(f"{base}/health", timeout=1) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() - started > 60:
            process.kill()
            raise SystemExit("jiuzhu serve did not start")
        time.sleep(0.1)


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by the server's worker processes (Linux /proc; else 0)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == server.pid:  # its parent
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.0


# -- set-up, run, report ---------------------------------------------------------------------
def prepare(url: str) -> dict[str, str]:
    """Migrate, add the county, township and village; tokens for the village and township."""
    import jiuzhu
    from jiuzhu.api import tokens
    from jiuzhu.clock import SystemClock

    svc = jiuzhu.connect(url)
    try:
        _common.setup_county(svc)
        made = {who: tokens.create_token(svc.engine, SystemClock(), role=who, org=unit)[1]
                for who, unit in (("village", _common.VILLAGE),
                                  ("township", _common.TOWNSHIP))}  # fmt: skip
    finally:
        svc.close()
    return made


class Totals:
    """One side's samples over its two turns, their wall time and CPU seconds."""

    def __init__(self) -> None:
        self.samples: Samples = defaultdict(list)
        self.wall = self.client = self.server = 0.0

    def add(self, samples: Samples, wall: float, client: float, server: float) -> None:
        for name, values in samples.items():
            self.samples[name].extend(values)
        self.wall, self.client, self.server = (self.wall + wall, self.client + client,
                                               self.server + server)  # fmt: skip


def report(label: str, totals: Totals) -> dict[str, Any]:
    """The side's line; ``client_cpu_ms`` is CPU per request in the driving processes (on the
    library side: everything but PostgreSQL), ``server_cpu_ms`` in the server's workers."""
    samples = totals.samples
    everything = sorted(v for values in samples.values() for v in values)
    n = max(len(everything), 1)
    line = {"bench": "http", "label": label, "backend": "postgresql", "n": len(everything),
            "rate": round(len(everything) / totals.wall, 1), "unit": "requests/s",
            "p50_ms": round(_common.percentile_ns(everything, 50), 3),
            "p99_ms": round(_common.percentile_ns(everything, 99), 3),
            "client_cpu_ms": round(1000 * totals.client / n, 3),
            "server_cpu_ms": round(1000 * totals.server / n, 3) if label == "http" else None}  # fmt: skip
    _common.emit(line)
    for name in OPS:
        values = sorted(samples.get(name, []))
        _common.info(f"  {label:8} {name:18} n={len(values):6}  p50 "
                     f"{_common.percentile_ns(values, 50):7.2f} ms  p99 "
                     f"{_common.percentile_ns(values, 99):7.2f} ms")  # fmt: skip
    return line


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _common.exit_on_sigterm()
    if not 1 <= args.concurrency <= 10 or not 1 <= args.workers <= 8:
        raise SystemExit("--concurrency 1-10 and --workers 1-8 (ID numbers are drawn per thread)")
    seconds = 6.0 if args.quick and args.seconds is None else (args.seconds or 30.0)
    _common.info(
        f"load average {os.getloadavg()}; sources "
        f"{_common.source_fingerprint(Path(__file__).parents[1] / 'src' / 'jiuzhu')}"
    )
    with _common.PostgresScratch(args.pg) as pg:
        _common.info(f"PostgreSQL: {pg.server_version()}")
        http_url, lib_url = pg.create("http"), pg.create("library")
        tokens = prepare(http_url)
        prepare(lib_url)
        server, base = start_server(http_url, args.workers)
        try:
            results = {label: Totals() for label in ("library", "http")}
            for turn, label in enumerate(("library", "http", "http", "library")):
                _common.info(f"{label}: {seconds / 2:.1f} s, {args.concurrency} threads in "
                             f"{args.workers} processes")  # fmt: skip
                target = base if label == "http" else lib_url
                cpu = server_cpu(server)
                part, wall, client = run_side(label, target, tokens, args.workers,
                                              args.concurrency, seconds / 2, turn * 3_000_000)  # fmt: skip
                results[label].add(part, wall, client,
                                   server_cpu(server) - cpu if label == "http" else 0.0)  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=60)
        lines = {label: report(label, results[label]) for label in ("http", "library")}
        ratio = lines["http"]["rate"] / lines["library"]["rate"]
        _common.emit({"bench": "http", "label": "ratio:http/library", "backend": "postgresql",
                      "n": lines["http"]["n"], "rate": round(ratio, 3), "unit": "x",
                      "p50_ms": None, "p99_ms": None})  # fmt: skip
    _common.info(f"load average {os.getloadavg()}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="6 s in all (3 s per side)")
    parser.add_argument("--seconds", type=float, help="total seconds per side (default 30)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument(
        "--pg",
        metavar="ADMIN_URL",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server; two fresh databases are made and dropped",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
