"""``ledger rebuild``'s read-model half, in a process of its own beside the red flags'.

    LEDGER_REBUILD_URL=postgresql://… python -m projections.rebuild FETCH

Rebuilds the read models (``ReadModels.rebuild``: one transaction) and prints how many events
it folded. The URL comes from the environment, not the command line, where other users could
read it. The two rebuilds share nothing but the log they read, so on two cores they run side by
side rather than one after the other (BENCHMARKS.md, "Red flags").
"""

from __future__ import annotations

import os
import sys

URL_VARIABLE = "LEDGER_REBUILD_URL"


def main(argv: list[str]) -> int:
    from ledger.store import LedgerStore, datastore_from_url

    from .readmodels import ReadModels
    url = os.environ[URL_VARIABLE]
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
