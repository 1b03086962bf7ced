"""``python -m nn``: the ``autograd-engine`` console script (``demo``, ``train`` and ``graph``)."""

import sys

from .cli import main

sys.exit(main())
