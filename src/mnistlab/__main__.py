"""`python -m mnistlab` is the `mnistlab` command (and what torchrun starts in each process)."""

import os
import sys

from mnistlab.cli import main

code = main()
if "WORLD_SIZE" in os.environ:
    # A torchrun worker whose work is done and whose files are written and closed: leave without the
    # interpreter's teardown, where gloo's threads can abort the process ("terminate called without an
    # active exception") after a successful run and make torchrun report a failure.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
