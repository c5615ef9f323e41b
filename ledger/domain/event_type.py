"""What an event type is: its stable wire name, body schema, who may sign it, where it may go,
and how older versions of its body are upcast to the current shape.

Versioning. A body may carry an integer ``schema_version``; absent means 1. The door accepts the
current version and every older version that has an upcaster; projections only ever see the
current shape (``EventType.upcast``). Stored bytes are never rewritten — the signature covers
the body as posted — so upcasting happens on read, every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..schemas import JSON_SCHEMA_DIALECT, FieldError, Int, Obj, Opt

#: Key roles (``KeyRegistered.body.roles``). A key may hold several; an event type names the
#: roles any one of which allows a key to sign it.
ROLES: dict[str, str] = {
    "root": "registry root key pinned in configuration: registers and revokes keys, nothing else",
    "config": "legal-affairs office (法制科) publishing configuration facts: discretion benchmarks, "
              "fine schedule, working calendar, legal parameters",
    "hr": "personnel system (政治处/人事): credentials, auxiliary staff, posts and grids, integrity "
          "pledges, declared relationships",
    "case-app": "the agency's case-handling system (办案系统): general-procedure steps and documents",
    "officer-device": "an officer's handheld enforcement terminal (执法终端): on-the-spot acts",
    "bodycam": "a body-worn camera (执法记录仪): evidence only",
    "finance": "the agency's finance office (财务): cash handed in by officers, deposit to the bank",
    "treasury": "designated bank / non-tax revenue and treasury system (非税收入/国库): payments and "
                "reconciliation",
    "supervisor": "an agency head or deputy (行政机关负责人): approvals (extension, deviation, "
                  "amendment, withdrawal, recusal, instalments), dispatch, campaigns, "
                  "countersigning",
    "legal": "legal-review staff (法制审核): legal review, benchmark application, hearings",
    "complaints": "complaints system (12345 / 信访): complaints received, acknowledged, "
                  "extended, closed",
    "inspector": "discipline inspectors and supervision (纪检监察/督察): flag dispositions, supervision "
                 "notices",
}

#: Stream kinds (the part of ``stream`` before the first ``:``; ``keys`` is a single stream).
STREAM_KINDS: dict[str, str] = {
    "keys": "the key registry (exactly `keys`)",
    "case": "one enforcement case: `case:<case_id>` (case, money and property events)",
    "officer": "one person — officer or auxiliary staff: `officer:<officer_id>`",
    "unit": "one enforcement unit (中队/大队): `unit:<unit_id>` (dispatch, patrols, campaigns)",
    "pledge": "one integrity pledge (廉政建设责任书): `pledge:<pledge_id>`",
    "complaint": "one complaint: `complaint:<complaint_id>`",
    "config": "configuration facts: `config:<name>` (e.g. `config:calendar`)",
    "supervision": "one supervision notice and its feedback: `supervision:<notice_id>`",
    "flag": "inspectors' dispositions of one red flag: `flag:<flag_id>`",
}

CATEGORIES = ("identity", "case", "money", "property", "oversight", "config", "flags", "keys")

_NAME = re.compile(r"[A-Z][A-Za-z0-9]{1,63}")


def stream_kind(stream: str) -> str | None:
    """The kind of a stream name (``case`` for ``case:SH-1``, ``keys`` for ``keys``), or None if
    the name has neither form."""
    if stream == "keys":
        return "keys"
    kind, sep, ident = stream.partition(":")
    return kind if sep and kind and ident and kind != "keys" else None


@dataclass(frozen=True)
class Upcaster:
    """Converts a body at ``from_version`` (shaped by ``schema``) to ``from_version + 1``."""

    from_version: int
    schema: Obj
    convert: Callable[[dict[str, Any]], dict[str, Any]]
    note: str = ""


@dataclass(frozen=True)
class EventType:
    """One event type. ``name`` is the wire ``type`` and the stable topic: never renamed.

    ``body`` is the current shape without ``schema_version`` (added here); ``example`` is a valid
    current-version body, used by the generated docs and the test factory.
    """

    name: str
    category: str
    body: Obj
    signer_roles: frozenset[str]
    stream_kinds: tuple[str, ...]
    version: int = 1
    upcasters: tuple[Upcaster, ...] = ()
    doc: str = ""
    example: dict[str, Any] = field(default_factory=dict)
    #: False only for bodies fixed by the wire contract (KeyRegistered, KeyRevoked)
    versioned: bool = True
    _schemas: dict[int, Obj] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"{self.name!r}: event type names are PascalCase")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.name}: unknown category {self.category!r}")
        if not self.signer_roles or not self.signer_roles <= ROLES.keys():
            raise ValueError(f"{self.name}: signer roles must be a non-empty subset of ROLES")
        if not self.stream_kinds or not set(self.stream_kinds) <= STREAM_KINDS.keys():
            raise ValueError(f"{self.name}: stream kinds must be a non-empty subset of "
                             "STREAM_KINDS")
        if [u.from_version for u in self.upcasters] != list(range(1, self.version)):
            raise ValueError(f"{self.name}: need one upcaster from each version "
                             f"1..{self.version - 1}")
        if not self.versioned and self.version != 1:
            raise ValueError(f"{self.name}: an unversioned type stays at version 1")
        for v in range(1, self.version + 1):
            shape = self.body if v == self.version else self.upcasters[v - 1].schema
            self._schemas[v] = self._with_version_field(shape, v)

    def _with_version_field(self, shape: Obj, v: int) -> Obj:
        if not self.versioned:
            return shape
        marker = Int(minimum=v, maximum=v, doc=f"body schema version ({v}; absent means 1)")
        return shape.extended({"schema_version": marker if v > 1 else Opt(marker)})

    def schema(self, version: int | None = None) -> Obj:
        """The body schema of ``version`` (default: current), including ``schema_version``."""
        return self._schemas[self.version if version is None else version]

    def may_be_signed_by(self, roles: Iterable[str]) -> bool:
        """True if a key holding any of ``roles`` may sign this type."""
        return not self.signer_roles.isdisjoint(roles)

    def validate(self, stream: str, body: Any) -> list[FieldError]:
        """Every shape problem of an event of this type on ``stream`` with ``body``."""
        errors: list[FieldError] = []
        kind = stream_kind(stream) if isinstance(stream, str) else None
        if kind is None:
            errors.append(FieldError("stream", "must be '<kind>:<id>' or 'keys'"))
        elif kind not in self.stream_kinds:
            allowed = ", ".join(self.stream_kinds)
            errors.append(FieldError("stream", f"stream kind {kind!r} is not allowed for "
                                               f"{self.name} (allowed: {allowed})"))
        if not isinstance(body, dict):
            errors.append(FieldError("body", "must be an object"))
            return errors
        version = body.get("schema_version", 1) if self.versioned else 1
        if type(version) is not int or not 1 <= version <= self.version:
            versions = ", ".join(str(v) for v in range(1, self.version + 1))
            errors.append(FieldError("body.schema_version",
                                     f"must be an integer, one of: {versions}; found {version!r}"))
            return errors
        problems = self._schemas[version].validate(body, "body")
        if problems and "schema_version" not in body and self.version > 1 and not \
                self._schemas[self.version].validate({**body, "schema_version": self.version}):
            # a current body that forgot its version: say that, not "v1 fields missing"
            problems = [FieldError("body.schema_version",
                                   f"required field is missing: this body has the shape of "
                                   f"version {self.version} (absent means 1)")]
        errors.extend(problems)
        return errors

    def upcast(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body in the current shape. Requires a body that passed :meth:`validate`.

        Never mutates ``body``; returns it unchanged when it is already current.
        """
        version = body.get("schema_version", 1) if self.versioned else 1
        while version < self.version:
            body = self.upcasters[version - 1].convert(dict(body))
            version += 1
            body["schema_version"] = version
        return body

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema 2020-12 of the bodies accepted at the door (every accepted version)."""
        variants = [self._schemas[v].json_schema() for v in range(self.version, 0, -1)]
        js: dict[str, Any] = variants[0] if len(variants) == 1 else {"anyOf": variants}
        return {"$schema": JSON_SCHEMA_DIALECT, "title": f"{self.name} body", **js,
                **({"description": self.doc} if self.doc else {})}
