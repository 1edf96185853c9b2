"""Tiles written from a list source read back as the same tree (C2SP tlog-tiles)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jiuzhu.audit.merkle import (
    ListSource,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from jiuzhu.audit.tiles import TileSource, parse_bundle, tile_index_path, tile_path, write_tiles
from jiuzhu.errors import InvalidInput


def entry(i: int) -> bytes:
    return f'{{"t":"event","seq":{i}}}'.encode()


def make(size: int) -> tuple[list[bytes], ListSource]:
    data = [entry(i) for i in range(size)]
    return data, ListSource([leaf_hash(d) for d in data])


def entries_of(data: list[bytes]):  # type: ignore[no-untyped-def]
    return lambda start, end: data[start:end]


def test_tile_paths_follow_the_tlog_tiles_layout() -> None:
    assert tile_index_path(0) == "000"
    assert tile_index_path(5) == "005"
    assert tile_index_path(1000) == "x001/000"
    assert tile_index_path(1234067) == "x001/x234/067"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(2, 3, 17) == "tile/2/003.p/17"
    assert tile_path("entries", 0, 1) == "tile/entries/000.p/1"


def test_the_tiles_of_a_tree_of_70000_leaves_are_those_of_the_spec_example(tmp_path: Path) -> None:
    _, source = make(70_000)
    written = write_tiles(tmp_path, 70_000, source, None)
    assert len([p for p in written if p.startswith("tile/0/") and ".p/" not in p]) == 273
    assert "tile/0/273.p/112" in written
    assert "tile/1/000" in written and "tile/1/001.p/17" in written
    assert "tile/2/000.p/1" in written
    assert len(written) == 273 + 1 + 1 + 1 + 1


@pytest.mark.parametrize("size", [1, 255, 256, 257, 65_537])
def test_tiles_read_back_give_the_same_roots_and_proofs(tmp_path: Path, size: int) -> None:
    data, source = make(size)
    write_tiles(tmp_path, size, source, entries_of(data))
    tiles = TileSource(tmp_path, size)
    top = source.subtree(0, size)
    assert tiles.subtree(0, size) == top == root(source.leaves(0, size))
    indexes = sorted({0, size // 2, size - 1, min(size - 1, 256), min(size - 1, 255)})
    for index in indexes:
        proof = inclusion_proof(index, size, tiles)
        assert proof == inclusion_proof(index, size, source)
        assert verify_inclusion(index, size, leaf_hash(data[index]), proof, top)
    for old in sorted({1, size // 3, 256, 65_536, size - 1}):
        if 0 < old < size:
            proof = consistency_proof(old, size, tiles)
            assert proof == consistency_proof(old, size, source)
            assert verify_consistency(old, size, source.subtree(0, old), top, proof)
    assert tiles.entries(0) == data[:256]
    assert tiles.entries((size - 1) // 256) == data[(size - 1) // 256 * 256 :]


def test_tiles_are_written_incrementally_and_older_sizes_still_read(tmp_path: Path) -> None:
    data, source = make(1000)
    first = write_tiles(tmp_path, 300, source, entries_of(data))
    assert "tile/0/000" in first and "tile/0/001.p/44" in first and "tile/1/000.p/1" in first
    later = write_tiles(tmp_path, 1000, source, entries_of(data), already=300)
    assert "tile/0/000" not in later and "tile/entries/000" not in later
    assert "tile/0/001" in later and "tile/0/003.p/232" in later and "tile/1/000.p/3" in later
    for size in (300, 1000):
        tiles = TileSource(tmp_path, size)
        assert tiles.subtree(0, size) == source.subtree(0, size)
    # with the old partial tile gone, the full tile's prefix serves the older size
    (tmp_path / "tile/0/001.p/44").unlink()
    (tmp_path / "tile/entries/001.p/44").unlink()
    tiles = TileSource(tmp_path, 300)
    assert tiles.subtree(0, 300) == source.subtree(0, 300)
    assert tiles.entries(1) == data[256:300]


def _flip_first_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[0] ^= 1
    path.write_bytes(bytes(raw))


def test_an_altered_tile_breaks_the_root_or_the_proofs(tmp_path: Path) -> None:
    data, source = make(600)
    write_tiles(tmp_path, 600, source, entries_of(data))
    top = source.subtree(0, 600)
    _flip_first_byte(tmp_path / "tile/0/001")  # leaf 256: covered above by tile/1/000.p/2
    tiles = TileSource(tmp_path, 600)
    proof = inclusion_proof(300, 600, tiles)
    assert not verify_inclusion(300, 600, leaf_hash(data[300]), proof, top)
    with pytest.raises(InvalidInput, match="does not match"):
        tiles.entries(1)
    _flip_first_byte(tmp_path / "tile/1/000.p/2")
    assert TileSource(tmp_path, 600).subtree(0, 600) != top


def test_bad_tiles_and_bundles_are_refused(tmp_path: Path) -> None:
    data, source = make(10)
    write_tiles(tmp_path, 10, source, entries_of(data))
    (tmp_path / "tile/0/000.p/10").write_bytes(b"short")
    with pytest.raises(InvalidInput, match="bytes"):
        TileSource(tmp_path, 10).subtree(0, 10)
    with pytest.raises(InvalidInput, match="cannot read"):
        TileSource(tmp_path, 11).subtree(0, 11)
    with pytest.raises(InvalidInput):
        parse_bundle(b"\x00\x05abc")
    with pytest.raises(InvalidInput):
        parse_bundle(b"\x00")
    with pytest.raises(InvalidInput, match="do not hash"):
        write_tiles(tmp_path / "other", 10, source, lambda s, e: [b"x"] * (e - s))
    with pytest.raises(InvalidInput):
        write_tiles(tmp_path, 5, source, None, already=10)
    big = ListSource([leaf_hash(b"x" * 70_000)])
    with pytest.raises(InvalidInput, match="at most"):
        write_tiles(tmp_path / "big", 1, big, lambda s, e: [b"x" * 70_000])
    assert parse_bundle(hashlib.sha256(b"").digest()[:0]) == []
