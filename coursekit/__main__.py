"""``python -m coursekit ...``: the command line of the course tooling (:mod:`coursekit.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
