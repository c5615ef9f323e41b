"""What offline verification raises: the bundle could not be read (exit 2), or it was read and
does not verify (exit 1, with one line per failing event)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import VerificationError


class InvalidBundle(VerificationError):
    """The input is not a readable bundle of a supported version (or the trust is unusable)."""

    code = "invalid-bundle"


@dataclass(frozen=True, slots=True)
class Summary:
    """What a bundle held and what was checked."""

    scope: dict[str, object]
    tree_size: int
    events: int
    anchors: int
    key_events: int
    streams: int
    since_size: int | None
    notices: tuple[str, ...] = ()


class BundleFailed(VerificationError):
    """The bundle was read and at least one check failed.

    ``failures`` holds one line per failing event (``index N event ID: reasons``) and one per
    problem that belongs to no single event (checkpoint, missing versions or indices, root).
    """

    code = "bundle-verification-failed"

    def __init__(self, failures: list[str], summary: Summary, *, more: int = 0) -> None:
        super().__init__(f"{len(failures) + more} verification failure(s)")
        self.failures = failures
        self.summary = summary
        self.more = more
