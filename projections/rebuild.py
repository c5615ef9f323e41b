"""``ledger rebuild``'s read-model half, in a process of its own beside the red flags'.

    LEDGER_REBUILD_URL=postgresql://… python -m projections.rebuild FETCH

Rebuilds the read models (``ReadModels.rebuild``: one transaction) and prints how many events
it folded. The URL comes from the environment, not the command line, where other users could
read it. The two rebuilds share nothing but the log they read, so on two cores they run side by
side rather than one after the other (BENCHMARKS.md, "Red flags").
"""

from __future__ import annotations

import os
import signal
import sys

URL_VARIABLE = "LEDGER_REBUILD_URL"
#: the parent's process id: killed outright (the OOM killer, ``kill -9``), it takes its lock on
#: the projections with it, and this must not go on to commit without it
PARENT_VARIABLE = "LEDGER_REBUILD_PARENT"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Ask Linux to send SIGTERM when the parent ends (elsewhere: nothing to ask); exit now if
    it has ended already."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):    # not Linux
        pass
    if os.getppid() != parent:
        raise SystemExit(1)


def main(argv: list[str]) -> int:
    url, parent = os.environ.get(URL_VARIABLE), os.environ.get(PARENT_VARIABLE, "")
    if not url or not parent.isdigit() or len(argv) != 1 or not argv[0].isdigit():
        print(f"usage: {URL_VARIABLE}=postgresql://... {PARENT_VARIABLE}=<pid> python -m "
              "projections.rebuild FETCH (ledger rebuild runs it)", file=sys.stderr)
        return 2
    die_with_parent(int(parent))
    from ledger.store import LedgerStore, datastore_from_url

    from .readmodels import ReadModels
    store = LedgerStore(datastore_from_url(url, pool_size=1, max_overflow=0), url=url)
    try:
        count = ReadModels(store).rebuild(fetch=int(argv[0]))
    except Exception as e:    # the parent reports it; the read models keep their old states
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
