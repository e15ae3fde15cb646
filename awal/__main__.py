"""``python -m awal``: the ``awal`` command."""

import sys

from awal.cli import main

sys.exit(main())
