"""The Merkle log's hashing and proofs against a naive RFC 9162 MTH written here."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiuzhu.audit.merkle import (
    EMPTY_ROOT,
    ListSource,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 as written, from leaf data."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_the_empty_tree_has_the_hash_of_the_empty_string() -> None:
    want = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert EMPTY_ROOT == want
    assert root([]) == want
    assert TreeBuilder().root() == want
    assert ListSource([]).subtree(0, 0) == want


# The reference tree of RFC 6962's test data (as used by Certificate Transparency's test
# suites): eight leaves and the root of each prefix, and two inclusion proofs in the tree of 8.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    0: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    5: ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}  # fmt: skip


def test_the_rfc6962_reference_tree() -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in CT_LEAVES]
    for n, want in enumerate(CT_ROOTS):
        assert root(leaves[:n]).hex() == want, n
    source = ListSource(leaves)
    for index, want_proof in CT_INCLUSION.items():
        proof = inclusion_proof(index, 8, source)
        assert [h.hex() for h in proof] == want_proof
        assert verify_inclusion(index, 8, leaves[index], proof, bytes.fromhex(CT_ROOTS[8]))


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)


@pytest.mark.parametrize("n", range(0, 70))
def test_roots_match_the_naive_mth(n: int) -> None:
    leaves = [leaf_hash(d) for d in data(n)]
    want = naive_mth(data(n))
    assert root(leaves) == want
    source = ListSource(leaves)
    assert source.subtree(0, n) == want
    builder = TreeBuilder()
    for leaf in leaves:
        builder.append(leaf)
    assert builder.root() == want and builder.size == n


def test_any_range_of_a_list_source_is_its_mth() -> None:
    d = data(23)
    source = ListSource([leaf_hash(x) for x in d])
    for start in range(24):
        for end in range(start, 24):
            assert source.subtree(start, end) == naive_mth(d[start:end]), (start, end)


def test_appending_to_a_built_list_source_keeps_it_right() -> None:
    d = data(40)
    source = ListSource([leaf_hash(x) for x in d[:5]])
    source.build()
    for n in range(5, 40):
        source.append(leaf_hash(d[n]))
        assert source.subtree(0, n + 1) == naive_mth(d[: n + 1])
        assert source.subtree(3, n + 1) == naive_mth(d[3 : n + 1])


def test_the_builder_gives_the_root_at_every_size() -> None:
    d = data(40)
    builder = TreeBuilder()
    for n, x in enumerate(d, 1):
        builder.append(leaf_hash(x))
        assert builder.root() == naive_mth(d[:n])


def test_a_builder_resumes_from_its_peaks() -> None:
    d = data(45)
    for cut in range(0, 45):
        first = TreeBuilder()
        first.extend(leaf_hash(x) for x in d[:cut])
        assert len(first.peaks) == bin(cut).count("1")
        resumed = TreeBuilder.resume(cut, first.peaks)
        resumed.extend(leaf_hash(x) for x in d[cut:])
        assert resumed.root() == naive_mth(d) and resumed.size == 45
    with pytest.raises(ValueError):
        TreeBuilder.resume(3, [leaf_hash(b"x")])
    with pytest.raises(ValueError):
        TreeBuilder.resume(1, [b"short"])


def inclusion_fails_when_tampered(index: int, size: int, leaf: bytes, proof: list[bytes],
                                  top: bytes) -> None:  # fmt: skip
    for i in range(len(proof)):
        bad = [*proof]
        bad[i] = flip(bad[i])
        assert not verify_inclusion(index, size, leaf, bad, top)
    assert not verify_inclusion(index, size, flip(leaf), proof, top)
    assert not verify_inclusion(index, size, leaf, proof, flip(top))
    if proof:
        assert not verify_inclusion(index, size, leaf, proof[:-1], top)
    assert not verify_inclusion(index, size, leaf, [*proof, proof[0] if proof else leaf], top)
    for other in (index - 1, index + 1, size):
        if other >= 0:
            assert not verify_inclusion(other, size, leaf, proof, top), other
    # the proof does not show the leaf in the tree of another size, whatever its root
    for other in (size - 1, size + 1, 2 * size):
        if other > index:
            other_root = naive_mth(data(other))
            assert not verify_inclusion(index, other, leaf, proof, other_root), other


@pytest.mark.parametrize("size", range(1, 41))
def test_inclusion_proofs_verify_and_tampering_fails(size: int) -> None:
    leaves = [leaf_hash(x) for x in data(size)]
    source = ListSource(leaves)
    top = naive_mth(data(size))
    for index in range(size):
        proof = inclusion_proof(index, size, source)
        assert verify_inclusion(index, size, leaves[index], proof, top), index
        inclusion_fails_when_tampered(index, size, leaves[index], proof, top)


@pytest.mark.parametrize("new", range(1, 41))
def test_consistency_proofs_verify_and_tampering_fails(new: int) -> None:
    d = data(new)
    source = ListSource([leaf_hash(x) for x in d])
    new_root = naive_mth(d)
    for old in range(0, new + 1):
        old_root = naive_mth(d[:old])
        proof = consistency_proof(old, new, source)
        assert verify_consistency(old, new, old_root, new_root, proof), old
        for i in range(len(proof)):
            bad = [*proof]
            bad[i] = flip(bad[i])
            assert not verify_consistency(old, new, old_root, new_root, bad), (old, i)
        assert not verify_consistency(old, new, flip(old_root), new_root, proof)
        if old > 0:  # every tree extends the empty one
            assert not verify_consistency(old, new, old_root, flip(new_root), proof)
        if proof:
            assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
            assert not verify_consistency(old, new, old_root, new_root, proof[1:])
        assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])
        for other_old in (old - 1, old + 1):
            trivially_true = not proof and other_old in (0, new)
            if 0 <= other_old <= new and not trivially_true:
                other_root = naive_mth(d[:other_old])
                assert not verify_consistency(other_old, new, other_root, new_root, proof)
        bigger_root = naive_mth(data(new + 1))
        if old > 0:
            assert not verify_consistency(old, new + 1, old_root, bigger_root, proof)


def test_proofs_of_a_shape_depend_only_on_the_sizes() -> None:
    # consistency between equal sizes and from the empty tree is the empty proof
    source = ListSource([leaf_hash(x) for x in data(9)])
    assert consistency_proof(0, 9, source) == []
    assert consistency_proof(9, 9, source) == []
    assert inclusion_proof(0, 1, source) == []


def test_malformed_proofs_are_refused_without_raising() -> None:
    leaves = [leaf_hash(x) for x in data(5)]
    top = root(leaves)
    proof = inclusion_proof(2, 5, ListSource(leaves))
    assert verify_inclusion(2, 5, leaves[2], proof, top)
    bad_inputs: list[tuple[object, ...]] = [
        (2, 5, leaves[2], [*proof[:-1], proof[-1][:31]], top),
        (2, 5, leaves[2], [*proof[:-1], proof[-1].hex()], top),
        (2, 5, leaves[2], None, top),
        (2, 5, leaves[2], proof, top[:31]),
        (2, 5, leaves[2][:5], proof, top),
        (-1, 5, leaves[2], proof, top),
        (2, -5, leaves[2], proof, top),
        ("2", 5, leaves[2], proof, top),
        (True, 5, leaves[2], proof, top),
        (5, 5, leaves[2], proof, top),
        (2, 0, leaves[2], proof, top),
    ]
    for args in bad_inputs:
        assert verify_inclusion(*args) is False, args  # type: ignore[arg-type]
    cons = consistency_proof(3, 5, ListSource(leaves))
    old_root = root(leaves[:3])
    assert verify_consistency(3, 5, old_root, top, cons)
    for args in [(5, 3, old_root, top, cons), (3, 5, old_root, top, [*cons[:-1], b"x"]),
                 (3, 5, old_root, top, "ab"), (3, 5, None, top, cons), (-3, 5, old_root, top, cons),
                 (3, 5, old_root, top, []), (0, 5, old_root, top, []),
                 (0, 5, EMPTY_ROOT, top, cons), (5, 5, top, top, cons),
                 (5, 5, old_root, top, [])]:  # fmt: skip
        assert verify_consistency(*args) is False, args  # type: ignore[arg-type]
    assert verify_consistency(0, 5, EMPTY_ROOT, top, [])
    assert verify_consistency(5, 5, top, top, [])


def test_out_of_range_requests_are_refused() -> None:
    source = ListSource([leaf_hash(x) for x in data(4)])
    with pytest.raises(ValueError):
        inclusion_proof(4, 4, source)
    with pytest.raises(ValueError):
        consistency_proof(5, 4, source)
    with pytest.raises(ValueError):
        source.subtree(0, 5)
    with pytest.raises(ValueError):
        source.leaves(3, 2)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_larger_trees_prove_inclusion_and_consistency(draw: st.DataObject) -> None:
    size = draw.draw(st.integers(1, 3000), label="size")
    index = draw.draw(st.integers(0, size - 1), label="index")
    old = draw.draw(st.integers(0, size), label="old")
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    source = ListSource(leaves)
    top = root(leaves)
    assert source.subtree(0, size) == top
    proof = inclusion_proof(index, size, source)
    assert verify_inclusion(index, size, leaves[index], proof, top)
    if proof:
        assert not verify_inclusion(index, size, leaves[index], proof[:-1], top)
        assert not verify_inclusion(index, size, leaves[index], [flip(proof[0]), *proof[1:]], top)
    cons = consistency_proof(old, size, source)
    old_root = root(leaves[:old])
    assert verify_consistency(old, size, old_root, top, cons)
    if cons:
        assert not verify_consistency(old, size, old_root, top, [*cons[:-1], flip(cons[-1])])
