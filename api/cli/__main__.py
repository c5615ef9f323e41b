"""``python -m api.cli``: the ``ledger`` command."""

import sys

from . import main

sys.exit(main())
