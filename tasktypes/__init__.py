"""Task types: how one test of a compiled submission runs, one module per task type
(`Batch`, `Communication`; see `base.py`)."""

from .base import NoParams, SelfTest, TaskType, TestRun, tasktypes

__all__ = ["NoParams", "SelfTest", "TaskType", "TestRun", "tasktypes"]
