"""The per-line checks that need no history: run in worker processes, a chunk of lines at a time.

For each event (or anchor) line: parse it, require it to be canonical (which also proves the
stored envelope bytes are RFC 8785), check the envelope's shape, verify its signature (spec
step 2), recompute its log entry and leaf hash (step 5) and, for bundles with per-event proofs,
its inclusion in the checkpoint (step 6). What depends on order — the registry, chains, index
order, the whole-log root — is left to the main process, which gets one compact tuple per line.

Signatures are verified with the key the main process found for the signer in the bundle's
``KeyRegistered`` events (first registration of an id; ids registered twice are "ambiguous").
Whether that key was *valid* at the event's log position is judged later, in order; an event
whose key is unknown or ambiguous here comes back with its signed bytes for the main process to
verify against the registry it has folded by then.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import SPEC_EVENT, merkle
from ..crypto import verify as ed25519_verify
from ..errors import BadSignature
from ..grammar import (EVENT_TYPE as _TYPE, RFC3339 as _RFC3339, SIGNATURE as _B64URL_SIG,
                      SIGNER as _SIGNER, STREAM as _STREAM, STREAM_PATTERN as _STREAM_PATTERN,
                      UUID as _UUID)
from ..logentry import entry_bytes, leaf_hash_of_entry
from . import format as fmt
from . import jcs

# Result tuple positions (a plain tuple pickles fast between processes).
LINE, KIND, INDEX, STREAM, VERSION, RECORDED_AT, CHAIN, ENV_HASH, LEAF, EVENT_ID, KEY_ID, TYPE, \
    SIG, REASONS, BODY, DEFERRED = range(16)
BAD = "bad"
#: Lines whose bodies are checked together: enough to make the per-call costs of one parse and
#: one comparison small, few enough that the batch stays in the CPU's cache (whole 2 MiB blocks
#: at once measured slower than line by line).
BATCH = 64

ENVELOPE_FIELDS = frozenset({"spec", "event_id", "stream", "type", "occurred_at", "signer",
                             "body", "sig"})


@dataclass(frozen=True, slots=True)
class Context:
    """What every line is checked against: the verified checkpoint."""

    root: bytes
    tree_size: int
    whole_log: bool


def check_chunk(ctx: Context, blob: bytes, keys: dict[str, bytes],
                ambiguous: frozenset[str]) -> list[tuple[Any, ...]]:
    """Check every line of ``blob`` (newline-separated): one result per line, in order, its line
    number counted from 0 at the block's first line.

    The lines in the exporter's layout have their bodies checked :data:`BATCH` at a time
    (:func:`jcs.canonical_objects`); a line that fails any part of that goes to the slow path.
    """
    lines = blob.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    names: dict[str, str] = {}
    results: list[Any] = []
    for start in range(0, len(lines), BATCH):
        laid_out: list[tuple[int, int, bytes, tuple[Any, ...]]] = []
        for line_no, line in enumerate(lines[start:start + BATCH], start):
            fields = _fast(line) if line.startswith(_OPEN) else None
            # Brackets are counted in the body alone where the layout proves the rest of the
            # line holds none deeper than the envelope (a third of the bytes to count).
            counted = line if fields is None else fields[-1]
            if counted.count(b"{") + counted.count(b"[") > (
                    _LINE_LEVELS if fields is None else _BODY_LEVELS) and _too_deep(line):
                results.append(_bad(line_no, "JSON nested deeper than the ledger accepts "
                                             f"({MAX_DEPTH} levels, the envelope's own included)"))
            elif fields is None:
                results.append(_slow(ctx, line, line_no, keys, ambiguous))
            else:
                laid_out.append((len(results), line_no, line, fields))
                results.append(None)
        bodies = jcs.canonical_objects([fields[-1] for *_, fields in laid_out])
        for (at, line_no, line, fields), body in zip(laid_out, bodies):
            results[at] = (_slow(ctx, line, line_no, keys, ambiguous) if body is None
                           else _checked(ctx, line_no, fields, body, keys, ambiguous, names))
    return results


#: The ledger's limit (ledger.canonical.MAX_DEPTH, which the verifier may not import): an
#: envelope nests at most 64 levels, itself included. Without it the verifier's only limit was
#: the interpreter's stack, which is deeper in a worker process than in-process.
MAX_DEPTH = 64
_LINE_LEVELS = MAX_DEPTH + 1            # the line's own object around the envelope
#: In the exporter's layout (:func:`_fast`) the body nests inside the line's object and the
#: envelope, and nothing else on the line does deeper (the other members are matched by
#: patterns without brackets, the receipt and a proof list one level inside the line's object).
_BODY_LEVELS = _LINE_LEVELS - 2
#: A string, or an unclosed one to the end of the line: were it made to close, each escaped
#: quote of an unclosed string would start a scan of its own to the end (quadratic).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\Z)', re.S)
_BRACKETS = re.compile(rb"[\[{]|[\]}]")


def _too_deep(line: bytes) -> bool:
    """Whether ``line`` nests more than :data:`_LINE_LEVELS` objects and arrays (strings, which
    may hold brackets, left out). Called only for lines with that many opening brackets (in
    the body, for a line in the exporter's layout)."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", line)):
        if bracket in b"[{":
            depth += 1
            if depth > _LINE_LEVELS:
                return True
        else:
            depth -= 1
    return False


def _bad(line_no: int, reason: str) -> tuple[Any, ...]:
    return (line_no, BAD, None, None, None, None, None, None, None, None, None, None, None,
            [reason], None, None)


# The layout the exporter writes (format.event_line), as patterns over the line's bytes. A line
# that matches them, and whose body (an object) re-serialises to itself, is canonical JSON;
# anything else takes the slow path, which parses it all and says what is wrong.
_OPEN = b'{"envelope":{"body":{'
_RECEIPT = b',"receipt":{"chain_hash":"'
_PROOF = b',"proof":['
_TAIL = re.compile(
    rb',"receipt":\{"chain_hash":"([0-9a-f]{64})","index":(0|[1-9][0-9]{0,15}),'
    rb'"leaf_hash":"([0-9a-f]{64})","recorded_at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:'
    rb'[0-9]{2}\.[0-9]{6}Z)","stream_version":([1-9][0-9]{0,15})\},"t":"(event|anchor)"\}')
_PROOF_LIST = re.compile(rb',"proof":\[((?:"[0-9a-f]{64}"(?:,"[0-9a-f]{64}")*)?)\]')
_FLAT = b',"event_id":"'
_ENVELOPE_TAIL = re.compile(
    rb',"event_id":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",'
    rb'"occurred_at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?'
    rb'(?:Z|[+-][0-9]{2}:[0-9]{2}))","sig":"([A-Za-z0-9_-]{85}[AQgw])",'
    rb'"signer":"key:([A-Za-z0-9][A-Za-z0-9._-]{0,127})","spec":"integrity-ledger/event/v1",'
    rb'"stream":"(' + _STREAM_PATTERN.encode("ascii") + rb')",'
    rb'"type":"([A-Z][A-Za-z0-9]{1,63})"\}')
_SIG_MEMBER = len(b',"sig":"')
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _checked(ctx: Context, line_no: int, fields: tuple[Any, ...], body: dict[str, Any],
             keys: dict[str, bytes], ambiguous: frozenset[str],
             names: dict[str, str]) -> tuple[Any, ...]:
    """Finish a line in the exporter's layout whose body is canonical; ``names`` interns
    repeated strings (smaller results to send back)."""
    (kind, index, version, recorded_at, chain, leaf_claimed, proof, env, signed, sig, event_id,
     key_id, stream, event_type, _) = fields
    stream = names.setdefault(stream, stream)
    recorded_at = names.setdefault(recorded_at, recorded_at)
    key_id = names.setdefault(key_id, key_id)
    event_type = names.setdefault(event_type, event_type)
    return _finish(ctx, line_no, kind, index, version, recorded_at, chain, leaf_claimed,
                   proof, proof is not None, env, signed, sig, event_id, key_id, stream,
                   event_type, body if stream == "keys" else None, [], keys, ambiguous)


def _fast(line: bytes) -> tuple[Any, ...] | None:
    """The fields of an event line in the exporter's layout, its body still as bytes (last); or
    None if the line needs a closer look."""
    cut = line.rfind(_RECEIPT)
    tail = _TAIL.fullmatch(line, cut) if cut > 0 else None
    if tail is None:
        return None
    proof = None
    end = cut
    # A proof list ends in ']' where the envelope would end in '}': only then look for its start.
    p = line.rfind(_PROOF, 0, cut) if line[cut - 1] == 0x5D else -1
    if p > 0:
        listed = _PROOF_LIST.fullmatch(line, p, cut)
        if listed is not None:
            hexes = listed.group(1)
            proof = [binascii.unhexlify(h) for h in hexes[1:-1].split(b'","')] if hexes else []
            end = p
    env = line[12:end]
    flat = env.rfind(_FLAT)
    fields = _ENVELOPE_TAIL.fullmatch(env, flat) if flat > 8 else None
    if fields is None:
        return None
    event_id, occurred_at, sig, key_id, stream, event_type = fields.groups()
    try:
        datetime.fromisoformat(occurred_at.decode("ascii").replace("Z", "+00:00"))
    except ValueError:
        return None
    chain, index, leaf, recorded_at, version, kind = tail.groups()
    index, version = int(index), int(version)
    if index > jcs.MAX_SAFE_INT or version > jcs.MAX_SAFE_INT:     # 16 digits reach past 2^53
        return None
    if not is_date_time(recorded_at):
        return None
    sig_start, sig_end = fields.start(3) - _SIG_MEMBER, fields.end(3) + 1
    return (fmt.EVENT if kind == b"event" else fmt.ANCHOR, index, version,
            recorded_at.decode("ascii"), binascii.unhexlify(chain), binascii.unhexlify(leaf),
            proof, env, env[:sig_start] + env[sig_end:],
            binascii.a2b_base64(sig.translate(_URLSAFE) + b"=="),
            event_id.decode("ascii"), key_id.decode("ascii"), stream.decode("ascii"),
            event_type.decode("ascii"), env[8:flat])


def _finish(ctx: Context, line_no: int, kind: str, index: int, version: int, recorded_at: str,
            chain: bytes, leaf_claimed: bytes, proof: list[bytes] | None, has_proof: bool,
            raw: bytes, signed: bytes | None, sig: bytes | None, event_id: str | None,
            key_id: str | None, stream: str | None, event_type: str | None, body: Any,
            reasons: list[str], keys: dict[str, bytes],
            ambiguous: frozenset[str]) -> tuple[Any, ...]:
    # Step 2: the signature, over the RFC 8785 bytes of the envelope without "sig".
    sig_ok: bool | None = None
    deferred = None
    if signed is not None and sig is not None and key_id is not None:
        public = None if key_id in ambiguous else keys.get(key_id)
        if public is None:
            deferred = (signed, sig)
        else:
            try:
                ed25519_verify(public, signed, sig)
                sig_ok = True
            except BadSignature:
                sig_ok = False
    # Step 5: the log entry and its leaf hash, from the bytes as stored.
    env_hash = hashlib.sha256(raw).digest()
    leaf = leaf_hash_of_entry(entry_bytes(raw, index=index, stream_version=version,
                                          recorded_at=recorded_at, chain_hash=chain))
    if leaf != leaf_claimed:
        reasons.append("log entry does not hash to its receipt's leaf hash (envelope or receipt "
                       "data altered after recording)")
    # Step 6: inclusion in the checkpoint, for bundles that carry per-event proofs.
    if kind == fmt.ANCHOR or not ctx.whole_log:
        if proof is None:
            if not has_proof:
                reasons.append("no inclusion proof")
        else:
            try:
                merkle.verify_inclusion(leaf, index, ctx.tree_size, proof, ctx.root)
            except merkle.MerkleProofError as e:
                reasons.append(f"not included in the checkpoint (tree size {ctx.tree_size}): "
                               f"{e.message}")
    elif has_proof:
        reasons.append("a whole-log bundle carries no per-event proofs")
    # Shared constants and an empty tuple for no reasons: fewer objects to pickle, unpickle and
    # track for the garbage collector.
    return (line_no, kind, index, stream, version, recorded_at, chain, env_hash, leaf, event_id,
            key_id, event_type, sig_ok, reasons or (), body, deferred)


def _slow(ctx: Context, line: bytes, line_no: int, keys: dict[str, bytes],
          ambiguous: frozenset[str]) -> tuple[Any, ...]:
    """Parse the whole line and name every problem (lines the fast path does not accept)."""
    if not line:
        return _bad(line_no, "empty line")
    try:
        value = jcs.loads_fast(line)
    except jcs.NotCanonical as e:
        return _bad(line_no, f"not a JSON line: {e.message}")
    if type(value) is not dict:
        return _bad(line_no, "not a JSON object")
    kind = value.get("t")
    if kind == fmt.END:
        try:
            canonical = jcs.dumps_trusted(value) == line
        except jcs.NotCanonical:          # a lone surrogate
            canonical = False
        return (line_no, fmt.END, None, None, None, None, None, None, None, None, None, None,
                None, [] if canonical else ["bundle line is not canonical JSON"], value, None)
    if kind not in (fmt.EVENT, fmt.ANCHOR):
        return _bad(line_no, f"unexpected line type {kind!r} among the events")
    has_proof = "proof" in value
    if value.keys() != ({"envelope", "proof", "receipt", "t"} if has_proof
                        else {"envelope", "receipt", "t"}):
        return _bad(line_no, f"{kind} line has fields {sorted(value)}")
    receipt = _receipt(value["receipt"])
    if isinstance(receipt, str):
        return _bad(line_no, receipt)
    index, version, recorded_at, chain, leaf_claimed = receipt
    reasons: list[str] = []
    env = value["envelope"]
    shape = _envelope_problems(env)
    reasons.extend(shape)
    ok_env = not shape

    # The line must be exactly what the exporter writes for these values: canonical JSON with
    # the stored envelope embedded.
    canon: bytes | None = None
    try:
        canon = jcs.dumps_trusted(env)
        if not canon.isascii() and not jcs.ascii_keys(env):
            reasons.append("envelope has a non-ASCII object key")
            ok_env = False
    except jcs.NotCanonical as e:
        reasons.append(f"envelope cannot be canonicalised: {e.message}")
        ok_env = False
    proof = _proof(value["proof"]) if has_proof else None
    if isinstance(proof, str):
        reasons.append(proof)
        proof = None
    parts = fmt.split_event_line(line, has_proof)
    raw = parts[0] if parts is not None else (canon or b"")
    if canon is not None and (proof is not None or not has_proof):
        rebuilt = fmt.event_line(canon, index=index, stream_version=version,
                                 recorded_at=recorded_at, chain_hash=chain,
                                 leaf_hash=leaf_claimed, proof=proof, kind=kind)
        if rebuilt[:-1] != line:
            reasons.append("stored envelope is not RFC 8785 canonical JSON" if raw != canon
                           else "bundle line is not canonical JSON")
    signed = sig = key_id = None
    if ok_env and canon is not None:
        key_id = env["signer"][4:]
        member = b',"sig":"' + env["sig"].encode("ascii") + b'"'
        cut = canon.rfind(member)     # the top-level member: nothing after "body" can hold it
        signed = canon[:cut] + canon[cut + len(member):]
        sig = base64.urlsafe_b64decode(env["sig"] + "==")
    # A malformed envelope still holds its place in its stream when its stream is one: left out
    # of the chain, it had the stream's next event blamed for a version it did not lose.
    stream = env.get("stream") if ok_env or (
        type(env) is dict and type(env.get("stream")) is str and _STREAM.fullmatch(env["stream"])) \
        else None
    # The report names an event by its id only when the id is one: any other string could hold
    # a line break (a forged report line) or a lone surrogate (unprintable).
    event_id = env.get("event_id") if type(env) is dict else None
    if type(event_id) is not str or not _UUID.fullmatch(event_id):
        event_id = None
    return _finish(ctx, line_no, kind, index, version, recorded_at, chain, leaf_claimed, proof,
                   has_proof, raw, signed, sig, event_id, key_id, stream,
                   env.get("type") if ok_env else None,
                   env["body"] if ok_env and stream == "keys" else None, reasons, keys,
                   ambiguous)


def _receipt(receipt: Any) -> tuple[int, int, str, bytes, bytes] | str:
    if type(receipt) is not dict or receipt.keys() != set(fmt.RECEIPT_FIELDS):
        return f"receipt must have exactly the fields {', '.join(fmt.RECEIPT_FIELDS)}"
    index, version, recorded_at = (receipt["index"], receipt["stream_version"],
                                   receipt["recorded_at"])
    chain, leaf = receipt["chain_hash"], receipt["leaf_hash"]
    if type(index) is not int or index < 0:
        return "receipt.index must be an integer >= 0"
    if type(version) is not int or version < 1:
        return f"index {index}: receipt.stream_version must be an integer >= 1"
    if type(recorded_at) is not str or not fmt.RECORDED_AT.fullmatch(recorded_at):
        return f"index {index}: receipt.recorded_at must be YYYY-MM-DDTHH:MM:SS.ffffffZ"
    if not is_date_time(recorded_at.encode("ascii")):
        return f"index {index}: receipt.recorded_at is not a valid date-time"
    if type(chain) is not str or not fmt.HEX32.fullmatch(chain) \
            or type(leaf) is not str or not fmt.HEX32.fullmatch(leaf):
        return f"index {index}: receipt hashes must be 64 lowercase hex digits"
    return index, version, recorded_at, bytes.fromhex(chain), bytes.fromhex(leaf)


@functools.lru_cache(maxsize=64)      # a group commit's events share one time
def is_date_time(recorded_at: bytes) -> bool:
    """Whether a receipt time in the fixed-width form is a real instant (not month 13): keys'
    validity windows are judged on it."""
    try:
        datetime.fromisoformat(recorded_at[:-1].decode("ascii"))
    except ValueError:
        return False
    return True


def _proof(proof: Any) -> list[bytes] | str:
    if type(proof) is not list or not all(type(h) is str and fmt.HEX32.fullmatch(h)
                                          for h in proof):
        return "proof must be a list of 64-digit lowercase hex hashes"
    return [bytes.fromhex(h) for h in proof]


def _envelope_problems(env: Any) -> list[str]:
    """The shape rules of ledger.envelope.Envelope.from_value, as reasons."""
    if type(env) is not dict:
        return ["envelope is not a JSON object"]
    if env.keys() != ENVELOPE_FIELDS:
        missing = sorted(ENVELOPE_FIELDS - env.keys())
        extra = sorted(env.keys() - ENVELOPE_FIELDS)
        return [f"envelope: missing fields {missing}" if missing else
                f"envelope: unknown fields {extra}"]
    problems = []
    for name in ("spec", "event_id", "stream", "type", "occurred_at", "signer", "sig"):
        if type(env[name]) is not str:
            problems.append(f"envelope.{name} must be a string")
    if problems:
        return problems
    if env["spec"] != SPEC_EVENT:
        problems.append(f"envelope.spec must be {SPEC_EVENT!r}")
    if not _UUID.fullmatch(env["event_id"]):
        problems.append("envelope.event_id must be a lowercase hyphenated UUID")
    if not _STREAM.fullmatch(env["stream"]):
        problems.append("envelope.stream must be '<kind>:<id>' or 'keys'")
    if not _TYPE.fullmatch(env["type"]):
        problems.append("envelope.type must be a PascalCase event type name")
    if not _SIGNER.fullmatch(env["signer"]):
        problems.append("envelope.signer must be 'key:<key_id>'")
    if type(env["body"]) is not dict:
        problems.append("envelope.body must be a JSON object")
    if not _RFC3339.fullmatch(env["occurred_at"]):
        problems.append("envelope.occurred_at must be RFC 3339 with an offset")
    else:
        try:
            datetime.fromisoformat(env["occurred_at"].replace("Z", "+00:00"))
        except ValueError:
            problems.append("envelope.occurred_at is not a valid date-time")
    if not _B64URL_SIG.fullmatch(env["sig"]):
        problems.append("envelope.sig must be 64 bytes of unpadded canonical base64url")
    else:
        try:
            base64.urlsafe_b64decode(env["sig"] + "==")
        except (binascii.Error, ValueError):
            problems.append("envelope.sig is not base64url")
    return problems


# -- the worker process ----------------------------------------------------------------------

_context: Context | None = None


def init_worker(ctx: Context) -> None:
    global _context
    _context = ctx
    # The pool ends its workers with SIGTERM; a handler inherited from the process that forked
    # them (a server's graceful exit, which only sets a flag) would leave them waiting for work
    # and the pool's terminate() waiting for them, for ever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pooled_chunk(blob: bytes, keys: dict[str, bytes],
                 ambiguous: frozenset[str]) -> list[tuple[Any, ...]]:
    assert _context is not None, "init_worker was not called"
    return check_chunk(_context, blob, keys, ambiguous)
