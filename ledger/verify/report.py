"""The failures a verification finds, as ``ledger verify`` prints them: one line per failing
event (its reasons joined, in log order) and one per problem that belongs to no single event,
capped, with the rest counted."""

from __future__ import annotations


class Report:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.general: list[str] = []
        self.events: dict[int, tuple[str | None, list[str]]] = {}
        self.more = 0

    def add(self, index: int, event_id: str | None, reasons: list[str]) -> None:
        """Name the event at log ``index`` failing for ``reasons`` (added to any it has)."""
        entry = self.events.get(index)
        if entry is None:
            if len(self.events) >= self.cap:
                self.more += 1
                return
            self.events[index] = (event_id, list(reasons))
        else:
            if entry[0] is None and event_id is not None:
                self.events[index] = entry = (event_id, entry[1])
            entry[1].extend(r for r in reasons if r not in entry[1])

    def line(self, text: str) -> None:
        """Name a problem that belongs to no single event."""
        if len(self.general) < self.cap:
            self.general.append(text)
        else:
            self.more += 1

    def lines(self) -> list[str]:
        out = list(self.general)
        for index in sorted(self.events):
            event_id, reasons = self.events[index]
            who = f"index {index}" + (f" event {event_id}" if event_id else "")
            out.append(f"{who}: {'; '.join(reasons)}")
        return [_escaped(line) for line in out]


def _escaped(line: str) -> str:
    """``line`` with every unprintable character escaped as Python would (``\\n``, ``\\ud800``):
    reasons quote the bundle's unsigned text (its header's scope), and a line break there would
    print a report line of the bundle's choosing, a lone surrogate crash the output."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
