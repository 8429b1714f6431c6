"""Codeforces-style tasks for the tests: the shared Polygon package made gradable with our
checker, our interactive Polygon and Kattis fixtures, and the open-r1-shaped parquet fixture."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ioi_grader.grading.results import GradeResult, TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission

from paths import FIXTURES, SHARED_DATA

SMALLEST_AMOUNT = SHARED_DATA / "cf-polygon-smallest-amount"
GUESS = FIXTURES / "tasks" / "cf-guess"
KATTIS_GUESS = FIXTURES / "tasks" / "kattis-guess"
SOLUTIONS = FIXTURES / "solutions"


def assemble_smallest_amount(root: Path) -> Path:
    """The shared package (problem.xml, tests/, files/ read in place) plus our check.cpp, where
    problem.xml's <copy path="check.cpp"> expects it."""
    folder = root / "cf-polygon-smallest-amount"
    folder.mkdir(parents=True)
    for name in ("problem.xml", "tests", "files"):
        os.symlink(SMALLEST_AMOUNT / name, folder / name)
    shutil.copy(FIXTURES / "tasks" / "cf-polygon-smallest-amount" / "check.cpp", folder / "check.cpp")
    return folder


def copy_guess(root: Path, interactor: str | None = None) -> Path:
    """The guess-the-number package, optionally with another interactor source."""
    folder = root / "cf-guess"
    shutil.copytree(GUESS, folder)
    if interactor is not None:
        (folder / "files" / "interactor.cpp").write_text(interactor)
    return folder


def copy_kattis_guess(root: Path, validator: dict[str, str] | None = None) -> Path:
    """The Kattis guess-the-number package, optionally with another validator folder (file name
    -> source) in place of output_validators/guess/."""
    folder = root / "kattis-guess"
    shutil.copytree(KATTIS_GUESS, folder)
    if validator is not None:
        own = folder / "output_validators" / "guess"
        shutil.rmtree(own)
        own.mkdir()
        for name, source in validator.items():
            (own / name).write_text(source)
    return folder


def expected(task: str) -> dict:
    return json.loads((SOLUTIONS / task / "expected.json").read_text())


def language_of(name: str) -> str:
    return "python" if name.endswith(".py") else "cpp"


def grade_solution(grader, problem, task: str, name: str, options: GradeOptions | None = None,
                   language: str | None = None) -> GradeResult:
    code = (SOLUTIONS / task / name).read_text()
    return grader.grade(problem, Submission(language=language or language_of(name), code=code), options)


def statuses(result: GradeResult) -> set[TestStatus]:
    return {t.status for t in result.tests.values()}


def describe(result: GradeResult) -> list:
    return [(t.name, t.status.value, t.message[:120]) for t in result.tests.values()][:12]
