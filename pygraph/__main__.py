"""``python -m pygraph``: the ``pygraph`` command (see :mod:`pygraph.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
