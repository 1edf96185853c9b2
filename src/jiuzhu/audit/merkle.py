"""The Merkle log's hashing and proofs (RFC 9162, the hashing of RFC 6962), pure.

Hashes are raw 32-byte ``bytes``.  A leaf hash is SHA-256(0x00 || data), an interior node
SHA-256(0x01 || left || right), and the Merkle Tree Hash (MTH) of ``n`` leaves splits them at
the largest power of two below ``n`` (RFC 9162 §2.1.1).  Proofs are computed against a
:class:`NodeSource`, which gives the MTH of any range of leaves: :class:`ListSource` over a
list in memory, the database's source (elsewhere) or a directory of tiles (``tiles.py``).
Verification never raises on a malformed proof: it answers ``False``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(_NODE + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n`` ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeSource(Protocol):
    def subtree(self, start: int, end: int) -> bytes:
        """The MTH of leaves [start, end); ``EMPTY_ROOT`` when the range is empty."""
        ...

    def leaves(self, start: int, end: int) -> list[bytes]:
        """The leaf hashes of [start, end)."""
        ...


def range_hash(start: int, end: int, perfect: Callable[[int, int], bytes]) -> bytes:
    """The MTH of leaves [start, end) from ``perfect(index, height)``, the hash of the aligned
    complete subtree of ``2**height`` leaves starting at leaf ``index << height``.

    A range of a tree rooted at 0 is cut into aligned pieces only; any other range is computed
    from smaller aligned pieces (at worst from its leaves)."""
    n = end - start
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        height = n.bit_length() - 1
        return perfect(start >> height, height)
    k = split_point(n)
    return node_hash(range_hash(start, start + k, perfect), range_hash(start + k, end, perfect))


def fold_perfect(hashes: Sequence[bytes]) -> bytes:
    """The root of a complete tree whose leaves (or lower nodes) are ``hashes`` (2**k of them)."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class ListSource:
    """A :class:`NodeSource` over leaf hashes in memory.

    It keeps every complete aligned subtree's hash (level ``h`` holds the hashes of the aligned
    runs of ``2**h`` leaves), so after :meth:`build` -- done on first use -- any subtree
    hash costs O(log n) lookups.  :meth:`append` extends the levels incrementally."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        self._built = False

    def __len__(self) -> int:
        return len(self.levels[0])

    def build(self) -> None:
        del self.levels[1:]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1])
                                for i in range(0, len(below) - 1, 2)])  # fmt: skip
        self._built = True

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        if not self._built:
            return
        height, node = 0, leaf
        while len(self.levels[height]) % 2 == 0:
            node = node_hash(self.levels[height][-2], node)
            height += 1
            if height == len(self.levels):
                self.levels.append([])
            self.levels[height].append(node)

    def perfect(self, index: int, height: int) -> bytes:
        if not self._built:
            self.build()
        return self.levels[height][index]

    def subtree(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= len(self):
            raise ValueError(f"range [{start}, {end}) is outside the {len(self)} leaves")
        return range_hash(start, end, self.perfect)

    def leaves(self, start: int, end: int) -> list[bytes]:
        if not 0 <= start <= end <= len(self):
            raise ValueError(f"range [{start}, {end}) is outside the {len(self)} leaves")
        return self.levels[0][start:end]


class TreeBuilder:
    """Appends leaf hashes one at a time and gives the root at the current size, keeping only
    the hashes of the complete subtrees on the right edge (O(log n) memory)."""

    __slots__ = ("size", "_stack")

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        stack = self._stack
        size = self.size
        while size & 1:
            leaf = sha256(_NODE + stack.pop() + leaf).digest()
            size >>= 1
        stack.append(leaf)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        stack = self._stack
        size = self.size
        for leaf in leaves:
            bits = size
            while bits & 1:
                leaf = sha256(_NODE + stack.pop() + leaf).digest()
                bits >>= 1
            stack.append(leaf)
            size += 1
        self.size = size

    @property
    def peaks(self) -> list[bytes]:
        """The hashes of the complete subtrees on the right edge, largest (leftmost) first:
        one per set bit of ``size``, enough to resume with :meth:`resume`."""
        return list(self._stack)

    @classmethod
    def resume(cls, size: int, peaks: Sequence[bytes]) -> TreeBuilder:
        """A builder at ``size`` leaves from its :attr:`peaks` (e.g. as stored with a
        checkpoint), so appending need not start from leaf 0."""
        if size < 0 or len(peaks) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} peaks")
        if not all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in peaks):
            raise ValueError("each peak is a 32-byte hash")
        builder = cls()
        builder.size, builder._stack = size, list(peaks)
        return builder

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(source.subtree(start + k, end))
            end = start + k
        else:
            path.append(source.subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(old: int, new: int, source: NodeSource) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 §2.1.4.1; empty when ``old`` is 0 or ``new``."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    path: list[bytes] = []
    start, end, whole = 0, new, True
    while old - start != end - start:
        k = split_point(end - start)
        if old - start <= k:
            path.append(source.subtree(start + k, end))
            end = start + k
        else:
            path.append(source.subtree(start, start + k))
            start, whole = start + k, False
    if not whole:
        path.append(source.subtree(start, end))
    path.reverse()
    return path


def _hashes(proof: object) -> list[bytes] | None:
    if not isinstance(proof, list | tuple):
        return None
    if not all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in proof):
        return None
    return list(proof)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> bool:  # fmt: skip
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf hash ``leaf`` at ``index`` of the tree of
    ``size`` leaves with root ``root``?"""
    path = _hashes(proof)
    if path is None or not (_is_size(index) and _is_size(size) and _is_hash(leaf)):
        return False
    if not _is_hash(root) or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:  # fmt: skip
    """RFC 9162 §2.1.4.2: is the tree of ``new`` leaves with root ``new_root`` an extension of
    the tree of ``old`` leaves with root ``old_root``?  From size 0 the proof is empty and the
    old root is ``EMPTY_ROOT``; between equal sizes it is empty and the roots are equal."""
    path = _hashes(proof)
    if path is None or not (_is_size(old) and _is_size(new) and old <= new):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    if old == 0:
        return not path and old_root == EMPTY_ROOT
    if old == new:
        return not path and old_root == new_root
    if not path:
        return False
    if old & (old - 1) == 0:
        path = [old_root, *path]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
