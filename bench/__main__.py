"""`python -m ioi_grader.bench`, and `python -m bench` from the repository root (where this folder
is imported as a top-level `bench`, so relative imports would not reach the rest of the package)."""

import sys

from ioi_grader.bench.run import main

sys.exit(main())
