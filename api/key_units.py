"""The door's share of a key's units (rule ``key-units``): a disposition of a red flag signed
by a key registered for units (``KeyRegistered.units``) is refused, and nothing written, unless
the flags read model holds that flag with a subject ``unit_id`` among them.

The red-flag engine is the authority (RF28, docs/red-flags.md): it judges every disposition
recorded from the history alone, so an auditor reproduces it offline. This door keeps a scoped
key to the flags the service can show to be of its units, and refuses a flag held for another
unit and a flag not held at all (not raised, or raised and not projected yet) with one answer:
flag ids are hashes a key's holder can compute (RF22's: an officer and a year), and two answers
told them whether another unit's flag exists. A key of every unit is not judged here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from ledger.crypto import verify
from ledger.domain.flags import TYPES as DISPOSITION_TYPES
from ledger.domain.keys import key_covers_unit
from ledger.envelope import Envelope
from ledger.errors import BadSignature, Forbidden, LedgerError
from ledger.keys import KEY_EVENT_TYPES, KeyRecord
from ledger.service import Ledger
from ledger.store import LedgerStore

DISPOSITIONS = frozenset(t.name for t in DISPOSITION_TYPES)
FLAG_PREFIX = "flag:"

#: the subject ``unit_id`` of each flag the read model holds, among those asked for, and the
#: database server's clock, read in the same round trip
FlagUnits = Callable[[Iterable[str]], tuple[dict[str, str | None], datetime]]


class KeyUnits:
    def __init__(self, ledger: Ledger, flag_units: FlagUnits) -> None:
        self.ledger = ledger
        self.flag_units = flag_units

    @staticmethod
    def concerns(envelopes: Sequence[Envelope]) -> bool:
        """Whether :meth:`check` has anything to judge (no I/O: cheap on the event loop)."""
        return any(env.type in DISPOSITIONS for env in envelopes)

    def check(self, envelopes: Sequence[Envelope], *, batched: bool) -> None:
        """Refuse a disposition whose signer key is registered for units unless ``view_flags``
        holds its flag with a ``unit_id`` among them: a flag held for another unit and one not
        held (no such flag, or one not projected yet) get the same answer, after the same
        steps (one query of ``view_flags`` for the request either way), so it tells the key's
        holder nothing of other units' flags; it says a flag raised moments ago may be retried.
        Reads the registry (refreshed once a request, for a key this process has not seen: a
        key still unknown then is the verifier stage's to refuse, ``unknown-key``). A retry of
        an event already recorded is let through: the writer answers it with its receipt, and
        so is one whose signature does not verify: the verifier stage refuses it
        (``bad-signature``), as any forgery, and so is one signed by a key revoked or outside
        its window (the verifier stage's to refuse). A key's window is judged by the database
        server's clock, the writer's (it records the event at that clock, and judges the key
        there), read with ``view_flags``: this process's clock may be hours off. Raises
        Forbidden (rule ``key-units``) naming the event."""
        registry = self.ledger.registry
        refreshed = False
        scoped: list[tuple[int, Envelope, KeyRecord]] = []
        for i, env in enumerate(envelopes):
            if env.type not in DISPOSITIONS or not env.stream.startswith(FLAG_PREFIX):
                continue
            if env.key_id not in registry.keys and not refreshed:
                registry, refreshed = self.ledger.refresh_registry(), True
            record = registry.keys.get(env.key_id)
            if record is not None and record.units is not None and record.status() == "active":
                scoped.append((i, env, record))
        if not scoped:
            return
        held, now = self.flag_units({env.stream[len(FLAG_PREFIX):] for _, env, _ in scoped})
        for i, env, record in scoped:
            # a revoked key, or one outside its window, is the verifier stage's to refuse
            # (key-revoked, key-not-valid), telling its holder nothing of the flag
            if record.status(now) != "active":
                continue
            flag_id, units = env.stream[len(FLAG_PREFIX):], record.units
            assert units is not None
            if flag_id in held and key_covers_unit(units, held[flag_id]):
                continue
            if self.ledger.get_event(env.event_id) is not None:
                continue
            try:
                verify(record.public_key, env.signed_bytes, env.sig)
            except BadSignature:
                continue
            if not self._otherwise_recorded(envelopes, now, batched=batched):
                return
            # one answer whether the flag is another unit's or not held: neither its unit nor
            # its existence is this key's holder's to read
            raise Forbidden(
                f"key {env.key_id!r} is registered for units {', '.join(sorted(units))} and "
                f"flag {flag_id} is not a flag of those units that the service holds (it is "
                "another unit's, or no flag raised, or one raised moments ago and not yet "
                "projected), so the key may not dispose of it (docs/red-flags.md, RF28): "
                "nothing was written; retry in a few seconds if the flag was just raised, "
                "else sign the disposition with a key of the flag's unit, or of every unit",
                rule="key-units",
                index=i if batched else None, event_id=env.event_id)

    def _otherwise_recorded(self, envelopes: Sequence[Envelope], now: datetime, *,
                            batched: bool) -> bool:
        """Whether the ledger would record every event of the request, judged as the writer
        judges them: none recorded before or sent twice, every signature verifying, every
        signer key registered, not revoked, within its window by the ledger's clock ``now``
        and allowed to sign its type (a key event of the request applying to the events after
        it). The door refuses only such a request: had it answered key-units for one the
        ledger refuses anyway, a key's holder would read, from key-units against the other
        event's refusal and with nothing written, whether another unit's flag exists and its
        unit. Any other request the ledger refuses, or records whole (the engine then does not
        apply the disposition: RF28), whether the flag exists or not."""
        ids = [env.event_id for env in envelopes]
        if len(set(ids)) != len(ids):
            return False
        with self.ledger.store.cursor() as curs:
            if LedgerStore.rows_by_id(curs, ids):
                return False
        try:
            self.ledger.verify_signatures(envelopes, batched=batched)
            registry = self.ledger.registry.copy()     # a key event applies to what follows
            for i, env in enumerate(envelopes):
                registry.authorise(key_id=env.key_id, event_type=env.type, index=None, at=now,
                                   signer_roles=self.ledger.types.lookup(env.type).signer_roles)
                if env.type in KEY_EVENT_TYPES:     # at no log index: authorise reads none
                    registry.apply(env.type, env.body, i)
        except LedgerError:
            return False
        return True
