"""Grading workers: the RQ worker that owns warm sandboxes, its job functions, the Redis submission store and metrics."""
