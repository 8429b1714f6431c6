"""Task packages: the typed `Problem` model and loaders for TPS, Kattis and open-r1 datasets."""

from .model import (
    Checker,
    CheckerKind,
    Communication,
    Language,
    Problem,
    ProblemFormatError,
    ReferenceSolution,
    ScoreType,
    SourceFile,
    Subtask,
    TaskType,
    TestCase,
    UserIO,
)

__all__ = [
    "Checker", "CheckerKind", "Communication", "Language", "Problem", "ProblemFormatError",
    "ReferenceSolution", "ScoreType", "SourceFile", "Subtask", "TaskType", "TestCase", "UserIO",
]
