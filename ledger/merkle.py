"""RFC 9162 §2.1 Merkle tree over SHA-256: hashing, node storage, proofs and their verification.

Pure functions, standard library only, shared by the server and the offline auditor.

Storage model: the server keeps the hash of every *perfect* subtree. Node ``(level, index)``
covers leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes.
Every hash a proof needs is either such a node or the root of a subtree on the tree's right
edge, which folds from the perfect nodes that decompose it. Proof generation therefore comes in
two steps: ``*_coords`` names the perfect nodes (the server reads them all at once), and
``*_from_nodes`` assembles the RFC 9162 proof from them. See docs/merkle.md.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 in the form used by transparency-dev/merkle
(proof/verify.go): the expected proof length is computed first, so a proof of the wrong shape
is refused as such and not merely as a root mismatch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from .errors import VerificationError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Coord = tuple[int, int]  # (level, index) of a perfect subtree
Node = tuple[int, int, bytes]  # (level, index, hash)


# --- errors ------------------------------------------------------------------------------


class MerkleProofError(VerificationError):
    """A Merkle inclusion or consistency proof does not verify."""

    code = "merkle-proof-invalid"


class RootMismatch(MerkleProofError):
    """The proof is well formed but leads to a root other than the expected one."""

    code = "merkle-root-mismatch"

    def __init__(self, *, expected: bytes, calculated: bytes, what: str = "root") -> None:
        super().__init__(
            f"calculated {what} {calculated.hex()} does not match expected {what} {expected.hex()}",
            expected=expected, calculated=calculated, what=what)
        self.expected = expected
        self.calculated = calculated
        self.what = what


class ProofSizeMismatch(MerkleProofError):
    """The proof has the wrong number of hashes for the claimed index and sizes."""

    code = "merkle-proof-size"

    def __init__(self, *, got: int, want: int) -> None:
        super().__init__(f"proof has {got} hashes, want {want}", got=got, want=want)
        self.got = got
        self.want = want


class ProofOutOfRange(MerkleProofError):
    """The claimed index or tree sizes cannot have a proof (index >= size, size1 > size2, ...)."""

    code = "merkle-proof-out-of-range"


class MalformedProof(MerkleProofError):
    """A proof or leaf hash is not a SHA-256 digest."""

    code = "merkle-proof-malformed"


# --- hashing (RFC 9162 §2.1.1) -----------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- building the tree -------------------------------------------------------------------


def _push(stack: list[Node], node: Node, out: list[Node] | None) -> None:
    """Add a perfect subtree to the right edge, merging equal-level subtrees (amortised O(1)).

    Requires the tree's size to be a multiple of the subtree's width (true of every leaf).
    """
    if out is not None:
        out.append(node)
    while stack and stack[-1][0] == node[0]:
        left = stack.pop()
        node = (node[0] + 1, node[1] >> 1, node_hash(left[2], node[2]))
        if out is not None:
            out.append(node)
    stack.append(node)


def _range_coords(begin: int, end: int) -> list[Coord]:
    """The perfect subtrees, largest first, that make up the subtree ``[begin, end)``.

    Requires ``begin`` to be a multiple of the smallest power of two >= ``end - begin`` (true of
    every subtree in RFC 9162's recursive split), so the decomposition is the binary one of the
    width.
    """
    coords = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        coords.append((level, begin >> level))
        begin += 1 << level
    return coords


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a subtree from its perfect parts, largest first (RFC 9162 §2.1.1, right-leaning)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def append_leaves(frontier: Sequence[Node], size: int,
                  leaf_hashes: Iterable[bytes]) -> tuple[list[Node], list[Node]]:
    """Append leaf hashes to a tree of ``size`` leaves whose right edge is ``frontier``.

    ``frontier`` is the compact range ``[0, size)``: the perfect subtrees (level, index, hash)
    along the right edge, largest first (``[]`` for an empty tree). Returns ``(new_nodes,
    new_frontier)``: every perfect node completed by the new leaves, the level-0 leaves
    included, and the frontier of the grown tree. Amortised O(number of new leaves).

    Raises ValueError if ``frontier`` is not the compact range of a tree of ``size`` leaves or a
    leaf hash is not 32 bytes.
    """
    if size < 0:
        raise ValueError(f"tree size must be >= 0, found {size}")
    expected = _range_coords(0, size)
    if [(level, index) for level, index, _ in frontier] != expected:
        raise ValueError(f"frontier does not match a tree of size {size}: "
                         f"want nodes {expected}, found {[(n[0], n[1]) for n in frontier]}")
    stack = list(frontier)
    new_nodes: list[Node] = []
    for h in leaf_hashes:
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash {size} must be {HASH_SIZE} bytes, found {len(h)}")
        _push(stack, (0, size, h), new_nodes)
        size += 1
    return new_nodes, stack


def root_from_frontier(frontier: Sequence[Node]) -> bytes:
    """RFC 9162 root of the tree whose compact range is ``frontier`` (EMPTY_ROOT if empty)."""
    return _fold([h for _, _, h in frontier])


class StreamingRoot:
    """Root of a log fed one leaf hash at a time, keeping only the frontier (O(log n) memory)."""

    def __init__(self) -> None:
        self._stack: list[Node] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        """Append one leaf hash. Raises ValueError unless it is 32 bytes."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hash {self.size} must be {HASH_SIZE} bytes, found {len(leaf)}")
        _push(self._stack, (0, self.size, leaf), None)
        self.size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append leaf hashes, as :meth:`add` one at a time would, but hashing each perfect
        subtree among them a level at a time (a few Python steps per leaf, not a few calls).

        Raises ValueError unless every leaf hash is 32 bytes.
        """
        if set(map(len, leaves)) - {HASH_SIZE}:
            bad = next(i for i, h in enumerate(leaves) if len(h) != HASH_SIZE)
            raise ValueError(f"leaf hash {self.size + bad} must be {HASH_SIZE} bytes, found "
                             f"{len(leaves[bad])}")
        done = 0
        while done < len(leaves):
            # the widest perfect subtree that starts at this size and fits in what is left
            remaining = len(leaves) - done
            width = min(self.size & -self.size or remaining, 1 << (remaining.bit_length() - 1))
            hashes = list(leaves[done:done + width])
            while len(hashes) > 1:      # node_hash, without a call per node
                hashes = [hashlib.sha256(b"\x01" + a + b).digest()
                          for a, b in zip(hashes[::2], hashes[1::2])]
            level = width.bit_length() - 1
            _push(self._stack, (level, self.size >> level, hashes[0]), None)
            self.size += width
            done += width

    def root(self) -> bytes:
        return _fold([h for _, _, h in self._stack])


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """RFC 9162 Merkle Tree Hash of the given leaf hashes, iteratively, in O(n) time."""
    streaming = StreamingRoot()
    for h in leaf_hashes:
        streaming.add(h)
    return streaming.root()


# --- proofs from stored perfect nodes ----------------------------------------------------


def _split(width: int) -> int:
    """The largest power of two strictly less than ``width`` (RFC 9162's k); requires width > 1."""
    return 1 << ((width - 1).bit_length() - 1)


def _inclusion_subtrees(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose roots form PATH(index, D[0:size]), RFC 9162 §2.1.3.1, leaf first."""
    subtrees = []
    begin, end = 0, size
    while end - begin > 1:
        mid = begin + _split(end - begin)
        if index < mid:
            subtrees.append((mid, end))
            end = mid
        else:
            subtrees.append((begin, mid))
            begin = mid
    subtrees.reverse()  # the recursion emits the deepest sibling first
    return subtrees


def _consistency_subtrees(size1: int, size2: int) -> list[tuple[int, int]]:
    """The subtrees whose roots form PROOF(size1, D[0:size2]), RFC 9162 §2.1.4.1."""
    subtrees = []
    begin, end = 0, size2
    known = True  # SUBPROOF's b: the current subtree is the old tree itself, so it is omitted
    while size1 != end:
        mid = begin + _split(end - begin)
        if size1 <= mid:
            subtrees.append((mid, end))
            end = mid
        else:
            subtrees.append((begin, mid))
            begin = mid
            known = False
    if not known:
        subtrees.append((begin, end))
    subtrees.reverse()
    return subtrees


def _coords(subtrees: list[tuple[int, int]]) -> list[Coord]:
    return [c for begin, end in subtrees for c in _range_coords(begin, end)]


def _hashes(subtrees: list[tuple[int, int]], nodes: Mapping[Coord, bytes]) -> list[bytes]:
    return [_fold([nodes[c] for c in _range_coords(begin, end)]) for begin, end in subtrees]


def _check_inclusion(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"inclusion proof requires 0 <= index < size, found index {index}, "
                         f"size {size}")


def _check_consistency(size1: int, size2: int) -> None:
    if not 0 < size1 <= size2:
        raise ValueError(f"consistency proof requires 0 < size1 <= size2, found size1 {size1}, "
                         f"size2 {size2}")


def inclusion_proof_coords(index: int, size: int) -> list[Coord]:
    """Perfect nodes needed for the inclusion proof of leaf ``index`` in a tree of ``size``.

    Requires 0 <= index < size (ValueError otherwise).
    """
    _check_inclusion(index, size)
    return _coords(_inclusion_subtrees(index, size))


def inclusion_proof_from_nodes(index: int, size: int, nodes: Mapping[Coord, bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 inclusion proof, from the nodes named by :func:`inclusion_proof_coords`.

    Requires 0 <= index < size (ValueError otherwise); KeyError if ``nodes`` lacks one.
    """
    _check_inclusion(index, size)
    return _hashes(_inclusion_subtrees(index, size), nodes)


def consistency_proof_coords(size1: int, size2: int) -> list[Coord]:
    """Perfect nodes needed for the consistency proof from ``size1`` to ``size2``.

    Requires 0 < size1 <= size2 (ValueError otherwise); a proof from the empty tree is
    meaningless, and one between equal sizes is empty.
    """
    _check_consistency(size1, size2)
    return _coords(_consistency_subtrees(size1, size2))


def consistency_proof_from_nodes(size1: int, size2: int,
                                 nodes: Mapping[Coord, bytes]) -> list[bytes]:
    """RFC 9162 §2.1.4.1 consistency proof, assembled from the nodes of consistency_proof_coords.

    Requires 0 < size1 <= size2 (ValueError otherwise); KeyError if ``nodes`` lacks one.
    """
    _check_consistency(size1, size2)
    return _hashes(_consistency_subtrees(size1, size2), nodes)


def root_coords(size: int) -> list[Coord]:
    """Perfect nodes whose fold is the root of a tree of ``size`` leaves. Requires size >= 0."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, found {size}")
    return _range_coords(0, size)


def root_from_nodes(size: int, nodes: Mapping[Coord, bytes]) -> bytes:
    """Root of a tree of ``size`` leaves from the nodes named by :func:`root_coords`."""
    return _fold([nodes[c] for c in root_coords(size)])


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------------


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise MalformedProof(f"proof[{i}] must be {HASH_SIZE} bytes, found {len(h)}")


def _match(*, expected: bytes, calculated: bytes, what: str = "root") -> None:
    if calculated != expected:
        raise RootMismatch(expected=expected, calculated=calculated, what=what)


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split the path of leaf ``index`` in a tree of ``size`` where it leaves the path of the
    last leaf: ``inner`` siblings below that point (left or right), ``border`` left siblings
    above it. ``inner + border`` is the length of the inclusion proof."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only left siblings: what the same subtree hashed to before the right part was added.
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int,
                              proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` in a tree of ``size``.

    Raises ProofOutOfRange unless 0 <= index < size, MalformedProof for a hash that is not
    32 bytes, ProofSizeMismatch for a proof of the wrong length.
    """
    # §2.1.3.2 step 1: the index must lie inside the tree.
    if not 0 <= index < size:
        raise ProofOutOfRange(f"leaf index {index} is not inside a tree of size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise MalformedProof(f"leaf hash must be {HASH_SIZE} bytes, found {len(leaf_hash)}")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ProofSizeMismatch(got=len(proof), want=inner + border)
    _check_hashes(proof)
    # Steps 2-4: hash up the path, the sibling's side given by the index bits below the fork,
    # always on the left above it (where step 4b shifts past the right edge).
    return _chain_border_right(_chain_inner(leaf_hash, proof[:inner], index), proof[inner:])


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> None:
    """Verify that ``leaf_hash`` is at ``index`` in the tree of ``size`` with ``root``.

    Requires 0 <= index < size. Returns None or raises a MerkleProofError subclass:
    RootMismatch, ProofSizeMismatch, ProofOutOfRange or MalformedProof.
    """
    # §2.1.3.2 step 5: compare the computed root with the expected one.
    _match(expected=root, calculated=root_from_inclusion_proof(leaf_hash, index, size, proof))


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes,
                       root2: bytes) -> None:
    """Verify that the tree (``size2``, ``root2``) extends the tree (``size1``, ``root1``).

    Requires 0 < size1 <= size2 (ProofOutOfRange otherwise). Equal sizes need an empty proof
    and equal roots. Returns None or raises a MerkleProofError subclass: RootMismatch (``what``
    says which root), ProofSizeMismatch, ProofOutOfRange or MalformedProof. Roots are compared,
    not parsed: a root of the wrong length never matches a computed one.
    """
    if size1 < 0:
        raise ProofOutOfRange(f"size1 {size1} is not a tree size")
    if size2 < size1:
        raise ProofOutOfRange(f"size1 {size1} is greater than size2 {size2}")
    if size1 == 0:
        raise ProofOutOfRange("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofSizeMismatch(got=len(proof), want=0)
        _match(expected=root2, calculated=root1, what="second root")
        return

    # Where the paths of leaves size1-1 and size2-1 part: below it the proof climbs the old
    # tree's last perfect subtree, above it only left siblings remain.
    fork, border = _decompose(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # level of the old tree's smallest perfect part
    inner = fork - shift
    # §2.1.4.2 step 2: when size1 is a power of two the old root is that subtree and is not sent.
    if size1 == 1 << shift:
        seed, rest, want = root1, proof, inner + border
    else:
        seed, rest, want = (proof[0] if proof else b""), proof[1:], 1 + inner + border
    # Step 1 (an empty proof fails) is subsumed: want >= 1 whenever size1 < size2.
    if len(proof) != want:
        raise ProofSizeMismatch(got=len(proof), want=want)
    _check_hashes(proof)

    # Steps 3-6: fn = size1-1 and sn = size2-1, shifted past the levels below ``shift``.
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    # Step 7: both reconstructed roots must match.
    _match(expected=root1, calculated=hash1, what="first root")
    _match(expected=root2, calculated=hash2, what="second root")
