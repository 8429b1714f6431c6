"""Format autodetection and the problem store (a directory of task folders)."""

from __future__ import annotations

import os
from pathlib import Path

from .kattis import load_kattis
from .model import Problem, ProblemFormatError
from .polygon import load_polygon
from .tps import load_tps, override_limits

__all__ = ["detect_format", "load_problem", "load_problem_directory"]


# The file that marks each format's folder.
FORMAT_FILES = {"tps": "problem.json", "kattis": "problem.yaml", "polygon": "problem.xml"}


def detect_format(path: str | os.PathLike[str]) -> str:
    """'tps' (problem.json), 'kattis' (problem.yaml) or 'polygon' (problem.xml);
    ProblemFormatError when none or several."""
    root = Path(path)
    if not root.is_dir():
        raise ProblemFormatError(root, "not a task folder (not a directory)")
    found = [kind for kind, name in FORMAT_FILES.items() if (root / name).is_file()]
    if len(found) > 1:
        # Refuse to guess: they could state different limits or subtasks.
        names = " and ".join(FORMAT_FILES[kind] for kind in found)
        raise ProblemFormatError(root, f"holds {'both ' if len(found) == 2 else ''}{names}: keep one")
    if found:
        return found[0]
    raise ProblemFormatError(root, "not a task folder: missing problem.json (TPS) or problem.yaml (Kattis) "
                                   "or problem.xml (Polygon)")


def load_problem(
    path: str | os.PathLike[str], *, time_limit: float | None = None, memory_limit: int | None = None
) -> Problem:
    """Load a TPS, Kattis or Polygon task folder; explicit limits (seconds; bytes, or MiB when < 65536) win."""
    kind = detect_format(path)
    if kind == "tps":
        return override_limits(load_tps(path), time_limit, memory_limit)
    if kind == "polygon":
        return load_polygon(path, time_limit=time_limit, memory_limit=memory_limit)
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
