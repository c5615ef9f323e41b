"""Integrity Ledger: signed, verifiable event ledger for city-management law enforcement.

This package is the domain core. It must stay importable with only the standard library and a
crypto package (PyNaCl) for everything the offline verifier touches; server-side modules
(storage, service) import their heavier dependencies themselves.
"""

SPEC_EVENT = "integrity-ledger/event/v1"
