"""``python -m iso10002``: the ``iso10002`` command."""

from __future__ import annotations

import sys

from iso10002.cli import main

if __name__ == "__main__":
    sys.exit(main())
