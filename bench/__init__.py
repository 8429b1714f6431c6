"""The benchmark: ours against the floor (plain processes) and the anchor's method (a fresh
container per test), in one run. See `run.py`."""
