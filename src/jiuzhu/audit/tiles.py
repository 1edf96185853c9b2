"""The Merkle log as static tiles (C2SP tlog-tiles), so a third party can compute roots and
proofs without jiuzhu's database.

A tile is 256 (full) or 1..255 (partial, the right edge) consecutive hashes of one level, 32
bytes each, concatenated.  Level 0 holds leaf hashes; a level-L hash is the MTH of a complete
subtree of 256**L leaves, i.e. the root of one full tile of level L − 1.  Tile N of level L
lives at ``tile/<L>/<N>``, N written in 3-digit groups with ``x`` before each non-final group
(1234067 → ``x001/x234/067``), a partial tile of width W at ``tile/<L>/<N>.p/<W>``.  Entry
bundles ``tile/entries/<N>[.p/<W>]`` hold the leaves' data, each a big-endian uint16 length
then the bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..errors import InvalidInput
from .merkle import HASH_SIZE, NodeSource, fold_perfect, leaf_hash, range_hash

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_ENTRY = 0xFFFF


def tile_index_path(n: int) -> str:
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int | str, n: int, width: int = WIDTH) -> str:
    """``tile/<level>/<N>`` (``level`` may be ``"entries"``), with ``.p/<W>`` when partial."""
    suffix = "" if width == WIDTH else f".p/{width}"
    return f"tile/{level}/{tile_index_path(n)}{suffix}"


def level_width(size: int, level: int) -> int:
    """How many hashes level ``level`` has in a tree of ``size`` leaves."""
    return size >> (HEIGHT * level)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _bundle(data: list[bytes]) -> bytes:
    out = bytearray()
    for entry in data:
        if len(entry) > MAX_ENTRY:
            raise InvalidInput(f"a log entry is {len(entry)} bytes; entries hold at most "
                               f"{MAX_ENTRY}", f"日志条目长 {len(entry)} 字节，超过上限 {MAX_ENTRY}")  # fmt: skip
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise InvalidInput("an entry bundle ends inside a length", "条目包在长度字段中途结束")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > len(data):
            raise InvalidInput("an entry bundle ends inside an entry", "条目包在条目中途结束")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


def write_tiles(directory: Path, size: int, source: NodeSource,
                entries: Callable[[int, int], list[bytes]] | None = None, *,
                already: int = 0) -> list[str]:  # fmt: skip
    """Write the tiles (and, given ``entries``, the entry bundles) of the tree of ``size``
    leaves under ``directory``; return the paths written.

    Full tiles already written for a tree of ``already`` leaves are kept; partial tiles of
    earlier sizes are kept too (a checkpoint of that size may still name them).  Level 0 comes
    from ``source.leaves``; each higher level from the full tiles below it, read back."""
    if not 0 <= already <= size:
        raise InvalidInput(f"cannot extend tiles of {already} leaves to {size}",
                           f"无法把 {already} 个叶子的瓦片扩展到 {size} 个")  # fmt: skip
    written: list[str] = []
    level = 0
    while level_width(size, level):
        count, done = level_width(size, level), level_width(already, level) // WIDTH
        for n in range(done, (count + WIDTH - 1) // WIDTH):
            width = min(WIDTH, count - n * WIDTH)
            start, end = n * WIDTH, n * WIDTH + width
            if level == 0:
                hashes = source.leaves(start, end)
                if entries is not None:
                    data = entries(start, end)
                    if [leaf_hash(d) for d in data] != hashes:
                        raise InvalidInput(f"the entries {start}..{end - 1} do not hash to the "
                                           "log's leaves", f"第 {start} 至 {end - 1} 条日志条目与叶子哈希不符")  # fmt: skip
                    _write(directory / tile_path("entries", n, width), _bundle(data))
                    written.append(tile_path("entries", n, width))
            else:
                below = level - 1
                hashes = [fold_perfect(_split(_read(directory / tile_path(below, i))))
                          for i in range(start, end)]  # fmt: skip
            _write(directory / tile_path(level, n, width), b"".join(hashes))
            written.append(tile_path(level, n, width))
        level += 1
    return written


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the tile {path}: {exc.strerror}",
                           f"无法读取瓦片 {path}") from None  # fmt: skip


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


class TileSource:
    """A :class:`~jiuzhu.audit.merkle.NodeSource` over a directory of tiles, for the tree of
    ``size`` leaves.  A missing partial tile is taken from the prefix of the full tile, when
    that exists already.  Tiles of the wrong length are refused."""

    def __init__(self, directory: Path, size: int) -> None:
        self.directory = directory
        self.size = size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def _width(self, level: int, n: int) -> int:
        width = min(WIDTH, level_width(self.size, level) - n * WIDTH)
        if width <= 0:
            raise InvalidInput(f"the tree of {self.size} leaves has no tile {level}/{n}",
                               f"{self.size} 个叶子的树没有瓦片 {level}/{n}")  # fmt: skip
        return width

    def _file(self, level: int | str, n: int, width: int) -> tuple[bytes, bool]:
        """The tile's bytes, and whether they are those of the full tile (a prefix to cut)."""
        path = self.directory / tile_path(level, n, width)
        full = self.directory / tile_path(level, n)
        if width < WIDTH and not path.exists() and full.exists():
            return _read(full), True
        return _read(path), False

    def tile(self, level: int, n: int) -> list[bytes]:
        key = (level, n)
        if key not in self._tiles:
            width = self._width(level, n)
            data, is_full = self._file(level, n, width)
            data = data[: width * HASH_SIZE] if is_full and len(data) == WIDTH * HASH_SIZE else data
            if len(data) != width * HASH_SIZE:
                raise InvalidInput(f"the tile {tile_path(level, n, width)} is {len(data)} bytes, "
                                   f"not {width * HASH_SIZE}", f"瓦片 {tile_path(level, n, width)} 长度不对")  # fmt: skip
            self._tiles[key] = _split(data)
        return self._tiles[key]

    def perfect(self, index: int, height: int) -> bytes:
        """The hash of the complete subtree of 2**height leaves starting at index << height."""
        level, rest = divmod(height, HEIGHT)
        first = index << rest  # in units of level-`level` hashes
        hashes = [self._hash(level, i) for i in range(first, first + (1 << rest))]
        return fold_perfect(hashes)

    def _hash(self, level: int, i: int) -> bytes:
        return self.tile(level, i // WIDTH)[i % WIDTH]

    def subtree(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) is outside the {self.size} leaves")
        return range_hash(start, end, self.perfect)

    def leaves(self, start: int, end: int) -> list[bytes]:
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) is outside the {self.size} leaves")
        return [self._hash(0, i) for i in range(start, end)]

    def entries(self, n: int) -> list[bytes]:
        """The leaf data of entry bundle ``n``, checked against the level-0 tile."""
        width = self._width(0, n)
        raw, is_full = self._file("entries", n, width)
        data = parse_bundle(raw)[:width] if is_full else parse_bundle(raw)
        if [leaf_hash(d) for d in data] != self.tile(0, n):
            raise InvalidInput(f"entry bundle {n} does not match its level-0 tile",
                               f"条目包 {n} 与第 0 层瓦片不符")  # fmt: skip
        return data
