"""Grading one submission: the orchestrator (compile once, run each test once, judge), the task-program cache, pure IOI scoring and the result model."""
