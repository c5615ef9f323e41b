"""A clean-room verifier of `integrity-ledger/bundle/v1`, written from the documentation alone.

Sources: docs/bundle.md ("Format" with the end line's `heads`, "Scopes", "Signer roles",
"Trust", "Verification" with "Stream heads"),
docs/merkle.md (hashes, checkpoints, the keys line), docs/architecture.md ("Keys and roles",
"Rotating a root key"), DESIGN.md (the wire contract), RFC 9162 §2.1, RFC 8785, C2SP
tlog-checkpoint and signed-note. It shares no code with `ledger/`: standard library and PyNaCl
only (the docs say `ledger verify` needs exactly those). Single process, no performance work.

    python tests/cleanroom/verify.py BUNDLE --trust ledger.json [--policy FILE]

Exit 0 valid, 1 verification failed, 2 unreadable input or usage — as `ledger verify`.
It gives a verdict and reasons; the reasons' words are its own, not `ledger verify`'s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

BUNDLE_SPEC = "integrity-ledger/bundle/v1"
EVENT_SPEC = "integrity-ledger/event/v1"
ENTRY_SPEC = "integrity-ledger/entry/v1"
ENVELOPE_FIELDS = {"spec", "event_id", "stream", "type", "occurred_at", "signer", "body", "sig"}
KEY_TYPES = ("KeyRegistered", "KeyRevoked")
MAX_DEPTH = 64
SAFE_INT = 2**53 - 1
RECORDED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z",
                         re.ASCII)
KEYS_LINE = re.compile(r"keys (0|[1-9][0-9]*) ([A-Za-z0-9+/]{43}=)", re.ASCII)


class Unreadable(Exception):
    """Exit 2: not a bundle, unsupported spec, unusable trust."""


# ---------------------------------------------------------------- RFC 8785 (JCS) ----------

def _jcs_string(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, f"\\u{o:04x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value without floats (the ledger has none)."""
    def enc(v: Any) -> str:
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            if abs(v) > SAFE_INT:
                raise ValueError("integer outside ±(2^53−1)")
            return str(v)
        if isinstance(v, float):
            raise ValueError("float")
        if isinstance(v, str):
            return _jcs_string(v)
        if isinstance(v, list):
            return "[" + ",".join(enc(x) for x in v) + "]"
        if isinstance(v, dict):
            keys = sorted(v, key=lambda k: k.encode("utf-16-be"))   # UTF-16 code units
            return "{" + ",".join(_jcs_string(k) + ":" + enc(v[k]) for k in keys) + "}"
        raise ValueError(f"not JSON: {type(v).__name__}")
    return enc(value).encode("utf-8")           # a lone surrogate raises: not canonical


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def _no_float(text: str) -> Any:
    raise ValueError("float")


def _safe_int(text: str) -> int:
    if abs(int(text)) > SAFE_INT:
        raise ValueError(f"integer {text} outside ±(2^53−1)")
    return int(text)


def load(raw: bytes, strict: bool) -> Any:
    """Parse one line: JSON without floats or unsafe integers, nested no deeper than the ledger
    accepts, and — ``strict``, for the header and the checkpoint — no duplicate key. Elsewhere
    a duplicate key is left to the canonical comparison (the last one counts)."""
    value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates if strict else None,
                       parse_float=_no_float, parse_constant=_no_float, parse_int=_safe_int)
    if depth(value) > MAX_DEPTH + 1:              # the envelope's 64 levels, in the line's
        raise ValueError("nested deeper than the ledger accepts")
    return value


def canonical(value: Any, raw: bytes) -> bool:
    try:
        return jcs(value) == raw
    except ValueError:                            # a lone surrogate
        return False


CANNOT = "envelope cannot be canonicalised"


def split_envelope(raw: bytes, value: dict) -> tuple[bytes, str | None]:
    """An event or anchor line's envelope bytes as embedded, and what is not canonical."""
    head = b'{"envelope":'
    try:
        env: bytes | None = jcs(value["envelope"])
    except ValueError:
        env = None
    try:
        tail: bytes | None = jcs({**value, "envelope": None})[len(head) + 4:]
    except ValueError:
        tail = None
    if tail is not None and raw.startswith(head) and raw.endswith(tail) \
            and len(raw) > len(head) + len(tail):
        stored = raw[len(head):len(raw) - len(tail)]
        return stored, (CANNOT if env is None else None if stored == env
                        else "stored envelope is not RFC 8785 canonical JSON")
    return env or b"", CANNOT if env is None else "bundle line is not canonical JSON"


def depth(v: Any) -> int:
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


# ---------------------------------------------------------------- RFC 9162 Merkle ---------

def sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01", left, right)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 root, iteratively (fold the perfect subtrees of the right edge)."""
    if not leaves:
        return sha256(b"")
    stack: list[tuple[int, bytes]] = []            # (size, hash) of perfect subtrees
    for leaf in leaves:
        stack.append((1, leaf))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (n, r), (_, l) = stack.pop(), stack.pop()
            stack.append((2 * n, node(l, r)))
    root = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = node(h, root)
    return root


def _walk(fn: int, sn: int, seed: bytes, proof: list[bytes]) -> tuple[bytes, bytes, int] | None:
    """The walk RFC 9162 §2.1.3.2 and §2.1.4.2 share: ``sr`` folds every hash (the inclusion
    path's result, or the new root), ``fr`` only those left of the path (the old root).
    Returns (fr, sr, sn), or None when the proof is too long."""
    fr = sr = seed
    for c in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr, sr, sn


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> str | None:
    """RFC 9162 §2.1.3.2. None when the proof holds, else a reason."""
    if index >= size:
        return f"index {index} is not below the tree size {size}"
    if any(len(h) != 32 for h in (leaf, root, *proof)):
        return "a hash is not 32 bytes"
    walked = _walk(index, size - 1, leaf, proof)
    if walked is None or walked[2] != 0:
        return "inclusion proof of the wrong length"
    return None if walked[1] == root else "inclusion proof does not lead to the checkpoint's root"


def verify_consistency(first: int, second: int, proof: list[bytes], root1: bytes,
                       root2: bytes) -> str | None:
    """RFC 9162 §2.1.4.2. None when the proof holds, else a reason."""
    if first == 0 or first > second:       # from the empty tree proves nothing (refused)
        return f"no consistency proof from size {first} to {second}"
    if first == second:
        return None if not proof and root1 == root2 else "equal sizes, other roots"
    if any(len(h) != 32 for h in (root1, root2, *proof)):
        return "a hash is not 32 bytes"
    if first & (first - 1) == 0:                         # a power of two: the old root is a node
        proof = [root1, *proof]
    if not proof:
        return "consistency proof too short"
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    walked = _walk(fn, sn, proof[0], proof[1:])
    if walked is None or walked[2] != 0:
        return "consistency proof of the wrong length"
    return None if walked[:2] == (root1, root2) else "consistency proof leads to other roots"


# ---------------------------------------------------------------- C2SP signed note --------

def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def key_id(name: str, public_key: bytes) -> bytes:
    return sha256(name.encode(), b"\n\x01", public_key)[:4]


@dataclass
class LogKey:
    name: str
    public_key: bytes


def open_note(note: str, keys: list[LogKey]) -> str:
    """Return the note's text when a pinned key signed it; unknown signers are ignored."""
    sep = note.rfind("\n\n")
    if sep < 0 or not note.endswith("\n"):
        raise ValueError("not a signed note")
    text, sigs = note[:sep + 1], note[sep + 2:]
    for line in sigs[:-1].split("\n"):
        if not line.startswith("— "):
            raise ValueError("malformed signature line")
        try:
            name, blob_b64 = line[2:].split(" ")
            blob = base64.b64decode(blob_b64, validate=True)
        except ValueError:
            raise ValueError("malformed signature line") from None
        for k in keys:
            if k.name == name and blob[:4] == key_id(k.name, k.public_key) and len(blob) == 68:
                try:
                    VerifyKey(k.public_key).verify(text.encode(), blob[4:])
                    return text
                except BadSignatureError:
                    pass
    raise ValueError("no valid signature by a pinned log key")


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes
    keys_head: tuple[int, bytes] | None


def open_checkpoint(note: str, keys: list[LogKey], origin: str) -> Checkpoint:
    lines = open_note(note, keys).split("\n")[:-1]
    if len(lines) < 3 or not re.fullmatch(r"0|[1-9][0-9]*", lines[1], re.ASCII):
        raise ValueError("malformed checkpoint")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("malformed checkpoint root")
    if lines[0] != origin:
        raise ValueError(f"origin {lines[0]!r} is not the pinned {origin!r}")
    keys_lines = [x for x in lines[3:] if x.split(" ", 1)[0] == "keys"]
    head = None
    if len(keys_lines) > 1:
        raise ValueError(f"checkpoint has {len(keys_lines)} keys lines")
    if keys_lines:
        m = KEYS_LINE.fullmatch(keys_lines[0])
        if not m:
            raise ValueError(f"keys line {keys_lines[0]!r} is malformed")
        chain = base64.b64decode(m.group(2), validate=True)
        if base64.b64encode(chain).decode() != m.group(2):
            raise ValueError("keys line hash is not canonical base64")
        if int(m.group(1)) == 0 and chain != genesis("keys"):
            raise ValueError("keys 0 with a hash other than the genesis")
        head = (int(m.group(1)), chain)
    return Checkpoint(lines[0], int(lines[1]), root, head)


# ---------------------------------------------------------------- trust -------------------

@dataclass
class Trust:
    origin: str
    log_keys: list[LogKey]
    roots: dict[str, tuple[bytes, int | None]]     # id -> (public key, retired_at)
    policy: dict[str, list[str]] | None = None


def load_trust(doc: dict[str, Any]) -> Trust:
    try:
        log = doc["log"]
        roots = {}
        for rid, v in doc["root_keys"].items():
            if isinstance(v, str):
                roots[rid] = (b64url_decode(v), None)
            else:
                roots[rid] = (b64url_decode(v["public_key"]), int(v["retired_at"]))
        keys = [LogKey(log.get("key_name", log["origin"]), b64url_decode(log["public_key"]))]
        policy = doc.get("policy", {}).get("signer_roles") if doc.get("policy") else None
        return Trust(log["origin"], keys, roots, policy)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise Unreadable(f"unusable trust: {e}") from None


def trust_from_vkeys(vkeys: list[str], roots: dict[str, str], origin: str | None = None) -> Trust:
    """`--log-key name+keyid+base64(0x01‖key)` and `--root-key id=b64url[@N]`."""
    keys = []
    for v in vkeys:
        name, kid, blob = v.split("+")
        raw = base64.b64decode(blob)
        if raw[:1] != b"\x01" or len(raw) != 33 or key_id(name, raw[1:]).hex() != kid:
            raise Unreadable(f"bad vkey {v!r}")
        keys.append(LogKey(name, raw[1:]))
    pinned = {}
    for rid, v in roots.items():
        pk, _, at = v.partition("@")
        pinned[rid] = (b64url_decode(pk), int(at) if at else None)
    return Trust(origin or keys[0].name, keys, pinned)


# ---------------------------------------------------------------- the verifier ------------

def genesis(stream: str) -> bytes:
    return sha256(b"integrity-ledger/chain/v1:" + stream.encode())


def instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


@dataclass
class Key:
    public_key: bytes
    roles: list[str]
    registered_at: int
    not_before: datetime | None
    not_after: datetime | None
    revoked_at: int | None = None


@dataclass
class Verdict:
    code: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _hexbytes(s: Any) -> bytes:
    if not isinstance(s, str) or not re.fullmatch(r"[0-9a-f]{64}", s):
        raise ValueError(f"not a 32-byte lowercase hex hash: {s!r}")
    return bytes.fromhex(s)


def verify(data: bytes, trust: Trust, policy: dict[str, list[str]] | None = None,
           since: str | None = None) -> Verdict:
    problems: list[str] = []
    fail = problems.append

    # -- the lines: canonical JSON, each ending in a newline
    raw_lines = data.split(b"\n")
    complete = raw_lines[-1] == b""
    if not complete:
        fail("bundle: truncated (last line has no newline)")
    raw_lines = raw_lines[:-1] if complete else raw_lines
    lines: list[tuple[Any, bytes | None, str | None]] = []   # value, envelope bytes, reason
    for n, raw in enumerate(raw_lines):
        try:
            value = load(raw, strict=n < 2)
        except (ValueError, UnicodeError) as e:
            if n < 2:
                raise Unreadable(f"line {n + 1}: {e}") from None
            fail(f"line {n + 1}: {e}")
            lines.append((None, None, None))
            continue
        if isinstance(value, dict) and value.get("t") in ("event", "anchor") \
                and "envelope" in value:          # judged as its event, reasons and all
            lines.append((value, *split_envelope(raw, value)))
            continue
        if not canonical(value, raw):             # reported, and still read
            fail(f"line {n + 1}: not RFC 8785 canonical JSON")
        lines.append((value, None, None))
    if len(lines) < 2 or not isinstance(lines[0][0], dict) or lines[0][0].get("t") != "header":
        raise Unreadable("not a bundle (no header)")
    header = lines[0][0]
    if header.get("spec") != BUNDLE_SPEC:
        raise Unreadable(f"unsupported spec {header.get('spec')!r}")
    if not isinstance(lines[1][0], dict) or lines[1][0].get("t") != "checkpoint" \
            or not isinstance(lines[1][0].get("note"), str):
        raise Unreadable("second line is not the checkpoint")
    hlog = header.get("log")
    if not (isinstance(hlog, dict) and _is_int(hlog.get("tree_size"))
            and isinstance(hlog.get("origin"), str) and isinstance(header.get("scope"), dict)
            and isinstance(header["scope"].get("kind"), str)):
        raise Unreadable("header: scope.kind, log.origin (strings) or log.tree_size (an integer) missing")
    roles_table = policy if policy is not None else trust.policy
    if roles_table is None:                   # the header's table, which must be one
        roles_table = (header.get("policy") or {}).get("signer_roles") \
            if isinstance(header.get("policy"), dict) else None
        if not (isinstance(roles_table, dict) and all(
                isinstance(r, list) and all(isinstance(x, str) for x in r)
                for r in roles_table.values())):
            raise Unreadable('header: policy must be {"signer_roles": {type: [role, ...]}}')

    # -- step 1: checkpoint
    try:
        cp = open_checkpoint(lines[1][0]["note"], trust.log_keys, trust.origin)
    except (ValueError, KeyError, TypeError) as e:
        return Verdict(1, problems + [f"checkpoint: {e}"])
    if hlog.get("tree_size") != cp.size:        # a line; the events are judged by the checkpoint
        fail(f"bundle: the header's tree size {hlog['tree_size']} is not the checkpoint's {cp.size}")
    if hlog.get("origin") != cp.origin:
        fail("header: log origin is not the checkpoint's")

    scope = header.get("scope") if isinstance(header.get("scope"), dict) else {}
    kind = scope.get("kind")
    whole = kind == "all"

    # -- walk the lines
    body = lines[2:]
    consistency = None
    if body and isinstance(body[0][0], dict) and body[0][0].get("t") == "consistency":
        consistency, body = body[0][0], body[1:]          # checked only with --since
    older = None
    if since is not None:        # step 7, the older checkpoint: a failure, and the rest goes on
        try:
            older = open_checkpoint(since, trust.log_keys, trust.origin)
        except (ValueError, KeyError, TypeError) as e:
            fail(f"older checkpoint: {e}")
    if older is not None and older.size > cp.size:
        fail("checkpoint: the older checkpoint is larger")
        older = None
    elif older is not None and older.size == cp.size and older.root != cp.root:
        fail("checkpoint: the older checkpoint has another root")
    elif older is not None and older.size < cp.size and not whole:
        try:
            if (consistency["first"], consistency["second"]) != (older.size, cp.size):
                raise ValueError("it is for other sizes")
            why = verify_consistency(older.size, cp.size,
                                     [_hexbytes(h) for h in consistency["proof"]],
                                     older.root, cp.root)
        except (KeyError, TypeError, ValueError) as e:
            why = f"no usable consistency line ({e})"
        if why:
            fail(f"checkpoint: not consistent with the older: {why}")
    end = None
    ends = [i for i, (v, *_) in enumerate(body) if isinstance(v, dict) and v.get("t") == "end"]
    if ends:                     # the first end line ends the bundle; what follows is not read
        end = body[ends[0]][0]
        first = len(raw_lines) - len(body) + ends[0] + 1          # its line number
        for n in range(first + 1, len(raw_lines) + 1):
            fail(f"line {n}: data after the end line")
        body = body[:ends[0]]
    else:
        fail("bundle: truncated (no end line)")

    registry: dict[str, Key] = {}
    heads: dict[str, tuple[int, bytes]] = {}              # stream -> (version, chain hash)
    seen_ids: set[str] = set()
    last_index, last_recorded = -1, ""
    n_events = n_anchors = 0
    leaves: list[bytes] = []
    next_leaf = 0                                         # whole log: the next index expected
    keys_top: tuple[int, bytes] | None = None             # last keys *event* (version, chain)
    held: dict[str, tuple[int, bytes, int]] = {}          # stream -> last event below the size
    keys_at_older: tuple[int, bytes] | None = None        # the same below the older's size
    in_range: list[int] = []
    time_from = time_to = None
    if kind == "time":
        time_from, time_to = scope.get("from"), scope.get("to")
        ok_form = all(isinstance(x, str) and RECORDED_AT.fullmatch(x) and instant(x)
                      for x in (time_from, time_to))
        if not ok_form or not time_from < time_to:
            fail("scope: time range is not two fixed-width UTC instants with from before to")
    if kind == "case" and (not isinstance(scope.get("case"), str)
                           or scope.get("stream") != f"case:{scope.get('case')}"):
        fail("scope: a case bundle's case must be a string and its stream case:<its case>")
    if kind in ("officer", "unit"):
        subject, listed = scope.get(kind), scope.get("streams")
        if not isinstance(subject, str) or not isinstance(listed, list) \
                or f"{kind}:{subject}" not in listed:
            fail(f"scope: the {kind} must be a string and its own stream must be listed")

    for line, env_bytes, not_canonical in body:
        if line is None:
            continue
        t = line.get("t") if isinstance(line, dict) else None
        if t not in ("event", "anchor"):
            fail(f"bundle: unexpected line {t!r}")
            continue
        anchor = t == "anchor"
        n_anchors += anchor
        n_events += not anchor
        reasons: list[str] = []
        try:
            env, rc = line["envelope"], line["receipt"]
            index, version, recorded = rc["index"], rc["stream_version"], rc["recorded_at"]
            chain, leaf_hash = _hexbytes(rc["chain_hash"]), _hexbytes(rc["leaf_hash"])
            if not (_is_int(index) and _is_int(version) and index >= 0 and version >= 1):
                raise ValueError("index/stream_version not integers in range")
            if not isinstance(recorded, str) or not RECORDED_AT.fullmatch(recorded) or not instant(recorded):
                raise ValueError(f"recorded_at {recorded!r} is not a fixed-width UTC instant")
            if set(line) - {"envelope", "proof", "receipt", "t"} or set(rc) != {
                    "chain_hash", "index", "leaf_hash", "recorded_at", "stream_version"}:
                raise ValueError("event line layout is not the fixed one")
        except (KeyError, TypeError, ValueError) as e:
            fail(f"line: malformed {t}: {e}")
            continue
        # A malformed envelope is still its index's event: named, hashed, proved, and — when
        # its stream is one — chained (its event id named only when it is one).
        stream, event_id = (env.get("stream"), env.get("event_id")) if isinstance(env, dict) \
            else (None, None)
        if not (isinstance(stream, str) and re.fullmatch(GRAMMAR["stream"], stream)):
            stream = None
        if not (isinstance(event_id, str) and re.fullmatch(GRAMMAR["event_id"], event_id)):
            event_id = None
        label = f"index {index}" + (f" event {event_id}" if event_id else "")
        if not_canonical:
            reasons.append(not_canonical)

        # step 2: signature (events only)
        signer_id = None
        sig_ok = False
        if anchor and (shape := _envelope_shape(env)):
            reasons.append(f"anchor: {shape}")
        if not anchor:
            shape = CANNOT if not_canonical == CANNOT else _envelope_shape(env)
            if shape:
                reasons.append(shape)
            else:
                signer_id = env["signer"][4:]
                signed = jcs({k: v for k, v in env.items() if k != "sig"})
                pk = _signer_key(signer_id, env, index, trust, registry)
                if pk is None:
                    reasons.append(f"signer {signer_id!r} is not a known key")
                else:
                    try:
                        VerifyKey(pk).verify(signed, b64url_decode(env["sig"]))
                        sig_ok = True
                    except (BadSignatureError, ValueError):
                        reasons.append(f"signature does not verify under key {signer_id!r}")

        # step 3: key validity at the log position (and registry fold)
        if not anchor and sig_ok:
            reasons += _judge_key(env, signer_id, index, recorded, trust, registry, roles_table)
            if stream == "keys" and not reasons:
                _fold(env, index, registry, trust.roots, reasons)

        # step 4: chains, order, duplicates
        if not anchor:        # anchors head the export page of the event that needs them
            if index <= last_index:
                reasons.append(f"log index {index} does not increase (after {last_index})")
            if recorded < last_recorded:
                reasons.append("recorded_at goes back")
            last_index, last_recorded = max(last_index, index), max(last_recorded, recorded)
        if event_id in seen_ids:
            reasons.append("event id already appears earlier in the bundle")
        seen_ids.add(event_id)
        if stream is None:
            pass
        elif anchor:
            if stream in heads:
                reasons.append("anchor for a stream already in the bundle")
            heads[stream] = (version, chain)
        else:
            prev_v, prev_c = heads.get(stream, (0, genesis(stream)))
            if stream not in heads and version > 1:
                reasons.append(f"stream {stream}: starts at version {version} with no anchor")
            elif version > prev_v + 1:
                missing = f"{prev_v + 1}" if version == prev_v + 2 else f"{prev_v + 1}..{version - 1}"
                fail(f"stream {stream}: version {missing} missing")
            elif version <= prev_v:
                reasons.append(f"stream {stream}: appears after version {prev_v} (reordered or duplicated)")
            elif sha256(prev_c, sha256(env_bytes)) != chain:
                reasons.append(f"stream {stream} version {version}: chain hash does not follow")
            if version > prev_v:
                heads[stream] = (version, chain)
            if index < cp.size and version > held.get(stream, (0,))[0]:
                held[stream] = (version, chain, index)
            if stream == "keys" and index < cp.size:
                keys_top = (version, chain)
            if stream == "keys" and older is not None and index < older.size:
                keys_at_older = (version, chain)

        # step 5: leaf
        entry = jcs({"chain_hash": rc["chain_hash"], "envelope": None, "index": index,
                     "recorded_at": recorded, "spec": ENTRY_SPEC, "stream_version": version}
                    ).replace(b'"envelope":null', b'"envelope":' + env_bytes, 1)
        leaf = sha256(b"\x00", entry)
        if leaf != leaf_hash:
            reasons.append("log entry does not hash to its receipt's leaf hash")

        # step 6: inclusion
        if whole:
            if anchor or "proof" in line:
                reasons.append("a whole-log bundle holds events without proofs, no anchors")
            if index >= cp.size:
                reasons.append(f"log index {index} is beyond the checkpoint's tree size")
            elif index > next_leaf:
                fail(f"log: index {next_leaf}..{index - 1} missing")
            leaves.append(leaf)
            next_leaf = max(next_leaf, index + 1)
        else:
            try:
                proof = [_hexbytes(p) for p in line["proof"]]
                why = verify_inclusion(leaf, index, cp.size, proof, cp.root)
            except (KeyError, TypeError, ValueError) as e:
                why = f"malformed proof: {e}"
            if why:
                reasons.append(f"not included in the checkpoint: {why}")

        # scope rules
        if stream is not None:
            reasons += _scope_rules(kind, scope, stream, anchor, recorded, time_from, time_to)
        if kind == "time" and not anchor and _in_range(recorded, time_from, time_to):
            in_range.append(index)
        if reasons:
            fail(f"{label}: " + "; ".join(reasons))

    # -- after the walk
    if end is not None and not (_is_int(end.get("events")) and end["events"] == n_events
                                and _is_int(end.get("anchors")) and end["anchors"] == n_anchors):
        fail("bundle: end line counts do not match")
    if whole:
        if next_leaf < cp.size:
            fail(f"log: index {next_leaf}..{cp.size - 1} missing")
        if mth(leaves) != cp.root:
            fail("log: the leaves do not hash to the checkpoint's root")
    if cp.keys_head is not None:
        got = keys_top or (0, genesis("keys"))
        if got != cp.keys_head:
            fail(f"keys stream: the bundle's head is version {got[0]}, the checkpoint names "
                 f"version {cp.keys_head[0]}")
    if older is not None and older.keys_head is not None:
        got = keys_at_older or (0, genesis("keys"))
        if got != older.keys_head:
            fail(f"keys stream: the bundle's head below {older.size} is version {got[0]}, the "
                 f"older checkpoint names version {older.keys_head[0]}")
    if older is not None and whole and older.size < cp.size and mth(leaves[:older.size]) != older.root:
        fail("checkpoint: the bundle's first leaves do not hash to the older checkpoint's root")
    if kind in ("case", "stream", "officer", "unit") and end is not None and "heads" in end:
        problems += _stream_heads(end["heads"], trust, cp, held)
    if kind not in ("case", "stream", "officer", "unit", "time", "all"):
        fail(f"scope: unknown scope kind {kind!r}: its rules were not checked")
    if kind == "time" and in_range and in_range != list(range(in_range[0], in_range[0] + len(in_range))):
        fail("scope: in-range indices are not contiguous")
    notes: list[str] = []
    if kind == "time" and end is not None and ok_form and time_from < time_to:
        if "edges" not in end:
            notes.append("time bundle without edges: its ends are not proven")
        else:
            problems += _edges(end["edges"], time_from, time_to,
                               (min(in_range), max(in_range)) if in_range else None, cp)
    return Verdict(1 if problems else 0, problems, notes)


def _edges(edges: Any, time_from: str, time_to: str, span: tuple[int, int] | None,
           cp: Checkpoint) -> list[str]:
    """docs/bundle.md, "Edges of a time bundle": one problem at most per witness."""
    if not isinstance(edges, dict) or not set(edges) <= {"before", "after"}:
        return ["time bundle: edges is not an object of before/after"]
    if span is not None:
        want = {"before": span[0] - 1, "after": span[1] + 1}
    else:
        b = edges.get("before")
        b_index = b.get("receipt", {}).get("index") if isinstance(b, dict) \
            and isinstance(b.get("receipt"), dict) else None
        want = {"before": None,
                "after": 0 if b is None else (b_index + 1 if _is_int(b_index) and b_index >= 0
                                              else None)}
    out = []
    for side in ("before", "after"):
        why = _witness(side, edges.get(side), want[side], time_from, time_to, cp)
        if why:
            out.append(why)
    return out


def _witness(side: str, w: Any, want: int | None, time_from: str, time_to: str,
             cp: Checkpoint) -> str | None:
    tag = f"time bundle: {side} witness" + (f" (index {want})" if want is not None else "")
    outside = want is not None and not 0 <= want < cp.size
    if w is None:
        return None if want is None or outside else f"{tag} missing: range may be cut short"
    if outside:
        return f"time bundle: a {side} witness where the log has no entry"
    try:
        if not isinstance(w, dict) or set(w) != {"envelope", "proof", "receipt"}:
            raise ValueError("fields")
        rc = w["receipt"]
        if not isinstance(rc, dict) or set(rc) != {"chain_hash", "index", "leaf_hash",
                                                   "recorded_at", "stream_version"}:
            raise ValueError("receipt fields")
        index, version, recorded = rc["index"], rc["stream_version"], rc["recorded_at"]
        if not (_is_int(index) and _is_int(version) and index >= 0 and version >= 1):
            raise ValueError("index/stream_version")
        if not isinstance(recorded, str) or not RECORDED_AT.fullmatch(recorded) \
                or not instant(recorded):
            raise ValueError("recorded_at")
        chain, leaf_hash = _hexbytes(rc["chain_hash"]), _hexbytes(rc["leaf_hash"])
        if not isinstance(w["proof"], list):
            raise ValueError("proof")
        proof = [_hexbytes(p) for p in w["proof"]]
        env_bytes = jcs(w["envelope"])
    except (ValueError, TypeError, UnicodeError) as e:
        return f"{tag} malformed: {e}"
    if want is not None and index != want:
        return f"{tag} missing: a witness at index {index} instead"
    tag = f"time bundle: {side} witness (index {index})"
    if side == "before" and not recorded < time_from:
        return f"{tag} recorded at or after from"
    if side == "after" and not recorded >= time_to:
        return f"{tag} recorded before to"
    entry = jcs({"chain_hash": rc["chain_hash"], "envelope": None, "index": index,
                 "recorded_at": recorded, "spec": ENTRY_SPEC, "stream_version": version}
                ).replace(b'"envelope":null', b'"envelope":' + env_bytes, 1)
    leaf = sha256(b"\x00", entry)
    if leaf != leaf_hash:
        return f"{tag} leaf does not match its leaf_hash"
    why = verify_inclusion(leaf, index, cp.size, proof, cp.root)
    return f"{tag} not in the checkpoint: {why}" if why else None


HEADS_SPEC = "integrity-ledger/heads/v1"
HEAD_LINE = re.compile(r"head (\S+) ([1-9][0-9]*) ([A-Za-z0-9+/]{43}=) (0|[1-9][0-9]*)", re.ASCII)


def _b64_32(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        raise ValueError(f"{text!r} is not canonical base64 of 32 bytes")
    return raw


def _stream_heads(note: Any, trust: Trust, cp: Checkpoint,
                  held: dict[str, tuple[int, bytes, int]]) -> list[str]:
    """docs/bundle.md, "Stream heads": the end line's signed heads against the streams held."""
    try:
        if not isinstance(note, str):
            raise ValueError("not a string")
        lines = open_note(note, trust.log_keys).split("\n")[:-1]
        if len(lines) < 4 or lines[0] != HEADS_SPEC \
                or not re.fullmatch(r"0|[1-9][0-9]*", lines[2], re.ASCII):
            raise ValueError("not an integrity-ledger/heads/v1 note")
        origin, size, root = lines[1], int(lines[2]), _b64_32(lines[3])
        named: dict[str, tuple[int, bytes, int]] = {}
        for line in lines[4:]:
            m = HEAD_LINE.fullmatch(line)
            if not m or not re.fullmatch(GRAMMAR["stream"], m.group(1)) or m.group(1) in named \
                    or int(m.group(4)) >= size:
                raise ValueError(f"bad head line {line!r}")
            named[m.group(1)] = (int(m.group(2)), _b64_32(m.group(3)), int(m.group(4)))
        if list(named) != sorted(named):
            raise ValueError("head lines not sorted by stream")
    except ValueError as e:
        return [f"heads: {e}"]
    if (origin, size, root) != (cp.origin, cp.size, cp.root):
        return ["heads: not bound to the bundle's checkpoint (origin, tree size or root)"]
    out = []
    for stream in sorted(set(named) | set(held)):
        if stream not in named:
            out.append(f"stream {stream}: in the bundle, not in the signed heads")
        elif held.get(stream) != named[stream]:
            got = held.get(stream, (0,))[0]
            out.append(f"stream {stream}: the bundle ends at version {got}, the signed heads "
                       f"at version {named[stream][0]} (or another chain hash or index)")
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)      # JSON true is no count


#: the envelope's field grammar (docs/bundle.md, step 2)
GRAMMAR = {
    "event_id": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "stream": r"keys|[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}",
    "type": r"[A-Z][A-Za-z0-9]{1,63}",
    "signer": r"key:[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
    "occurred_at": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})",
    "sig": r"[A-Za-z0-9_-]{85}[AQgw]",
}


def _envelope_shape(env: Any) -> str | None:
    if not isinstance(env, dict) or set(env) != ENVELOPE_FIELDS:
        return "envelope does not have the eight fields of the wire contract"
    if not all(isinstance(env[k], str) for k in ENVELOPE_FIELDS - {"body"}):
        return "envelope fields are not strings"
    if env["spec"] != EVENT_SPEC:
        return f"envelope spec is not {EVENT_SPEC}"
    bad = [k for k, pattern in GRAMMAR.items() if not re.fullmatch(pattern, env[k], re.ASCII)]
    if bad:
        return f"envelope fields {bad} do not follow the grammar"
    segments = set(env["stream"].partition(":")[2].split("/"))
    if env["stream"] != "keys" and segments & {"", ".", ".."}:
        return "envelope stream has an empty, . or .. segment between its /"
    if instant(env["occurred_at"]) is None:
        return "occurred_at is not a real instant"
    if not isinstance(env["body"], dict):
        return "body is not an object"
    if not _ascii_keys(env):
        return "non-ASCII object key"
    return None


def _ascii_keys(v: Any) -> bool:
    if isinstance(v, dict):
        return all(k.isascii() and _ascii_keys(x) for k, x in v.items())
    if isinstance(v, list):
        return all(_ascii_keys(x) for x in v)
    return True


def _signer_key(signer_id: str, env: dict, index: int, trust: Trust,
                registry: dict[str, Key]) -> bytes | None:
    if env["type"] in KEY_TYPES and signer_id in trust.roots:
        return trust.roots[signer_id][0]
    k = registry.get(signer_id)
    return k.public_key if k else None


def _judge_key(env: dict, signer_id: str, index: int, recorded: str, trust: Trust,
               registry: dict[str, Key], roles_table: dict[str, list[str]]) -> list[str]:
    typ, stream = env["type"], env["stream"]
    if typ in KEY_TYPES or stream == "keys":
        out = []
        if stream != "keys" or typ not in KEY_TYPES:
            out.append(f"{typ} does not belong on stream {stream}")
        if signer_id not in trust.roots:
            out.append(f"{typ} must be signed by a root key")
        else:
            retired = trust.roots[signer_id][1]
            if retired is not None and index >= retired:
                out.append(f"root key {signer_id!r} was retired at log index {retired}")
        return out
    if signer_id in trust.roots:
        return [f"root key {signer_id!r} signs only key-registry events"]
    k = registry[signer_id]                    # known: the signature verified under it
    out = []
    if k.registered_at >= index:
        out.append(f"key {signer_id!r} not registered before index {index}")
    if k.revoked_at is not None and k.revoked_at < index:
        out.append(f"key {signer_id!r} was revoked at index {k.revoked_at}")
    at = instant(recorded)
    if (k.not_before and at < k.not_before) or (k.not_after and at > k.not_after):
        out.append(f"key {signer_id!r} not valid at {recorded}")
    if typ not in roles_table:
        out.append(f"event type {typ!r} is not in the signer-role policy")
    elif not set(k.roles) & set(roles_table[typ]):
        out.append(f"key {signer_id!r} has no role allowed for {typ}")
    return out


def _fold(env: dict, index: int, registry: dict[str, Key], roots: dict[str, Any],
          reasons: list[str]) -> None:
    b = env["body"]
    try:
        if env["type"] == "KeyRegistered":
            kid = b["key_id"]
            if kid in registry or kid in roots:
                reasons.append(f"key {kid!r} is already registered")
                return
            pk = b64url_decode(b["public_key"])
            # libsodium's test: 32 bytes, canonical (y < p), on the curve, not of small order
            if len(pk) != 32 or not crypto_core_ed25519_is_valid_point(pk):
                raise ValueError("public key is not a valid, canonical point of large order")
            if not (isinstance(kid, str) and isinstance(b["principal"], str)
                    and isinstance(b["roles"], list) and all(isinstance(r, str) for r in b["roles"])):
                raise ValueError("key_id and principal must be strings, roles a list of strings")
            if "root" in b["roles"]:
                raise ValueError("the root role cannot be registered")
            nb = instant(b["not_before"]) if b.get("not_before") is not None else None
            na = instant(b["not_after"]) if b.get("not_after") is not None else None
            if nb and na and na < nb:
                raise ValueError("not_after is before not_before: the key could never sign")
            registry[kid] = Key(pk, list(b["roles"]), index, nb, na)
        else:
            k = registry.get(b["key_id"]) if isinstance(b["key_id"], str) else None
            if k is None or k.revoked_at is not None:
                reasons.append(f"revokes unknown or revoked key {b['key_id']!r}")
                return
            k.revoked_at = index
    except (KeyError, TypeError, ValueError) as e:
        reasons.append(f"malformed key event body: {e}")


def _scope_rules(kind: Any, scope: dict, stream: str, anchor: bool, recorded: str,
                 time_from: Any, time_to: Any) -> list[str]:
    if kind in ("case", "stream", "officer", "unit"):
        if anchor:
            return [f"a {kind} bundle carries no anchors"]
        if stream == "keys" or stream.startswith("config:"):   # carried whole by these kinds
            return []
        if kind != "stream" and stream.startswith("flag:"):   # dispositions, carried whole
            return []
        if kind in ("case", "stream"):
            return [] if stream == scope.get("stream") else [f"not on the scope's stream {scope.get('stream')!r}"]
        listed = scope.get("streams") if isinstance(scope.get("streams"), list) else []
        return [] if stream in listed else ["not on a listed stream"]
    if kind == "time":
        if anchor:
            return [] if not isinstance(time_from, str) or recorded < time_from \
                else ["anchor recorded inside the range"]
        if stream != "keys" and not _in_range(recorded, time_from, time_to):
            return ["recorded_at outside the scope's range"]   # or the range is none
    return []


def _in_range(recorded: str, time_from: Any, time_to: Any) -> bool:
    return isinstance(time_from, str) and isinstance(time_to, str) \
        and time_from <= recorded < time_to


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("bundle")
    ap.add_argument("--trust", required=True)
    ap.add_argument("--policy")
    ap.add_argument("--since", help="an older checkpoint note (file)")
    a = ap.parse_args(argv)
    try:
        with open(a.trust, "rb") as f:
            trust = load_trust(json.load(f))
        policy = None
        if a.policy:
            with open(a.policy, "rb") as f:
                policy = json.load(f)["signer_roles"]
        with open(a.bundle, "rb") as f:
            since = open(a.since, encoding="utf-8").read() if a.since else None
            verdict = verify(f.read(), trust, policy, since)
    except (OSError, Unreadable, ValueError, KeyError) as e:
        print(f"unreadable: {e}", file=sys.stderr)
        return 2
    for p in verdict.problems:
        print(p)
    print("OK" if verdict.code == 0 else f"FAILED: {len(verdict.problems)} problems")
    return verdict.code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
