"""Task packages: the typed `Problem` model and loaders for TPS, Kattis and open-r1 datasets."""

from .kattis import ProblemDataWarning, load_kattis
from .loader import detect_format, load_problem, load_problem_directory
from .model import Checker, Problem, ProblemFormatError, ReferenceSolution, SourceFile, Subtask, TestCase
from .openr1 import load_openr1, openr1_rows
from .tps import load_tps

# Names of plugin kinds (enums derived from their registries) and the Communication task
# type's parameters, resolved on first use: the plugins themselves import this package.
_LAZY = {
    "CheckerKind": ("ioi_grader.problems.model", "CheckerKind"),
    "Language": ("ioi_grader.problems.model", "Language"),
    "ScoreType": ("ioi_grader.problems.model", "ScoreType"),
    "TaskType": ("ioi_grader.problems.model", "TaskType"),
    "Communication": ("ioi_grader.tasktypes.communication", "CommunicationParams"),
    "UserIO": ("ioi_grader.tasktypes.communication", "UserIO"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Checker", "CheckerKind", "Communication", "Language", "Problem", "ProblemDataWarning", "ProblemFormatError",
    "ReferenceSolution", "ScoreType", "SourceFile", "Subtask", "TaskType", "TestCase", "UserIO", "detect_format",
    "load_kattis", "load_openr1", "load_problem", "load_problem_directory", "load_tps", "openr1_rows",
]
