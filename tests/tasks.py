"""The real tasks of ../shared/data, made gradable with the graders and checkers we wrote.

../shared holds only the tasks' data. These helpers build a task folder next to it that
links the shared files unchanged and adds our grader-side files, so what is graded is the
real data, read in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from paths import EXAMPLES, FIXTURES, SHARED_DATA

APLUSB = SHARED_DATA / "ioi2024-aplusb"
FISH = SHARED_DATA / "ioi2022-fish"
SOLUTIONS = FIXTURES / "solutions"


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def assemble_aplusb(root: Path) -> Path:
    """TPS folder: shared problem.json, subtasks/ and tests/ + our graders/ and checker/."""
    folder = root / "aplusb"
    for name in ("problem.json", "subtasks", "tests"):
        _link(APLUSB / name, folder / name)
    for name in ("graders", "checker"):
        _link(EXAMPLES / "aplusb" / name, folder / name)
    return folder


def assemble_fish(root: Path) -> Path:
    """Kattis package: shared problem.yaml and data/ + our include/cpp graders."""
    folder = root / "ioi2022-fish"
    for name in ("problem.yaml", "data"):
        _link(FISH / name, folder / name)
    _link(FIXTURES / "tasks" / "fish" / "include", folder / "include")
    return folder


def expected(task: str) -> dict[str, dict]:
    """The verdicts the fixture solutions must get (tests/fixtures/solutions/<task>/expected.json)."""
    return json.loads((SOLUTIONS / task / "expected.json").read_text())


def solution(task: str, name: str) -> str:
    return (SOLUTIONS / task / name).read_text()


def language_of(name: str) -> str:
    return "python" if name.endswith(".py") else "cpp"
