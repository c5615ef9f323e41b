"""RFC 9162 Merkle tree: vectors from transparency-dev/merkle, and generated proofs checked
against a naive recursive transcription of RFC 9162 §2.1."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ledger import merkle
from ledger.errors import VerificationError
from ledger.merkle import (
    EMPTY_ROOT,
    MalformedProof,
    ProofOutOfRange,
    ProofSizeMismatch,
    RootMismatch,
    StreamingRoot,
    append_leaves,
    consistency_proof_coords,
    consistency_proof_from_nodes,
    inclusion_proof_coords,
    inclusion_proof_from_nodes,
    leaf_hash,
    node_hash,
    root_coords,
    root_from_frontier,
    root_from_nodes,
    root_of,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "transparency_and_jcs_vectors.json").read_text())
h = bytes.fromhex


# --- a naive reference: RFC 9162 §2.1 transcribed recursively ----------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return node_hash(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return ref_path(m, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(m - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, leaves[:k], b) + [ref_mth(leaves[k:])]
    return ref_subproof(m - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def ref_consistency(m: int, leaves: list[bytes]) -> list[bytes]:
    return ref_subproof(m, leaves, True)


# --- a node store built the way the server builds it -------------------------------------


def leaves_for(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def build_store(leaves: list[bytes], rng: random.Random, max_batch: int = 17):
    """Append ``leaves`` in random batch sizes; return the node store and final frontier."""
    store: dict[tuple[int, int], bytes] = {}
    frontier: list = []
    size = 0
    while size < len(leaves):
        batch = leaves[size: size + rng.randint(1, max_batch)]
        new_nodes, frontier = append_leaves(frontier, size, batch)
        for level, index, value in new_nodes:
            assert (level, index) not in store, "a perfect node was produced twice"
            store[(level, index)] = value
        size += len(batch)
    return store, frontier


def fetch(store, coords):
    """What the server's single query returns: exactly the requested nodes."""
    return {c: store[c] for c in coords}


def gen_inclusion(store, index, size):
    coords = inclusion_proof_coords(index, size)
    return inclusion_proof_from_nodes(index, size, fetch(store, coords))


def gen_consistency(store, size1, size2):
    coords = consistency_proof_coords(size1, size2)
    return consistency_proof_from_nodes(size1, size2, fetch(store, coords))


@pytest.fixture(scope="module")
def small_tree():
    leaves = leaves_for(70)
    store, _ = build_store(leaves, random.Random(1))
    return leaves, store


@pytest.fixture(scope="module")
def big_tree():
    leaves = leaves_for(1000)
    store, _ = build_store(leaves, random.Random(2), max_batch=97)
    return leaves, store


# --- hashing and roots ---------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["hasher"]["cases"], ids=lambda c: c["kind"])
def test_hashes_match_transparency_dev_vectors(case):
    if case["kind"] == "leaf":
        assert leaf_hash(h(case["input_hex"])) == h(case["want"])
    else:
        assert node_hash(h(case["left_hex"]), h(case["right_hex"])) == h(case["want"])


def test_empty_tree_root_is_sha256_of_nothing():
    assert EMPTY_ROOT == h(VECTORS["hasher"]["empty_tree_root"])
    assert root_of([]) == EMPTY_ROOT
    assert root_from_frontier([]) == EMPTY_ROOT
    assert root_from_nodes(0, {}) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(len(VECTORS["tree"]["root_by_size"])))
def test_root_of_matches_vector_roots_for_every_size(size):
    leaves = [leaf_hash(h(x)) for x in VECTORS["tree"]["leaf_inputs_hex"][:size]]
    want = h(VECTORS["tree"]["root_by_size"][size])
    assert root_of(leaves) == want
    _, frontier = append_leaves([], 0, leaves)
    assert root_from_frontier(frontier) == want


def test_append_leaves_produces_the_vector_node_hashes():
    leaves = [leaf_hash(h(x)) for x in VECTORS["tree"]["leaf_inputs_hex"]]
    new_nodes, _ = append_leaves([], 0, leaves)
    want = {(level, i): h(x)
            for level, row in enumerate(VECTORS["tree"]["node_hashes_by_level"])
            for i, x in enumerate(row)}
    assert {(lv, i): v for lv, i, v in new_nodes} == want


def test_append_leaves_in_batches_equals_one_at_a_time():
    leaves = leaves_for(1500)
    one_by_one: dict = {}
    frontier: list = []
    for size, leaf in enumerate(leaves):
        new_nodes, frontier = append_leaves(frontier, size, [leaf])
        one_by_one.update({(lv, i): v for lv, i, v in new_nodes})
        if size < 200:
            assert root_from_frontier(frontier) == ref_mth(leaves[: size + 1])
    batched, batched_frontier = build_store(leaves, random.Random(3), max_batch=300)
    assert batched == one_by_one
    assert batched_frontier == frontier
    assert root_from_frontier(frontier) == root_of(leaves)


def test_append_leaves_takes_a_batch_of_ten_thousand():
    leaves = leaves_for(10_000)
    first, frontier = append_leaves([], 0, leaves[:3])
    new_nodes, frontier = append_leaves(frontier, 3, leaves[3:])
    store = {(lv, i): v for lv, i, v in first + new_nodes}
    assert len(store) == 2 * 10_000 - (10_000).bit_count()  # perfect nodes of 10,000 leaves
    assert root_from_frontier(frontier) == root_of(leaves)
    assert root_from_nodes(10_000, fetch(store, root_coords(10_000))) == root_of(leaves)


def test_append_leaves_rejects_frontier_that_does_not_match_size():
    _, frontier = append_leaves([], 0, leaves_for(5))
    with pytest.raises(ValueError, match="frontier does not match a tree of size 6"):
        append_leaves(frontier, 6, leaves_for(1))
    with pytest.raises(ValueError, match="frontier does not match"):
        append_leaves(frontier[:1], 5, leaves_for(1))


def test_append_leaves_rejects_leaf_hash_of_wrong_length():
    with pytest.raises(ValueError, match="must be 32 bytes, found 3"):
        append_leaves([], 0, [b"abc"])


def test_streaming_root_equals_root_of_at_every_size():
    leaves = leaves_for(300)
    streaming = StreamingRoot()
    assert streaming.root() == EMPTY_ROOT
    for n, leaf in enumerate(leaves, start=1):
        streaming.add(leaf)
        assert streaming.size == n
        assert streaming.root() == root_of(leaves[:n])
    assert root_of(leaves) == ref_mth(leaves)


def test_root_of_accepts_a_generator():
    assert root_of(leaf_hash(bytes([i])) for i in range(9)) == ref_mth(
        [leaf_hash(bytes([i])) for i in range(9)])


def test_root_from_nodes_matches_reference_for_every_size(small_tree):
    leaves, store = small_tree
    for size in range(71):
        assert root_from_nodes(size, fetch(store, root_coords(size))) == ref_mth(leaves[:size])


# --- the transparency-dev verification vectors -------------------------------------------


def _ids(case):
    return f"{case['file']}"


@pytest.mark.parametrize("case", VECTORS["inclusion"]["cases"], ids=_ids)
def test_inclusion_vectors_are_accepted_or_refused_as_specified(case):
    args = (h(case["leaf_hash"]), case["leaf_index"], case["tree_size"],
            [h(p) for p in case["proof"]], h(case["root"]))
    if case["want_error"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        assert verify_inclusion(*args) is None


@pytest.mark.parametrize("case", VECTORS["consistency"]["cases"], ids=_ids)
def test_consistency_vectors_are_accepted_or_refused_as_specified(case):
    args = (case["size1"], case["size2"], [h(p) for p in case["proof"]],
            h(case["root1"]), h(case["root2"]))
    if case["want_error"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        assert verify_consistency(*args) is None


# --- generated proofs --------------------------------------------------------------------


def test_generated_inclusion_proofs_equal_rfc_reference_and_verify_up_to_70(small_tree):
    leaves, store = small_tree
    for size in range(1, 71):
        root = ref_mth(leaves[:size])
        for index in range(size):
            proof = gen_inclusion(store, index, size)
            assert proof == ref_path(index, leaves[:size]), (index, size)
            verify_inclusion(leaves[index], index, size, proof, root)


def test_generated_consistency_proofs_equal_rfc_reference_and_verify_up_to_70(small_tree):
    leaves, store = small_tree
    for size2 in range(1, 71):
        root2 = ref_mth(leaves[:size2])
        for size1 in range(1, size2 + 1):
            proof = gen_consistency(store, size1, size2)
            assert proof == ref_consistency(size1, leaves[:size2]), (size1, size2)
            verify_consistency(size1, size2, proof, ref_mth(leaves[:size1]), root2)


def test_generated_proofs_equal_rfc_reference_for_a_sample_up_to_1000(big_tree):
    leaves, store = big_tree
    rng = random.Random(4)
    pairs = [(rng.randint(1, 1000), rng.randint(1, 1000)) for _ in range(150)]
    pairs += [(1000, 1000), (1, 1000), (512, 1000), (999, 1000), (513, 1000), (1000, 1)]
    for a, b in pairs:
        size1, size2 = min(a, b), max(a, b)
        index = a % size2
        root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves[:size2])
        proof = gen_inclusion(store, index, size2)
        assert proof == ref_path(index, leaves[:size2])
        verify_inclusion(leaves[index], index, size2, proof, root2)
        proof = gen_consistency(store, size1, size2)
        assert proof == ref_consistency(size1, leaves[:size2])
        verify_consistency(size1, size2, proof, root1, root2)


def test_proof_coords_name_only_perfect_nodes_the_store_holds(big_tree):
    _, store = big_tree
    for size in (1, 2, 3, 7, 8, 9, 100, 511, 512, 513, 999, 1000):
        for coords in (inclusion_proof_coords(size - 1, size), inclusion_proof_coords(0, size),
                       consistency_proof_coords(max(1, size // 3), size), root_coords(size)):
            assert all(c in store for c in coords)
            assert len(coords) == len(set(coords))
            assert len(coords) <= 2 * 10 + 2


def test_proof_from_nodes_raises_key_error_when_a_node_is_missing(small_tree):
    _, store = small_tree
    coords = inclusion_proof_coords(3, 13)
    nodes = fetch(store, coords[1:])
    with pytest.raises(KeyError):
        inclusion_proof_from_nodes(3, 13, nodes)


@pytest.mark.parametrize("index,size", [(0, 0), (5, 5), (-1, 3), (7, 3)])
def test_inclusion_proof_generation_requires_index_inside_tree(index, size):
    with pytest.raises(ValueError, match="requires 0 <= index < size"):
        inclusion_proof_coords(index, size)
    with pytest.raises(ValueError, match="requires 0 <= index < size"):
        inclusion_proof_from_nodes(index, size, {})


@pytest.mark.parametrize("size1,size2", [(0, 0), (0, 5), (6, 5), (-1, 2)])
def test_consistency_proof_generation_requires_0_lt_size1_le_size2(size1, size2):
    with pytest.raises(ValueError, match="requires 0 < size1 <= size2"):
        consistency_proof_coords(size1, size2)
    with pytest.raises(ValueError, match="requires 0 < size1 <= size2"):
        consistency_proof_from_nodes(size1, size2, {})


def test_root_coords_rejects_negative_size():
    with pytest.raises(ValueError, match="tree size must be >= 0"):
        root_coords(-1)


def test_consistency_proof_between_equal_sizes_is_empty(small_tree):
    _, store = small_tree
    assert consistency_proof_coords(13, 13) == []
    assert gen_consistency(store, 13, 13) == []


# --- refusals name what mismatched ---------------------------------------------------------


@pytest.fixture(scope="module")
def tree13(small_tree):
    leaves, store = small_tree
    return leaves[:13], store, ref_mth(leaves[:13])


def test_rejects_inclusion_proof_with_wrong_root(tree13):
    leaves, store, root = tree13
    proof = gen_inclusion(store, 5, 13)
    wrong = bytes(32)
    with pytest.raises(RootMismatch, match="does not match expected root 0000") as info:
        verify_inclusion(leaves[5], 5, 13, proof, wrong)
    assert info.value.expected == wrong
    assert info.value.calculated == root
    assert info.value.code == "merkle-root-mismatch"


def test_rejects_inclusion_proof_for_another_leaf(tree13):
    leaves, store, root = tree13
    with pytest.raises(RootMismatch):
        verify_inclusion(leaves[6], 5, 13, gen_inclusion(store, 5, 13), root)


def test_rejects_inclusion_proof_with_any_hash_altered(tree13):
    leaves, store, root = tree13
    proof = gen_inclusion(store, 5, 13)
    for i in range(len(proof)):
        tampered = list(proof)
        tampered[i] = bytes([proof[i][0] ^ 1]) + proof[i][1:]
        with pytest.raises(RootMismatch):
            verify_inclusion(leaves[5], 5, 13, tampered, root)


def test_rejects_inclusion_proof_with_extra_or_missing_hash(tree13):
    leaves, store, root = tree13
    proof = gen_inclusion(store, 5, 13)
    with pytest.raises(ProofSizeMismatch, match=f"proof has {len(proof) + 1} hashes, want "
                                                f"{len(proof)}") as info:
        verify_inclusion(leaves[5], 5, 13, proof + [root], root)
    assert (info.value.got, info.value.want) == (len(proof) + 1, len(proof))
    with pytest.raises(ProofSizeMismatch):
        verify_inclusion(leaves[5], 5, 13, proof[:-1], root)


def test_rejects_inclusion_proof_with_index_outside_tree(tree13):
    leaves, _, root = tree13
    with pytest.raises(ProofOutOfRange, match="leaf index 13 is not inside a tree of size 13"):
        verify_inclusion(leaves[0], 13, 13, [], root)
    with pytest.raises(ProofOutOfRange):
        verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT)


def test_rejects_inclusion_proof_with_short_hashes(tree13):
    leaves, store, root = tree13
    proof = gen_inclusion(store, 5, 13)
    with pytest.raises(MalformedProof, match="leaf hash must be 32 bytes, found 31"):
        verify_inclusion(leaves[5][:31], 5, 13, proof, root)
    with pytest.raises(MalformedProof, match=r"proof\[1\] must be 32 bytes, found 0"):
        verify_inclusion(leaves[5], 5, 13, [proof[0], b"", *proof[2:]], root)


def test_rejects_consistency_proof_with_wrong_first_or_second_root(small_tree):
    leaves, store = small_tree
    root1, root2 = ref_mth(leaves[:6]), ref_mth(leaves[:13])
    proof = gen_consistency(store, 6, 13)
    with pytest.raises(RootMismatch, match="calculated first root") as info:
        verify_consistency(6, 13, proof, bytes(32), root2)
    assert info.value.calculated == root1
    with pytest.raises(RootMismatch, match="calculated second root") as info:
        verify_consistency(6, 13, proof, root1, bytes(32))
    assert info.value.calculated == root2


def test_rejects_consistency_proof_with_any_hash_altered(small_tree):
    leaves, store = small_tree
    for size1, size2 in [(6, 13), (4, 13), (1, 2), (7, 64), (32, 70)]:
        root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves[:size2])
        proof = gen_consistency(store, size1, size2)
        for i in range(len(proof)):
            tampered = list(proof)
            tampered[i] = proof[i][:-1] + bytes([proof[i][-1] ^ 0x80])
            with pytest.raises(RootMismatch):
                verify_consistency(size1, size2, tampered, root1, root2)


def test_rejects_consistency_proof_of_wrong_length(small_tree):
    leaves, store = small_tree
    root1, root2 = ref_mth(leaves[:6]), ref_mth(leaves[:13])
    proof = gen_consistency(store, 6, 13)
    with pytest.raises(ProofSizeMismatch, match=f"want {len(proof)}"):
        verify_consistency(6, 13, proof[:-1], root1, root2)
    with pytest.raises(ProofSizeMismatch, match=f"want {len(proof)}"):
        verify_consistency(6, 13, [], root1, root2)


def test_rejects_consistency_between_equal_sizes_with_nonempty_proof_or_different_roots():
    root = leaf_hash(b"x")
    assert verify_consistency(1, 1, [], root, root) is None
    with pytest.raises(ProofSizeMismatch, match="proof has 1 hashes, want 0"):
        verify_consistency(1, 1, [root], root, root)
    with pytest.raises(RootMismatch):
        verify_consistency(1, 1, [], root, EMPTY_ROOT)


@pytest.mark.parametrize("size1,size2,match", [
    (0, 0, "from the empty tree is meaningless"),
    (0, 4, "from the empty tree is meaningless"),
    (5, 4, "size1 5 is greater than size2 4"),
    (-2, -2, "size1 -2 is not a tree size"),   # equal negative sizes were accepted
    (-1, 5, "size1 -1 is not a tree size"),
])
def test_rejects_consistency_proof_with_impossible_sizes(size1, size2, match):
    with pytest.raises(ProofOutOfRange, match=match):
        verify_consistency(size1, size2, [], EMPTY_ROOT, EMPTY_ROOT)


def test_errors_are_verification_errors():
    for cls in (RootMismatch, ProofSizeMismatch, ProofOutOfRange, MalformedProof):
        assert issubclass(cls, merkle.MerkleProofError)
        assert issubclass(cls, VerificationError)


@pytest.mark.parametrize("start", [0, 1, 5, 8, 13, 64, 100])
def test_streaming_root_extended_in_runs_equals_root_of_at_every_size(start):
    leaves = leaves_for(start + 300)
    streaming = StreamingRoot()
    streaming.extend(leaves[:start])
    size = start
    for run in (1, 2, 3, 7, 16, 0, 31, 64, 100, 76):
        streaming.extend(leaves[size:size + run])
        size += run
        assert streaming.size == size
        assert streaming.root() == root_of(leaves[:size])
    assert size == start + 300


def test_streaming_root_extend_rejects_leaf_hash_of_wrong_length():
    streaming = StreamingRoot()
    with pytest.raises(ValueError, match="leaf hash 3 must be 32 bytes, found 3"):
        streaming.extend([leaf_hash(b"a")] * 3 + [b"abc"])
