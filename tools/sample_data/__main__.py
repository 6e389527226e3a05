"""``python -m tools.sample_data``: see ``tools.sample_data.cli``."""

import sys

from tools.sample_data.cli import main

sys.exit(main())
