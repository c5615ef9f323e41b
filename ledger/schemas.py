"""A small declarative schema system for event bodies (standard library only).

A schema is built once, at import time, from a handful of field kinds::

    PARTY = Obj({"party_ref": PARTY_REF, "party_type": Enum("individual", "organisation"),
                 "org_name": Opt(Str(max_len=200))})

and answers two questions:

* ``schema.validate(value, path="body") -> list[FieldError]`` — every problem, each naming the
  exact field path (``body.officers[1].cert_no``) and what is wrong with it; an empty list means
  the value has the right shape. Validation is for SHAPE only (DESIGN.md principle 1): a
  procedurally improper but well-formed value passes.
* ``schema.json_schema() -> dict`` — the same rules as JSON Schema 2020-12, so the API can publish
  them in OpenAPI 3.1 and the two can never disagree.

Rules shared by every kind:

* Objects refuse unknown fields and report missing required ones (``Opt`` marks optional fields).
* Integers are JSON integers only: ``true`` is not ``1`` and ``1.0`` is not ``1``; every integer
  is within ±(2^53-1) so it survives RFC 8785.
* Money is always integer fen in a field whose name ends in ``_fen`` (``Money``); ``Obj`` refuses
  to be built otherwise, so the convention cannot drift.
* Patterns are matched against the whole string (``re.fullmatch``, ASCII classes only) and
  published anchored, in the subset of regex syntax Python and ECMA-262 read alike.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from datetime import date, datetime, timezone
from typing import Any, Mapping, TypeVar

from .grammar import DATE as _DATE
from .grammar import ID as _ID
from .grammar import RFC3339 as _RFC3339

MAX_SAFE_INT = 2**53 - 1
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")

S = TypeVar("S", bound="Schema")


class FieldError:
    """One problem with one field: ``path`` (e.g. ``body.officers[1].cert_no``) and ``message``."""

    __slots__ = ("path", "message")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def to_value(self) -> dict[str, str]:
        """The entry used in ``MalformedEvent.errors`` and problem+json ``errors``."""
        return {"field": self.path, "message": self.message}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FieldError)
                and (self.path, self.message) == (other.path, other.message))

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"FieldError({self.path!r}, {self.message!r})"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages ("found string")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number (float)"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class Schema:
    """Base of every field kind. Subclasses implement ``check``, ``_json`` and ``describe``."""

    __slots__ = ("doc",)

    def __init__(self, *, doc: str = "") -> None:
        self.doc = doc

    def validate(self, value: Any, path: str = "body") -> list[FieldError]:
        """Every shape problem of ``value`` (empty if it is well-formed). Never raises."""
        if self.ok(value):
            return []
        errors: list[FieldError] = []
        self.check(value, path, errors)
        return errors

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        raise NotImplementedError

    def ok(self, value: Any) -> bool:
        """True exactly when :meth:`check` finds nothing (kinds on the ingest path override it
        with a predicate that builds no paths or messages; tests hold the two equal)."""
        errors: list[FieldError] = []
        self.check(value, "", errors)
        return not errors

    def json_schema(self) -> dict[str, Any]:
        """This schema as a JSON Schema 2020-12 fragment."""
        js = self._json()
        if self.doc:
            js["description"] = self.doc
        return js

    def _json(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        """A short human description of the kind, for generated docs."""
        raise NotImplementedError

    def with_doc(self: S, doc: str) -> S:
        """A copy of this schema with another description (shared kinds, field-specific docs)."""
        clone = copy.copy(self)
        clone.doc = doc
        return clone


class Str(Schema):
    """A string of ``min_len``..``max_len`` code points, optionally matching ``pattern``."""

    __slots__ = ("pattern", "min_len", "max_len", "hint", "label", "_re")

    def __init__(self, *, pattern: str | None = None, min_len: int = 1, max_len: int = 200,
                 hint: str = "", label: str = "string", doc: str = "") -> None:
        super().__init__(doc=doc)
        self.pattern = pattern
        self.min_len = min_len
        self.max_len = max_len
        self.hint = hint
        self.label = label
        self._re = re.compile(pattern, re.ASCII) if pattern else None

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be a {self.label}, found {json_type(value)}"))
            return
        if len(value) < self.min_len:
            errors.append(FieldError(path, "must not be empty" if self.min_len == 1
                                     else f"must be at least {self.min_len} characters"))
        elif len(value) > self.max_len:
            errors.append(FieldError(path, f"must be at most {self.max_len} characters, "
                                           f"found {len(value)}"))
        elif self._re is not None and not self._re.fullmatch(value):
            errors.append(FieldError(path, f"must be {self.hint or 'a string'} "
                                           f"(pattern ^{self.pattern}$)"))

    def ok(self, value: Any) -> bool:
        return (isinstance(value, str) and self.min_len <= len(value) <= self.max_len
                and (self._re is None or self._re.fullmatch(value) is not None))

    def _json(self) -> dict[str, Any]:
        js: dict[str, Any] = {"type": "string", "minLength": self.min_len,
                              "maxLength": self.max_len}
        if self.pattern:
            js["pattern"] = f"^(?:{self.pattern})$"
        return js

    def describe(self) -> str:
        if self.label != "string":
            return self.label
        if self.pattern:
            return f"string /^{self.pattern}$/"
        return f"string (≤{self.max_len})"


def Ident(*, doc: str = "", max_len: int = 128) -> Str:
    """An identifier: the grammar of a stream id, so ``<kind>:<id>`` is always a valid stream."""
    return Str(pattern=_ID, max_len=max_len,
               hint="an identifier (letters, digits and . _ : / -, starting with a letter or "
                    "digit, no empty, . or .. segment between the /)",
               label="identifier", doc=doc)


class Enum(Schema):
    """One of a fixed set of strings. ``zh`` and ``en``, when given, name every value in Chinese
    and in English for readers (the dashboard, the generated docs); the values themselves are
    what is sent."""

    __slots__ = ("values", "_set", "zh", "en")

    def __init__(self, *values: str, doc: str = "", zh: Mapping[str, str] | None = None,
                 en: Mapping[str, str] | None = None) -> None:
        super().__init__(doc=doc)
        if not values or len(set(values)) != len(values):
            raise ValueError("Enum needs distinct values")
        if zh is not None and set(zh) != set(values):
            raise ValueError("an Enum's zh labels must name exactly its values")
        if en is not None and set(en) != set(values):
            raise ValueError("an Enum's en labels must name exactly its values")
        self.values = tuple(values)
        self._set = frozenset(values)
        self.zh: dict[str, str] = dict(zh or {})
        self.en: dict[str, str] = dict(en or {})

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and value in self._set

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be a string, found {json_type(value)}"))
        elif value not in self.values:
            errors.append(FieldError(path, f"must be one of {', '.join(self.values)}; "
                                           f"found {value!r}"))

    def _json(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}

    def describe(self) -> str:
        return "enum: " + " | ".join(self._named(v) for v in self.values)

    def _named(self, value: str) -> str:
        names = [n[value] for n in (self.zh, self.en) if n]
        return f"`{value}` ({' / '.join(names)})" if names else f"`{value}`"


class Int(Schema):
    """A JSON integer (never a boolean or a float) within ``minimum``..``maximum``."""

    __slots__ = ("minimum", "maximum")

    def __init__(self, *, minimum: int = -MAX_SAFE_INT, maximum: int = MAX_SAFE_INT,
                 doc: str = "") -> None:
        super().__init__(doc=doc)
        self.minimum = max(minimum, -MAX_SAFE_INT)
        self.maximum = min(maximum, MAX_SAFE_INT)

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if type(value) is not int:
            errors.append(FieldError(path, f"must be an integer, found {json_type(value)}"))
        elif value < self.minimum:
            errors.append(FieldError(path, f"must be ≥ {self.minimum}, found {value}"))
        elif value > self.maximum:
            errors.append(FieldError(path, f"must be ≤ {self.maximum}, found {value}"))

    def ok(self, value: Any) -> bool:
        return type(value) is int and self.minimum <= value <= self.maximum

    def _json(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def describe(self) -> str:
        lo = "" if self.minimum == -MAX_SAFE_INT else f"{self.minimum}"
        hi = "" if self.maximum == MAX_SAFE_INT else f"{self.maximum}"
        if lo and hi:
            return f"integer = {lo}" if lo == hi else f"integer {lo}..{hi}"
        if lo:
            return f"integer ≥ {lo}"
        return f"integer ≤ {hi}" if hi else "integer"


class Money(Int):
    """An amount of money in integer fen (1 CNY = 100 fen), ≥ 0. Field names end in ``_fen``."""

    __slots__ = ()

    def __init__(self, *, maximum: int = MAX_SAFE_INT, doc: str = "") -> None:
        super().__init__(minimum=0, maximum=maximum, doc=doc)

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if type(value) is not int:
            errors.append(FieldError(path, "must be an integer number of fen (1 CNY = 100 fen), "
                                           f"found {json_type(value)}"))
        elif value < 0:
            errors.append(FieldError(path, f"must be ≥ 0 fen, found {value}"))
        elif value > self.maximum:
            errors.append(FieldError(path, f"must be ≤ {self.maximum} fen, found {value}"))

    def describe(self) -> str:
        return "integer fen ≥ 0"


class Bool(Schema):
    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, bool):
            errors.append(FieldError(path, f"must be a boolean, found {json_type(value)}"))

    def ok(self, value: Any) -> bool:
        return isinstance(value, bool)

    def _json(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "boolean"


class DateTime(Schema):
    """An RFC 3339 date-time with an explicit offset (``Z`` or ``±hh:mm``), e.g.
    ``2024-05-10T21:06:00+08:00``."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be an RFC 3339 date-time string, "
                                           f"found {json_type(value)}"))
            return
        if not _RFC3339.fullmatch(value):
            errors.append(FieldError(path, "must be an RFC 3339 date-time with an offset, "
                                           f"e.g. 2024-05-10T21:06:00+08:00; found {value!r}"))
            return
        try:
            moment = parse_datetime(value)
        except ValueError:
            errors.append(FieldError(path, f"is not a valid date-time: {value!r}"))
            return
        if not datable(moment):
            errors.append(FieldError(path, f"{value!r} {UNDATABLE}"))

    def ok(self, value: Any) -> bool:
        if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
            return False
        try:
            return datable(parse_datetime(value))
        except ValueError:
            return False

    def _json(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "pattern": f"^{_RFC3339.pattern}$"}

    def describe(self) -> str:
        return "date-time (RFC 3339, with offset)"


class Date(Schema):
    """An ISO 8601 calendar date ``YYYY-MM-DD``."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be a date string YYYY-MM-DD, "
                                           f"found {json_type(value)}"))
            return
        if not _DATE.fullmatch(value):
            errors.append(FieldError(path, f"must be a date YYYY-MM-DD; found {value!r}"))
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            errors.append(FieldError(path, f"is not a valid calendar date: {value!r}"))

    def ok(self, value: Any) -> bool:
        if not isinstance(value, str) or _DATE.fullmatch(value) is None:
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    def _json(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": f"^{_DATE.pattern}$"}

    def describe(self) -> str:
        return "date (YYYY-MM-DD)"


class Sha256(Schema):
    """A SHA-256 digest as 64 lowercase hex characters."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be a hex string, found {json_type(value)}"))
        elif not _SHA256.fullmatch(value):
            errors.append(FieldError(path, "must be a SHA-256 digest: 64 lowercase hex characters"))

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and _SHA256.fullmatch(value) is not None

    def _json(self) -> dict[str, Any]:
        return {"type": "string", "pattern": f"^{_SHA256.pattern}$"}

    def describe(self) -> str:
        return "sha256 (64 lowercase hex)"


class B64Url(Schema):
    """Unpadded, canonical base64url of exactly ``size`` bytes (e.g. an Ed25519 public key)."""

    __slots__ = ("size",)

    def __init__(self, *, size: int, doc: str = "") -> None:
        super().__init__(doc=doc)
        self.size = size

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, str):
            errors.append(FieldError(path, f"must be a base64url string, found {json_type(value)}"))
            return
        if not value or not _B64URL.fullmatch(value):
            errors.append(FieldError(path, "must be unpadded base64url (A-Z a-z 0-9 - _)"))
            return
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            errors.append(FieldError(path, "is not valid base64url"))
            return
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != value:
            errors.append(FieldError(path, "is not canonical base64url"))
        elif len(raw) != self.size:
            errors.append(FieldError(path, f"must encode {self.size} bytes, found {len(raw)}"))

    def _json(self) -> dict[str, Any]:
        n = -(-self.size * 4 // 3)  # unpadded length of `size` bytes
        return {"type": "string", "contentEncoding": "base64url", "minLength": n, "maxLength": n,
                "pattern": f"^{_B64URL.pattern}$"}

    def describe(self) -> str:
        return f"base64url ({self.size} bytes, unpadded)"


class Nullable(Schema):
    """``inner`` or JSON ``null`` (the field is still required unless wrapped in ``Opt``)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Schema, *, doc: str = "") -> None:
        super().__init__(doc=doc or inner.doc)
        self.inner = inner

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if value is not None:
            self.inner.check(value, path, errors)

    def ok(self, value: Any) -> bool:
        return value is None or self.inner.ok(value)

    def _json(self) -> dict[str, Any]:
        inner = self.inner.json_schema()
        inner.pop("description", None)
        return {"anyOf": [inner, {"type": "null"}]}

    def describe(self) -> str:
        return f"{self.inner.describe()} or null"


class ListOf(Schema):
    """A JSON array of ``min_items``..``max_items`` values of ``item``."""

    __slots__ = ("item", "min_items", "max_items")

    def __init__(self, item: Schema, *, min_items: int = 0, max_items: int = 100,
                 doc: str = "") -> None:
        super().__init__(doc=doc)
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, list):
            errors.append(FieldError(path, f"must be an array, found {json_type(value)}"))
            return
        if len(value) < self.min_items:
            plural = "s" if self.min_items != 1 else ""
            errors.append(FieldError(path, f"must have at least {self.min_items} item{plural}, "
                                           f"found {len(value)}"))
        elif len(value) > self.max_items:
            errors.append(FieldError(path, f"must have at most {self.max_items} items, "
                                           f"found {len(value)}"))
            return  # do not report on hundreds of surplus items
        for i, item in enumerate(value):
            self.item.check(item, f"{path}[{i}]", errors)

    def ok(self, value: Any) -> bool:
        if not isinstance(value, list) or not self.min_items <= len(value) <= self.max_items:
            return False
        item_ok = self.item.ok
        for item in value:
            if not item_ok(item):
                return False
        return True

    def _json(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema(),
                "minItems": self.min_items, "maxItems": self.max_items}

    def describe(self) -> str:
        inner = "object" if isinstance(self.item, Obj) else self.item.describe()
        return f"list of {inner} ({self.min_items}..{self.max_items})"


class Opt:
    """Marks a field of an ``Obj`` as optional (it may be absent; if present it must be valid)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Schema) -> None:
        self.inner = inner


class Obj(Schema):
    """A JSON object with exactly the declared fields: required ones must be present, ``Opt``
    ones may be, anything else is refused."""

    __slots__ = ("fields", "required", "_required")

    def __init__(self, fields: Mapping[str, Schema | Opt], *, doc: str = "") -> None:
        super().__init__(doc=doc)
        self.fields: dict[str, Schema] = {}
        self.required: tuple[str, ...] = tuple(
            n for n, s in fields.items() if not isinstance(s, Opt))
        for name, spec in fields.items():
            schema = spec.inner if isinstance(spec, Opt) else spec
            _check_money_name(name, schema)
            self.fields[name] = schema
        self._required = frozenset(self.required)

    def extended(self, fields: Mapping[str, Schema | Opt], *, doc: str | None = None) -> "Obj":
        """A new ``Obj`` with these fields added (or replaced) after the existing ones."""
        merged: dict[str, Schema | Opt] = {
            n: (s if n in self.required else Opt(s)) for n, s in self.fields.items()}
        merged.update(fields)
        return Obj(merged, doc=self.doc if doc is None else doc)

    def is_required(self, name: str) -> bool:
        return name in self.required

    def check(self, value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, dict):
            errors.append(FieldError(path, f"must be an object, found {json_type(value)}"))
            return
        for name in self.required:
            if name not in value:
                errors.append(FieldError(f"{path}.{name}", "required field is missing"))
        for name in sorted(k for k in value if k not in self.fields):
            errors.append(FieldError(f"{path}.{name}", "unknown field"))
        for name, schema in self.fields.items():
            if name in value:
                schema.check(value[name], f"{path}.{name}", errors)

    def ok(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        fields = self.fields
        if not value.keys() <= fields.keys() or not self._required <= value.keys():
            return False
        for name, item in value.items():
            if not fields[name].ok(item):
                return False
        return True

    def _json(self) -> dict[str, Any]:
        return {"type": "object",
                "properties": {n: s.json_schema() for n, s in self.fields.items()},
                "required": list(self.required),
                "additionalProperties": False}

    def describe(self) -> str:
        return "object"


def _check_money_name(name: str, schema: Schema) -> None:
    inner = schema.inner if isinstance(schema, Nullable) else schema
    if isinstance(inner, Money) != name.endswith("_fen"):
        raise ValueError(f"field {name!r}: money is Money() in a field named *_fen, and only there")


#: the instants the ledger stores: from 0001-01-02T00:00:00Z up to (not including)
#: 9999-12-31T00:00:00Z, so that the date of each, at every offset RFC 3339 allows (±23:59: the
#: signer's, UTC, the legal time zone), is a date of years 0001–9999 that every projection can
#: name; an instant outside (9999-12-31T23:59:59-14:00 is 10000-01-01 in UTC) is refused
_FIRST_DATABLE = datetime(1, 1, 2, tzinfo=timezone.utc)
_END_DATABLE = datetime(9999, 12, 31, tzinfo=timezone.utc)
UNDATABLE = ("cannot be dated: its date in UTC or in the legal time zone would fall outside "
             "years 0001–9999 (the ledger takes instants from 0001-01-02T00:00:00Z to "
             "9999-12-30T23:59:59Z)")


def datable(moment: datetime) -> bool:
    """Whether an aware datetime lies in the range the ledger stores (see ``UNDATABLE``)."""
    return _FIRST_DATABLE <= moment < _END_DATABLE     # aware comparison: no overflow at the edges


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 date-time that has already matched the pattern (offset-aware result).

    Raises ``ValueError`` for impossible dates/times (2024-02-30, 25:00, offset ±24:00).
    """
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most 6 fractional digits: truncate nanoseconds, keep the offset
        digits = rest[:-6]
        text = f"{head}.{(digits + '000000')[:6]}{rest[-6:]}"
    return datetime.fromisoformat(text)
