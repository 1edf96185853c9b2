"""The Merkle log's pure core: tree building rate, proof times and tiles, in memory.

Prints JSON lines (see README.md): ``builder`` (leaf hashes folded per second by
:class:`jiuzhu.audit.merkle.TreeBuilder`, the streaming root a verifier computes over the whole
log), ``list-source:build`` (seconds to cache every complete subtree of N leaves),
``inclusion`` and ``consistency`` proofs over that source (median µs over the sampled
indexes, and the proof from size 1 to N), ``tiles:write`` and ``tiles:proof`` (writing the
C2SP tiles of the tree to a scratch directory, then proving from them), and, as a baseline,
``baseline:hashlib`` (bare SHA-256 calls per second on 65-byte inputs, the cost of one node).
"""

from __future__ import annotations

import _common

_common.import_library_transitions()  # before anything imports jiuzhu

import argparse  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu.audit.merkle import (  # noqa: E402
    ListSource,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from jiuzhu.audit.tiles import TileSource, write_tiles  # noqa: E402


def record(label: str, **values: object) -> None:
    _common.emit({"bench": "merkle", "label": label, **values})


def timed_us(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_001, help="leaves (default 1,000,001)")
    parser.add_argument("--quick", action="store_true", help="100,001 leaves")
    args = parser.parse_args()
    n = 100_001 if args.quick else args.n
    _common.info(f"source {_common.source_fingerprint(Path(jiuzhu.__file__).parent)}; "
                 f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]

    start = time.perf_counter()
    for leaf in leaves[: n // 2]:
        hashlib.sha256(b"\x01" + leaf + leaf).digest()
    record("baseline:hashlib", n=n // 2, per_s=round(n // 2 / (time.perf_counter() - start)))

    builder = TreeBuilder()
    start = time.perf_counter()
    builder.extend(leaves)
    top = builder.root()
    record("builder", n=n, per_s=round(n / (time.perf_counter() - start)))

    data = [b'{"case_id":"0b9f3c1e-0000-4000-8000-%012d","hash":"%s","seq":3,"t":"event"}'
            % (i, leaf.hex().encode()) for i, leaf in enumerate(leaves[: n // 4])]  # fmt: skip
    builder = TreeBuilder()
    start = time.perf_counter()
    builder.extend(leaf_hash(d) for d in data)
    record("builder:from-leaf-data", n=len(data), bytes_per_leaf=len(data[0]),
           per_s=round(len(data) / (time.perf_counter() - start)))  # fmt: skip

    source = ListSource(leaves)
    start = time.perf_counter()
    source.build()
    record("list-source:build", n=n, seconds=round(time.perf_counter() - start, 3))
    assert source.subtree(0, n) == top

    samples = sorted({0, 1, n // 3, n // 2, n - 2, n - 1, 123_456 % n})
    times = sorted(timed_us(lambda i=i: inclusion_proof(i, n, source)) for i in samples)
    proof = inclusion_proof(n // 3, n, source)
    assert verify_inclusion(n // 3, n, leaves[n // 3], proof, top)
    record("inclusion", n=n, median_us=round(times[len(times) // 2], 1), hashes=len(proof))
    verify_us = timed_us(lambda: verify_inclusion(n // 3, n, leaves[n // 3], proof, top))
    record("inclusion:verify", n=n, us=round(verify_us, 1))
    us = timed_us(lambda: consistency_proof(1, n, source))
    proof = consistency_proof(1, n, source)
    assert verify_consistency(1, n, leaves[0], top, proof)
    record("consistency", old=1, new=n, us=round(us, 1), hashes=len(proof))

    with tempfile.TemporaryDirectory(prefix="jiuzhu-bench-merkle-") as scratch:
        directory = Path(scratch)
        start = time.perf_counter()
        written = write_tiles(directory, n, source, None)
        record("tiles:write", n=n, files=len(written),
               seconds=round(time.perf_counter() - start, 3))  # fmt: skip
        tiles = TileSource(directory, n)
        us = timed_us(lambda: inclusion_proof(n // 3, n, tiles))
        proof = inclusion_proof(n // 3, n, tiles)
        assert verify_inclusion(n // 3, n, leaves[n // 3], proof, top)
        record("tiles:proof", n=n, us=round(us, 1), note="cold: reads the tiles it needs")
    _common.info(f"done; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
