"""``python -m tools.benchmark``: see ``tools.benchmark.cli``."""

import sys

from tools.benchmark.cli import main

sys.exit(main())
