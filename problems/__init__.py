"""Task packages: the typed `Problem` model and loaders for TPS, Kattis and open-r1 datasets."""

from .kattis import ProblemDataWarning, load_kattis
from .loader import detect_format, load_problem, load_problem_directory
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
from .openr1 import load_openr1, openr1_rows
from .tps import load_tps

__all__ = [
    "Checker",
    "CheckerKind",
    "Communication",
    "Language",
    "Problem",
    "ProblemDataWarning",
    "ProblemFormatError",
    "ReferenceSolution",
    "ScoreType",
    "SourceFile",
    "Subtask",
    "TaskType",
    "TestCase",
    "UserIO",
    "detect_format",
    "load_kattis",
    "load_openr1",
    "load_problem",
    "load_problem_directory",
    "load_tps",
    "openr1_rows",
]
