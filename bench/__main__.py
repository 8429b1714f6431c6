"""`python -m ioi_grader.bench`: what `ioi-grader bench` runs."""

import sys

from .run import main

sys.exit(main())
