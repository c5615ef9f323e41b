"""Offline verification of audit bundles: ``ledger verify FILE``.

Needs only the standard library and PyNaCl (an import-linter contract in pyproject.toml keeps
orjson, psycopg, eventsourcing and FastAPI out). The format is in docs/bundle.md and
:mod:`ledger.verify.format`; the checks, numbered as in the docs, in :mod:`ledger.verify.verifier`.
"""

from __future__ import annotations

from .errors import BundleFailed, InvalidBundle, Summary
from .trust import Trust
from .verifier import verify_bundle

__all__ = ["BundleFailed", "InvalidBundle", "Summary", "Trust", "verify_bundle"]
