"""Merkle-log proofs from the database: inclusion and consistency proof times, and publishing.

Prints JSON lines (see README.md), on SQLite (and PostgreSQL with ``--pg``):

- ``inclusion``: one inclusion proof of a random leaf against the tree of N leaves, each from a
  fresh :class:`jiuzhu.audit.log.DatabaseSource` (nothing cached: what one ``jiuzhu audit
  prove`` reads, its blocks fetched in two statements), verified after timing; p50/p99 in ms;
- ``consistency``: the consistency proof between a checkpoint of OLD leaves and one of N
  leaves (N − OLD ≈ 1M apart by default), each from a fresh source; p50/p99 in ms;
- ``publish``: ``jiuzhu audit publish`` of the whole log into an empty directory (tiles and
  entry bundles), then of 1,000 more leaves into the same directory (incremental).

The log is synthetic (leaves appended with :func:`jiuzhu.models.log_sql.flush`, each the
canonical JSON of an event-shaped leaf); the checkpoints are taken as jiuzhu takes them, which
stores the hashes of complete subtrees that proofs read.
"""

from __future__ import annotations

import _common

_common.import_library_transitions()  # before anything imports jiuzhu

import argparse  # noqa: E402
import hashlib  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu import FakeClock  # noqa: E402

START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)
BATCH = 20_000


def leaves(start: int, end: int) -> list[Any]:
    from jiuzhu.audit.leaves import event_leaf

    return [event_leaf(f"bench-{i // 7:08d}", i % 7 + 1, hashlib.sha256(str(i).encode()).hexdigest())
            for i in range(start, end)]  # fmt: skip


def grow(engine: Any, start: int, end: int) -> None:
    from jiuzhu.models import log_sql

    for at in range(start, end, BATCH):
        with engine.begin() as conn:
            log_sql.flush(conn, leaves(at, min(end, at + BATCH)))
        if at // BATCH % 10 == 0:
            _common.info(f"  {min(end, at + BATCH):,} leaves")


def checkpoint(engine: Any) -> Any:
    from jiuzhu.audit.log import take_log_checkpoint

    with engine.begin() as conn:
        return take_log_checkpoint(conn, now=START, taken_by="bench")


def timed(label: str, backend: str, samples: list[int], **extra: Any) -> None:
    _common.emit({"bench": "merkle_db", "label": label, "backend": backend, "n": len(samples),
                  **_common.summarise(samples), **extra})  # fmt: skip


def run(url: str, backend: str, size: int, old: int, repeat: int, do_publish: bool) -> None:
    from jiuzhu.audit import merkle
    from jiuzhu.audit.log import DatabaseSource
    from jiuzhu.audit.publish import consistency_hashes, inclusion_hashes, publish

    svc = jiuzhu.connect(url, clock=FakeClock(START))
    engine = svc.engine
    try:
        _common.info(f"{backend}: appending {size:,} leaves (checkpoint at {old:,})")
        grow(engine, 0, old)
        first = checkpoint(engine)
        grow(engine, old, size)
        t0 = time.perf_counter()
        second = checkpoint(engine)
        _common.info(f"{backend}: checkpoint of {second.size:,} leaves (storing subtree hashes) "
                     f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        picks = random.Random(17)
        samples, checks = [], []
        with engine.connect() as conn:
            for _ in range(repeat):
                index = picks.randrange(size)
                t0 = time.perf_counter_ns()
                proof = inclusion_hashes(conn, index, size)
                samples.append(time.perf_counter_ns() - t0)
                checks.append((index, proof))
            for index, proof in checks:
                leaf = DatabaseSource(conn, size).leaves(index, index + 1)[0]
                assert merkle.verify_inclusion(index, size, leaf, proof, second.root)
            timed("inclusion", backend, samples, tree_size=size, target_ms=5)
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter_ns()
                proof = consistency_hashes(conn, first.size, size)
                samples.append(time.perf_counter_ns() - t0)
            assert merkle.verify_consistency(first.size, size, first.root, second.root, proof)
            timed("consistency", backend, samples, old_size=first.size, new_size=size,
                  target_ms=50)  # fmt: skip
        if do_publish:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "published"
                t0 = time.perf_counter()
                whole = publish(engine, out, now=START, taken_by="bench")
                seconds = time.perf_counter() - t0
                _common.emit({"bench": "merkle_db", "label": "publish:whole", "backend": backend,
                              "tree_size": whole.size, "files": len(whole.written),
                              "seconds": round(seconds, 2)})  # fmt: skip
                grow(engine, size, size + 1000)
                t0 = time.perf_counter()
                more = publish(engine, out, now=START, taken_by="bench")
                _common.emit({"bench": "merkle_db", "label": "publish:incremental",
                              "backend": backend, "tree_size": more.size, "added": 1000,
                              "files": len(more.written),
                              "seconds": round(time.perf_counter() - t0, 3)})  # fmt: skip
    finally:
        svc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_010_000, help="leaves in the log")
    parser.add_argument("--old", type=int, default=10_000, help="size of the older checkpoint")
    parser.add_argument("--repeat", type=int, default=200, help="proofs timed per label")
    parser.add_argument("--no-publish", action="store_true", help="skip timing publish")
    parser.add_argument("--sqlite", default=None, help="directory for the scratch SQLite file")
    parser.add_argument("--pg", default=None, help="also run on PostgreSQL (an admin URL)")
    args = parser.parse_args()
    if not 0 < args.old < args.n:
        parser.error("need 0 < --old < --n")
    with _common.sqlite_dir(args.sqlite) as directory:
        run(_common.sqlite_url(directory, "merkle.db"), "sqlite", args.n, args.old, args.repeat,
            not args.no_publish)  # fmt: skip
    if args.pg:
        with _common.PostgresScratch(args.pg) as pg:
            run(pg.create("merkle"), "postgresql", args.n, args.old, args.repeat,
                not args.no_publish)  # fmt: skip


if __name__ == "__main__":
    main()
