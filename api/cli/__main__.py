"""``python -m api.cli``: the same as the ``credbank`` script."""

import sys

from api.cli import main

sys.exit(main())
