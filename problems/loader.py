"""Format autodetection and the problem store (a directory of task folders)."""

from __future__ import annotations

import os
from pathlib import Path

from .kattis import load_kattis
from .model import Problem, ProblemFormatError
from .tps import load_tps, override_limits

__all__ = ["detect_format", "load_problem", "load_problem_directory"]


def detect_format(path: str | os.PathLike[str]) -> str:
    """'tps' (problem.json) or 'kattis' (problem.yaml); ProblemFormatError when neither or both."""
    root = Path(path)
    if not root.is_dir():
        raise ProblemFormatError(root, "not a task folder (not a directory)")
    tps, kattis = (root / "problem.json").is_file(), (root / "problem.yaml").is_file()
    if tps and kattis:
        # Refuse to guess: the two could state different limits or subtasks.
        raise ProblemFormatError(root, "holds both problem.json (TPS) and problem.yaml (Kattis); keep one")
    if tps:
        return "tps"
    if kattis:
        return "kattis"
    raise ProblemFormatError(root, "not a task folder: missing problem.json (TPS) or problem.yaml (Kattis)")


def load_problem(
    path: str | os.PathLike[str], *, time_limit: float | None = None, memory_limit: int | None = None
) -> Problem:
    """Load a TPS or Kattis task folder; explicit limits (seconds; bytes, or MiB when < 65536) win."""
    if detect_format(path) == "tps":
        return override_limits(load_tps(path), time_limit, memory_limit)
    return load_kattis(path, time_limit=time_limit, memory_limit=memory_limit)


def load_problem_directory(root: str | os.PathLike[str]) -> dict[str, Problem]:
    """Every task folder directly under `root`, keyed by problem id, in folder-name order.

    Hidden folders (".git", ".cache") are skipped; any other folder must be a valid task, so a
    typo in a package fails loudly instead of silently shrinking the store.
    """
    base = Path(root)
    if not base.is_dir():
        raise ProblemFormatError(base, "problem directory does not exist")
    problems: dict[str, Problem] = {}
    folders: dict[str, Path] = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            problem = load_problem(folder)
        except ProblemFormatError as error:
            inside = folder.absolute()
            if error.path.absolute() == inside or inside in error.path.absolute().parents:
                raise  # the message already names a file inside the folder
            raise ProblemFormatError(folder, str(error), error.field) from error
        if problem.id in problems:
            raise ProblemFormatError(
                folder,
                f"duplicate problem id {problem.id!r}, already defined by {folders[problem.id]}",
                "code",
            )
        problems[problem.id] = problem
        folders[problem.id] = folder
    return problems
