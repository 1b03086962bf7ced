"""``python -m autograd_engine``: the expression grapher (``autograd-engine`` also has ``demo`` and ``train``)."""

import sys

from .cli import main

sys.exit(main())
