"""Score types: how a subtask's test outcomes become points, one module per score type
(`GroupMin`, `Sum`, `GroupMul`; see `base.py`)."""

from .base import ScoreType, scoretypes

__all__ = ["ScoreType", "scoretypes"]
