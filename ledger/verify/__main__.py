"""``python -m ledger.verify FILE``: the offline verifier without the rest of the ledger."""

import sys

from .command import main

sys.exit(main())
