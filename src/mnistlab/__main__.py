"""`python -m mnistlab` is the `mnistlab` command (and what torchrun starts in each process)."""

import sys

from mnistlab.cli import main

sys.exit(main(owns_process=True))
